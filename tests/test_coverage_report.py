"""The coverage-gap report: its facts against the data files, and its formats against each other."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from decimal import Decimal

import pytest

from sdggraph.cli import main

# The report (Årsrapport 2024) names four delmål without indicators, with their reasons.
SUBGOALS_WITHOUT_INDICATORS = {
    "OKO-2": "Indikator under utvikling",
    "MED-4": "Rapporteres kvalitativt",
    "KLI-1": "Indikator under utvikling",
    "HEL-4": "Indikator under utvikling",
}


@pytest.fixture(scope="module")
def report(build_dir):
    from sdggraph.report.coverage import coverage_report

    return coverage_report(build_dir=build_dir)


@pytest.fixture(scope="module")
def observation_rows(repo_root):
    """The observations tables, read with the csv module (independently of the build)."""
    out = []
    for path in sorted((repo_root / "data" / "indicators").glob("*.observations.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            out += list(csv.DictReader(handle))
    return out


def by_id(records, key):
    return {r[key]: r for r in records}


def test_subgoals_without_indicators_and_why(report):
    records = report["sections"]["subgoals_without_indicators"]
    assert {r["subgoal_id"]: r["reason_label"] for r in records} == SUBGOALS_WITHOUT_INDICATORS
    assert all(r["subgoal_label"] and r["area_label"] for r in records)


def test_indicators_without_a_figure_for_the_latest_year(report, observation_rows):
    latest = max(row["year"] for row in observation_rows)
    assert report["meta"]["latest_year"] == latest == "2024"
    expected = {row["indicator_id"]: row["status"] for row in observation_rows
                if row["year"] == latest and row["status"] != "measured"}
    years_with_data = Counter(row["indicator_id"] for row in observation_rows if row["status"] == "measured")
    records = by_id(report["sections"]["indicators_without_latest"], "indicator_id")
    assert {ident: r["status"] for ident, r in records.items()} == expected
    labels = {"not_measured": "Ikke målt", "not_yet_published": "Tall kommer"}
    for ident, r in records.items():
        assert r["status_label"] == labels[expected[ident]]
        assert r["years_with_data"] == years_with_data[ident] == len(r["measured_years"])
    # Both kinds occur in the shipped data.
    assert {r["status"] for r in records.values()} == {"not_measured", "not_yet_published"}


def test_threshold_misses(report, repo_root, observation_rows):
    thresholds = {}
    for path in sorted((repo_root / "data" / "indicators").glob("*.indicators.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row["threshold_comparator"]:
                    thresholds[row["indicator_id"]] = (row["threshold_comparator"], Decimal(row["threshold_value"]))
    latest = {}
    for row in sorted(observation_rows, key=lambda r: r["year"]):
        if row["status"] == "measured":
            latest[row["indicator_id"]] = Decimal(row["value"])
    compare = {">": lambda a, b: a > b, ">=": lambda a, b: a >= b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b}
    expected = {ident for ident, (op, value) in thresholds.items() if ident in latest and not compare[op](latest[ident], value)}
    records = by_id(report["sections"]["threshold_misses"], "indicator_id")
    assert set(records) == expected
    for ident, r in records.items():
        assert Decimal(str(r["latest_value"])) == latest[ident]
        assert [f"value_{y}" in r for y in report["meta"]["years"]] == [True] * len(report["meta"]["years"])


def test_fn_matrix_counts_the_indicators_of_each_goal(report):
    s = report["sections"]
    per_subgoal = {r["subgoal_id"]: r["indicator_count"] for r in s["structure"]}
    assert len(per_subgoal) == report["meta"]["subgoal_count"] == 28
    assert sum(per_subgoal.values()) == report["meta"]["indicator_count"] == 100
    for cell in s["fn_matrix"]:
        if cell["level"] == "delmål":
            assert cell["indicator_count"] == per_subgoal[cell["asker_id"]]
    cells = {(r["asker_id"], r["fn_goal"]): r for r in s["fn_matrix"]}
    # A linked delmål without indicators is a visible hole (0), not a missing cell.
    assert cells[("KLI-1", "13")]["indicator_count"] == 0
    assert cells[("HEL-4", "3")]["via"] == "hovedmål"
    # Per FN goal, the indicators that contribute (sg:contributesToFnGoal) are counted once.
    goals = by_id(s["fn_goals"], "fn_goal")
    assert len(goals) == 17
    assert [g for g, r in goals.items() if r["prioritised"]] == ["3", "4", "9", "11", "13", "17"]
    for goal, record in goals.items():
        linked_subgoals = {a for (a, g), r in cells.items() if g == goal and r["level"] == "delmål"}
        assert record["indicator_count"] == sum(per_subgoal[sub] for sub in linked_subgoals)


REPORT_DISTRIBUTION = {
    ("total", "all"): 100,
    ("addressesChallenge", "klima-og-natur"): 25, ("addressesChallenge", "ungt-utenforskap"): 21,
    ("addressesChallenge", "demografiutfordringer"): 20, ("addressesChallenge", "NoSpecificChallenge"): 34,
    ("resultChainStep", "1-Input"): 11, ("resultChainStep", "2-Process"): 5, ("resultChainStep", "3-Output"): 23,
    ("resultChainStep", "4-Outcome"): 43, ("resultChainStep", "5-Impact"): 18,
    ("ageGroup", "ChildrenAndYoung"): 22, ("ageGroup", "Seniors67Plus"): 8, ("ageGroup", "AgeNotRelevant"): 37,
    ("dataBasis", "PublicStatistics"): 79, ("dataBasis", "OwnData"): 21,
    ("accrualPeriodicity", "ANNUAL"): 74,
    ("inFocusArea", "SAM"): 14,  # "ti av de 14 indikatorene"
}


def test_distribution_reproduces_the_report(report):
    """The issue-3 check: the classification must give the report's published figures."""
    from sdggraph.report.coverage import distribution_mismatches

    records = report["sections"]["distribution"]
    assert distribution_mismatches(records) == [], "the graph's classification differs from the report"
    # The report's published figures, written here from the report's text rather than read from the
    # data or the code's `matches` flag (an empty or reshuffled graph must fail). 100 indicators, so
    # the percentages are counts.
    graph = {(r["dimension"], r["category"]): r["graph_count"] for r in records}
    assert {key: graph.get(key) for key in REPORT_DISTRIBUTION} == REPORT_DISTRIBUTION
    dimensions = {r["dimension"] for r in records}
    assert {"total", "addressesChallenge", "resultChainStep", "ageGroup", "dataBasis", "accrualPeriodicity",
            "inFocusArea"} <= dimensions
    derived = [r for r in records if r["stated_kind"] == "derived" and r["dimension"] == "ageGroup"]
    assert [(r["category"], r["stated_percent"]) for r in derived] == [("AllOrAdults", 33)]
    for dimension in dimensions - {"inFocusArea"}:
        assert sum(r["graph_count"] for r in records if r["dimension"] == dimension) == report["meta"]["indicator_count"]


