"""How long `sdggraph build` + `sdggraph validate` take, phase by phase, on the fast path and on
the reference path (owlrl + pySHACL), with the ratio. Prints figures; asserts nothing.

    python bench/bench_build.py [--no-reference]

Phases: parse (the Turtle inputs), compile (the CSV tables), infer (OWL-RL: fast rules vs owlrl),
write (N-Triples, Turtle, N-Quads, store, docs), check (the build's gate: SHACL + *-violation
queries; `sdggraph build` runs it in a child process beside write, so a build takes about
parse + compile + infer + max(write, check) on two cores), validate (`sdggraph validate` on the finished build: it reads the
results the gate kept in build/validation/), afresh (the same with those results removed).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

CPU: dict[str, float] = {}  # phase -> CPU seconds of this process (close to the wall time on an idle machine)


def timed(fn, name=None):
    started, cpu = time.perf_counter(), time.process_time()
    value = fn()
    if name:
        CPU[name] = time.process_time() - cpu
    return value, time.perf_counter() - started


def phases(reference: bool, work: Path) -> dict[str, float]:
    from sdggraph.check.validate import validate
    from sdggraph.compile.build import BuildReport, class_counts, gate, manifest, write_outputs
    from sdggraph.compile.inference import infer
    from sdggraph.compile.sources import input_files, load_sources, parse_rdf_file
    from sdggraph.compile.tables import compile_tables, report_editions
    from sdggraph.layout import VALIDATION_DIR

    files = input_files()
    out = {}
    mode = "ref:" if reference else "fast:"
    parsed, out["parse"] = timed(lambda: {p: parse_rdf_file(p) for p in files["ontology"] + files["data"] + files["reference"]},
                                 f"{mode}parse")
    known = {s for p in files["data"] for s in parsed[p].subjects()}
    editions = report_editions((p, parsed[p]) for p in files["data"])
    _, out["compile"] = timed(lambda: compile_tables(files["tables"], known, editions), f"{mode}compile")
    sources = load_sources()
    layers = {"asserted": set(), "reference": set()}  # as the build holds them
    for source in sources:
        layers[source.layer].update(source.graph)
    result, out["infer"] = timed(lambda: infer(layers["asserted"] | layers["reference"], reference=reference),
                                 f"{mode}infer")
    layers["inferred"] = set(result.inferred)
    target = work / ("ref" if reference else "fast")
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    _, out["write"] = timed(lambda: write_outputs(target, layers), f"{mode}write")
    report = BuildReport(target, layer_sizes={k: len(v) for k, v in layers.items()}, classes=class_counts(layers))
    (target / "manifest.json").write_text("{}", encoding="utf-8")
    current = manifest(target, report)
    _, out["check"] = timed(lambda: gate(target, work / "none", current, report, False, reference), f"{mode}check")
    _, out["validate"] = timed(lambda: validate(build_dir=target, reference=reference), f"{mode}validate")
    shutil.rmtree(target / VALIDATION_DIR, ignore_errors=True)  # the same, without the gate's kept results
    _, out["afresh"] = timed(lambda: validate(build_dir=target, reference=reference), f"{mode}afresh")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-reference", action="store_true", help="time only the fast path")
    parser.add_argument("--runs", type=int, default=3, help="runs of the commands (the best is shown)")
    args = parser.parse_args()
    os.environ.pop("SDGGRAPH_REFERENCE", None)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        fast = phases(False, work)
        ref = None if args.no_reference else phases(True, work)
    print(f"{'phase':<10} {'fast (s)':>9} {'cpu':>6} {'reference (s)':>14} {'cpu':>6} {'ratio':>7}")
    for name in fast:
        line = f"{name:<10} {fast[name]:>9.2f} {CPU['fast:' + name]:>6.2f}"
        if ref:
            ratio = "  (kept)" if name == "validate" else f"{ref[name] / max(fast[name], 1e-9):>6.1f}×"  # a read, not a check
            line += f" {ref[name]:>14.2f} {CPU['ref:' + name]:>6.2f} {ratio}"
        print(line)
    print(f"fast path CPU: build {sum(v for k, v in CPU.items() if k.startswith('fast:') and k not in ('fast:validate', 'fast:afresh')):.2f} s"
          f" + validate {CPU['fast:validate']:.2f} s (without interpreter start-up)")
    def build_time(phase, beside=True):  # the fast path's check runs beside write (sdggraph.forked)
        write_and_check = max(phase["write"], phase["check"]) if beside else phase["write"] + phase["check"]
        return phase["parse"] + phase["compile"] + phase["infer"] + write_and_check
    build_fast = build_time(fast)
    print(f"build (parse+compile+infer+max(write, check)) {build_fast:.2f} s; + validate {fast['validate']:.2f} s "
          f"= {build_fast + fast['validate']:.2f} s (target on an idle machine: ≤ 3 s)")
    if ref:
        build_ref = build_time(ref, beside=False)
        total_fast, total_ref = build_fast + fast["validate"], build_ref + ref["validate"]
        print(f"reference path: {total_ref:.2f} s; the fast path takes {total_fast / total_ref:.0%} of it "
              f"({total_ref / total_fast:.1f}× faster)")
    commands(args.runs)
    print(f"(load average now: {', '.join(f'{x:.1f}' for x in os.getloadavg())}; figures on a busy machine are higher)")


EDIT = """@prefix sg: <https://w3id.org/sdggraph/ontology#> .
@prefix subgoal: <https://w3id.org/sdggraph/kommune/3203/sub-goal/> .
subgoal:HEL-1 sg:noIndicatorReason sg:IndicatorUnderDevelopment .
"""


def commands(runs: int) -> None:
    """The commands as an analyst runs them (interpreter start-up included), best of `runs`:
    `sdggraph build`, then `sdggraph validate`, `sdggraph validate EDITED.ttl` (a file of one's own
    on top of the build) and `sdggraph validate data/…` (an edited input: data/ compiled afresh)."""
    import subprocess
    import sys

    def wall(argv, cwd) -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "sdggraph.cli", *argv], cwd=cwd, capture_output=True)
        return time.perf_counter() - started

    from sdggraph.layout import data_dir

    edited_input = str(data_dir() / "kommuneplan" / "kommuneplan.ttl")  # data/ is compiled afresh
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "edit.ttl").write_text(EDIT, encoding="utf-8")
        best = {"build": [], "validate": [], "validate edit.ttl": [], "validate data/…/kommuneplan.ttl": []}
        for _ in range(runs):
            best["build"].append(wall(["build"], tmp))
            best["validate"].append(wall(["validate"], tmp))
            best["validate edit.ttl"].append(wall(["validate", "edit.ttl"], tmp))
            best["validate data/…/kommuneplan.ttl"].append(wall(["validate", edited_input], tmp))
    figures = {name: min(times) for name, times in best.items()}
    print(f"\nThe commands (best of {runs}, interpreter start-up included):")
    for name, seconds in figures.items():
        print(f"  sdggraph {name:<33} {seconds:.2f} s")
    edited = max(figures["validate edit.ttl"], figures["validate data/…/kommuneplan.ttl"])
    print(f"  build + validate {figures['build'] + figures['validate']:.2f} s (target ≤ 3 s); "
          f"validate of an edited file ≤ {edited:.2f} s (target ≤ 2 s)")


if __name__ == "__main__":
    main()
