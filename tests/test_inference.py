"""The fast inference path (compile/rules.py) keeps exactly the entailments owlrl (the reference) keeps."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF

from sdggraph.compile import rules
from sdggraph.compile.inference import infer

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "shapes"


@pytest.fixture(scope="module")
def ontology():
    from sdggraph.compile.sources import ontology_graph

    return ontology_graph()


def both(graph: Graph):
    fast, reference = infer(graph, reference=False), infer(graph, reference=True)
    assert (fast.engine, reference.engine) == ("rules", "owlrl")
    return set(fast.inferred), set(reference.inferred)


def test_same_kept_entailments_on_the_real_data():
    from sdggraph.compile.sources import load_sources

    graph = Graph()
    for source in load_sources():
        graph += source.graph
    fast, reference = both(graph)
    assert len(reference) > 3000
    assert fast == reference


@pytest.mark.parametrize("kind", ["conforming", "nonconforming"])
def test_same_kept_entailments_on_the_shape_fixtures(kind, ontology):
    # All fixtures of a kind in one graph (owlrl takes seconds per run); both engines must agree on any graph.
    graph = Graph()
    for path in sorted(FIXTURES.glob(f"*.{kind}.ttl")):
        graph.parse(path, format="turtle")
    graph += ontology  # as validation infers: data and ontology together
    fast, reference = both(graph)
    assert len(fast) > 100
    assert fast == reference


def test_rules_the_ontology_does_not_use_are_right_too():
    ex = "https://example.org/"
    graph = Graph().parse(data=f"""
        @prefix owl: <http://www.w3.org/2002/07/owl#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        <{ex}partOf> a owl:TransitiveProperty . <{ex}near> a owl:SymmetricProperty .
        <{ex}A> owl:equivalentClass <{ex}B> . <{ex}p> owl:equivalentProperty <{ex}q> .
        <{ex}x> <{ex}partOf> <{ex}y> . <{ex}y> <{ex}partOf> <{ex}z> . <{ex}x> <{ex}near> <{ex}y> .
        <{ex}x> a <{ex}A> . <{ex}x> <{ex}p> <{ex}y> .
    """, format="turtle")
    fast, reference = both(graph)
    assert fast == reference
    assert (URIRef(ex + "x"), URIRef(ex + "partOf"), URIRef(ex + "z")) in fast
    assert (URIRef(ex + "y"), URIRef(ex + "near"), URIRef(ex + "x")) in fast
    assert (URIRef(ex + "x"), RDF.type, URIRef(ex + "B")) in fast


def test_unsupported_owl_falls_back_to_owlrl():
    ex = "https://example.org/"
    graph = Graph()
    graph.add((URIRef(ex + "a"), OWL.sameAs, URIRef(ex + "b")))
    graph.add((URIRef(ex + "a"), URIRef(ex + "label"), Literal("a")))
    assert rules.unsupported(graph) == {OWL.sameAs}
    assert infer(graph).engine == "owlrl"


def test_reference_is_selectable_by_environment(monkeypatch):
    graph = Graph()
    monkeypatch.setenv("SDGGRAPH_REFERENCE", "1")
    assert infer(graph).engine == "owlrl"
    monkeypatch.delenv("SDGGRAPH_REFERENCE")
    assert infer(graph).engine == "rules"
