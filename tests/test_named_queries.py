"""The named questions (queries/*.rq): expected rows on the real data, rdflib agreeing with
pyoxigraph, safe parameter binding, the integrity checks, the CLI and the HTTP routes.

Every .rq file is collected here at import time, so a query without an expectation fails.
Expected rows come from the CSV tables in data/ (read here independently of the build) or from
the report's own figures (data/indicator-set.ttl and the numbers the report prints).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from decimal import Decimal

import pyoxigraph
import pytest
from rdflib import Literal as RdfLiteral
from rdflib import URIRef

from sdggraph import config, layout
from sdggraph.cli import main
from sdggraph.query import named as named_queries
from sdggraph.query.results import term_text
from sdggraph.store import local as store

QUERY_FILES = sorted(layout.queries_dir().glob("*.rq"))
NAMES = [path.stem for path in QUERY_FILES]
KOMMUNE = "https://w3id.org/sdggraph/kommune/3203/"
STATUS_NB = {"not_measured": "Ikke målt", "not_yet_published": "Tall kommer", "measured": "Målt"}
NUMERIC = {"http://www.w3.org/2001/XMLSchema#" + name for name in ("decimal", "integer", "double", "float")}


def table(kind: str) -> list[dict]:
    rows = []
    for path in sorted(layout.data_dir().rglob(f"*.{kind}.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            rows.extend(csv.DictReader(handle))
    return rows


def column(header, rows, name):
    index = header.index(name)
    return [row[index] for row in rows]


def records(header, rows):
    return [dict(zip(header, row)) for row in rows]


def test_every_query_file_has_its_header():
    assert len(NAMES) >= 8 + 5
    for required in ("indikatorer-for-samfunnsfloke", "fn-mal-til-tjenesteomrade", "delmal-uten-indikator",
                     "indikatorer-uten-tall", "indikatorer-under-terskel", "temaplaner-per-tjenesteomrade",
                     "indikator-tidsserie", "fn-delmal-dekning"):
        assert required in NAMES
    for query in named_queries.discover().values():
        assert query.question_nb and query.question_en, query.name
        assert query.question_nb != query.question_en, query.name
        header_vars = query.sparql.split("WHERE", 1)[0]
        for param in query.params:  # pyoxigraph substitutes projected variables only
            assert f"?{param.variable}" in header_vars, (query.name, param.name)


# ---- expected rows on the real data, one check per query ----------------------------------

def expect_delmal_uten_indikator(header, rows):
    got = {(r["id"], r["reasonLabel"]) for r in records(header, rows)}
    assert got == {("OKO-2", "Indikator under utvikling"), ("MED-4", "Rapporteres kvalitativt"),
                   ("KLI-1", "Indikator under utvikling"), ("HEL-4", "Indikator under utvikling")}


def missing_figures(year: str) -> dict[str, str]:
    return {row["indicator_id"]: STATUS_NB[row["status"]] for row in table("observations")
            if row["year"] == year and row["status"] != "measured"}


def expect_indikatorer_uten_tall(header, rows):
    expected = missing_figures("2024")
    got = {r["id"]: r["statusLabel"] for r in records(header, rows)}
    assert got == expected
    assert len(rows) == len(expected) == 49  # the report's 2024 columns: «Ikke målt» and «Tall kommer»
    assert set(column(header, rows, "year")) == {"2024"}


def expect_indikator_tidsserie(header, rows):
    got = records(header, rows)
    assert [r["year"] for r in got] == sorted(row["year"] for row in table("observations") if row["indicator_id"] == "OKO-01")
    assert {r["editionLabel"] for r in got} == {"Årsrapport 2024"} and {r["revised"] for r in got} == {"false"}
    assert [Decimal(r["value"]) for r in got] == [Decimal("18.0"), Decimal("14.8"), Decimal("13.9"), Decimal("14.3")]
    assert [r["printed"] for r in got] == ["18,0 %", "14,8 %", "13,9 %", "14,3 %"]
    assert {r["statusLabel"] for r in got} == {"Målt"}


def below_threshold() -> set[str]:
    """From the CSVs: indicators whose latest figure misses the threshold its label prints."""
    compare = {">": lambda v, t: v > t, ">=": lambda v, t: v >= t, "<": lambda v, t: v < t, "<=": lambda v, t: v <= t}
    latest: dict[str, tuple[str, Decimal]] = {}
    for row in table("observations"):
        if row["value"] and (row["indicator_id"] not in latest or row["year"] > latest[row["indicator_id"]][0]):
            latest[row["indicator_id"]] = (row["year"], Decimal(row["value"]))
    return {row["indicator_id"] for row in table("indicators")
            if row["threshold_comparator"] and row["indicator_id"] in latest
            and not compare[row["threshold_comparator"]](latest[row["indicator_id"]][1], Decimal(row["threshold_value"]))}


def expect_indikatorer_under_terskel(header, rows):
    assert set(column(header, rows, "id")) == below_threshold()
    assert len(rows) == len(below_threshold())
    by_id = {r["id"]: r for r in records(header, rows)}
    assert by_id["OKO-03"]["threshold"] == "< 80 %" and Decimal(by_id["OKO-03"]["value"]) == Decimal("94.7")


def expect_temaplaner_per_tjenesteomrade(header, rows):
    got = records(header, rows)
    plans = {r["plan"] for r in got if r["plan"]}
    assert len(plans) == 17  # the report's 17 temaplaner
    assert len({r["serviceArea"] for r in got}) == 6  # the six tjenesteområder
    assert all(r["adoptionDate"] for r in got if r["plan"])
    assert {"Temaplan for handling mot klimaendringene", "Samfunnstjenester"} <= {
        v for r in got for v in (r["planLabel"], r["serviceAreaLabel"])}
    # 18 rows: 17 temaplaner, one of which has two tjenesteområder.
    assert len(got) == 18


def fn_links():
    return [(row["subject_id"], row["fn_ref"]) for row in table("fn-links")]


def expect_fn_delmal_dekning(header, rows):
    subgoal_of = {row["indicator_id"]: row["subgoal_id"] for row in table("indicators")}
    referring, measured = defaultdict(set), defaultdict(set)
    for subject, ref in fn_links():
        if "." in ref:
            referring[ref].add(subject)
            if subject.count("-") == 1:  # a delmål: its indicators contribute to the target
                measured[ref] |= {i for i, s in subgoal_of.items() if s == subject}
    got = {r["notation"]: (int(r["askerGoals"]), int(r["indicators"])) for r in records(header, rows)}
    assert got == {ref: (len(referring[ref]), len(measured[ref])) for ref in referring}


def expect_fn_mal_til_tjenesteomrade(header, rows):
    got = records(header, rows)
    levels = defaultdict(set)
    for r in got:
        levels[r["level"]].add(r["resource"].rsplit("/", 1)[1])
    assert {r["goal"] for r in got} == {"http://metadata.un.org/sdg/13"}
    main_goals = {s for s, ref in fn_links() if s.count("-") == 0 and (ref == "13" or ref.startswith("13."))}
    subgoals = {s for s, ref in fn_links() if s.count("-") == 1 and (ref == "13" or ref.startswith("13."))}
    subgoals |= {row["subgoal_id"] for row in table("indicators") if row["subgoal_id"].split("-")[0] in main_goals}
    subgoals |= {"KLI-1"}  # no indicator, but refers to 13.1 and 13.3
    indicators = {row["indicator_id"] for row in table("indicators") if row["subgoal_id"] in subgoals}
    assert levels["hovedmål"] == main_goals == {"KLI"}
    assert levels["delmål"] == {"KLI-1", "KLI-2"}
    assert levels["indikator"] == indicators and len(indicators) == 13
    # From the temaplan table of the report (data/thematic-plans):
    assert levels["temaplan"] == {"handling-mot-klimaendringene"}
    assert levels["tjenesteområde"] == {"samfunnstjenester"}
    via_targets = {r["via"].rsplit("/", 1)[1] for r in got if r["resource"].endswith("sub-goal/KLI-1")}
    assert {"13.1", "13.3"} <= via_targets


def challenge_counts() -> dict[str, int]:
    counts = defaultdict(int)
    for row in table("classification"):
        if row["challenge"]:
            counts[row["challenge"]] += 1
    return counts


def expect_indikatorer_for_samfunnsfloke(header, rows):
    got = records(header, rows)
    # The report: 21 % of the 100 indicators address ungt utenforskap.
    assert len(got) == challenge_counts()["ungt-utenforskap"] == 21
    assert {r["challenge"] for r in got} == {KOMMUNE + "challenge/ungt-utenforskap"}
    latest = max(row["year"] for row in table("observations"))
    status_latest = {row["indicator_id"]: STATUS_NB[row["status"]] for row in table("observations") if row["year"] == latest}
    for r in got:
        assert r["latestYear"] == latest
        assert r["latestStatus"] == status_latest[r["id"]]
        assert bool(r["latestValue"]) == (r["latestStatus"] == "Målt")
        assert r["subgoal"].startswith(KOMMUNE + "sub-goal/") and r["focusAreaLabel"]


def expect_finn_etter_navn(header, rows):
    # the default name: KS' first resultatkjede step, by the report's Norwegian name
    got = records(header, rows)
    assert [(r["resource"], r["matchedBy"]) for r in got] == [
        ("https://data.norge.no/vocabulary/indicator/Evaluation/1-Input", "foretrukket navn")]
    assert got[0]["typeLabel"] == "Steg i resultatkjeden"


def expect_revisjoner(header, rows):
    # The shipped data has one edition, so nothing is revised (tests/test_editions.py has a 2025 edition).
    assert rows == [] and {"oldValue", "newValue", "oldEdition", "newEdition", "year", "id"} <= set(header)


def comparison_cells() -> dict[tuple[str, str, str], dict]:
    return {(r["measure_id"], r["area"], r["year"]): r for r in table("comparison-observations")}


def expect_sammenlign_omrader(header, rows):
    """The default: VEL-03 (økonomisk sosialhjelp per innbygger) in 2024, highest first."""
    got = records(header, rows)
    expected = sorted(((code, Decimal(r["value"])) for (m, code, y), r in comparison_cells().items()
                       if m == "VEL-03" and y == "2024"), key=lambda item: -item[1])
    assert [(r["areaCode"], Decimal(r["value"])) for r in got] == expected
    assert [r["areaLabel"] for r in got] == ["Lillestrøm", "KOSTRA-gruppe 12", "Drammen", "Bærum", "Asker"]
    assert {r["printed"] for r in got} >= {"1415", "2420"}


def expect_kostra_for_tjenesteomrade(header, rows):
    """The default: Velferd's 13 KOSTRA figures, Asker beside Bærum, Drammen, Lillestrøm, KOSTRA-gruppe 12."""
    got = {r["id"]: r for r in records(header, rows)}
    measures = {r["measure_id"] for r in table("comparison-measures") if r["service_area"] == "velferd"}
    assert set(got) == measures and len(got) == 13
    cells = comparison_cells()
    latest = max(year for (_ident, area, year) in cells if area == "3203")  # the report's, not a constant
    previous = str(int(latest) - 1)
    columns = {"askerPrevious": ("3203", previous), "askerLatest": ("3203", latest), "baerumLatest": ("3201", latest),
               "drammenLatest": ("3301", latest), "lillestromLatest": ("3205", latest), "kostraGroupLatest": ("EKG12", latest)}
    for ident, row in got.items():
        assert (row["previousYear"], row["latestYear"]) == (previous, latest)
        for column_name, (area, year) in columns.items():
            assert Decimal(row[column_name]) == Decimal(cells[(ident, area, year)]["value"]), (ident, column_name)
        asker, group = Decimal(row["askerLatest"]), Decimal(row["kostraGroupLatest"])
        assert row["comparedWithGroup"] == ("over" if asker > group else "under" if asker < group else "lik")
    # the report's prose: below the group on health and care per inhabitant, above it on home services 0–66
    assert got["VEL-06"]["comparedWithGroup"] == "under" and got["VEL-08"]["comparedWithGroup"] == "over"
    assert got["VEL-13"]["functions"] == "241" and list(got)[0] == "VEL-01"


