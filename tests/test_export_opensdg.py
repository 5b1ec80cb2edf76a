"""The opensdg export: Open SDG data/ and meta/ files that say what the graph says."""

from __future__ import annotations

import csv
import io
import zipfile

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
    """Issue 13: the comparison tables' standalone indicators (meta has asker_measure_id)."""
    key = name.split("/", 1)[1].removeprefix("indicator_").rsplit(".", 1)[0]
    return "asker_measure_id" in yaml.safe_load(export.files[f"meta/{key}.yml"])


def test_comparison_measures_are_standalone_and_disaggregated_by_area(export, built_graph):
    metas = {name: yaml.safe_load(content) for name, content in export.files.items()
             if name.startswith("meta/") and is_comparison(export, name)}
    assert len(metas) == len(set(built_graph.subjects(RDF.type, URIRef(SG + "ComparisonMeasure")))) == 116
    assert all(meta["standalone"] is True and "-" in meta["indicator_number"] for meta in metas.values())
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
        goals = {str(g).rsplit("/", 1)[-1] for g in built_graph.objects(indicator, URIRef(SG + "contributesToFnGoal"))}
        assert (meta.get("sdg_goal") in goals) if goals else "sdg_goal" not in meta
        targets = {str(t).rsplit("/", 1)[-1] for t in built_graph.objects(indicator, URIRef(SG + "contributesToFnTarget"))}
        assert (meta.get("target_id") in targets) if targets else "target_id" not in meta
        assert isinstance(meta["sdg_goal"] if goals else "", str)  # '3', not 3: Open SDG reads strings
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


def test_un_key_for_an_exact_un_match():
    graph = Graph()
    un = URIRef("http://metadata.un.org/sdg/C030401")
    graph.add((un, SKOS.notation, Literal("3.4.1", datatype=URIRef("http://metadata.un.org/sdg/ontology#SDGCodeCompact"))))

    def record(ident, matches):
        return Indicator(URIRef(f"urn:{ident}"), ident, (0, 0, ident), ident, ident, None, "", None, None, "", None,
                         "", None, [], None, None, None, None, None, [], [], matches, [], [])
    first, second, own = record("HEL-01", [un]), record("HEL-02", [un]), record("HEL-03", [URIRef("https://ks.example/1")])
    keys = opensdg.keys(graph, [second, own, first])
    assert keys == {first.iri: "3-4-1", second.iri: "HEL-02", own.iri: "HEL-03"}


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
