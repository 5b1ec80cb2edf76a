"""How long `sdggraph build` + `sdggraph validate` take, phase by phase, on the fast path and on
the reference path (owlrl + pySHACL), with the ratio. Prints figures; asserts nothing.

    python bench/bench_build.py [--no-reference]

Phases: parse (the Turtle inputs), compile (the CSV tables), infer (OWL-RL: fast rules vs owlrl),
write (N-Triples, Turtle, N-Quads, store, docs), check (the build's gate: SHACL + *-violation
queries on the staged build), validate (`sdggraph validate` on the finished build).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from rdflib import Graph


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
    from sdggraph.compile.tables import compile_tables

    files = input_files()
    out = {}
    mode = "ref:" if reference else "fast:"
    _, out["parse"] = timed(lambda: [parse_rdf_file(p) for p in files["ontology"] + files["data"] + files["reference"]], f"{mode}parse")
    _, out["compile"] = timed(lambda: compile_tables(files["tables"]), f"{mode}compile")
    sources = load_sources()
    layers = {"asserted": Graph(), "reference": Graph()}
    for source in sources:
        layers[source.layer] += source.graph
    result, out["infer"] = timed(lambda: infer(layers["asserted"] + layers["reference"], reference=reference),
                                 f"{mode}infer")
    layers["inferred"] = result.inferred
    target = work / ("ref" if reference else "fast")
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    _, out["write"] = timed(lambda: write_outputs(target, layers), f"{mode}write")
    report = BuildReport(target, layer_sizes={k: len(v) for k, v in layers.items()}, classes=class_counts(layers))
    (target / "manifest.json").write_text("{}", encoding="utf-8")
    current = manifest(target, report)
    _, out["check"] = timed(lambda: gate(target, work / "none", current, report, False, reference), f"{mode}check")
    _, out["validate"] = timed(lambda: validate(build_dir=target, reference=reference), f"{mode}validate")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-reference", action="store_true", help="time only the fast path")
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
            line += f" {ref[name]:>14.2f} {CPU['ref:' + name]:>6.2f} {ref[name] / max(fast[name], 1e-9):>6.1f}×"
        print(line)
    print(f"fast path CPU: build {sum(v for k, v in CPU.items() if k.startswith('fast:') and k != 'fast:validate'):.2f} s"
          f" + validate {CPU['fast:validate']:.2f} s (without interpreter start-up)")
    build_fast = sum(v for k, v in fast.items() if k != "validate")
    print(f"build (parse+compile+infer+write+check) {build_fast:.2f} s; + validate {fast['validate']:.2f} s "
          f"= {build_fast + fast['validate']:.2f} s (target on an idle machine: ≤ 3 s)")
    if ref:
        build_ref = sum(v for k, v in ref.items() if k != "validate")
        total_fast, total_ref = build_fast + fast["validate"], build_ref + ref["validate"]
        print(f"reference path: {total_ref:.2f} s; the fast path takes {total_fast / total_ref:.0%} of it "
              f"({total_ref / total_fast:.1f}× faster)")
    print(f"(load average now: {', '.join(f'{x:.1f}' for x in os.getloadavg())}; figures on a busy machine are higher)")


if __name__ == "__main__":
    main()
