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


def iris(graph: Graph, subject, prop) -> set:
    return {o for o in graph.objects(subject, prop) if isinstance(o, URIRef)}


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
        assert iris(ks, concept, DCTERMS.accrualPeriodicity) == {built_graph.value(concept, DCTERMS.accrualPeriodicity)}
    goals = {g for c in ks.subjects(RDF.type, INDICATOR) for g in ks.objects(c, URIRef(SDGO + "hasGoal"))}
    assert goals and all(re.fullmatch(r"http://metadata\.un\.org/sdg/\d{1,2}", str(g)) for g in goals)


def test_ks_codes(ks):
    for concept in ks.subjects(RDF.type, INDICATOR):
        assert ks.value(concept, DCTERMS.coverage) == URIRef(KS_VOCAB + "Levelofgeography/City-level")
        assert str(ks.value(concept, DCTERMS.subject)).startswith(KS_VOCAB + "developmentsector/")
        assert str(ks.value(concept, URIRef(DQV + "hasQualityMeasurement"))).startswith(KS_VOCAB + "quality/Class_")
        impacts = set(ks.objects(concept, URIRef(KS + "hasImpact")))
        assert impacts and impacts <= {URIRef(KS_VOCAB + f"triplebottomline/{n}") for n in ("People", "Planet", "Prosperity")}
        frequency = iris(ks, concept, DCTERMS.accrualPeriodicity)
        assert len(frequency) == 1 and str(next(iter(frequency))).startswith(
            "http://publications.europa.eu/resource/authority/frequency/")
        assert len(iris(ks, concept, DCTERMS.source)) == 1


def test_known_ks_defects_are_not_copied(ks_bytes, ks):
    """KS' http://purl.org/dc/ names appear only beside their correct dcterms: twin; frequencies and
    sources are always there as IRIs (KS' text comes in addition)."""
    for s, p, _ in ks:
        if str(p).startswith("http://purl.org/dc/") and not str(p).startswith("http://purl.org/dc/terms/"):
            twin = URIRef("http://purl.org/dc/terms/" + str(p)[len("http://purl.org/dc/"):])
            assert ks.value(s, twin) is not None, (s, p)
    assert b"developmetsector" not in ks_bytes
    for concept in ks.subjects(RDF.type, INDICATOR):
        assert iris(ks, concept, DCTERMS.accrualPeriodicity)


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
    left_out = {SKOS.related, SKOS.relatedMatch}  # links between KS' own indicators
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


# ---- both ways: what a consumer of KS' own files reads ---------------------------------------------

# Links between indicators: KS' indicators carry them only where a related indicator exists.
RELATION_FIELDS = {SKOS.related, SKOS.relatedMatch, SKOS.closeMatch}


@pytest.fixture(scope="module")
def ks_files(shared_dir) -> pyoxigraph.Store:
    """KS' indicator files (not the schemes) in one store, read as written."""
    store = pyoxigraph.Store()
    for path in sorted((shared_dir / "reference" / "ks-sdg-taxonomy").glob("*.ttl")):
        if not path.name.startswith("scheme-"):
            store.bulk_load(path=str(path), format=pyoxigraph.RdfFormat.TURTLE)
    return store


def predicates_of(store: pyoxigraph.Store, kind: URIRef) -> set:
    return {URIRef(row["p"].value) for row in store.query(f"SELECT DISTINCT ?p WHERE {{ ?s a <{kind}> ; ?p [] }}")}


def consumer_query(fields: list[URIRef], kind: URIRef) -> str:
    """A query a consumer writes against KS' files: every field KS' resources carry, each OPTIONAL,
    with the kind of value (IRI or literal) the consumer gets."""
    parts = [f"OPTIONAL {{ ?s <{p}> ?v{i} }} BIND(IF(BOUND(?v{i}), IF(isIRI(?v{i}), 'iri', 'literal'), '') AS ?k{i})"
             for i, p in enumerate(fields)]
    columns = " ".join(f"(GROUP_CONCAT(DISTINCT ?k{i}) AS ?f{i})" for i in range(len(fields)))
    return f"SELECT ?s {columns} WHERE {{ ?s a <{kind}> . {' '.join(parts)} }} GROUP BY ?s"


def field_kinds(store: pyoxigraph.Store, fields: list[URIRef], kind: URIRef) -> dict:
    """subject → {field: set of value kinds ('iri', 'literal')}, by the consumer's query."""
    out = {}
    for row in store.query(consumer_query(fields, kind)):
        out[URIRef(row["s"].value)] = {field: set(row[f"f{i}"].value.split()) if row[f"f{i}"] else set()
                                       for i, field in enumerate(fields)}
    return out