def test_report_distribution_command(build_dir, capsys):
    code = main(["report", "distribution", "--build-dir", str(build_dir)])
    out = capsys.readouterr().out
    assert "Samfunnsfloke" in out and "Steg i resultatkjeden" in out and "Aldersgruppe" in out
    assert code == 0, "the classification does not reproduce the report's distribution:\n" + out


def test_report_distribution_fails_on_a_difference(project_dir, capsys, monkeypatch):
    import sdggraph.report.coverage as coverage

    real = coverage.distribution()
    changed = [dict(r) for r in real]
    wrong = next(r for r in changed if r["dimension"] == "resultChainStep")
    wrong.update(graph_count=wrong["graph_count"] + 1, matches=False)
    monkeypatch.setattr(coverage, "distribution", lambda build_dir=None: changed)
    assert main(["report", "distribution"]) == 1
    assert "gjengir ikke rapportens fordeling" in capsys.readouterr().err


def test_thematic_plans_and_service_areas(report):
    plans = report["sections"]["thematic_plans"]
    areas = report["sections"]["service_areas"]
    assert len(plans) == 17 and len(areas) == 6
    assert all(p["service_areas"] and p["committees"] for p in plans)
    assert all(p["linked"] == bool(p["subgoals"]) for p in plans)
    per_subgoal = {r["subgoal_id"]: r["indicator_count"] for r in report["sections"]["structure"]}
    for p in plans:
        assert p["indicator_count"] == sum(per_subgoal[s] for s in p["subgoals"])
    plan_ids = {p["plan_id"] for p in plans}
    assert all(set(a["plans"]) <= plan_ids for a in areas)
    assert sum(a["plan_count"] for a in areas) == sum(len(p["service_areas"]) for p in plans)


def flatten(value) -> str:
    if value is None:
        return ""
    if value is True or value is False:
        return str(value).lower()
    if isinstance(value, list):
        return "; ".join(flatten(v) for v in value)
    return str(value)


def test_asker_beside_comparable_municipalities(report):
    """Issue 13: every comparison cell, in table order; the HTML has a small multiple per measure and the table."""
    from sdggraph.report.render import render

    cells = report["sections"]["comparison"]
    assert len(cells) == 504 + 186
    velferd = [c for c in cells if c["measure_id"] == "VEL-03"]
    assert [(c["area_code"], c["year"], c["value"]) for c in velferd][:2] == [("3203", "2023", 1302), ("3203", "2024", 1415)]
    assert {c["service_area_label"] for c in velferd} == {"Velferd"}
    akershus = next(c for c in cells if (c["measure_id"], c["area_code"], c["year"]) == ("BEF-12", "32", "2022"))
    assert akershus["value"] is None and akershus["status"] == "NotAvailable"
    html = render(report, "html")
    assert 'id="sammenligning"' in html and "Asker og sammenlignbare kommuner" in html
    assert html.count('<div class="card" style="min-width:250px') == 116  # one small multiple per measure