def expect_kommuneplanmal_status(header, rows):
    got = {r["id"]: r for r in records(header, rows)}
    assert {i: (r["latestYear"], Decimal(r["latestValue"]), r["met"]) for i, r in got.items()} == {
        "KP-BEF-1": ("2024", Decimal("1.7"), "false"),  # «høyere enn kommuneplanens målsetting» of 1,1 %
        "KP-BOL-1": ("2024", Decimal("690"), "true"),  # 500–550 a year «eller mer»
        "KP-BOL-2": ("2024", Decimal("63"), "true"),  # at least 60 % apartments
        "KP-BOL-3": ("2024", Decimal("14"), "false"),  # 20 % småhus
        "KP-BOL-4": ("2024", Decimal("21"), "false"),  # 20 % eneboliger
        "KP-SYS-1": ("2024", Decimal("75"), "false"),  # dekningsgrad shall rise: 76 → 75
    }
    assert Decimal(got["KP-SYS-1"]["previousValue"]) == 76 and Decimal(got["KP-SYS-1"]["deviation"]) == -1
    assert Decimal(got["KP-BOL-3"]["deviation"]) == -6 and Decimal(got["KP-BOL-1"]["targetMax"]) == 550


EXPECTATIONS = {
    "sammenlign-omrader": expect_sammenlign_omrader,
    "kostra-for-tjenesteomrade": expect_kostra_for_tjenesteomrade,
    "kommuneplanmal-status": expect_kommuneplanmal_status,
    "revisjoner": expect_revisjoner,
    "finn-etter-navn": expect_finn_etter_navn,
    "delmal-uten-indikator": expect_delmal_uten_indikator,
    "indikatorer-uten-tall": expect_indikatorer_uten_tall,
    "indikator-tidsserie": expect_indikator_tidsserie,
    "indikatorer-under-terskel": expect_indikatorer_under_terskel,
    "temaplaner-per-tjenesteomrade": expect_temaplaner_per_tjenesteomrade,
    "fn-delmal-dekning": expect_fn_delmal_dekning,
    "fn-mal-til-tjenesteomrade": expect_fn_mal_til_tjenesteomrade,
    "indikatorer-for-samfunnsfloke": expect_indikatorer_for_samfunnsfloke,
}