def as_store(graph: Graph) -> pyoxigraph.Store:
    store = pyoxigraph.Store()
    store.load(graph.serialize(format="nt", encoding="utf-8"), format=pyoxigraph.RdfFormat.N_TRIPLES)
    return store


def test_a_query_written_for_ks_files_gets_every_field_from_ours(ks_files, ks, built_graph):
    """The fields KS' 2 092 indicators carry, derived from KS' files: each of our 100 indicators carries
    every one of them, with the kind of value KS' files have (text where KS writes text), so a consumer's
    query gets titles, identifiers, units, frequencies and source URLs from our export too."""
    fields = sorted(predicates_of(ks_files, INDICATOR) - RELATION_FIELDS)
    assert {URIRef("http://purl.org/dc/title"), URIRef("http://purl.org/dc/identifier"), DCTERMS.type,
            DCTERMS.accrualPeriodicity, DCTERMS.source} <= set(fields)
    their_kinds = field_kinds(ks_files, fields, INDICATOR)
    assert len(their_kinds) == 2092
    kind_of = {}
    for field in fields:
        kinds = [k for row in their_kinds.values() for k in row[field]]
        kind_of[field] = max(set(kinds), key=kinds.count)  # the kind most of KS' values have
    ours = field_kinds(as_store(ks), fields, INDICATOR)
    assert len(ours) == 100
    # FN links exist only where the data state them (AK goals have none; some delmål only a goal).
    stated = {URIRef(SDGO + "hasGoal"): URIRef(SG + "contributesToFnGoal"),
              URIRef(SDGO + "isIndicatorOf"): URIRef(SG + "contributesToFnTarget")}
    missing = []
    for indicator, row in ours.items():
        for field in fields:
            if field in stated and built_graph.value(indicator, stated[field]) is None:
                continue
            if kind_of[field] not in row[field]:
                missing.append((str(indicator), str(field), kind_of[field]))
    assert missing == []


def test_ks_title_languages_and_values(ks_files, ks):
    dc_title = URIRef("http://purl.org/dc/title")
    their_languages = {row["l"].value for row in ks_files.query(f"SELECT DISTINCT (LANG(?t) AS ?l) WHERE {{ ?s <{dc_title}> ?t }}")}
    for concept in ks.subjects(RDF.type, INDICATOR):
        titles = list(ks.objects(concept, dc_title))
        assert {t.language for t in titles} <= their_languages and "no" in {t.language for t in titles}
        nb = next(str(t) for t in ks.objects(concept, DCTERMS.title))
        assert next(str(t) for t in titles if t.language == "no") == nb
        assert ks.value(concept, URIRef("http://purl.org/dc/identifier")) == concept
        source_iri = next(iter(iris(ks, concept, DCTERMS.source)))
        assert Literal(str(source_iri)) in set(ks.objects(concept, DCTERMS.source))
        texts = [o for o in ks.objects(concept, DCTERMS.accrualPeriodicity) if isinstance(o, Literal)]
        assert len(texts) == 1 and str(texts[0]) in {"12", "24", "36", "48", "Other"}


def test_scheme_carries_what_ks_schemes_carry(ks_files, ks):
    fields = sorted(predicates_of(ks_files, SKOS.ConceptScheme) - {SKOS.prefLabel})
    scheme = ks.value(None, RDF.type, SKOS.ConceptScheme)
    assert [f for f in fields if ks.value(scheme, f) is None] == []
    publisher = ks.value(scheme, URIRef("http://purl.org/dc/publisher"))
    assert str(publisher).startswith("https://organization-catalog.fellesdatakatalog.digdir.no/organizations/")
    assert str(ks.value(scheme, URIRef("http://www.w3.org/ns/adms#status"))).startswith(
        "http://publications.europa.eu/resource/authority/dataset-status/")


def test_profile_requires_the_ks_consumer_fields(ks):
    broken = Graph()
    broken += ks
    concept = URIRef("https://w3id.org/sdggraph/kommune/3203/indicator/HEL-01")
    broken.remove((concept, DCTERMS.type, None))
    broken.remove((concept, URIRef("http://purl.org/dc/title"), None))
    broken.remove((concept, DCTERMS.title, None))
    broken.add((concept, URIRef("http://purl.org/dc/title"), Literal("uten tvilling", lang="no")))
    conforms, violations, _ = ks_taxonomy.validate(broken)
    text = "\n".join(violations)
    assert not conforms and "dcterms:type" in text and "http://purl.org/dc/title" in text
