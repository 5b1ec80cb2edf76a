"""Issue 3's tables: `export observations` and `export indicators`, CSV and xlsx."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from rdflib import URIRef
from rdflib.namespace import RDF, SKOS

from sdggraph import cli
from sdggraph.export import run_export
from sdggraph.export.tables import INDICATOR_COLUMNS, JOIN

SG = "https://w3id.org/sdggraph/ontology#"
OBSERVATION_HEADER = ("satsingsomrade,hovedmal,delmal,indicator_id,indicator_label,unit,threshold,year,value,status,"
                      "area_code,area")
STATUS = {URIRef(SG + "Measured"): "measured", URIRef(SG + "NotMeasured"): "not_measured",
          URIRef(SG + "NotYetPublished"): "not_yet_published"}


@pytest.fixture(scope="module")
def observations_csv(build_dir) -> bytes:
    return run_export("observations", build_dir, table_format="csv").data


def rows_of(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def graph_observations(graph) -> dict[tuple[str, int], tuple[str, str]]:
    out = {}
    for obs in graph.subjects(RDF.type, URIRef(SG + "IndicatorObservation")):
        ident = str(graph.value(graph.value(obs, URIRef(SG + "ofIndicator")), SKOS.notation))
        value = graph.value(obs, URIRef(SG + "value"))
        out[(ident, int(str(graph.value(obs, URIRef(SG + "year")))))] = (
            str(value) if value is not None else "", STATUS[graph.value(obs, URIRef(SG + "observationStatus"))])
    return out


def test_observations_csv_header_and_encoding(observations_csv):
    assert observations_csv.split(b"\r\n", 1)[0].decode("utf-8") == OBSERVATION_HEADER  # RFC 4180 CRLF
    text = observations_csv.decode("utf-8")
    assert "Samarbeid for å nå målene" in text and "Økonomi" in text


def test_observations_csv_rows_match_the_graph(observations_csv, built_graph):
    rows = [r for r in rows_of(observations_csv) if r["satsingsomrade"]]  # the indicator rows come first
    assert len(rows) == 400
    assert {(r["area_code"], r["area"]) for r in rows} == {("3203", "Asker")}
    expected = graph_observations(built_graph)
    assert {(r["indicator_id"], int(r["year"])): (r["value"], r["status"]) for r in rows} == expected
    for row in rows:
        assert row["status"] in {"measured", "not_measured", "not_yet_published"}
        assert (row["value"] != "") == (row["status"] == "measured")
        if row["value"]:
            Decimal(row["value"])  # '.' decimal separator, no thousands separator
            assert "," not in row["value"]


def test_observations_csv_carries_the_comparison_cells_with_their_area(observations_csv):
    """Issue 13: the comparison tables' cells follow the indicator rows, one per measure, area and year."""
    rows = rows_of(observations_csv)
    comparison = [r for r in rows if not r["satsingsomrade"]]
    assert rows[:400] == [r for r in rows if r["satsingsomrade"]] and len(comparison) == 504 + 186
    cell = next(r for r in comparison if (r["indicator_id"], r["area_code"], r["year"]) == ("VEL-03", "EKG12", "2024"))
    assert cell["area"] == "KOSTRA-gruppe 12" and cell["value"] == "2053" and cell["status"] == "measured"
    akershus = next(r for r in comparison if (r["indicator_id"], r["area_code"], r["year"]) == ("BEF-12", "32", "2022"))
    assert akershus["status"] == "not_available" and akershus["value"] == ""
    assert {r["status"] for r in comparison} == {"measured", "not_available", "not_printed"}


def test_observations_labels(observations_csv, built_graph):
    row = next(r for r in rows_of(observations_csv) if r["indicator_id"] == "OKO-01" and r["year"] == "2024")
    assert row["satsingsomrade"] == "Økonomi"
    assert row["threshold"] == "> 10 %"
    assert row["unit"] == "prosent"
    assert row["value"] == "14.3" and row["status"] == "measured"
    indicator = URIRef("https://w3id.org/sdggraph/kommune/3203/indicator/OKO-01")
    subgoal = built_graph.value(indicator, URIRef(SG + "measures"))
    assert row["delmal"] == str(next(v for v in built_graph.objects(subgoal, SKOS.prefLabel) if v.language == "nb"))


def test_observations_xlsx(build_dir, observations_csv):
    data = run_export("observations", build_dir, table_format="xlsx").data
    sheet = load_workbook(io.BytesIO(data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert ",".join(values[0]) == OBSERVATION_HEADER
    assert len(values) == 1 + 400 + 504 + 186  # indicator rows, then the comparison cells
    csv_rows = rows_of(observations_csv)
    for cells, row in zip(values[1:], csv_rows):
        assert cells[3] == row["indicator_id"] and cells[7] == int(row["year"])
        assert (cells[8] is None) == (row["value"] == "")
        if cells[8] is not None:
            assert isinstance(cells[8], (int, float)) and Decimal(str(cells[8])) == Decimal(row["value"])
    assert data == run_export("observations", build_dir, table_format="xlsx").data  # no clock inside


def test_indicators_table(build_dir, built_graph):
    rows = rows_of(run_export("indicators", build_dir).data)
    assert list(rows[0]) == list(INDICATOR_COLUMNS)
    assert len(rows) == 100
    by_id = {row["indicator_id"]: row for row in rows}
    hel = by_id["HEL-01"]
    assert hel["delmal_id"] == "HEL-1" and hel["unit"] == "prosent"
    assert hel["resultatkjede"] and hel["frequency"] and hel["data_source"] and hel["data_basis"]
    for row in rows:
        indicator = next(i for i in built_graph.subjects(SKOS.notation, None)
                         if (i, RDF.type, URIRef(SG + "Indicator")) in built_graph
                         and str(built_graph.value(i, SKOS.notation)) == row["indicator_id"])
        targets = {str(t).rsplit("/", 1)[-1] for t in built_graph.objects(indicator, URIRef(SG + "contributesToFnTarget"))}
        assert set(filter(None, row["fn_targets"].split(JOIN))) == targets
        exact = {str(m) for m in built_graph.objects(indicator, SKOS.exactMatch)}
        assert set(filter(None, row["exact_matches"].split(JOIN))) == exact
    assert any(JOIN in row["fn_goals"] for row in rows)  # multi-valued cells are joined


def test_cli_tables(build_dir, tmp_path):
    out = tmp_path / "obs.xlsx"
    assert cli.main(["export", "observations", "--format", "xlsx", "--out", str(out), "--build-dir", str(build_dir)]) == 0
    assert load_workbook(out).active.max_row == 1 + 400 + 690  # header, indicator rows, comparison cells
    out = tmp_path / "ind.csv"
    assert cli.main(["export", "indicators", "--format", "csv", "--out", str(out), "--build-dir", str(build_dir)]) == 0
    assert len(rows_of(out.read_bytes())) == 100
