"""The ks-taxonomy export: Asker's indicators in KS' SDG indicator taxonomy model, checked against
the graph, against shapes/profiles/ks-taxonomy.ttl, and side by side with KS' own files."""

from __future__ import annotations

import re

import pyoxigraph
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS, XSD

from sdggraph import cli
from sdggraph.export import ks_taxonomy, run_export

SG = "https://w3id.org/sdggraph/ontology#"
SDGO = "http://metadata.un.org/sdg/ontology#"
KS = "https://metadata.ks.no/sdg-taxonomi/#"
DQV = "http://www.w3.org/ns/dqv#"
UNESKOS = "http://purl.org/umu/uneskos#"
KS_VOCAB = "https://data.norge.no/vocabulary/indicator/"
INDICATOR = URIRef(SDGO + "Indicator")


@pytest.fixture(scope="module")
def ks_bytes(build_dir) -> bytes:
    return run_export("ks-taxonomy", build_dir).data


@pytest.fixture(scope="module")
def ks(ks_bytes) -> Graph:
    return Graph().parse(data=ks_bytes, format="turtle")


def indicators_in(graph: Graph) -> set:
    return set(graph.subjects(RDF.type, URIRef(SG + "Indicator")))


def test_every_indicator_is_a_concept_in_the_scheme(ks, built_graph):
    concepts = set(ks.subjects(RDF.type, INDICATOR))
    assert concepts == indicators_in(built_graph)
    assert len(concepts) == 100
    scheme = ks.value(None, RDF.type, SKOS.ConceptScheme)
    assert set(ks.objects(scheme, URIRef(UNESKOS + "contains"))) == concepts
    assert all((c, RDF.type, SKOS.Concept) in ks and (c, SKOS.inScheme, scheme) in ks for c in concepts)
    assert ks.value(scheme, DCTERMS.publisher) == URIRef("https://w3id.org/sdggraph/kommune/3203/asker")
    modified = ks.value(scheme, DCTERMS.modified)
    assert modified.datatype == XSD.date


def test_modified_is_the_data_date_not_the_clock(build_dir, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "946684800")  # 2000-01-01
    graph = Graph().parse(data=run_export("ks-taxonomy", build_dir).data, format="turtle")
    scheme = graph.value(None, RDF.type, SKOS.ConceptScheme)
    assert str(graph.value(scheme, DCTERMS.modified)) == "2000-01-01"


def test_labels_and_notation(ks, built_graph):
    for concept in ks.subjects(RDF.type, INDICATOR):
        nb = [v for v in built_graph.objects(concept, SKOS.prefLabel) if v.language == "nb"]
        assert [v for v in ks.objects(concept, SKOS.prefLabel) if v.language == "nb"] == nb
        assert list(ks.objects(concept, DCTERMS.title)) == nb
        assert ks.value(concept, SKOS.notation) == built_graph.value(concept, SKOS.notation)


def test_fn_links_and_matches_come_from_the_graph(ks, built_graph):
    for concept in ks.subjects(RDF.type, INDICATOR):
        assert set(ks.objects(concept, URIRef(SDGO + "hasGoal"))) == \
            set(built_graph.objects(concept, URIRef(SG + "contributesToFnGoal")))
        assert set(ks.objects(concept, URIRef(SDGO + "isIndicatorOf"))) == \
            set(built_graph.objects(concept, URIRef(SG + "contributesToFnTarget")))
        for match in (SKOS.exactMatch, SKOS.closeMatch):
            assert set(ks.objects(concept, match)) == set(built_graph.objects(concept, match))
        assert ks.value(concept, URIRef(KS + "hasEvaluation")) == \
            built_graph.value(concept, URIRef(SG + "resultChainStep"))
        assert ks.value(concept, DCTERMS.accrualPeriodicity) == built_graph.value(concept, DCTERMS.accrualPeriodicity)
    goals = {g for c in ks.subjects(RDF.type, INDICATOR) for g in ks.objects(c, URIRef(SDGO + "hasGoal"))}
    assert goals and all(re.fullmatch(r"http://metadata\.un\.org/sdg/\d{1,2}", str(g)) for g in goals)


def test_ks_codes(ks):
    for concept in ks.subjects(RDF.type, INDICATOR):
        assert ks.value(concept, DCTERMS.coverage) == URIRef(KS_VOCAB + "Levelofgeography/City-level")
        assert str(ks.value(concept, DCTERMS.subject)).startswith(KS_VOCAB + "developmentsector/")
        assert str(ks.value(concept, URIRef(DQV + "hasQualityMeasurement"))).startswith(KS_VOCAB + "quality/Class_")
        impacts = set(ks.objects(concept, URIRef(KS + "hasImpact")))
        assert impacts and impacts <= {URIRef(KS_VOCAB + f"triplebottomline/{n}") for n in ("People", "Planet", "Prosperity")}
        assert str(ks.value(concept, DCTERMS.accrualPeriodicity)).startswith(
            "http://publications.europa.eu/resource/authority/frequency/")
        assert isinstance(ks.value(concept, DCTERMS.source), URIRef)