def test_json_and_csv_carry_the_same_facts(report):
    from sdggraph.report.render import render

    data = json.loads(render(report, "json"))
    table = list(csv.reader(io.StringIO(render(report, "csv"), newline="")))
    assert table[0] == ["section", "row", "field", "value"]
    from_csv = defaultdict(dict)
    for section, row, field, value in table[1:]:
        from_csv[(section, int(row))][field] = value
    from_json = {("meta", 0): {k: flatten(v) for k, v in data["meta"].items()}}
    for section, records in data["sections"].items():
        for number, record in enumerate(records, start=1):
            from_json[(section, number)] = {k: flatten(v) for k, v in record.items()}
    assert dict(from_csv) == from_json
    assert set(data["sections"]) == {"structure", "fn_goals", "fn_matrix", "fn_targets", "subgoals_without_indicators",
                                     "indicators_without_latest", "threshold_misses", "distribution",
                                     "challenge_by_area", "thematic_plans", "service_areas", "comparison"}


def test_markdown_has_every_section(report):
    from sdggraph.report.render import render

    text = render(report, "md")
    for heading in ("# Dekningsrapport", "## FN-mål og Askers hovedmål/delmål", "## Delmål uten indikatorer",
                    "## Indikatorer uten tall for 2024", "## Indikatorer under terskel",
                    "## Indikatorsettet: grafen mot rapportens fordeling", "## Temaplaner", "## Tjenesteområder",
                    "## Asker og sammenlignbare kommuner", "### KOSTRA-tall – Velferd"):
        assert heading in text
    assert "| MED-4 " in text and "Rapporteres kvalitativt" in text


def test_the_comparison_prose_takes_its_years_and_areas_from_the_records():
    from sdggraph.report.render import years_said

    def cell(code, year, provisional=False):
        return {"area_code": code, "year": year, "provisional": provisional}
    records = [cell("3203", "2024"), cell("3203", "2025", True), cell("3201", "2025", True), cell("3201", "2023")]
    assert years_said(records, asker=True) == "2024 og 2025"
    assert years_said(records) == "2023, 2024 og 2025"
    assert years_said(records, provisional=True, wrap=" ({}: foreløpige tall)") == " (2025: foreløpige tall)"
    assert years_said(records[:1], provisional=True, wrap=" ({})") == ""


def test_the_comparison_prose_says_the_reports_years(report):
    from sdggraph.report.render import render_html

    html = render_html(report)
    assert ("(Asker 2023 og 2024 ved siden av Bærum, Drammen, Lillestrøm og KOSTRA-gruppe 12; "
            "2024 er foreløpige tall)") in html


def test_report_coverage_command_writes_the_file(project_dir, tmp_path, capsys):
    out = tmp_path / "dekning.json"
    assert main(["report", "coverage", "--format", "json", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "sdggraph report:" in captured.err  # progress on stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data["sections"]["subgoals_without_indicators"]) == 4


def test_report_without_build_is_an_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SDGGRAPH_BUILD_DIR", str(tmp_path / "none"))
    monkeypatch.delenv("SDGGRAPH_SPARQL_ENDPOINT", raising=False)
    assert main(["report", "coverage", "--format", "md"]) == 2
    assert "sdggraph build" in capsys.readouterr().err


def test_http_routes(build_dir):
    from fastapi.testclient import TestClient

    from sdggraph.server.app import create_app
    from sdggraph.server.settings import Settings

    app = create_app(Settings(build_dir=build_dir, workers=1))
    with TestClient(app) as client:
        html = client.get("/report/coverage")
        assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
        assert "Delmål uten indikatorer" in html.text
        as_json = client.get("/report/coverage", params={"format": "json"})
        assert {r["subgoal_id"] for r in as_json.json()["sections"]["subgoals_without_indicators"]} == set(SUBGOALS_WITHOUT_INDICATORS)
        as_csv = client.get("/report/coverage", params={"format": "csv"})
        assert as_csv.headers["content-type"].startswith("text/csv") and as_csv.text.startswith("section,row,field,value")
        assert client.get("/report/coverage", params={"format": "pdf"}).status_code == 400
        dist = client.get("/report/distribution").json()
        assert dist["reproduces_report"] is True
        assert any(r["dimension"] == "ageGroup" for r in dist["distribution"])
