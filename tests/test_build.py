"""`sdggraph build`: what it writes, that it is deterministic, and how it fails."""

import json
import shutil

import pytest

from sdggraph.compile.build import build
from sdggraph.cli import main
from sdggraph.config import GRAPH_NAMES
from sdggraph.layout import data_dir


def test_build_writes_every_layer_and_the_store(build_dir):
    for layer in GRAPH_NAMES:
        assert (build_dir / f"{layer}.nt").stat().st_size > 0
        assert (build_dir / f"{layer}.ttl").stat().st_size > 0
    assert (build_dir / "oxigraph").is_dir()
    manifest = json.loads((build_dir / "manifest.json").read_text())
    assert manifest["graphs"]["inferred"]["triples"] > 1000
    assert any(item["file"].endswith("un-sdg.ttl") and item["layer"] == "reference" for item in manifest["loaded"])


def test_ntriples_are_sorted(build_dir):
    lines = (build_dir / "asserted.nt").read_text(encoding="utf-8").splitlines()
    assert lines == sorted(lines)


def test_two_builds_are_byte_identical(build_dir, tmp_path):
    build(tmp_path / "again")
    for layer in GRAPH_NAMES:
        for suffix in ("nt", "ttl"):
            assert (build_dir / f"{layer}.{suffix}").read_bytes() == (tmp_path / "again" / f"{layer}.{suffix}").read_bytes()


def test_build_prints_what_it_loaded_and_inferred(tmp_path, capsys):
    assert main(["build", "--out", str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "data/indicators/04-helse.observations.csv" in out
    assert "Inference (OWL-RL" in out and "inference" in out.split("Timings:")[1]


@pytest.fixture
def data_copy(tmp_path):
    """An analyst's edited copy of data/, built with --data."""
    data = tmp_path / "data"
    shutil.copytree(data_dir(), data)
    return data


def run_build(tmp_path, data):
    return main(["build", "--data", str(data), "--out", str(tmp_path / "out")])


def test_broken_turtle_fails_with_file_and_line_and_keeps_the_previous_build(tmp_path, data_copy, monkeypatch, capsys):
    data = data_copy
    assert run_build(tmp_path, data) == 0
    before = (tmp_path / "out" / "asserted.nt").read_bytes()
    broken = data / "samfunnsfloker.ttl"
    lines = broken.read_text(encoding="utf-8").splitlines()
    lines.append("challenge:x skos:prefLabel .")  # a triple without an object
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert run_build(tmp_path, data) == 2
    err = capsys.readouterr().err
    assert f"samfunnsfloker.ttl:{len(lines)}:" in err
    assert "syntax" in err.lower()
    assert (tmp_path / "out" / "asserted.nt").read_bytes() == before
    assert not list(tmp_path.glob(".out-new-*")), "the staging directory is cleaned up"


def test_broken_csv_row_fails_with_file_and_line(tmp_path, data_copy, monkeypatch, capsys):
    data = data_copy
    table = data / "indicators" / "07-okonomi.observations.csv"
    lines = table.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("measured", "measurd", 1)
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert run_build(tmp_path, data) == 2
    err = capsys.readouterr().err
    assert "07-okonomi.observations.csv:3" in err and "measurd" in err


def test_query_prints_a_table_and_reports_syntax_errors(build_dir, capsys):
    assert main(["query", "--build-dir", str(build_dir),
                 "SELECT (COUNT(*) AS ?n) WHERE { ?i a <https://w3id.org/sdggraph/ontology#Indicator> }"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].strip() == "n" and "100" in out and "(1 row)" in out
    assert main(["query", "--build-dir", str(build_dir), "SELECT * WHERE { ?s ?p"]) == 2
    assert "syntax" in capsys.readouterr().err.lower()


def test_query_formats(build_dir, capsys):
    sparql = "SELECT ?n WHERE { <https://w3id.org/sdggraph/kommune/3203/indicator/OKO-01> <http://www.w3.org/2004/02/skos/core#notation> ?n }"
    assert main(["query", "--build-dir", str(build_dir), "--format", "json", sparql]) == 0
    assert json.loads(capsys.readouterr().out) == [{"n": "OKO-01"}]
    assert main(["query", "--build-dir", str(build_dir), "--format", "csv", sparql]) == 0
    assert capsys.readouterr().out == "n\nOKO-01\n"


def test_missing_build_is_an_error(tmp_path, capsys):
    assert main(["query", "--build-dir", str(tmp_path / "nothing"), "ASK {}"]) == 2
    assert "sdggraph build" in capsys.readouterr().err


def test_the_store_is_reopened_after_a_rebuild(tmp_path):
    from sdggraph.store.local import open_store, query

    build(tmp_path / "b")
    first = open_store(tmp_path / "b")
    assert open_store(tmp_path / "b") is first
    build(tmp_path / "b")
    assert open_store(tmp_path / "b") is not first
    assert bool(query("ASK { ?s ?p ?o }", tmp_path / "b"))
