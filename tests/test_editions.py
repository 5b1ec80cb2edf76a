"""Next year's report: a second report edition added the way data/README.md says.

A temporary copy of data/ gets the SYNTHETIC 2025 edition of tests/fixtures/edition-2025 (a new year,
one revised figure, two «Tall kommer» filled in, one new and one retired indicator), is built, and
then goes through validate → named questions → pages → coverage report → exports. Also: the rule
"every indicator of an edition has an observation for each of its years" is one rule, said by a
shape and a violation query that find the same indicators and years.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD

from sdggraph.compile.build import build
from sdggraph.errors import InputFileError
from sdggraph.query import named as named_queries

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "edition-2025"
KOMMUNE = "https://w3id.org/sdggraph/kommune/3203/"
SG = "https://w3id.org/sdggraph/ontology#"
PROV = "http://www.w3.org/ns/prov#"


def overlay(target: Path) -> Path:
    data = target / "data"
    shutil.copytree(ROOT / "data", data)
    shutil.copytree(FIXTURE / "data", data, dirs_exist_ok=True)
    return data


@pytest.fixture(scope="module")
def edition_build(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("edition-2025")
    out = root / "build"
    build(out, data_dir=overlay(root))
    return out


def records(name, params, build_dir):
    header, rows = named_queries.run_named(name, params, build_dir)
    from sdggraph.query.results import term_text
    return [dict(zip(header, (term_text(t) if t is not None else "" for t in row))) for row in rows]


def test_the_fixture_is_labelled_synthetic():
    assert "SYNTHETIC" in (FIXTURE / "README.md").read_text(encoding="utf-8")
    rows = list(csv.DictReader((FIXTURE / "data/indicators/90-edition-2025.observations.csv").open(encoding="utf-8")))
    assert rows and all("SYNTHETIC" in row["note"] for row in rows)
    assert "SYNTETISK" in (FIXTURE / "data/edition-2025.ttl").read_text(encoding="utf-8")
    assert not any("SYNTHETIC" in p.read_text(encoding="utf-8") for p in (ROOT / "data").rglob("*.csv"))


def test_validate_and_check_pass(edition_build):
    from sdggraph.check.validate import validate
    from sdggraph.check.violations import failed_checks

    result = validate(severity="violation", build_dir=edition_build)
    assert [r for r in result.results if r.severity == "violation"] == []
    assert failed_checks(edition_build) == []


def test_time_series_shows_the_new_year_and_the_edition(edition_build):
    got = records("indikator-tidsserie", {"indicator": "OKO-01"}, edition_build)
    assert [r["year"] for r in got] == ["2021", "2022", "2023", "2024", "2025"]
    by_year = {r["year"]: r for r in got}
    assert by_year["2023"]["printed"] == "14,0 %" and by_year["2023"]["revised"] == "true"   # the latest edition's
    assert by_year["2022"]["revised"] == "false"                                             # reprinted unchanged
    assert by_year["2021"]["editionLabel"] == "Årsrapport 2024"                              # not reprinted in 2025
    assert by_year["2025"]["editionLabel"] == "Årsrapport 2025 (syntetisk)"
    # a retired indicator keeps its history; a new one has only the years it has
    assert [r["year"] for r in records("indikator-tidsserie", {"indicator": "INN-09"}, edition_build)] == \
        ["2021", "2022", "2023", "2024"]
    assert [r["year"] for r in records("indikator-tidsserie", {"indicator": "OKO-05"}, edition_build)] == \
        ["2022", "2023", "2024", "2025"]


def test_missing_figures_leave_out_retired_and_not_yet_introduced_indicators(edition_build):
    ids_2025 = {r["id"] for r in records("indikatorer-uten-tall", {"year": "2025"}, edition_build)}
    assert "INN-09" not in ids_2025 and "SAM-05" in ids_2025
    ids_2021 = {r["id"] for r in records("indikatorer-uten-tall", {"year": "2021"}, edition_build)}
    assert "OKO-05" not in ids_2021 and "INN-09" not in ids_2021  # INN-09 was measured in 2021


def test_a_year_parameter_defaults_to_the_latest_reporting_year_of_the_editions(edition_build, build_dir):
    """`year` of indikatorer-uten-tall is declared `@latest-reporting-year`: 2025 once the 2025 edition is in."""
    from fastapi.testclient import TestClient

    from sdggraph.server.app import create_app
    from sdggraph.server.settings import Settings

    assert {r["year"] for r in records("indikatorer-uten-tall", {}, edition_build)} == {"2025"}
    assert {r["year"] for r in records("indikatorer-uten-tall", {}, build_dir)} == {"2024"}  # data/ alone
    assert records("indikatorer-uten-tall", {}, edition_build) == records("indikatorer-uten-tall", {"year": "2025"}, edition_build)
    # the KOSTRA question's years are the latest of Asker's KOSTRA figures (the fixture adds none)
    assert {(r["previousYear"], r["latestYear"]) for r in records("kostra-for-tjenesteomrade", {}, edition_build)} == {("2023", "2024")}
    with TestClient(create_app(Settings(build_dir=edition_build, workers=1))) as client:
        listed = {q["name"]: q for q in client.get("/queries").json()}["indikatorer-uten-tall"]["params"][0]
        assert (listed["default"], listed["declared_default"]) == ("2025", "@latest-reporting-year")
        rows = client.get("/queries/indikatorer-uten-tall", params={"format": "json"}).json()
        assert rows and {row["year"] for row in rows} == {"2025"}
        text = client.get("/queries/indikatorer-uten-tall", params={"format": "sparql"}).text
        assert "# parameter year = 2025 (@latest-reporting-year)" in text and '"2025"^^' in text


def test_a_graph_without_editions_asks_for_the_year(tmp_path):
    from sdggraph.query.named import ParameterError

    query = named_queries.get("indikatorer-uten-tall")
    with pytest.raises(ParameterError, match="give year="):
        query.bindings({}, {})
    assert query.bindings({"year": "2023"}, {})["year"].value == "2023"


def test_revisjoner_lists_exactly_the_revision_and_the_filled_in_figures(edition_build):
    got = records("revisjoner", {}, edition_build)
    assert [(r["id"], r["year"], r["oldStatusLabel"], r["oldValue"], r["newStatusLabel"], r["newValue"]) for r in got] == [
        ("KLI-01", "2024", "Tall kommer", "", "Målt", "198000"),
        ("OKO-01", "2023", "Målt", "13.9", "Målt", "14"),
        ("SAM-05", "2023", "Tall kommer", "", "Målt", "10.9"),
    ]
    assert {(r["oldEditionLabel"], r["newEditionLabel"]) for r in got} == {("Årsrapport 2024", "Årsrapport 2025 (syntetisk)")}


def test_earlier_editions_stay_queryable(edition_build):
    from sdggraph.store import local as store

    rows = store.select(f"""PREFIX sg: <{SG}>
        SELECT ?old ?value ?edition WHERE {{
            ?old a sg:SupersededFigure ; sg:supersededBy <{KOMMUNE}observation/OKO-01-2022> ;
                 sg:value ?value ; sg:publishedIn ?edition }}""", build_dir=edition_build)[1]
    assert [[t.value for t in row] for row in rows] == [
        [f"{KOMMUNE}observation/OKO-01-2022--ar2024", "14.8", f"{KOMMUNE}edition/ar2024"]]


def test_indicator_page_shows_the_new_year_and_the_edition(edition_build):
    from fastapi.testclient import TestClient

    from sdggraph.server.app import create_app
    from sdggraph.server.settings import Settings

    with TestClient(create_app(Settings(build_dir=edition_build, workers=1))) as client:
        page = client.get("/kommune/3203/indicator/OKO-01", headers={"Accept": "text/html"}).text
        assert "Tidsserie 2021–2025" in page and ">2025</td>" in page
        assert "Årsrapport 2025 (syntetisk)" in page and "Årsrapport 2024: 13,9 %" in page
        retired = client.get("/kommune/3203/indicator/INN-09", headers={"Accept": "text/html"}).text
        assert "Tidsserie 2021–2024" in retired and "mangler" not in retired
        new = client.get("/kommune/3203/indicator/OKO-05", headers={"Accept": "text/html"}).text
        assert "Tidsserie 2022–2025" in new


def test_coverage_report_takes_the_latest_year_from_the_data(edition_build):
    from sdggraph.report.coverage import coverage_report

    report = coverage_report(build_dir=edition_build)
    assert report["meta"]["latest_year"] == "2025"
    assert report["meta"]["years"] == ["2021", "2022", "2023", "2024", "2025"]
    assert report["meta"]["latest_edition"] == "Årsrapport 2025 (syntetisk)"
    without = {r["indicator_id"]: r for r in report["sections"]["indicators_without_latest"]}
    assert "INN-09" not in without  # retired: no 2025 figure expected
    assert {r["year"] for r in without.values()} == {"2025"}
    assert without["SAM-05"]["status"] == "not_yet_published"


def test_exports_have_the_new_year(edition_build):
    from sdggraph.export import run_export

    rows = csv.DictReader(io.StringIO(run_export("observations", edition_build).data.decode("utf-8")))
    table = [r for r in rows if r["satsingsomrade"]]  # the indicator rows (the comparison cells follow)
    assert len(table) == 400 + 99 + 4  # 2025 for the 99 continuing indicators, 2022–2025 for the new one
    row = next(r for r in table if (r["indicator_id"], r["year"]) == ("OKO-01", "2023"))
    assert (row["value"], row["edition"]) == ("14.0", "Årsrapport 2025 (syntetisk)")
    assert {r["year"] for r in table if r["indicator_id"] == "INN-09"} == {"2021", "2022", "2023", "2024"}

    cube = Graph().parse(data=run_export("datacube", edition_build).data, format="turtle")
    assert Literal("2025", datatype=XSD.gYear) in set(cube.objects(None, URIRef(SG + "year")))
    titles = {str(t) for t in cube.objects(None, URIRef("http://purl.org/dc/terms/title"))}
    assert "Asker kommunes indikatorer for bærekraftsmålene 2021–2025: tall" in titles

    files = run_export("opensdg", edition_build).files
    oko01 = next(data for name, data in files.items() if name.startswith("data/") and b"14.3" in data and b"18.0" in data)
    assert b"2025,14.3" in oko01 and b"2023,14.0" in oko01
    assert "Årsrapport 2025 (syntetisk)" in files["README.md"].decode("utf-8")


# ---- the rule, said once ------------------------------------------------------------------------

def test_the_shape_and_the_violation_query_find_the_same(tmp_path):
    """On the shape's non-conforming fixture both find the same (indicator, year) pairs."""
    from sdggraph.check.validate import SHAPE, validate_graph

    data = Graph().parse(ROOT / "tests/fixtures/shapes/IndicatorObservedInEveryReportingYear.nonconforming.ttl")
    shape = validate_graph(data).by_shape(SHAPE + "IndicatorObservedInEveryReportingYear")
    by_shape = {(r.focus_node, r.value.strip('"').split('"')[0]) for r in shape}
    query = named_queries.get("observation-missing-for-reporting-year-violation").sparql
    by_query = {(str(row.indicator), str(row.missingYear)) for row in data.query(query)}
    assert by_query == by_shape == {(f"{KOMMUNE}indicator/TST-01", "2023"), (f"{KOMMUNE}indicator/TST-02", "2023"),
                                    (f"{KOMMUNE}indicator/TST-03", "2022")}