@pytest.mark.parametrize("name", NAMES)
def test_query_gives_the_expected_rows(name, build_dir):
    header, rows = named_queries.run_named(name, {}, build_dir)
    if name.endswith("-violation"):
        assert rows == [], f"{name} found problems in the shipped data: {rows[:5]}"
    else:
        assert name in EXPECTATIONS, f"queries/{name}.rq has no expected rows in this test"
        EXPECTATIONS[name](header, rows)


@pytest.mark.parametrize("floke, percent", [("ungt-utenforskap", 21), ("demografiutfordringer", 20),
                                            ("klima-og-natur", 25)])
def test_samfunnsfloke_counts_match_the_report(floke, percent, build_dir):
    header, rows = named_queries.run_named("indikatorer-for-samfunnsfloke", {"floke": floke}, build_dir)
    # The report's shares are of its 100 indicators, so the share is the count.
    assert len(rows) == percent == challenge_counts()[floke]


def test_missing_figures_for_another_year(build_dir):
    header, rows = named_queries.run_named("indikatorer-uten-tall", {"year": "2021"}, build_dir)
    assert {r["id"]: r["statusLabel"] for r in records(header, rows)} == missing_figures("2021")
    header, rows = named_queries.run_named("indikatorer-uten-tall", {"year": "2030"}, build_dir)
    assert len(rows) == 100 and {r["statusLabel"] for r in records(header, rows)} == {"Ingen observasjon"}