def test_known_ks_defects_are_not_copied(ks_bytes, ks):
    predicates = {str(p) for p in ks.predicates()}
    assert not [p for p in predicates if p.startswith("http://purl.org/dc/") and not p.startswith("http://purl.org/dc/terms/")]
    assert b"developmetsector" not in ks_bytes
    assert all(not isinstance(o, Literal) for o in ks.objects(None, DCTERMS.accrualPeriodicity))


def test_mapping_tables_cover_the_data(built_graph):
    subgoals = {str(built_graph.value(s, SKOS.notation))
                for s in built_graph.objects(None, URIRef(SG + "measures"))}
    assert subgoals <= set(ks_taxonomy.SECTOR_BY_SUBGOAL)
    indicator_ids = {str(built_graph.value(i, SKOS.notation)) for i in indicators_in(built_graph)}
    assert set(ks_taxonomy.SECTOR_BY_INDICATOR) <= indicator_ids
    areas = {str(built_graph.value(a, SKOS.notation))
             for a in built_graph.subjects(RDF.type, URIRef(SG + "FocusArea"))}
    assert areas == set(ks_taxonomy.IMPACT_BY_AREA)


def test_quality_class_rule(ks, built_graph):
    for concept in ks.subjects(RDF.type, INDICATOR):
        basis = built_graph.value(concept, URIRef(SG + "dataBasis"))
        frequency = str(built_graph.value(concept, DCTERMS.accrualPeriodicity))
        expected = ("Class_1" if basis == URIRef(SG + "PublicStatistics")
                    else "Class_2" if frequency.endswith("/ANNUAL") else "Class_3")
        assert str(ks.value(concept, URIRef(DQV + "hasQualityMeasurement"))).endswith(expected)


def test_export_conforms_and_reparses(ks, ks_bytes):
    conforms, violations, _ = ks_taxonomy.validate(ks)
    assert conforms and not violations
    assert len(list(pyoxigraph.parse(ks_bytes, format=pyoxigraph.RdfFormat.TURTLE))) == len(ks)


def test_profile_catches_violations(ks):
    broken = Graph()
    broken += ks
    concept = URIRef("https://w3id.org/sdggraph/kommune/3203/indicator/HEL-01")
    broken.remove((concept, URIRef(KS + "hasEvaluation"), None))
    broken.add((concept, DCTERMS.accrualPeriodicity, Literal("Yearly")))
    broken.add((concept, URIRef("http://purl.org/dc/title"), Literal("dct-feilen", lang="no")))
    conforms, violations, _ = ks_taxonomy.validate(broken)
    assert not conforms
    text = "\n".join(violations)
    assert "hasEvaluation" in text or "resultatkjeden" in text
    assert "accrualPeriodicity" in text
    assert "http://purl.org/dc/title" in text


def test_non_conforming_export_exits_1_and_writes_nothing(build_dir, tmp_path, monkeypatch, capsys):
    real = ks_taxonomy.ks_graph

    def without_quality(graph):
        out = real(graph)
        out.remove((None, URIRef(DQV + "hasQualityMeasurement"), None))
        return out
    monkeypatch.setattr(ks_taxonomy, "ks_graph", without_quality)
    out = tmp_path / "ks.ttl"
    assert cli.main(["export", "ks-taxonomy", "--out", str(out), "--build-dir", str(build_dir)]) == 1
    assert not out.exists()
    assert "kvalitetsklasse" in capsys.readouterr().err


def test_side_by_side_with_ks_model(shared_dir, ks):
    """Every property KS puts on its indicators (dct: read as dcterms:) is in our export, except the
    ones we leave out on purpose; our KS codes exist in KS' own schemes and indicator sets."""
    folder = shared_dir / "reference" / "ks-sdg-taxonomy"
    theirs = Graph()
    for name in ("Ungdata.ttl", "Kommunehelsa-statistikkbank.ttl", "De-norske-målepunktene.ttl"):
        theirs.parse(folder / name)
    fix = lambda p: URIRef(str(p).replace("http://purl.org/dc/", "http://purl.org/dc/terms/", 1)) \
        if str(p).startswith("http://purl.org/dc/") and not str(p).startswith("http://purl.org/dc/terms/") else p
    their_predicates = {fix(p) for s in theirs.subjects(RDF.type, INDICATOR) for p in theirs.predicates(s)}
    ours = {p for s in ks.subjects(RDF.type, INDICATOR) for p in ks.predicates(s)}
    left_out = {DCTERMS.type,                    # free-text unit; ours is sdmx-attribute:unitMeasure
                SKOS.related, SKOS.relatedMatch}  # links between KS' own indicators
    assert their_predicates - ours <= left_out
    sectors_used_by_ks = {o for o in theirs.objects(None, DCTERMS.subject)}
    for name in ("scheme-Evaluation.ttl", "scheme-quality.ttl", "scheme-triplebottomline.ttl",
                 "scheme-Levelofgeography.ttl"):
        theirs.parse(folder / name)
    known = set(theirs.subjects(SKOS.inScheme, None))
    for concept in ks.subjects(RDF.type, INDICATOR):
        assert ks.value(concept, DCTERMS.subject) in sectors_used_by_ks
        for prop in (URIRef(KS + "hasEvaluation"), URIRef(DQV + "hasQualityMeasurement"), DCTERMS.coverage):
            assert ks.value(concept, prop) in known
        assert set(ks.objects(concept, URIRef(KS + "hasImpact"))) <= known
