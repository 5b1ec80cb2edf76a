"""`sdggraph build`: compile the hand-edited inputs into build/.

build/ holds, per layer (asserted, reference, inferred), sorted N-Triples and Turtle; the
whole dataset as N-Quads (one named graph per layer); the pyoxigraph store the service opens;
manifest.json with what was loaded; and docs/ontology.html, the ontology's documentation. rdflib (validation, reports, exports) and pyoxigraph
(query serving) both read these same files. The build writes to a fresh directory and swaps
it in only when everything succeeded, so a broken input leaves the previous build intact.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph
from rdflib.compare import to_canonical_graph
from rdflib.namespace import RDF
from rdflib.term import BNode, URIRef

from .. import config, layout
from ..check.validate import results_of
from ..errors import CheckFailed
from ..forked import Beside
from ..layout import DATASET_FILE, LAYERS, LOCATIONS_FILE, MANIFEST_FILE, STORE_DIR, graph_iri
from ..store.loading import load_files
from ..terms import RDF_TYPE_ONLY, new_graph, to_ox
from . import ontology_docs
from .inference import infer, use_reference
from .sources import load_sources, locations

SHRINK_LIMIT = 0.10  # a build losing more than this share of a layer or class is refused


@dataclass
class BuildReport:
    build_dir: Path
    loaded: list[tuple[str, str, int]] = field(default_factory=list)  # (file, layer, triples)
    layer_sizes: dict[str, int] = field(default_factory=dict)
    closure_size: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    engine: str = "rules"
    classes: dict[str, int] = field(default_factory=dict)  # class IRI -> resources of that type
    checks: list[str] = field(default_factory=list)  # what the gate checked, for the summary

    def lines(self) -> list[str]:
        out = ["Loaded:"]
        width = max((len(name) for name, _, _ in self.loaded), default=10)
        for name, layer, count in self.loaded:
            out.append(f"  {name:<{width}}  {layer:<9}  {count:>7} triples")
        out.append("Graphs:")
        for layer in LAYERS:
            out.append(f"  {layer:<9} {self.layer_sizes.get(layer, 0):>7} triples")
        engine = "owlrl, the reference" if self.engine == "owlrl" else "fast rules, same kept entailments as owlrl"
        out.append(f"Inference (OWL-RL, {engine}): closure {self.closure_size} triples, "
                   f"{self.layer_sizes.get('inferred', 0)} kept as inferred")
        out.extend(f"Checked: {line}" for line in self.checks)
        out.append("Timings: " + ", ".join(f"{k} {v:.2f} s" for k, v in self.timings.items()))
        out.append(f"Written to {self.build_dir}")
        return out


_OX: dict = {}


def _ox(term):
    """The pyoxigraph term (memoised: a build converts the same predicates and classes many times)."""
    found = _OX.get(term)
    if found is None:
        if len(_OX) > 500_000:
            _OX.clear()
        found = _OX[term] = to_ox(term)
    return found


def canonical(graph) -> set | Graph:
    """The graph (an rdflib Graph or a set of triples) with blank node labels that are the same on every run.

    Our blank nodes hang off an IRI (the RDF lists of owl:propertyChainAxiom) or off a blank node of
    their own (a SHACL validation report, whose results may share a path node), without cycles. So a
    node is named by a hash of where it hangs (the places, sorted; none: a root) and what it holds;
    anything else (cycles, two nodes that would get one name) goes through rdflib's general
    canonicalisation, which is slow (1.5 s for a report of 87 results)."""
    incoming: dict = {}
    outgoing: dict = {}
    for s, p, o in graph:
        if isinstance(o, BNode):
            incoming.setdefault(o, []).append((s, p))
        if isinstance(s, BNode):
            outgoing.setdefault(s, []).append((p, o))
    if not incoming and not outgoing:
        return graph

    content: dict = {}

    def describe(node, seen=()):
        if node in seen:
            raise ValueError("cycle")
        if node not in content:
            content[node] = repr(sorted((str(p), describe(o, seen + (node,)) if isinstance(o, BNode) else o.n3())
                                        for p, o in outgoing.get(node, ())))
        return content[node]
    labels: dict = {}

    def label(node):
        if node not in labels:
            places = sorted(f"{label(s) if isinstance(s, BNode) else s.n3()} {p.n3()}"
                            for s, p in incoming.get(node, ()))
            where = " | ".join(places) or "root"
            labels[node] = hashlib.sha256(f"{where} {describe(node)}".encode("utf-8")).hexdigest()[:20]
        return labels[node]
    try:
        named = {node: BNode("b" + label(node)) for node in {*incoming, *outgoing}}
    except (ValueError, RecursionError):
        return _general_canonical(graph)
    if len(set(named.values())) != len(named):  # identical siblings
        return _general_canonical(graph)
    return {(named.get(s, s), p, named.get(o, o)) for s, p, o in graph}


def _general_canonical(triples) -> Graph:
    if isinstance(triples, Graph):
        return to_canonical_graph(triples)
    graph = new_graph()
    graph.addN((s, p, o, graph) for s, p, o in triples)
    return to_canonical_graph(graph)


def sorted_ntriples(graph: Graph) -> str:
    """The graph as N-Triples, one line per triple, sorted (written by Oxigraph's serializer)."""
    return ntriples_lines(canonical(graph))


def ntriples_lines(graph) -> str:
    text: dict = {}  # term -> its N-Triples form (Oxigraph's writer), once per distinct term

    def nt(term) -> str:
        found = text.get(term)
        if found is None:
            found = text[term] = str(_ox(term))
        return found
    lines = {f"{nt(s)} {nt(p)} {nt(o)} ." for s, p, o in graph}
    return "".join(line + "\n" for line in sorted(lines))


# Namespaces the data uses that config.PREFIXES does not name (the Data Cube's SDMX terms).
EXTRA_PREFIXES = {
    "sdmx-attribute": "http://purl.org/linked-data/sdmx/2009/attribute#",
    "sdmx-dimension": "http://purl.org/linked-data/sdmx/2009/dimension#",
    "sdmx-measure": "http://purl.org/linked-data/sdmx/2009/measure#",
    "sdmx-code": "http://purl.org/linked-data/sdmx/2009/code#",
}
SAFE_LOCAL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")  # a Turtle local name needing no escapes


def turtle(graph: Graph) -> str:
    """The graph as Turtle: prefixed names for the project's namespaces, one block per subject,
    everything sorted, so the file is the same on every run (rdflib's writer invents ns1:, ns2:
    in the order it meets namespaces, and takes seconds)."""
    namespaces = sorted(((config.rebase(ns), prefix) for prefix, ns in {**config.PREFIXES, **EXTRA_PREFIXES}.items()),
                        key=lambda pair: -len(pair[0]))
    used = {}
    names: dict = {}  # term -> (its text, the prefix it uses): worked out once per distinct term

    def name(term) -> str:
        found = names.get(term)
        if found is None:
            found = names[term] = _turtle_name(term, namespaces)
        text, prefix = found
        if prefix is not None:
            used[prefix] = found_namespace[prefix]
        return text
    found_namespace = {prefix: namespace for namespace, prefix in namespaces}

    blocks = {}
    for s, p, o in graph:
        blocks.setdefault(s, {}).setdefault(p, []).append(o)
    body = []
    for subject in sorted(blocks, key=lambda t: (isinstance(t, BNode), str(t))):
        predicates = blocks[subject]
        order = sorted(predicates, key=lambda p: (p not in RDF_TYPE_ONLY, str(p)))
        parts = []
        for p in order:
            objects = ", ".join(sorted(name(o) for o in predicates[p]))
            parts.append(f"{'a' if p == RDF.type else name(p)} {objects}")
        body.append(f"{name(subject)} " + " ;\n    ".join(parts) + " .\n")
    header = "".join(f"@prefix {prefix}: <{used[prefix]}> .\n" for prefix in sorted(used))
    return header + "\n" + "\n".join(body)


def _turtle_name(term, namespaces) -> tuple[str, str | None]:
    if isinstance(term, URIRef):
        iri = str(term)
        for namespace, prefix in namespaces:
            if iri.startswith(namespace) and SAFE_LOCAL.match(iri[len(namespace):]):
                return f"{prefix}:{iri[len(namespace):]}", prefix
        return f"<{iri}>", None
    return str(_ox(term)), None


def write_outputs(target: Path, layers: dict[str, set]) -> None:
    quads, graphs = [], {}
    for layer, graph in layers.items():
        graph = graphs[layer] = canonical(graph)
        nt = ntriples_lines(graph)
        (target / f"{layer}.nt").write_text(nt, encoding="utf-8")
        iri = graph_iri(layer)
        quads.extend(line[:-2] + f" <{iri}> .\n" for line in nt.splitlines(keepends=True))
    (target / DATASET_FILE).write_text("".join(quads), encoding="utf-8")
    # Oxigraph loads the store without the GIL: in a thread, beside the Turtle and the docs.
    failure = []
    loader = threading.Thread(target=_load_store, args=(target, failure), name="sdggraph-store-load")
    loader.start()
    try:
        for layer, graph in graphs.items():
            (target / f"{layer}.ttl").write_text(turtle(graph), encoding="utf-8")
        ontology_docs.write(target / "docs" / "ontology.html")
    finally:
        loader.join()
    if failure:
        raise failure[0]


def _load_store(target: Path, failure: list) -> None:
    try:
        load_files(target / STORE_DIR, [target / DATASET_FILE])
    except BaseException as error:  # raised again in the building thread
        failure.append(error)


def manifest(target: Path, report: BuildReport) -> dict:
    files = {}
    for layer in LAYERS:
        for suffix in ("nt", "ttl"):
            data = (target / f"{layer}.{suffix}").read_bytes()
            files[f"{layer}.{suffix}"] = hashlib.sha256(data).hexdigest()
    return {
        "base_iri": config.base_iri(),
        "graphs": {layer: {"iri": graph_iri(layer), "triples": report.layer_sizes[layer]} for layer in LAYERS},
        "classes": report.classes,
        "loaded": [{"file": name, "layer": layer, "triples": count} for name, layer, count in report.loaded],
        "sha256": files,
    }


def class_counts(layers: dict[str, set]) -> dict[str, int]:
    """Resources per class over all layers (asserted and inferred types), sorted by class IRI."""
    members: dict[str, set] = {}
    for triples in layers.values():
        for subject, predicate, cls in triples:
            if predicate in RDF_TYPE_ONLY and isinstance(cls, URIRef):
                members.setdefault(str(cls), set()).add(subject)
    return {cls: len(members[cls]) for cls in sorted(members)}


class BuildRejected(CheckFailed):
    """The staged build failed its checks: build/ was left as it was (exit 1)."""


def shrinkage(previous: dict, current: dict, limit: float = SHRINK_LIMIT) -> list[str]:
    """What the new build lost against the previous manifest: triples per layer and resources per
    class that fell by more than `limit` (a share)."""
    lost = []
    pairs = [(f"{layer} triples", previous.get("graphs", {}).get(layer, {}).get("triples", 0),
              current["graphs"][layer]["triples"]) for layer in LAYERS]
    pairs += [(f"resources of class {compact_iri(cls)}", count, current["classes"].get(cls, 0))
              for cls, count in sorted(previous.get("classes", {}).items())]
    for what, before, after in pairs:
        if before and (before - after) / before > limit:
            lost.append(f"{what}: {before} → {after} (−{(before - after) / before:.0%})")
    return lost


def compact_iri(iri: str) -> str:
    for prefix, namespace in sorted({**config.PREFIXES, **EXTRA_PREFIXES}.items(), key=lambda kv: -len(kv[1])):
        namespace = config.rebase(namespace)
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return f"<{iri}>"


def gate(staging: Path, out_dir: Path, current: dict, report: BuildReport, allow_shrink: bool,
         reference: bool | None, triples: set | None = None, computed: dict | None = None) -> list[str]:
    """The integrity checks on the staged build; the problems that keep it from being swapped in.
    `computed`: the checks' results on the build's triples, worked out beside the writing."""
    from ..check.validate import validate
    from ..check.violations import check_names

    problems = []
    # Shapes and queries, on the staged build (the triples are those just written, so not re-read).
    result = validate(build_dir=staging, severity="violation", reference=reference, triples=triples,
                      computed=computed)
    violations = [r for r in result.results if r.severity == "violation"]
    if violations:
        problems.append(f"SHACL: {len(violations)} violation{'s' if len(violations) != 1 else ''} "
                        f"(`sdggraph validate` with the edited files shows them with hints):")
        for r in violations[:20]:
            where = f" [{r.location}]" if r.location else ""
            problems.append(f"  {r.focus_node.rsplit('/', 1)[-1]}{where}: {r.message}")
        if len(violations) > 20:
            problems.append(f"  … and {len(violations) - 20} more")
    checks = check_names()
    failures = result.failed_checks
    for name, header, rows in failures:
        problems.append(f"check {name}: {len(rows)} row{'s' if len(rows) != 1 else ''}, e.g. "
                        + ", ".join(f"{h}={v}" for h, v in zip(header, rows[0])))
    report.checks.append(f"SHACL {len(violations)} violations; {len(checks) - len(failures)} of {len(checks)} "
                         f"*-violation queries passed")
    previous_file = out_dir / MANIFEST_FILE
    if previous_file.is_file():
        try:
            previous = json.loads(previous_file.read_text(encoding="utf-8"))
        except ValueError:
            previous = {}
        lost = shrinkage(previous, current)
        if lost and allow_shrink:
            report.checks.append(f"shrink accepted (--allow-shrink): {'; '.join(lost)}")
        elif lost:
            problems.append(f"the build lost more than {SHRINK_LIMIT:.0%} of what the previous build held "
                            f"(an emptied or truncated file?); if intended, build again with --allow-shrink:")
            problems.extend(f"  {line}" for line in lost)
        else:
            report.checks.append(f"no layer or class lost more than {SHRINK_LIMIT:.0%} against the previous build")
    return problems


def build(out_dir: Path | None = None, data_dir: Path | None = None, ontology_dir: Path | None = None,
          allow_shrink: bool = False, check: bool = True, reference: bool | None = None) -> BuildReport:
    """Build into a staging directory, check it, and swap it in as `out_dir` only when it passes.

    The gate (check=True): no SHACL Violation, every *-violation query empty, and no layer or
    class shrunk by more than SHRINK_LIMIT against the previous build's manifest (unless
    allow_shrink). A failed gate raises BuildRejected and leaves `out_dir` as it was."""
    out_dir = Path(out_dir or layout.build_dir()).resolve()
    report = BuildReport(out_dir)
    started = time.perf_counter()
    sources = load_sources(data_dir, ontology_dir)
    # The layers as sets of triples: copying rdflib graphs into graphs was a tenth of the build.
    layers: dict[str, set] = {"asserted": set(), "reference": set()}
    for source in sources:
        layers[source.layer].update(source.graph)
        report.loaded.append((source.relative(), source.layer, len(source.graph)))
    report.timings["load"] = time.perf_counter() - started

    result = infer(layers["asserted"] | layers["reference"], reference=reference)
    layers["inferred"] = set(result.inferred)
    report.closure_size = result.closure_size
    report.engine = result.engine
    report.timings["inference"] = result.seconds
    report.layer_sizes = {layer: len(graph) for layer, graph in layers.items()}
    report.classes = class_counts(layers)

    started = time.perf_counter()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-new-", dir=out_dir.parent))
    triples = set().union(*layers.values())
    # The gate's shapes and queries run in a child process while this one writes: two cores, not one.
    # Only from a single-threaded process (the CLI): a fork copies no other thread, nor releases its locks.
    checking = (Beside(lambda: results_of(triples), fork=threading.active_count() == 1)
                if check and not use_reference(reference) else None)
    try:
        write_outputs(staging, layers)
        (staging / LOCATIONS_FILE).write_text(json.dumps(locations(sources), indent=1, ensure_ascii=False) + "\n",
                                              encoding="utf-8")
        current = manifest(staging, report)
        (staging / MANIFEST_FILE).write_text(json.dumps(current, indent=2, ensure_ascii=False) + "\n",
                                             encoding="utf-8")
        report.timings["write"] = time.perf_counter() - started
        if check:
            started = time.perf_counter()
            computed = checking.result() if checking is not None else None
            problems = gate(staging, out_dir, current, report, allow_shrink, reference, triples, computed)
            report.timings["check"] = time.perf_counter() - started
            if problems:
                raise BuildRejected(f"build rejected: {out_dir} was left as it was.\n" + "\n".join(problems))
        swap_in(staging, out_dir)
    except BaseException:
        if checking is not None:
            checking.cancel()
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return report


def swap_in(staging: Path, out_dir: Path) -> None:
    previous = out_dir.with_name(f".{out_dir.name}-old")
    shutil.rmtree(previous, ignore_errors=True)
    if out_dir.exists():
        out_dir.rename(previous)
    staging.rename(out_dir)
    shutil.rmtree(previous, ignore_errors=True)