# ---- rdflib and pyoxigraph agree --------------------------------------------------------------

def to_rdflib(term):
    if isinstance(term, pyoxigraph.NamedNode):
        return URIRef(term.value)
    return RdfLiteral(term.value, lang=term.language, datatype=None if term.language else term.datatype.value)


def canonical(value: str, datatype: str | None) -> str:
    """Numbers compared by value: pyoxigraph writes 18.0 as "18", rdflib keeps "18.0"."""
    if datatype in NUMERIC:
        number = Decimal(value)
        return str(number.quantize(Decimal(1))) if number == number.to_integral() else str(number.normalize())
    return value


def oxigraph_cell(term) -> str:
    if isinstance(term, pyoxigraph.Literal):
        return canonical(term.value, None if term.language else term.datatype.value)
    return term_text(term)


def rdflib_cell(term) -> str:
    if term is None:
        return ""
    if isinstance(term, RdfLiteral):
        return canonical(str(term), str(term.datatype) if term.datatype else None)
    return str(term)


@pytest.mark.parametrize("name", NAMES)
def test_rdflib_gives_the_same_rows(name, build_dir, built_graph):
    query = named_queries.get(name)
    header, rows = named_queries.run(name, {}, build_dir)
    result = built_graph.query(query.sparql, initBindings={k: to_rdflib(v) for k, v in query.bindings({}, named_queries.defaults_in(query, build_dir)).items()})
    assert [str(v) for v in result.vars] == header
    ours = sorted(tuple(oxigraph_cell(term) for term in row) for row in rows)
    theirs = sorted(tuple(rdflib_cell(term) for term in row) for row in result)
    assert ours == theirs


