"""The fast validation path (check/shacl_fast.py) gives pySHACL's results (the reference), on the
shipped data, on an edited file, and on every shape fixture; and it falls back where it must."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import SH

from sdggraph.check import shacl_fast
from sdggraph.check.validate import validate, validate_graph

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "shapes"


@pytest.fixture(scope="module")
def shapes_and_ontology():
    from sdggraph.check.validate import shapes_graph
    from sdggraph.compile.sources import ontology_graph

    return shapes_graph(), ontology_graph()


def comparable(result):
    return [r.to_dict() for r in result.results]


def report_triples(result):
    """The report graph's results as comparable tuples (blank nodes, e.g. sh:sourceConstraint of a shapes
    graph parsed twice, left out; paths and messages are compared through the results)."""
    out = set()
    for node in result.report_graph.objects(None, SH.result):
        out.add(tuple(sorted((str(p), str(o)) for p, o in result.report_graph.predicate_objects(node)
                             if p not in (SH.resultPath, SH.resultMessage) and not isinstance(o, BNode))))
    return out


def test_the_shapes_are_all_supported(shapes_and_ontology):
    assert shacl_fast.unsupported(shapes_and_ontology[0]) is None


def test_same_results_on_the_shipped_data(build_dir):
    fast, reference = validate(build_dir=build_dir, reference=False), validate(build_dir=build_dir, reference=True)
    assert len(reference.results) > 50
    assert comparable(fast) == comparable(reference)
    assert report_triples(fast) == report_triples(reference)


def test_same_results_on_an_edited_file(build_dir, tmp_path):
    from test_validate_cli import BROKEN_EDIT

    edit = tmp_path / "edit.ttl"
    edit.write_text(BROKEN_EDIT, encoding="utf-8")
    fast = validate([edit], build_dir=build_dir, reference=False)
    reference = validate([edit], build_dir=build_dir, reference=True)
    assert not reference.conforms
    assert comparable(fast) == comparable(reference)


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.glob("*.ttl")))
def test_same_results_on_each_shape_fixture(fixture, shapes_and_ontology):
    shapes, ontology = shapes_and_ontology
    data = Graph().parse(FIXTURES / fixture, format="turtle")
    fast = validate_graph(data, ontology=ontology, shapes=shapes, reference=False)
    reference = validate_graph(data, ontology=ontology, shapes=shapes, reference=True)
    assert comparable(fast) == comparable(reference)
    assert report_triples(fast) == report_triples(reference)
    if "nonconforming" in fixture:
        assert fast.results


def test_unsupported_shapes_fall_back_to_pyshacl(shapes_and_ontology):
    shapes = Graph()
    shapes += shapes_and_ontology[0]
    odd = URIRef("https://example.org/shape")
    shapes.add((odd, SH.targetNode, URIRef("https://example.org/x")))
    shapes.add((odd, SH.pattern, shacl_fast.Literal("^a")))
    assert "pattern" in shacl_fast.unsupported(shapes)
    result = validate_graph(Graph(), ontology=shapes_and_ontology[1], shapes=shapes)
    # pySHACL ran the shape the fast path cannot: the IRI does not match ^a.
    [finding] = result.by_shape(str(odd))
    assert finding.constraint_component == "sh:PatternConstraintComponent"
