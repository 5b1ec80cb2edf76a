"""National scale: the built Asker graph cloned under 357 SYNTHETIC kommunenummer, served and asked.

Not a test, and bench only: the generated data are synthetic (every clone says so in its graph),
are written to a temporary directory (never data/ or the default build/), and are removed at the
end unless --keep. It

  1. reads the built graph (BUILD/dataset.nq) and writes a dataset of several kommuner: the quads
     that name none of Asker's resources (…/kommune/3203/…) once in SHARED_GRAPH, and Asker's, and a
     copy per synthetic kommune (…/kommune/9001/… to …/kommune/9357/…), in a graph of that kommune;
     the manifest's `kommuner` says which graphs are whose (store/dataset.DatasetInfo);
  2. bulk-loads it into a build directory of its own (pyoxigraph, as `sdggraph build` does:
     bulk_load, flush, optimize, store/loading.py), from as many files as there are cores (--parts),
     loaded at once, and prints the time of each step;
  3. serves it with `sdggraph serve` (loopback, free port), and prints the resident memory of the
     service (main process and its query workers, from /proc) and the p50 of every named question
     about one synthetic kommune (?kommune=…) over HTTP, cold (Cache-Control: no-cache) and warm.

    .venv/bin/python bench/national_scale.py [--build-dir build] [--kommuner 357] [--requests 10] [--keep]

Targets (issue 9): load ≤ 60 s, RSS of the service ≤ 2 GB, every named question p50 ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))


from sdggraph import config, layout  # noqa: E402
from sdggraph.layout import DATASET_FILE, MANIFEST_FILE, STORE_DIR, require_build  # noqa: E402
from sdggraph.query import named as named_queries  # noqa: E402
from sdggraph.store.loading import load_files  # noqa: E402

ASKER = config.KOMMUNENUMMER  # "3203"
FIRST_SYNTHETIC = 9001  # no Norwegian kommune has a 9xxx number: clones cannot be mistaken for one
STARTUP_LIMIT_S = 300
ISSUE_TRIAL_QUADS, ISSUE_TRIAL_S = 4.2e6, 42.0  # issue 9: "pyoxigraph bulk-loads 4.2 M quads in 42 s"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


SHARED_GRAPH = config.base_iri() + "graph/shared"  # what no kommune owns: the ontology, the UN layer, codes


def kommune_graph(number: str) -> str:
    return f"{config.base_iri()}graph/kommune/{number}"


def generate(build_dir: Path, out: Path, kommuner: int, parts: int = 1) -> tuple[dict[str, int], list[Path]]:
    """Write the quads no kommune owns once, in SHARED_GRAPH; Asker's, and a copy per synthetic
    kommune, in a graph of that kommune (kommune_graph: its stated and inferred triples), the
    kommuner dealt over `parts` N-Quads files (loaded at once, store/loading.py). A question about
    one kommune then reads two graphs: Oxigraph's cost grows with the graphs a default graph names
    (the build's three layers per kommune made kostra 5× slower). Returns quads per graph IRI, and
    the files."""
    marker = f"/kommune/{ASKER}/"
    shared, local = [], []
    with open(build_dir / DATASET_FILE, encoding="utf-8") as lines:
        for line in lines:
            statement = line.rsplit(" ", 2)[0]
            (local if marker in statement else shared).append(statement)
    shared = sorted(set(shared))  # a triple stated and inferred, or in two layers, is one triple here
    local = sorted(set(local))
    counts = {SHARED_GRAPH: len(shared)}
    paths = [out / f"dataset-part-{number}.nq" for number in range(parts)]
    targets = [open(path, "w", encoding="utf-8") for path in paths]
    try:
        targets[0].writelines(f"{statement} <{SHARED_GRAPH}> .\n" for statement in shared)
        for index, number in enumerate(kommunenummer(kommuner)):
            target = targets[index % parts]
            clone, graph = f"/kommune/{number}/", kommune_graph(number)
            target.writelines(f"{statement.replace(marker, clone)} <{graph}> .\n" for statement in local)
            counts[graph] = len(local)
            if number != ASKER:
                target.write(f'<{config.base_iri()}kommune/{number}/> <http://www.w3.org/2000/01/rdf-schema#comment> '
                             f'"Syntetisk kommune {number} for ytelsestest: en kopi av Asker kommunes graf, ikke '
                             f'virkelige data. Synthetic benchmark clone of Asker, not real data."@nb <{graph}> .\n')
                counts[graph] += 1
    finally:
        for target in targets:
            target.close()
    return counts, paths


def kommunenummer(kommuner: int) -> list[str]:
    return [ASKER] + [str(number) for number in range(FIRST_SYNTHETIC, FIRST_SYNTHETIC + kommuner)]


def write_manifest(build_dir: Path, out: Path, counts: dict[str, int], kommuner: int) -> None:
    """The build's manifest with the synthetic dataset's graphs and which kommune each is of
    (manifest `kommuner`, see store/dataset.DatasetInfo)."""
    manifest = json.loads((build_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    manifest["graphs"] = {"shared": {"iri": SHARED_GRAPH, "triples": counts[SHARED_GRAPH]}}
    for number in kommunenummer(kommuner):
        manifest["graphs"][f"kommune/{number}"] = {"iri": kommune_graph(number), "triples": counts[kommune_graph(number)]}
    manifest["kommuner"] = {"home": ASKER, "shared": [SHARED_GRAPH],
                            "graphs": {number: [kommune_graph(number)] for number in kommunenummer(kommuner)}}
    manifest["synthetic"] = (f"SYNTHETIC benchmark data: the Asker graph cloned under {kommuner} made-up "
                             f"kommunenummer {FIRST_SYNTHETIC}–{FIRST_SYNTHETIC + kommuner - 1}; not real data")
    (out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def load(out: Path, paths: list[Path], optimize: bool = True) -> dict[str, float]:
    """Seconds of each step, as `sdggraph build` writes its store (store/loading.load_files);
    lenient: the N-Quads are the build's own, written from terms it parsed and checked (14% faster)."""
    return load_files(out / STORE_DIR, paths, lenient=True, optimize=optimize)


def rss_bytes(pid: int, each: dict | None = None) -> int:
    """Resident memory of a process and all its descendants, from /proc (each: pid -> bytes)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry))
            except (OSError, IndexError):
                pass
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
                    if each is not None:
                        each[current] = int(line.split()[1]) * 1024
        except OSError:
            pass
        todo.extend(children.get(current, []))
    return total


def p50(client: httpx.Client, url: str, requests: int, cold: bool) -> tuple[float, int, int]:
    headers = {"Accept": "application/sparql-results+json"}
    if cold:
        headers["Cache-Control"] = "no-cache"
    samples, status = [], 0
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        samples.append(time.perf_counter() - started)
        status = response.status_code
    rows = len(json.loads(response.content)["results"]["bindings"]) if status == 200 else -1
    return statistics.median(samples) * 1000, status, rows


BURST_LIMIT_MS = 5000  # questions slower than this are left out of the concurrent burst (it would take minutes)


def busy_rss(base: str, pid: int, names: list[str], clients: int, kommune: str) -> int:
    """RSS after `clients` clients at once asked every question in `names` (cold): every worker has
    worked then, so this is the figure under load."""
    from concurrent.futures import ThreadPoolExecutor

    def ask_all(_):
        with httpx.Client(timeout=300) as client:
            for name in names:
                client.get(f"{base}/queries/{name}?kommune={kommune}", headers={"Accept": "application/sparql-results+json",
                                                              "Cache-Control": "no-cache"})

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(ask_all, range(clients)))
    each: dict[int, int] = {}
    rss = rss_bytes(pid, each)
    print(f"RSS after {clients} clients at once asked the {len(names)} questions under {BURST_LIMIT_MS / 1000:g} s: "
          f"{rss / 2**20:.0f} MiB (main {each.get(pid, 0) / 2**20:.0f} MiB, workers "
          + ", ".join(f"{size / 2**20:.0f}" for p, size in each.items() if p != pid) + " MiB)", flush=True)
    return rss


def build_synthetic(build_dir: Path, out: Path, kommuner: int, optimize: bool = True, parts: int = 2) -> float:
    """Generate and load the synthetic build; the load time."""
    started = time.perf_counter()
    counts, paths = generate(build_dir, out, kommuner, parts)
    write_manifest(build_dir, out, counts, kommuner)
    quads = sum(counts.values())
    generated_s = time.perf_counter() - started
    print(f"SYNTHETIC data: Asker and {kommuner} clones of it under made-up kommunenummer, {quads:,} quads "
          f"({sum(path.stat().st_size for path in paths) / 1e6:.0f} MB N-Quads in {len(paths)} files), generated "
          f"in {generated_s:.1f} s", flush=True)
    steps = load(out, paths, optimize)
    load_s = sum(steps.values())
    print(f"load: {load_s:.1f} s  (target <= 60 s) = pyoxigraph bulk_load of the {len(paths)} files at once "
          f"{steps['bulk_load']:.1f} s + flush {steps['flush']:.1f} s + optimize {steps['optimize']:.1f} s "
          f"(as `sdggraph build` does, store/loading.py)", flush=True)
    # The target was set for ~4.2 M quads (the issue's trial: 42 s); the rate says how much of a miss is volume.
    print(f"load rate: {quads / load_s / 1e3:.0f} k quads/s (the issue's trial {ISSUE_TRIAL_QUADS / ISSUE_TRIAL_S / 1e3:.0f} "
          f"k quads/s); at this rate its {ISSUE_TRIAL_QUADS / 1e6:.1f} M quads would take "
          f"{ISSUE_TRIAL_QUADS * load_s / quads:.0f} s; {quads / (kommuner + 1):,.0f} quads per kommune here", flush=True)
    for path in paths:  # 1 GB the service does not read; exports would, and are not measured
        path.unlink()
    (out / DATASET_FILE).touch()
    return load_s


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=layout.build_dir())
    parser.add_argument("--kommuner", type=int, default=357, help="synthetic clones (Asker itself stays as well)")
    parser.add_argument("--requests", type=int, default=10, help="requests per question (p50)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="where the synthetic build goes (default: a temp dir; "
                        "removed at the end unless --keep or it was there before)")
    parser.add_argument("--keep", action="store_true", help="keep the synthetic build directory")
    parser.add_argument("--reuse", action="store_true", help="serve the synthetic build already in --out (kept)")
    parser.add_argument("--parts", type=int, default=os.cpu_count() or 1,
                        help="N-Quads files the dataset is written in and loaded from at once (default: the cores)")
    parser.add_argument("--no-optimize", action="store_true",
                        help="leave out Store.optimize after the bulk load (faster load, slower questions)")
    parser.add_argument("--timeout", type=float, default=60.0, help="the service's query timeout (s)")
    args = parser.parse_args(argv)

    build_dir = require_build(args.build_dir).resolve()
    made_here = args.out is None or not args.out.exists()  # only what this run made is removed at the end
    out = args.out or Path(tempfile.mkdtemp(prefix="sdggraph-national-synthetic-"))
    out.mkdir(parents=True, exist_ok=True)
    process = None
    try:
        if args.reuse and (out / STORE_DIR).is_dir():
            print(f"SYNTHETIC data: reusing {out} (load time not measured)", flush=True)
            load_s = None
        else:
            load_s = build_synthetic(build_dir, out, args.kommuner, optimize=not args.no_optimize, parts=args.parts)

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        process = subprocess.Popen([sys.executable, "-m", "sdggraph.cli", "serve", "--host", "127.0.0.1", "--port",
                                    str(port), "--workers", str(args.workers), "--build-dir", str(out)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   env=dict(os.environ, SDGGRAPH_MAX_ROWS="1000000",
                                            SDGGRAPH_QUERY_TIMEOUT=str(args.timeout)))
        deadline = time.monotonic() + STARTUP_LIMIT_S
        serve_started = time.perf_counter()
        while True:
            try:
                if httpx.get(base + "/sparql?query=ASK%7B%7D", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the service did not start")
            time.sleep(0.5)
        print(f"the service answered its first query {time.perf_counter() - serve_started:.1f} s after it was "
              f"started", flush=True)
        queries = [q for q in named_queries.discover().values() if not q.is_check]
        held = json.loads((out / MANIFEST_FILE).read_text(encoding="utf-8"))["kommuner"]["graphs"]
        asked = sorted(held)[len(held) // 2]  # a synthetic one, from the middle
        print(f"\nthe named questions about kommune {asked} (SYNTHETIC) of the {len(held)} the dataset holds")
        print(f"{'question':<32} {'status':>6} {'rows':>8} {'cold p50 ms':>12} {'warm p50 ms':>12}")
        worst = 0.0
        colds: dict[str, float] = {}
        with httpx.Client(timeout=300) as client:
            for query in queries:
                url = f"{base}/queries/{query.name}?kommune={asked}"
                client.get(url, headers={"Accept": "application/sparql-results+json"})  # first touch
                cold, status, rows = p50(client, url, args.requests, cold=True)
                warm, _, _ = p50(client, url, args.requests, cold=False)
                worst = max(worst, cold)
                colds[query.name] = cold
                print(f"{query.name:<32} {status:>6} {rows:>8} {cold:>12.1f} {warm:>12.2f}", flush=True)
            # above the service's derived limit: a page is labelled from the store, an export is refused
            for url in (f"/kommune/{asked}/indicator/HEL-01", f"/kommune/{asked}/sub-goal/KLI-1", "/export/turtle",
                        "/traverse/impact?goal=3"):
                started = time.perf_counter()
                answer = client.get(base + url, headers={"Accept": "text/html"})
                print(f"GET {url}: {answer.status_code} in {(time.perf_counter() - started) * 1000:.0f} ms"
                      + (f" ({answer.text.strip()[:90]}…)" if answer.status_code == 503 else ""), flush=True)
        each: dict[int, int] = {}
        rss = rss_bytes(process.pid, each)
        print(f"\nRSS of the service (main process + query workers): {rss / 2**20:.0f} MiB  (target <= 2048 MiB); "
              f"main {each.get(process.pid, 0) / 2**20:.0f} MiB, workers "
              + ", ".join(f"{size / 2**20:.0f}" for pid, size in each.items() if pid != process.pid) + " MiB"
              + " (after sequential requests: the most recently used worker takes each, so one did the work)")
        rss = max(rss, busy_rss(base, process.pid, [name for name, ms in colds.items() if ms < BURST_LIMIT_MS],
                                args.workers + 1, asked))
        print(f"slowest named question, cold p50: {worst:.1f} ms  (target <= 100 ms)")
        load = "not measured (--reuse)" if load_s is None else "HOLDS" if load_s <= 60 else "MISSED"
        print(f"Targets: load {load}, RSS {'HOLDS' if rss <= 2 << 30 else 'MISSED'}, "
              f"p50 {'HOLDS' if worst <= 100 else 'MISSED'}")
    finally:
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        if not args.keep and made_here:
            shutil.rmtree(out, ignore_errors=True)
        else:
            print(f"kept: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