OTHER_VALUES = {"indikatorer-for-samfunnsfloke": {"floke": "klima-og-natur"}, "fn-mal-til-tjenesteomrade": {"goal": "3"},
                "indikatorer-uten-tall": {"year": "2022"}, "indikator-tidsserie": {"indicator": "HEL-01"},
                "sammenlign-omrader": {"measure": "BEF-12", "year": "2023"},
                "kostra-for-tjenesteomrade": {"year": "2023", "tjenesteomrade": "oppvekst"}}


@pytest.mark.parametrize("name", sorted(OTHER_VALUES))
def test_values_text_gives_the_same_rows_as_substitution(name, build_dir):
    """What the bench and the web page send to SPARQL servers (a VALUES block) answers alike."""
    query = named_queries.get(name)
    assert [p.name for p in query.params] == list(OTHER_VALUES[name])
    for values in ({}, OTHER_VALUES[name]):
        header, rows = named_queries.run_named(name, values, build_dir)
        text = query.with_values(values, named_queries.defaults_in(query, build_dir))
        assert "VALUES" in text
        header2, rows2 = store.select(text, build_dir=build_dir)
        assert header2 == header
        assert sorted(rows) == sorted([term_text(t) for t in row] for row in rows2)
        assert rows


def test_the_bound_text_is_kept_per_values_and_base_iri(monkeypatch):
    """with_values is computed once per arguments (the service asks the same few again and again),
    yet follows the values, the kommune and the configured base IRI, and refuses bad values each time."""
    query = named_queries.get("indikator-tidsserie")
    first = query.with_values({"indicator": "OKO-01"})
    assert query.with_values({"indicator": "OKO-01"}) is first
    assert "OKO-02" in query.with_values({"indicator": "OKO-02"}) and "OKO-02" not in first
    assert "/kommune/9001/" in query.with_values({"indicator": "OKO-01"}, kommune="9001")
    monkeypatch.setenv("SDGGRAPH_BASE_IRI", "https://example.org/sdg/")
    rebased = query.with_values({"indicator": "OKO-01"})
    assert "https://example.org/sdg/" in rebased and config.DEFAULT_BASE_IRI not in rebased
    for _ in range(2):
        with pytest.raises(named_queries.ParameterError):
            query.with_values({"indicator": "oko-01"})


