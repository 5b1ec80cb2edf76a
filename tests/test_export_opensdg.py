"""The opensdg export: Open SDG data/ and meta/ files that say what the graph says, placed the way
sdg-build 2.3.0 and the Open SDG 2.x site place them (the contract in
../shared/reference/open-sdg/README.md: goal and target from the file id, `standalone`, reporting
status, the starter's metadata_schema.yml). The build code itself cannot run here, so these tests
check the export against that contract."""

from __future__ import annotations

import csv
import fnmatch
import io
import zipfile
from collections import Counter

import jsonschema
import pytest
import yaml
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS

from sdggraph import cli
from sdggraph.export import opensdg, run_export
from sdggraph.export.common import Indicator, Observation

SG = "https://w3id.org/sdggraph/ontology#"
REQUIRED = {"indicator_number", "indicator_name", "indicator_sort_order", "reporting_status", "published",
            "data_non_statistical", "graph_type", "graph_title", "computation_units",
            "national_geographical_coverage"}
UN = "http://metadata.un.org/sdg/"


@pytest.fixture(scope="module")
def export(build_dir):
    return run_export("opensdg", build_dir)


def figures(graph: Graph, indicator) -> list[tuple[int, str]]:
    rows = []
    for obs in graph.subjects(URIRef(SG + "ofIndicator"), indicator):
        value = graph.value(obs, URIRef(SG + "value"))
        if value is not None:
            rows.append((int(str(graph.value(obs, URIRef(SG + "year")))), str(value)))
    return sorted(rows)


def is_comparison(export, name: str) -> bool:
    """Issue 13: the comparison tables' standalone indicators (their IRI is a comparison measure's)."""
    key = name.split("/", 1)[1].removeprefix("indicator_").rsplit(".", 1)[0]
    return "/comparison-measure/" in yaml.safe_load(export.files[f"meta/{key}.yml"])["asker_indicator_iri"]


def test_comparison_measures_are_standalone_and_disaggregated_by_area(export, built_graph):
    metas = {name: yaml.safe_load(content) for name, content in export.files.items()
             if name.startswith("meta/") and is_comparison(export, name)}
    assert len(metas) == len(set(built_graph.subjects(RDF.type, URIRef(SG + "ComparisonMeasure")))) == 116
    assert all(meta["standalone"] is True and meta["indicator_number"] == meta["asker_indicator_id"].replace("-", ".")
               for meta in metas.values())
    rows = list(csv.DictReader(io.StringIO(export.files["data/indicator_VEL-03.csv"].decode("utf-8"))))
    assert [(r["Year"], r["Område"], r["GeoCode"], r["Value"]) for r in rows] == [
        ("2023", "", "3203", "1302"), ("2024", "", "3203", "1415"), ("2024", "Bærum", "3201", "1621"),
        ("2024", "Lillestrøm", "3205", "2420"), ("2024", "Drammen", "3301", "1715"),
        ("2024", "KOSTRA-gruppe 12", "EKG12", "2053")]
    assert "KOSTRA-gruppe 12 2024: Tom celle" in metas["meta/STJ-15.yml"]["data_footnote"]


def test_one_data_and_one_meta_file_per_indicator(export, built_graph):
    data = sorted(name for name in export.files if name.startswith("data/") and not is_comparison(export, name))
    meta = sorted(name for name in export.files if name.startswith("meta/") and not is_comparison(export, name))
    assert len(data) == len(meta) == len(set(built_graph.subjects(RDF.type, URIRef(SG + "Indicator")))) == 100
    assert [name[len("data/indicator_"):-len(".csv")] for name in data] == [name[len("meta/"):-len(".yml")] for name in meta]
    assert "README.md" in export.files


def test_data_files_hold_the_graph_figures(export, built_graph):
    for name, content in export.files.items():
        if not name.startswith("meta/") or is_comparison(export, name):
            continue
        meta = yaml.safe_load(content)
        indicator = URIRef(meta["asker_indicator_iri"])
        key = name[len("meta/"):-len(".yml")]
        rows = list(csv.reader(io.StringIO(export.files[f"data/indicator_{key}.csv"].decode("utf-8"))))
        assert rows[0] == ["Year", "Value"]
        assert [(int(year), value) for year, value in rows[1:]] == figures(built_graph, indicator)


