"""Vocabulary ergonomics: things are found by their Norwegian names, external values and the
properties the pages show have nb/en names, and each date property has one datatype."""

from __future__ import annotations

import pytest

from sdggraph.query import named as named_queries
from sdggraph.store.local import query

KOMMUNE = "https://w3id.org/sdggraph/kommune/3203/"
KSEV = "https://data.norge.no/vocabulary/indicator/Evaluation/"
FREQ = "http://publications.europa.eu/resource/authority/frequency/"
SG = "https://w3id.org/sdggraph/ontology#"
PREFIXES = """PREFIX sg: <https://w3id.org/sdggraph/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""


def rows(sparql: str, build_dir) -> list[dict[str, str]]:
    result = query(PREFIXES + sparql, build_dir)
    names = [variable.value for variable in result.variables]
    return [{name: (solution[name].value if solution[name] is not None else None) for name in names}
            for solution in result]


# ---- found by name ----------------------------------------------------------------------------

@pytest.mark.parametrize("name, iri", [
    ("Innsatsfaktorer", KSEV + "1-Input"),
    ("Aktiviteter", KSEV + "2-Process"),
    ("Produkter/tjenester", KSEV + "3-Output"),
    ("Brukereffekter", KSEV + "4-Outcome"),
    ("Samfunnseffekter", KSEV + "5-Impact"),
    ("Årlig", FREQ + "ANNUAL"),
    ("Tall kommer", SG + "NotYetPublished"),
])
def test_a_plain_sparql_lookup_by_the_norwegian_name(name, iri, build_dir):
    found = rows(f'SELECT ?x WHERE {{ ?x skos:prefLabel "{name}"@nb }}', build_dir)
    assert [row["x"] for row in found] == [iri]


def lookup(name: str, build_dir) -> list[tuple[str, str]]:
    header, result = named_queries.run_named("finn-etter-navn", {"name": name}, build_dir)
    records = [dict(zip(header, row)) for row in result]
    return [(r["resource"], r["matchedBy"]) for r in records]


@pytest.mark.parametrize("name, expected", [
    # the temaplan table's short committee name finds the committee (and the service area it is named after)
    ("Oppvekst", [(KOMMUNE + "org/oppvekst", "foretrukket navn"),
                  (KOMMUNE + "org/utvalg-for-oppvekst", "alternativt navn")]),
    ("velferd", [(KOMMUNE + "org/velferd", "foretrukket navn"),
                 (KOMMUNE + "org/utvalg-for-velferd", "alternativt navn")]),
    ("Hovedutvalg for oppvekst", [(KOMMUNE + "org/utvalg-for-oppvekst", "alternativt navn")]),
    # a temaplan by the short name the table prints and by its full name
    ("Kultur", [(KOMMUNE + "thematic-plan/kultur", "alternativt navn")]),
    ("Temaplan for kultur", [(KOMMUNE + "thematic-plan/kultur", "foretrukket navn")]),
    ("Medborgerskap", [(KOMMUNE + "org/medborgerskap", "foretrukket navn"),
                       (KOMMUNE + "org/utvalg-for-medborgerskap", "alternativt navn"),
                       (KOMMUNE + "thematic-plan/medborgerskap", "alternativt navn")]),
    ("avledet fra", [("http://www.w3.org/ns/prov#wasDerivedFrom", "navn")]),
    ("1-Input", [(KSEV + "1-Input", "kode")]),
])
def test_the_named_lookup_finds_the_right_resources(name, expected, build_dir):
    assert lookup(name, build_dir) == expected


def test_each_committee_the_temaplan_table_prints_is_found_by_that_name(build_dir):
    # «Ansvarlig hovedutvalg» in the report's temaplan table prints these short names
    for short in ("Oppvekst", "Velferd", "Samfunnstjenester", "Medborgerskap", "Formannskapet"):
        committees = [iri for iri, _ in lookup(short, build_dir)
                      if iri.startswith(KOMMUNE + "org/") and (iri.endswith("formannskapet") or "utvalg-for-" in iri)]
        assert len(committees) == 1, (short, committees)
    plans = rows("""SELECT ?plan ?committee WHERE { ?plan a sg:ThematicPlan ; sg:responsibleCommittee ?committee }""",
                 build_dir)
    assert plans and all(row["committee"].startswith(KOMMUNE + "org/") for row in plans)


# ---- names for what users filter on and what pages show ---------------------------------------

FILTERED_ON = ["sg:resultChainStep", "dcterms:accrualPeriodicity", "sg:observationStatus", "sg:unit",
               "sg:ageGroup", "sg:dataBasis", "sg:linkBasis", "sg:comparator", "sg:desiredDirection",
               "sg:noIndicatorReason", "sg:mandateDecisionDatePrecision", "sg:dataSource"]


@pytest.mark.parametrize("predicate", FILTERED_ON)
def test_every_value_users_filter_on_has_an_nb_and_an_en_name(predicate, build_dir):
    unnamed = rows(f"""SELECT DISTINCT ?value WHERE {{
      ?s {predicate} ?value . FILTER(isIRI(?value))
      FILTER NOT EXISTS {{ ?value skos:prefLabel|rdfs:label ?nb . FILTER(LANG(?nb) = "nb") }}
    }}""", build_dir) + rows(f"""SELECT DISTINCT ?value WHERE {{
      ?s {predicate} ?value . FILTER(isIRI(?value))
      FILTER NOT EXISTS {{ ?value skos:prefLabel|rdfs:label ?en . FILTER(LANG(?en) = "en") }}
    }}""", build_dir)
    used = rows(f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s {predicate} ?value }}", build_dir)
    assert int(used[0]["n"]) > 0, f"{predicate} is not used: drop it from this list"
    assert not unnamed, unnamed


def test_every_predicate_in_the_graph_has_a_norwegian_name(build_dir):
    # rdf:first/rest are the ontology's OWL lists, never shown as a property
    unnamed = rows("""SELECT DISTINCT ?p WHERE {
      ?s ?p ?o .
      FILTER(?p NOT IN (<http://www.w3.org/1999/02/22-rdf-syntax-ns#first>, <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest>))
      FILTER NOT EXISTS { ?p skos:prefLabel|rdfs:label ?nb . FILTER(LANG(?nb) = "nb") }
    }""", build_dir)
    assert not unnamed, unnamed


def test_the_steps_keep_ks_label_as_notation(build_dir):
    got = rows(f"""SELECT ?step ?notation ?en WHERE {{ ?step skos:notation ?notation ; skos:prefLabel ?en .
      FILTER(STRSTARTS(STR(?step), "{KSEV}") && LANG(?en) = "en") }} ORDER BY ?notation""", build_dir)
    assert [(r["notation"], r["en"]) for r in got] == [
        ("1-Input", "Inputs"), ("2-Process", "Activities"), ("3-Output", "Outputs"), ("4-Outcome", "Outcomes"),
        ("5-Impact", "Impacts")]


# ---- one datatype per date property ------------------------------------------------------------

@pytest.mark.parametrize("predicate", ["sg:adoptionDate", "sg:mandateDecisionDate"])
def test_one_datatype_per_date_property(predicate, build_dir):
    datatypes = rows(f"SELECT DISTINCT ?datatype WHERE {{ ?plan {predicate} ?date BIND(DATATYPE(?date) AS ?datatype) }}",
                     build_dir)
    assert [row["datatype"] for row in datatypes] == ["http://www.w3.org/2001/XMLSchema#date"]


def test_a_year_only_date_is_a_date_with_its_precision_stated(build_dir):
    got = rows("""SELECT ?plan ?date ?precision WHERE {
      ?plan sg:mandateDecisionDate ?date ; sg:mandateDecisionDatePrecision ?precision }""", build_dir)
    assert got == [{"plan": KOMMUNE + "thematic-plan/arbeidsgiverpolitikk", "date": "2019-01-01",
                    "precision": SG + "YearPrecision"}]
    # and it compares as a date with the others: decided before 2020
    earlier = rows("""SELECT ?plan WHERE { ?plan sg:mandateDecisionDate ?date .
      FILTER(?date < "2020-01-01"^^xsd:date) } ORDER BY ?plan""", build_dir)
    assert [row["plan"].rsplit("/", 1)[1] for row in earlier] == ["arbeidsgiverpolitikk", "naering"]