# ---- safe parameter binding -------------------------------------------------------------------

def test_parameters_become_typed_terms():
    goal = named_queries.get("fn-mal-til-tjenesteomrade").bindings({"goal": "13"})
    assert goal == {"goal": pyoxigraph.NamedNode("http://metadata.un.org/sdg/13")}
    year = named_queries.get("indikatorer-uten-tall").bindings({"year": "2023"})["year"]
    assert year == pyoxigraph.Literal("2023", datatype=pyoxigraph.NamedNode("http://www.w3.org/2001/XMLSchema#gYear"))
    floke = named_queries.get("indikatorer-for-samfunnsfloke").bindings()  # the default
    assert floke == {"challenge": pyoxigraph.NamedNode(KOMMUNE + "challenge/ungt-utenforskap")}


@pytest.mark.parametrize("name, values", [
    ("indikator-tidsserie", {"indicator": "OKO-01> } ; DROP ALL ; #"}),
    ("indikator-tidsserie", {"indicator": "oko-01"}),
    ("indikatorer-uten-tall", {"year": '2024" . ?s ?p ?o'}),
    ("indikatorer-uten-tall", {"year": "24"}),
    ("fn-mal-til-tjenesteomrade", {"goal": "18"}),
    ("fn-mal-til-tjenesteomrade", {"goal": "13.2"}),
    ("indikatorer-for-samfunnsfloke", {"floke": "fattigdom"}),
    ("indikatorer-uten-tall", {"yr": "2024"}),
    ("delmal-uten-indikator", {"anything": "x"}),
    ("sammenlign-omrader", {"measure": "VEL-3"}),
    ("kostra-for-tjenesteomrade", {"tjenesteomrade": "brann"}),
])
def test_bad_parameters_are_refused(name, values):
    with pytest.raises(named_queries.ParameterError):
        named_queries.get(name).bindings(values)


def test_unknown_query():
    with pytest.raises(named_queries.UnknownQueryError):
        named_queries.get("no-such-question")


@pytest.mark.parametrize("line, message", [
    ("# param: year = 2024 -> ?year as xsd:date", "kind must be"),
    ("# param: goal = 13 -> ?goal as IRI nosuchprefix:{value}", "unknown prefix"),
    ("# param: goal = 99 /[1-9]/ -> ?goal as IRI sdg:{value}", "not an allowed value"),
    ("# param: goal 13 -> ?goal", "not in the form"),
])
def test_malformed_headers_are_reported(tmp_path, line, message):
    path = tmp_path / "broken.rq"
    path.write_text(f"# question-nb: Spørsmål?\n# question-en: Question?\n{line}\nSELECT ?goal WHERE {{}}\n")
    with pytest.raises(named_queries.QueryFileError, match=message):
        named_queries.parse_file(path)
    path.write_text("# question-en: Question?\nSELECT * WHERE {}\n")
    with pytest.raises(named_queries.QueryFileError, match="question-nb"):
        named_queries.parse_file(path)


# ---- the integrity checks catch what they are named for -----------------------------------------