def test_metadata_fields(export, built_graph):
    statuses = set()
    for name, content in export.files.items():
        if not name.startswith("meta/") or is_comparison(export, name):
            continue
        meta = yaml.safe_load(content)
        assert REQUIRED <= set(meta), name
        indicator = URIRef(meta["asker_indicator_iri"])
        assert meta["indicator_name"] == str(next(v for v in built_graph.objects(indicator, SKOS.prefLabel) if v.language == "nb"))
        assert meta["national_geographical_coverage"] == "Asker kommune"
        has_figures = bool(figures(built_graph, indicator))
        assert (meta["reporting_status"] == "complete") == has_figures
        statuses.add(meta["reporting_status"])
        assert "sdg_goal" not in meta and "target_id" not in meta  # Open SDG 1.x fields: they place nothing
        unit = built_graph.value(indicator, URIRef(SG + "unit"))
        assert meta["computation_units"] == str(next(v for v in built_graph.objects(unit, SKOS.prefLabel) if v.language == "nb"))
    assert statuses <= {"complete", "inprogress", "notstarted"}


def test_reporting_status_rule():
    def record(*codes):
        observations = [Observation(URIRef(f"urn:o{i}"), 2021 + i, Literal(1) if c == "measured" else None,
                                    URIRef("urn:s"), c, "") for i, c in enumerate(codes)]
        return Indicator(URIRef("urn:i"), "X-01", (0, 0, ""), "x", "x", None, "", None, None, "", None, "", None,
                         [], None, None, None, None, None, [], [], [], [], observations)
    assert opensdg.reporting_status(record("not_measured", "measured")) == "complete"
    assert opensdg.reporting_status(record("not_measured", "not_yet_published")) == "inprogress"
    assert opensdg.reporting_status(record("not_measured", "not_measured")) == "notstarted"


def test_file_id_rule():
    graph = Graph()

    def record(ident, goals, targets):
        return Indicator(URIRef(f"urn:{ident}"), ident, (0, 0, ident), ident, ident, None, "", None, None, "", None,
                         "", None, [], None, None, None, None, None, [URIRef(UN + g) for g in goals],
                         [URIRef(UN + t) for t in targets], [], [], [])
    assert opensdg.file_id(graph, record("HEL-01", ["3", "12"], ["3.4", "12.8"])) == "3-4-HEL-01"
    assert opensdg.file_id(graph, record("KLI-01", ["13"], [])) == "13-KLI-01"
    assert opensdg.file_id(graph, record("UTD-01", ["4"], ["4.a"])) == "4-a-UTD-01"
    assert opensdg.file_id(graph, record("OKO-01", [], [])) == "OKO-01"


# ---- the receiver's contract (sdg-build 2.3.0 + Open SDG 2.x) -------------------------------------

def goal_target(key: str) -> tuple[str, str]:
    """What sdg-build and the site derive from an id: goal = first '-' part, target = first two joined by '.'."""
    parts = key.split("-")
    return parts[0], ".".join(parts[:2])


def metas(export) -> dict[str, dict]:
    return {name[len("meta/"):-len(".yml")]: yaml.safe_load(content)
            for name, content in export.files.items() if name.startswith("meta/")}


def test_every_indicator_with_an_fn_goal_is_placed_under_it(export, built_graph):
    placed = 0
    for key, meta in metas(export).items():
        assert fnmatch.fnmatch(f"data/indicator_{key}.csv", "data/*-*.csv")  # the inputs' path patterns
        assert fnmatch.fnmatch(f"meta/{key}.yml", "meta/*-*.yml")
        indicator = URIRef(meta["asker_indicator_iri"])
        goals = {str(g)[len(UN):] for g in built_graph.objects(indicator, URIRef(SG + "contributesToFnGoal"))}
        targets = {str(t)[len(UN):] for t in built_graph.objects(indicator, URIRef(SG + "contributesToFnTarget"))}
        goal, target = goal_target(key)
        assert key.endswith(meta["asker_indicator_id"])  # Asker's own id is carried in the id
        assert meta["indicator_number"] == key.replace("-", ".")
        if goals:
            assert not meta.get("standalone")
            assert goal in goals and 1 <= int(goal) <= 17
            if targets:
                assert target in targets
            else:
                assert target == f"{goal}.{meta['asker_indicator_id'].split('-')[0]}"
            assert all(f"{g} " in meta["SDG_GOAL"] for g in goals)
            assert all(t in meta.get("SDG_TARGET", "") for t in targets)
            placed += 1
        else:  # Asker's own goals (AK): a national indicator outside the 17 goals
            assert meta["standalone"] is True and key == meta["asker_indicator_id"]
    assert placed == 96


