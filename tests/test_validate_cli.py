"""`sdggraph validate`: exit codes, output formats, and checking files a user is editing."""

from __future__ import annotations

import json

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import SH, SKOS

from sdggraph.check.validate import SHAPE
from sdggraph.cli import main

BROKEN_EDIT = """\
@prefix sg: <https://w3id.org/sdggraph/ontology#> .
@prefix indicator: <https://w3id.org/sdggraph/kommune/3203/indicator/> .
@prefix obs: <https://w3id.org/sdggraph/kommune/3203/observation/> .
@prefix plan: <https://w3id.org/sdggraph/kommune/3203/thematic-plan/> .
@prefix orgunit: <https://w3id.org/sdggraph/kommune/3203/org/> .
@prefix unit: <https://w3id.org/sdggraph/kommune/3203/unit/> .
@prefix src: <https://w3id.org/sdggraph/kommune/3203/source/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix refarea: <https://w3id.org/sdggraph/ref-area/> .

# An indicator with no delmål, whose 2021 figure is a percentage of 140.
indicator:HEL-99 a sg:Indicator ;
    skos:prefLabel "Andelen som tester valideringen"@nb ;
    sg:unit unit:percent ;
    prov:wasDerivedFrom src:ar2024-helse .
obs:HEL-99-2021 a sg:IndicatorObservation ; sg:ofIndicator indicator:HEL-99 ; sg:refArea refarea:municipality-3203 ; sg:year "2021"^^xsd:gYear ;
    sg:observationStatus sg:Measured ; sg:value 140.0 ; sg:unit unit:percent ; prov:wasDerivedFrom src:ar2024-helse .
obs:HEL-99-2022 a sg:IndicatorObservation ; sg:ofIndicator indicator:HEL-99 ; sg:refArea refarea:municipality-3203 ; sg:year "2022"^^xsd:gYear ;
    sg:observationStatus sg:NotMeasured ; prov:wasDerivedFrom src:ar2024-helse .
obs:HEL-99-2023 a sg:IndicatorObservation ; sg:ofIndicator indicator:HEL-99 ; sg:refArea refarea:municipality-3203 ; sg:year "2023"^^xsd:gYear ;
    sg:observationStatus sg:NotMeasured ; prov:wasDerivedFrom src:ar2024-helse .
obs:HEL-99-2024 a sg:IndicatorObservation ; sg:ofIndicator indicator:HEL-99 ; sg:refArea refarea:municipality-3203 ; sg:year "2024"^^xsd:gYear ;
    sg:observationStatus sg:NotYetPublished ; prov:wasDerivedFrom src:ar2024-helse .

# A temaplan without tjenesteområde.
plan:testplan a sg:ThematicPlan ;
    skos:prefLabel "Temaplan for testing"@nb ;
    sg:responsibleCommittee orgunit:formannskapet ;
    sg:adoptionDate "2024-01-30"^^xsd:date ;
    prov:wasDerivedFrom src:ar2024-temaplaner .
"""


@pytest.fixture(scope="module")
def shipped(build_dir):
    """The shipped data's validation, once for the module."""
    from sdggraph.check.validate import validate

    return validate(build_dir=build_dir)


def test_shipped_data_has_no_violations(project_dir, capsys):
    assert main(["validate", "--severity", "violation"]) == 0  # ./build, as a user runs it
    out = capsys.readouterr().out
    assert out.startswith("Validering: 0 brudd")
    assert "BRUDD" not in out


def test_shipped_data_coverage_findings(shipped):
    counts = shipped.counts()
    assert shipped.conforms and counts["violation"] == 0
    by_shape = {}
    for r in shipped.results:
        by_shape.setdefault(r.source_shape[len(SHAPE):], set()).add(r.focus_node.rsplit("/", 1)[-1])
    # The report's four delmål without indicators, each with its reason (so Info, not Warning).
    assert by_shape["SubGoalWithoutIndicatorExplained"] == {"OKO-2", "MED-4", "KLI-1", "HEL-4"}
    assert "SubGoalWithoutIndicator" not in by_shape
    # Økonomi's hovedmål is marked as Asker's own (AK) in kommuneplan.fn-links.csv: an info, not a warning.
    assert by_shape["MainGoalAskerOwn"] == {"OKO"}
    assert "MainGoalWithoutFnGoal" not in by_shape
    reasons = {r.focus_node.rsplit("/", 1)[-1]: r.message for r in shipped.by_shape(SHAPE + "SubGoalWithoutIndicatorExplained")}
    assert reasons["MED-4"] == "Delmålet har ingen indikator: Rapporteres kvalitativt."
    assert reasons["OKO-2"] == "Delmålet har ingen indikator: Indikator under utvikling."


def test_text_output_groups_by_focus_node(shipped):
    from sdggraph.check.validate import format_text

    text = format_text(shipped)
    block = text.split("\nsubgoal:MED-4  «", 1)[1].split("\n\n", 1)[0]
    assert block.splitlines()[1].split() [0] == "INFO"
    assert "regel: shape:SubGoalWithoutIndicatorExplained · sti: sg:measuredBy" in block
    assert "retting: " in block
    assert text.count("\nsubgoal:MED-4  «") == 1