BROKEN = """
@prefix sg: <https://w3id.org/sdggraph/ontology#> .
@prefix sdgo: <http://metadata.un.org/sdg/ontology#> .
@prefix sdg: <http://metadata.un.org/sdg/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix k: <https://w3id.org/sdggraph/kommune/3203/> .
k:area-A a sg:FocusArea .
k:main-A a sg:MainGoal ; sg:belongsToFocusArea k:area-A .
k:main-X a sg:MainGoal .
k:sub-A a sg:SubGoal ; sg:belongsToMainGoal k:main-A ; sg:measuredBy k:ind-A .
k:sub-X a sg:SubGoal .
k:ind-A a sg:Indicator ; sg:measures k:sub-A .
k:ind-X a sg:Indicator ; sg:measures k:sub-A , k:sub-X .
k:obs-1 a sg:IndicatorObservation ; sg:ofIndicator k:ind-A ; sg:year "2021"^^xsd:gYear ; sg:observationStatus sg:Measured .
k:obs-2 a sg:IndicatorObservation ; sg:ofIndicator k:ind-A ; sg:year "2021"^^xsd:gYear ; sg:value 3.0 ;
    sg:observationStatus sg:NotMeasured .
k:obs-3 a sg:IndicatorObservation ; sg:ofIndicator k:ind-A ; sg:year "2022"^^xsd:gYear .
k:edition-A a sg:ReportEdition ; sg:reportYear "2022"^^xsd:gYear ; sg:reportingYear "2021"^^xsd:gYear , "2022"^^xsd:gYear .
k:link-1 a sg:FnLink ; sg:fnTarget sdg:13.99 .
k:link-2 a sg:FnLink ; sg:fnGoal sdg:18 .
k:link-3 a sg:FnLink .
k:plan-X a sg:ThematicPlan .
"""
CAUGHT = {  # each check, and a resource it must report in BROKEN
    "observation-without-status-violation": "obs-3",
    "measured-observation-without-value-violation": "obs-1",
    "observation-missing-for-reporting-year-violation": "ind-X",
    "duplicate-observation-violation": "ind-A",
    "delmal-without-hovedmal-violation": "sub-X",
    "hovedmal-without-satsingsomrade-violation": "main-X",
    "indicator-without-delmal-violation": "ind-X",
    "delmal-without-indicator-or-reason-violation": "sub-X",
    "fn-link-to-unknown-target-violation": "link-3",
    "plan-without-service-area-violation": "plan-X",
}


@pytest.mark.parametrize("name", [n for n in NAMES if n.endswith("-violation")])
def test_each_check_catches_broken_data(name):
    assert name in CAUGHT, f"add broken data for {name} to BROKEN and CAUGHT"
    broken = pyoxigraph.Store()
    broken.load(BROKEN.encode("utf-8"), pyoxigraph.RdfFormat.TURTLE)
    result = broken.query(named_queries.get(name).sparql)
    found = {term_text(solution[variable]) for solution in result for variable in result.variables}
    assert KOMMUNE + CAUGHT[name] in found


# ---- the CLI -----------------------------------------------------------------------------------