def test_reporting_stats_are_per_fn_goal(export):
    """stats/reporting.json counts statuses per goal_number, leaving standalone indicators out: every
    goal there must be one of the 17 (before: BYS, HEL, INN, … as goals)."""
    per_goal = {}
    for key, meta in metas(export).items():
        if meta.get("standalone") or meta.get("placeholder"):
            continue
        goal = goal_target(key)[0]
        per_goal.setdefault(goal, Counter())[meta["reporting_status"]] += 1
    assert per_goal and set(per_goal) <= {str(n) for n in range(1, 18)}
    assert sum(sum(c.values()) for c in per_goal.values()) == 96


def test_thresholds_are_target_lines(export, built_graph):
    lines = 0
    for meta in metas(export).values():
        indicator = URIRef(meta["asker_indicator_iri"])
        threshold = built_graph.value(indicator, URIRef(SG + "hasThreshold"))
        value = built_graph.value(threshold, URIRef(SG + "thresholdValue")) if threshold is not None else None
        if value is None:
            assert "graph_target_lines" not in meta
            continue
        [line] = meta["graph_target_lines"]
        assert line["value"] == float(value) and line["label_content"].startswith("Målverdi: ")
        lines += 1
    assert lines == 5


def starter_schema(shared_dir) -> dict:
    """The starter's metadata_schema.yml (Prose.io format) as JSON Schema the way the README says
    the check applies it: checkbox fields booleans, select fields their options, text fields strings;
    plus the reporting-status rules sdg-build adds."""
    prose = yaml.safe_load((shared_dir / "reference" / "open-sdg" / "data-starter" / "metadata_schema.yml")
                           .read_text(encoding="utf-8"))
    properties = {}
    for field in prose["prose"]["metadata"]["meta"]:
        element = field["field"]["element"]
        if element == "checkbox":
            properties[field["name"]] = {"type": "boolean"}
        elif element == "select":
            properties[field["name"]] = {"enum": [o["value"] if isinstance(o, dict) else o
                                                  for o in field["field"].get("options", [])]}
        else:
            properties[field["name"]] = {"type": "string"}
    properties["reporting_status"] = {"enum": ["complete", "inprogress", "notstarted", "notapplicable"]}
    return {"type": "object", "properties": properties, "required": ["reporting_status"],
            "allOf": [{"if": {"properties": {"reporting_status": {"const": "complete"}}},
                       "then": {"required": ["data_non_statistical"]}},
                      {"if": {"properties": {"reporting_status": {"const": "complete"},
                                             "data_non_statistical": {"const": False}},
                              "required": ["data_non_statistical"]},
                       "then": {"required": ["graph_title", "graph_type"]}}]}


def test_metadata_validates_against_the_starters_schema(shared_dir, export):
    schema = starter_schema(shared_dir)
    assert schema["properties"]["source_active_1"] == {"type": "boolean"}
    validator = jsonschema.Draft202012Validator(schema)
    errors = {key: [e.message for e in validator.iter_errors(meta)] for key, meta in metas(export).items()}
    assert {key: e for key, e in errors.items() if e} == {}
    bad = dict(next(iter(metas(export).values())), source_active_1="ja")
    assert list(validator.iter_errors(bad))  # the schema is not vacuous


def test_export_checks_its_own_contract(export):
    assert opensdg.check(export.files) == []
    broken = dict(export.files)
    key = next(name for name in broken if name.startswith("meta/3-"))
    meta = yaml.safe_load(broken[key])
    meta["source_active_1"] = "ja"
    broken[key] = yaml.safe_dump(meta).encode()
    broken["meta/HEL-99.yml"] = yaml.safe_dump(dict(meta, standalone=False)).encode()
    problems = "\n".join(opensdg.check(broken))
    assert "source_active_1" in problems and "'HEL'" in problems and "indicator_HEL-99.csv mangler" in problems


def test_zip_and_directory_output(build_dir, tmp_path, export):
    target = tmp_path / "opensdg.zip"
    assert cli.main(["export", "opensdg", "--out", str(target), "--build-dir", str(build_dir)]) == 0
    with zipfile.ZipFile(target) as archive:
        assert sorted(archive.namelist()) == sorted(export.files)
        assert archive.read("README.md") == export.files["README.md"]
    folder = tmp_path / "repo"
    assert cli.main(["export", "opensdg", "--out", str(folder), "--build-dir", str(build_dir)]) == 0
    assert (folder / "data").is_dir() and (folder / "meta").is_dir()
    assert len(list((folder / "meta").glob("*.yml"))) == 100 + 116  # indicators, comparison measures


def test_readme_says_how_to_use_it(export):
    readme = export.files["README.md"].decode("utf-8")
    assert "data/" in readme and "meta/" in readme and "Open SDG" in readme
