"""Full graph dumps: Turtle, N-Triples, JSON-LD, RDF/XML (the union of all layers) and TriG,
N-Quads (one named graph per layer: asserted, reference, inferred).

JSON-LD is compacted with sdggraph's published @context (src/sdggraph/web/context.jsonld, served
at /context.jsonld): the prefixes of config.PREFIXES plus a term for every sg: class and property,
with "@type": "@id" for object properties and the datatype for datatype properties whose range is
a single XSD type. The context is embedded in the document so a consumer needs nothing else.
Regenerate the file after an ontology change with `python -m sdggraph.export.dumps --write-context`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from .. import config, layout
from . import ExportResult
from .common import (
    load,
    oxigraph_serialize,
    serialize,
    sorted_nquads,
    sorted_ntriples,
    stable_graph,
)

CONTEXT_FILE = layout.PACKAGE_DIR / "web" / "context.jsonld"
CONTEXT_URL = config.DEFAULT_BASE_IRI + "context.jsonld"
# A JSON-LD 1.1 term with an expanded definition cannot also serve as a prefix, so a prefix whose
# name equals an sg: term (the unit: prefix vs sg:unit) gets another name in the context.
PREFIX_RENAMES = {"unit": "unitcode"}
UNCOERCED_RANGES = {XSD.string, RDF.langString, RDFS.Literal}


def _counts(graph: Graph) -> dict[str, int]:
    sg = config.SG
    return {"triples": len(graph),
            "indicators": len(set(graph.subjects(RDF.type, URIRef(config.rebase(str(sg.Indicator)))))),
            "observations": len(set(graph.subjects(RDF.type, URIRef(config.rebase(str(sg.IndicatorObservation))))))}


def export_turtle(build_dir=None, **_options) -> ExportResult:
    _, union = load(build_dir)
    return ExportResult("turtle", "sdggraph.ttl", "text/turtle", data=serialize(union),
                        counts=_counts(union))


def export_ntriples(build_dir=None, **_options) -> ExportResult:
    _, union = load(build_dir)
    return ExportResult("ntriples", "sdggraph.nt", "application/n-triples", data=sorted_ntriples(union),
                        counts=_counts(union))


def export_rdfxml(build_dir=None, **_options) -> ExportResult:
    _, union = load(build_dir)
    data = serialize(union, "xml")
    return ExportResult("rdfxml", "sdggraph.rdf", "application/rdf+xml", data=data, counts=_counts(union))


def _dataset_counts(layers: dict[str, Graph], union: Graph) -> dict[str, int]:
    counts = _counts(union)
    counts["triples"] = sum(len(graph) for graph in layers.values())
    counts["graphs"] = len(layers)
    return counts


def export_trig(build_dir=None, **_options) -> ExportResult:
    layers, union = load(build_dir)
    data = oxigraph_serialize(sorted_nquads(layers), "nq", "trig")
    return ExportResult("trig", "sdggraph.trig", "application/trig", data=data,
                        counts=_dataset_counts(layers, union))


def export_nquads(build_dir=None, **_options) -> ExportResult:
    layers, union = load(build_dir)
    return ExportResult("nquads", "sdggraph.nq", "application/n-quads", data=sorted_nquads(layers),
                        counts=_dataset_counts(layers, union))


# ---- JSON-LD -------------------------------------------------------------------------------------

def build_context(ontology: Graph) -> dict:
    """The @context for sdggraph's terms, generated from the ontology (default base IRI)."""
    sg = str(config.SG)
    terms: dict[str, object] = {}
    for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty):
        for term in ontology.subjects(RDF.type, kind):
            if not isinstance(term, URIRef) or not str(term).startswith(sg):
                continue
            name = str(term)[len(sg):]
            if kind == OWL.Class:
                terms[name] = f"sg:{name}"
            elif kind == OWL.ObjectProperty:
                terms[name] = {"@id": f"sg:{name}", "@type": "@id"}
            else:
                ranges = set(ontology.objects(term, RDFS.range))
                datatype = next(iter(ranges)) if len(ranges) == 1 else None
                if datatype is not None and str(datatype).startswith(str(XSD)) and datatype not in UNCOERCED_RANGES:
                    terms[name] = {"@id": f"sg:{name}", "@type": f"xsd:{str(datatype)[len(str(XSD)):]}"}
                else:
                    terms[name] = f"sg:{name}"
    from .common import EXTRA_PREFIXES
    context: dict[str, object] = {"@version": 1.1}
    for name, namespace in sorted({**config.PREFIXES, **EXTRA_PREFIXES}.items()):
        name = PREFIX_RENAMES.get(name, name)
        if name in terms:
            raise ValueError(f"context prefix '{name}' collides with the sg: term of that name")
        context[name] = namespace
    context.update(sorted(terms.items()))
    return {"@context": context}


def context_text(context: dict) -> str:
    return json.dumps(context, indent=2, ensure_ascii=False) + "\n"


def published_context() -> dict:
    """The versioned context file's "@context" object, moved to the configured base IRI."""
    context = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))["@context"]
    return {key: config.rebase(value) if isinstance(value, str) else value for key, value in context.items()}


def _sort_json(value, key: str = ""):
    """Sort node lists by @id and value arrays by their JSON text, so output is deterministic.
    "@list" arrays (RDF lists) keep their order; the context is left as it is."""
    if isinstance(value, dict):
        return {k: (item if k == "@context" else _sort_json(item, k)) for k, item in value.items()}
    if isinstance(value, list):
        items = [_sort_json(item) for item in value]
        if key == "@list":
            return items
        return sorted(items, key=lambda item: (item.get("@id", "") if isinstance(item, dict) else "",
                                               json.dumps(item, sort_keys=True, ensure_ascii=False)))
    return value


def jsonld_document(graph: Graph) -> dict:
    context = published_context()
    text = stable_graph(graph).serialize(format="json-ld", context=context, auto_compact=True)
    document = json.loads(text)
    document["@context"] = context
    return _sort_json(document)


def export_jsonld(build_dir=None, **_options) -> ExportResult:
    _, union = load(build_dir)
    document = jsonld_document(union)
    data = (json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
    return ExportResult("jsonld", "sdggraph.jsonld", "application/ld+json", data=data, counts=_counts(union))


def main(argv: list[str] | None = None) -> int:
    """`python -m sdggraph.export.dumps --write-context`: regenerate the published context file."""
    argv = sys.argv[1:] if argv is None else argv
    if argv != ["--write-context"]:
        print("usage: python -m sdggraph.export.dumps --write-context", file=sys.stderr)
        return 2
    from ..compile.sources import input_files, parse_rdf_file
    ontology = Graph()
    for path in input_files()["ontology"]:
        ontology += parse_rdf_file(path)
    CONTEXT_FILE.parent.mkdir(parents=True, exist_ok=True)
    CONTEXT_FILE.write_text(context_text(build_context(ontology)), encoding="utf-8")
    print(f"wrote {Path(CONTEXT_FILE).relative_to(layout.SOURCE_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