def test_cli_lists_and_runs_named_questions(build_dir, capsys, tmp_path):
    assert main(["query", "--list"]) == 0
    listing = capsys.readouterr().out
    assert all(name in listing for name in NAMES) and "year=@latest-reporting-year" in listing
    assert main(["query", "--name", "indikator-tidsserie", "--param", "indicator=KLI-01", "--format", "csv",
                 "--build-dir", str(build_dir)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("indicator,year,value") and len(lines) == 5
    # a bad value is told as such before any graph is read, also where there is no build
    assert main(["query", "--name", "indikator-tidsserie", "--param", "indicator=KLI-1",
                 "--build-dir", str(tmp_path / "no-build")]) == 2
    assert "invalid value" in capsys.readouterr().err
    assert main(["query", "--name", "no-such-question"]) == 2


def test_cli_check_passes_on_the_shipped_data(build_dir, capsys):
    assert main(["check", "--build-dir", str(build_dir)]) == 0
    assert "integrity checks passed" in capsys.readouterr().out


def test_cli_check_fails_listing_the_rows(build_dir, tmp_path, monkeypatch, capsys):
    (tmp_path / "always-violation.rq").write_text(
        "# question-nb: Alltid rader?\n# question-en: Always rows?\n"
        "PREFIX sg: <https://w3id.org/sdggraph/ontology#>\n"
        "SELECT ?area WHERE { ?area a sg:FocusArea } ORDER BY ?area LIMIT 2\n", encoding="utf-8")
    monkeypatch.setattr(layout, "queries_dir", lambda: tmp_path)
    assert main(["check", "--build-dir", str(build_dir)]) == 1
    err = capsys.readouterr().err
    assert "always-violation — 2 rows" in err and KOMMUNE + "focus-area/" in err


# ---- HTTP -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def client(build_dir):
    from fastapi.testclient import TestClient

    from sdggraph.server.app import create_app
    from sdggraph.server.settings import Settings

    with TestClient(create_app(Settings(build_dir=build_dir, workers=1))) as client:
        yield client


def test_http_lists_the_questions(client):
    answer = client.get("/queries")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
    listed = {q["name"]: q for q in answer.json()}
    assert set(listed) == set(NAMES)
    year = listed["indikatorer-uten-tall"]["params"][0]
    assert (year["name"], year["default"], year["type"]) == ("year", "2024", "xsd:gYear")
    assert listed["indikatorer-for-samfunnsfloke"]["params"][0]["choices"] == [
        "ungt-utenforskap", "demografiutfordringer", "klima-og-natur"]
    assert listed["observation-missing-for-reporting-year-violation"]["check"] is True
    html = client.get("/queries", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert html.headers["content-type"].startswith("text/html")
    assert "Hvilke delmål har ingen indikator, og hvorfor?" in html.text and 'href="/queries/' in html.text


def test_http_runs_a_question_with_parameters(client):
    answer = client.get("/queries/indikator-tidsserie", params={"indicator": "OKO-01"})
    assert answer.status_code == 200
    assert [Decimal(r["value"]) for r in answer.json()] == [Decimal("18.0"), Decimal("14.8"), Decimal("13.9"),
                                                             Decimal("14.3")]
    missing = client.get("/queries/indikatorer-uten-tall?year=2024").json()
    assert {r["id"]: r["statusLabel"] for r in missing} == missing_figures("2024")
    as_csv = client.get("/queries/indikator-tidsserie?indicator=OKO-01", headers={"Accept": "text/csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.text.splitlines()[0].split(",")[:3] == ["indicator", "year", "value"]
    assert client.get("/queries/indikator-tidsserie?indicator=OKO-01&format=csv").text == as_csv.text
    typed = client.get("/queries/indikator-tidsserie?indicator=OKO-01",
                       headers={"Accept": "application/sparql-results+json"}).json()
    first = typed["results"]["bindings"][0]
    assert first["indicator"]["type"] == "uri" and first["year"]["datatype"].endswith("#gYear")
    text = client.get("/queries/indikatorer-uten-tall?year=2023&format=sparql")
    assert text.headers["content-type"].startswith("application/sparql-query")
    assert '"2023"^^<http://www.w3.org/2001/XMLSchema#gYear>' in text.text


@pytest.mark.parametrize("url, status", [
    ("/queries/no-such-question", 404),
    ("/queries/indikator-tidsserie?indicator=HEL-01%3E%20%7D", 400),
    ("/queries/indikatorer-uten-tall?yr=2024", 400),
    ("/queries/indikatorer-uten-tall?year=2024&year=2023", 400),
    ("/queries/fn-mal-til-tjenesteomrade?goal=0", 400),
    ("/queries/delmal-uten-indikator?format=xlsx", 406),
])
def test_http_refuses_bad_requests(client, url, status):
    answer = client.get(url)
    assert answer.status_code == status
    assert answer.json()["error"]