def test_json_and_turtle_formats(shipped):
    data = json.loads(json.dumps(shipped.to_dict()))
    assert data["conforms"] is True
    assert data["counts"] == shipped.counts()
    assert len(data["results"]) == sum(data["counts"].values())
    report = Graph().parse(data=shipped.at_least("warning").report_turtle(), format="turtle")
    severities = {report.value(r, SH.resultSeverity) for r in report.objects(None, SH.result)}
    assert severities == {SH.Warning}
    assert len(set(report.objects(None, SH.result))) == shipped.counts()["warning"]
    assert any(msg.language == "nb" for msg in report.objects(None, SH.resultMessage))


def test_broken_edit_fails_with_the_right_messages(project_dir, tmp_path, capsys):
    edit = tmp_path / "my-edit.ttl"
    edit.write_text(BROKEN_EDIT, encoding="utf-8")
    assert main(["validate", str(edit), "--severity", "violation", "--format", "json"]) == 1
    captured = capsys.readouterr()
    assert "3 brudd" in captured.err
    results = json.loads(captured.out)["results"]
    found = {(r["source_shape"][len(SHAPE):], r["focus_node"].rsplit("/", 1)[-1], r["path"]) for r in results}
    assert found == {("IndicatorMeasuresOneSubGoal", "HEL-99", "sg:measures"),
                     ("ObservationValueInUnitRange", "HEL-99-2021", "sg:value"),
                     ("ThematicPlanHasServiceArea", "testplan", "sg:responsibleServiceArea")}
    messages = {r["message"] for r in results}
    assert messages == {"Indikatoren må måle nøyaktig ett delmål.",
                        "Verdien 140.0 ligger utenfor det rimelige området for enheten «prosent» (0–100).",
                        "Temaplanen mangler ansvarlig tjenesteområde."}
    assert all(r["severity"] == "violation" and r["hint"] for r in results)


def test_syntax_error_names_file_and_line(project_dir, tmp_path, capsys):
    edit = tmp_path / "broken.ttl"
    edit.write_text("@prefix sg: <https://w3id.org/sdggraph/ontology#> .\n\n"
                    "<https://example.org/a> sg:measures <https://example.org/b>\n"
                    "<https://example.org/c> sg:measures .\n", encoding="utf-8")
    assert main(["validate", str(edit)]) == 2
    err = capsys.readouterr().err
    assert f"{edit}:4" in err or f"{edit}:3" in err
    assert "syntax" in err.lower()


def test_missing_build_is_an_error(tmp_path, capsys):
    assert main(["validate", "--build-dir", str(tmp_path / "no-build")]) == 2
    assert "sdggraph build" in capsys.readouterr().err


def test_csv_outside_data_is_an_error(project_dir, tmp_path, capsys):
    table = tmp_path / "mine.observations.csv"
    table.write_text("indicator_id,year,value,status,printed,source,note\n", encoding="utf-8")
    assert main(["validate", str(table)]) == 2
    assert "mine.observations.csv" in capsys.readouterr().err


def test_edited_data_file_replaces_its_built_version(build_dir, repo_root):
    """An edited data/ file is read as it is now, not added on top of the version in build/."""
    from sdggraph.check.validate import data_graph

    graph, needs_inference = data_graph([repo_root / "data" / "kommuneplan" / "kommuneplan.ttl"], build_dir)
    assert needs_inference
    hel = URIRef("https://w3id.org/sdggraph/kommune/3203/main-goal/HEL")
    assert len([o for s, p, o in graph if s == hel and p == SKOS.prefLabel and o.language == "nb"]) == 1
    # Compiled from data/, not read from build/: nothing of the inferred layer yet.
    assert not [o for s, p, o in graph if s == hel and p == URIRef("https://w3id.org/sdggraph/ontology#hasSubGoal")]
    assert graph.locations  # where each subject was stated, for the results


def test_the_turtle_report_is_the_same_text_on_every_run(build_dir):
    """pySHACL names its results with fresh blank nodes; the report names them by what they hold."""
    from rdflib.compare import isomorphic

    from sdggraph.check.validate import validate

    first, second = validate(build_dir=build_dir), validate(build_dir=build_dir)
    text = first.report_turtle()
    assert text == second.report_turtle()
    assert "@prefix shape: <https://w3id.org/sdggraph/shapes#>" in text
    report = Graph().parse(data=text, format="turtle")
    assert len(set(report.objects(None, SH.result))) == len(first.results)
    again = Graph().parse(data=second.report_turtle(), format="turtle")
    assert isomorphic(report, again)


def test_blank_nodes_get_names_from_what_they_hold_without_the_slow_general_path(monkeypatch):
    """A report's shape: a root blank node, results under it, and leaves that several results share
    or that hold nothing (two distinct ones must stay two)."""
    from rdflib import BNode, Literal, URIRef

    import sdggraph.compile.build as build_module

    def graph_with_fresh_labels():
        report, first, second, path, empty_a, empty_b = (BNode() for _ in range(6))
        p = URIRef("urn:p")
        return {(report, p, first), (report, p, second), (first, URIRef("urn:path"), path),
                (second, URIRef("urn:path"), path), (path, URIRef("urn:inverse"), URIRef("urn:x")),
                (first, URIRef("urn:constraint"), empty_a), (second, URIRef("urn:constraint"), empty_b),
                (first, URIRef("urn:focus"), Literal("a")), (second, URIRef("urn:focus"), Literal("b"))}

    monkeypatch.setattr(build_module, "_general_canonical", lambda graph: pytest.fail("took the general path"))
    once, twice = build_module.canonical(graph_with_fresh_labels()), build_module.canonical(graph_with_fresh_labels())
    assert once == twice and len(once) == 9
    assert len({node for triple in once for node in triple if isinstance(node, BNode)}) == 6
