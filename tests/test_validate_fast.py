"""The fast validation path (check/shacl_fast.py) gives pySHACL's results (the reference), on the
shipped data, on an edited file, and on every shape fixture; and it falls back where it must."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, SH, SKOS

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
    shapes.add((odd, SH.minLength, shacl_fast.Literal(1000)))
    assert "minLength" in shacl_fast.unsupported(shapes)
    result = validate_graph(Graph(), ontology=shapes_and_ontology[1], shapes=shapes)
    # pySHACL ran the shape the fast path cannot: the IRI is shorter than 1000 characters.
    [finding] = result.by_shape(str(odd))
    assert finding.constraint_component == "sh:MinLengthConstraintComponent"


# ---- the export profiles (shapes/profiles/): the fast path gives pySHACL's results there too ----

SDGO = Namespace("http://metadata.un.org/sdg/ontology#")
KS_INDICATOR = "https://w3id.org/sdggraph/kommune/3203/indicator/"


def ks_broken(ks: Graph) -> tuple[Graph, dict[str, URIRef]]:
    """A copy of the KS export with one construct of its profile broken on each of some indicators
    (what → which indicator), so one run of each engine covers them all."""
    broken = Graph()
    broken += ks
    concepts = sorted(set(ks.subjects(RDF.type, SDGO.Indicator)))[:8]
    cases = dict(zip(["nodeKind and pattern: a goal as a literal", "pattern: a goal where a target belongs",
                      "pattern: a blank node", "uniqueLang: two labels in one language",
                      "alternativePath: a match as a literal", "qualified counts: no frequency IRI",
                      "in, hasValue and the dc twin", "languageIn: a title in English"], concepts))
    c = cases
    for triple in [(c["nodeKind and pattern: a goal as a literal"], SDGO.hasGoal, Literal("3")),
                   (c["pattern: a goal where a target belongs"], SDGO.isIndicatorOf, URIRef("http://metadata.un.org/sdg/3")),
                   (c["pattern: a blank node"], SDGO.hasGoal, BNode()),
                   (c["uniqueLang: two labels in one language"], SKOS.prefLabel, Literal("Annen", lang="NB")),
                   (c["uniqueLang: two labels in one language"], SKOS.prefLabel, Literal("Tredje", lang="nb")),
                   (c["alternativePath: a match as a literal"], SKOS.closeMatch, Literal("x")),
                   (c["alternativePath: a match as a literal"], SKOS.exactMatch, BNode()),
                   (c["in, hasValue and the dc twin"], URIRef("http://purl.org/dc/title"), Literal("dct-feilen", lang="no")),
                   (c["languageIn: a title in English"], DCTERMS.title, Literal("x", lang="en"))]:
        broken.add(triple)
    for triple in [(c["qualified counts: no frequency IRI"], DCTERMS.accrualPeriodicity, None),
                   (c["in, hasValue and the dc twin"], URIRef("https://metadata.ks.no/sdg-taxonomi/#hasEvaluation"), None),
                   (c["in, hasValue and the dc twin"], RDF.type, SKOS.Concept),
                   (c["in, hasValue and the dc twin"], DCTERMS.title, None)]:
        broken.remove(triple)
    return broken, cases


def profile_results(data: Graph, shapes_file: str, reference: bool):
    """check_profile's lines and the report's results (focus, component, shape, severity, value;
    a blank-node shape as "_": its label differs per parse)."""
    from sdggraph.compile.sources import parse_rdf_file
    from sdggraph.export.common import check_profile
    from sdggraph.layout import shapes_dir

    shapes = parse_rdf_file(shapes_dir() / shapes_file)
    if reference:
        import pyshacl
        report = pyshacl.validate(data, shacl_graph=shapes, inference="none", allow_warnings=True, advanced=True)[1]
    else:
        report = shacl_fast.validate(set(data), shapes)[0]
    results = sorted(tuple("_" if isinstance(term, BNode) else str(term) for term in
                           (report.value(node, p) for p in (SH.focusNode, SH.sourceConstraintComponent,
                                                            SH.sourceShape, SH.resultSeverity, SH.value)))
                     for node in report.objects(None, SH.result))
    return check_profile(data, shapes_file, reference=reference), results


def test_the_export_profiles_are_all_supported():
    from sdggraph.compile.sources import parse_rdf_file
    from sdggraph.layout import shapes_dir

    for path in sorted((shapes_dir() / "profiles").glob("*.ttl")):
        assert shacl_fast.unsupported(parse_rdf_file(path)) is None, path


def test_same_results_on_the_ks_profile(build_dir):
    from sdggraph.export import ks_taxonomy, run_export

    ks = Graph().parse(data=run_export("ks-taxonomy", build_dir).data, format="turtle")
    broken, cases = ks_broken(ks)
    for data in (ks, broken):
        fast = profile_results(data, ks_taxonomy.PROFILE_SHAPES, False)
        assert fast == profile_results(data, ks_taxonomy.PROFILE_SHAPES, True)
    (violations, _), results = fast
    caught = {focus for focus, *_ in results}
    assert not [case for case, concept in cases.items() if str(concept) not in caught]  # each broken one is caught
    assert violations and not profile_results(ks, ks_taxonomy.PROFILE_SHAPES, False)[0][0]


def test_same_results_on_the_dcat_profiles(build_dir):
    from sdggraph.export import dcat
    from sdggraph.store.local import rdflib_graph

    exported = dcat.dcat_graph(rdflib_graph(build_dir), "http://example.org/")
    broken = Graph()
    broken += exported
    dataset = next(broken.subjects(RDF.type, URIRef("http://www.w3.org/ns/dcat#Dataset")))
    broken.remove((dataset, DCTERMS.title, None))
    broken.add((dataset, DCTERMS.publisher, Literal("Asker")))
    broken.add((dataset, DCTERMS.license, BNode()))
    for data in (exported, broken):
        for shapes_file in (dcat.PROFILE_SHAPES, dcat.RANGE_SHAPES):
            assert profile_results(data, shapes_file, False) == profile_results(data, shapes_file, True), shapes_file
    assert dcat.validate(broken) and not dcat.validate(exported)


def test_a_filled_in_message_without_its_language_is_still_told_in_norwegian():
    """pySHACL drops the language of a SPARQL constraint's message as it fills in {?p}: the
    Norwegian one is found by its template, whichever order the report holds them in."""
    from rdflib import Literal
    from rdflib.namespace import SH

    from sdggraph.export.common import _norwegian_message

    shapes, report = Graph(), Graph()
    constraint, result = BNode(), BNode()
    shapes.add((constraint, SH.message, Literal("Bruk dcterms, ikke {?p}.", lang="nb")))
    shapes.add((constraint, SH.message, Literal("Use dcterms, not {?p}.", lang="en")))
    report.add((result, SH.sourceConstraint, constraint))
    for text in ("Use dcterms, not dc:title.", "Bruk dcterms, ikke dc:title.", "Aaa"):
        report.add((result, SH.resultMessage, Literal(text)))
    assert _norwegian_message(report, result, shapes) == "Bruk dcterms, ikke dc:title."
    report.add((result, SH.resultMessage, Literal("Tagget melding", lang="nb")))
    assert _norwegian_message(report, result, shapes) == "Tagget melding"