# ---- what the analyst gets wrong ----------------------------------------------------------------

def test_a_row_names_an_edition_that_is_not_declared(tmp_path):
    from sdggraph.compile.sources import load_sources

    data = overlay(tmp_path)
    path = data / "indicators/90-edition-2025.observations.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",ar2025\n", ",ar2026\n", 1), encoding="utf-8")
    with pytest.raises(InputFileError) as error:
        load_sources(data)
    assert "edition 'ar2026' is not declared" in str(error.value) and "90-edition-2025.observations.csv" in str(error.value)
    assert ":2" in str(error.value)  # the line


def test_a_new_year_without_its_edition_is_refused(tmp_path):
    from sdggraph.compile.sources import load_sources

    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    path = data / "indicators/07-okonomi.observations.csv"
    path.write_text(path.read_text(encoding="utf-8") + 'OKO-01,2025,15.0,measured,"15,0 %",ar2024-okonomi,,ar2024\n',
                    encoding="utf-8")
    with pytest.raises(InputFileError) as error:
        load_sources(data)
    assert "year 2025 is not a reporting year of edition ar2024" in str(error.value)


def test_an_empty_edition_is_refused_once_there_are_two(tmp_path):
    from sdggraph.compile.sources import load_sources

    data = overlay(tmp_path)
    path = data / "indicators/90-edition-2025.observations.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",ar2025\n", ",\n", 1), encoding="utf-8")
    with pytest.raises(InputFileError) as error:
        load_sources(data)
    assert "column 'edition' is empty and data/ declares 2 editions (ar2024, ar2025)" in str(error.value)
