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
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph
from rdflib import Graph
from rdflib.compare import to_canonical_graph
from rdflib.namespace import RDF, split_uri
from rdflib.term import BNode, URIRef

from .. import config, layout
from ..layout import DATASET_FILE, LAYERS, MANIFEST_FILE, STORE_DIR, graph_iri
from . import ontology_docs
from .inference import infer
from .sources import load_sources


@dataclass
class BuildReport:
    build_dir: Path
    loaded: list[tuple[str, str, int]] = field(default_factory=list)  # (file, layer, triples)
    layer_sizes: dict[str, int] = field(default_factory=dict)
    closure_size: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = ["Loaded:"]
        width = max((len(name) for name, _, _ in self.loaded), default=10)
        for name, layer, count in self.loaded:
            out.append(f"  {name:<{width}}  {layer:<9}  {count:>7} triples")
        out.append("Graphs:")
        for layer in LAYERS:
            out.append(f"  {layer:<9} {self.layer_sizes.get(layer, 0):>7} triples")
        out.append(f"Inference (OWL-RL, owlrl): closure {self.closure_size} triples, "
                   f"{self.layer_sizes.get('inferred', 0)} kept as inferred")
        out.append("Timings: " + ", ".join(f"{k} {v:.2f} s" for k, v in self.timings.items()))
        out.append(f"Written to {self.build_dir}")
        return out


def sorted_ntriples(graph: Graph) -> str:
    if any(isinstance(term, BNode) for triple in graph for term in triple):
        graph = to_canonical_graph(graph)  # stable blank node labels
    lines = {line for line in graph.serialize(format="nt").splitlines() if line.strip()}
    return "".join(line + "\n" for line in sorted(lines))


# Namespaces the data uses that config.PREFIXES does not name (the Data Cube's SDMX terms).
EXTRA_PREFIXES = {
    "sdmx-attribute": "http://purl.org/linked-data/sdmx/2009/attribute#",
    "sdmx-dimension": "http://purl.org/linked-data/sdmx/2009/dimension#",
    "sdmx-measure": "http://purl.org/linked-data/sdmx/2009/measure#",
    "sdmx-code": "http://purl.org/linked-data/sdmx/2009/code#",
}


def turtle(graph: Graph) -> str:
    out = Graph()
    for prefix, namespace in {**config.PREFIXES, **EXTRA_PREFIXES}.items():
        out.bind(prefix, config.rebase(namespace), override=True, replace=True)
    out += graph
    # rdflib invents ns1:, ns2: … for other predicate and class namespaces in the order it meets
    # them, which varies between runs; bind them first, in sorted order, so the file is stable.
    known = {str(ns) for _, ns in out.namespaces()}
    unknown = set()
    for _, p, o in graph:
        for term in (p, o) if p == RDF.type else (p,):
            if isinstance(term, URIRef):
                try:
                    namespace = split_uri(term)[0]
                except ValueError:  # not splittable: rdflib writes it as a full IRI
                    continue
                if namespace not in known:
                    unknown.add(namespace)
    for number, namespace in enumerate(sorted(unknown), start=1):
        out.bind(f"ns{number}", namespace, override=True, replace=True)
    return out.serialize(format="turtle")


def write_outputs(target: Path, layers: dict[str, Graph]) -> None:
    quads = []
    for layer, graph in layers.items():
        nt = sorted_ntriples(graph)
        (target / f"{layer}.nt").write_text(nt, encoding="utf-8")
        (target / f"{layer}.ttl").write_text(turtle(graph), encoding="utf-8")
        iri = graph_iri(layer)
        quads.extend(line[:-2] + f" <{iri}> .\n" for line in nt.splitlines(keepends=True))
    (target / DATASET_FILE).write_text("".join(quads), encoding="utf-8")
    ontology_docs.write(target / "docs" / "ontology.html")
    store = pyoxigraph.Store(str(target / STORE_DIR))
    store.bulk_load(path=str(target / DATASET_FILE), format=pyoxigraph.RdfFormat.N_QUADS)
    store.flush()
    store.optimize()
    del store


def manifest(target: Path, report: BuildReport) -> dict:
    files = {}
    for layer in LAYERS:
        for suffix in ("nt", "ttl"):
            data = (target / f"{layer}.{suffix}").read_bytes()
            files[f"{layer}.{suffix}"] = hashlib.sha256(data).hexdigest()
    return {
        "base_iri": config.base_iri(),
        "graphs": {layer: {"iri": graph_iri(layer), "triples": report.layer_sizes[layer]} for layer in LAYERS},
        "loaded": [{"file": name, "layer": layer, "triples": count} for name, layer, count in report.loaded],
        "sha256": files,
    }


def build(out_dir: Path | None = None, data_dir: Path | None = None, ontology_dir: Path | None = None) -> BuildReport:
    out_dir = Path(out_dir or layout.build_dir()).resolve()
    report = BuildReport(out_dir)
    started = time.perf_counter()
    sources = load_sources(data_dir, ontology_dir)
    layers = {"asserted": Graph(), "reference": Graph()}
    for source in sources:
        layers[source.layer] += source.graph
        report.loaded.append((source.relative(), source.layer, len(source.graph)))
    report.timings["load"] = time.perf_counter() - started

    everything = layers["asserted"] + layers["reference"]
    result = infer(everything)
    layers["inferred"] = result.inferred
    report.closure_size = result.closure_size
    report.timings["inference"] = result.seconds
    report.layer_sizes = {layer: len(graph) for layer, graph in layers.items()}

    started = time.perf_counter()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-new-", dir=out_dir.parent))
    try:
        write_outputs(staging, layers)
        (staging / MANIFEST_FILE).write_text(json.dumps(manifest(staging, report), indent=2, ensure_ascii=False) + "\n",
                                             encoding="utf-8")
        swap_in(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    report.timings["write"] = time.perf_counter() - started
    return report


def swap_in(staging: Path, out_dir: Path) -> None:
    previous = out_dir.with_name(f".{out_dir.name}-old")
    shutil.rmtree(previous, ignore_errors=True)
    if out_dir.exists():
        out_dir.rename(previous)
    staging.rename(out_dir)
    shutil.rmtree(previous, ignore_errors=True)
