"""The build's gate keeps its check results in the build (build/validation/), and `validate` and
`check` read them while the build, the shapes and the *-violation queries are what they were."""

from __future__ import annotations

import json
import shutil

import pytest

from sdggraph.check import shacl_fast
from sdggraph.check import validate as validation
from sdggraph.cli import main
from sdggraph.compile.build import build
from sdggraph.layout import VALIDATION_DIR, shapes_dir


@pytest.fixture
def fresh_build(tmp_path):
    out = tmp_path / "build"
    build(out)
    return out


def test_the_build_keeps_the_results_of_its_checks(fresh_build):
    kept = list((fresh_build / VALIDATION_DIR).glob("*.json"))
    assert len(kept) == 1
    document = json.loads(kept[0].read_text(encoding="utf-8"))
    assert document["conforms"] and document["failed_checks"] == []
    assert document["counts"]["warning"] + document["counts"]["info"] == len(document["results"]) > 0


def test_validate_reads_them_and_they_equal_a_fresh_check(fresh_build, monkeypatch):
    kept = validation.validate(build_dir=fresh_build).to_dict()
    shutil.rmtree(fresh_build / VALIDATION_DIR)
    fresh = validation.validate(build_dir=fresh_build).to_dict()
    assert kept == fresh

    def must_not_run(*args, **kwargs):
        raise AssertionError("checked again although the results were kept")
    monkeypatch.setattr(shacl_fast, "validate", must_not_run)
    assert validation.validate(build_dir=fresh_build).to_dict() == fresh
    assert validation.validate(build_dir=fresh_build, severity="warning").counts()["info"] == 0


def test_an_edited_shape_is_checked_again(fresh_build, tmp_path, monkeypatch):
    shapes = tmp_path / "shapes"
    shutil.copytree(shapes_dir(), shapes)
    integrity = shapes / "integrity.ttl"
    integrity.write_text(integrity.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    calls = []
    real = shacl_fast.validate
    monkeypatch.setattr(shacl_fast, "validate", lambda *a, **k: calls.append(1) or real(*a, **k))
    validation.validate(build_dir=fresh_build, shapes_dir=shapes)
    assert calls == [1]
    validation.validate(build_dir=fresh_build, shapes_dir=shapes)
    assert calls == [1]  # kept under the edited shapes' key now
    assert len(list((fresh_build / VALIDATION_DIR).glob("*.json"))) == 2


def test_a_damaged_file_is_checked_again(fresh_build):
    (kept,) = (fresh_build / VALIDATION_DIR).glob("*.json")
    kept.write_text("{not json", encoding="utf-8")
    assert validation.validate(build_dir=fresh_build).passes
    assert json.loads(kept.read_text(encoding="utf-8"))["conforms"]


def test_the_turtle_report_is_made_again_from_kept_results(fresh_build, capsys):
    assert main(["validate", "--build-dir", str(fresh_build), "--format", "turtle", "--severity", "warning"]) == 0
    text = capsys.readouterr().out
    assert "sh:ValidationReport" in text and text.count("a sh:ValidationResult") == \
        validation.validate(build_dir=fresh_build).counts()["warning"]


def test_check_reads_them_too(fresh_build, capsys, monkeypatch):
    monkeypatch.setattr(shacl_fast, "validate", lambda *a, **k: pytest.fail("checked again"))
    from sdggraph.check import violations

    monkeypatch.setattr(violations, "failed_checks", lambda *a, **k: pytest.fail("queried again"))
    assert main(["check", "--build-dir", str(fresh_build)]) == 0
    assert "no SHACL violation" in capsys.readouterr().out


def test_the_gate_checked_beside_the_writing_finds_what_a_check_of_the_written_build_finds(fresh_build):
    """The build checks its triples in a child process on an in-memory store while it writes;
    the same shapes and queries on the written build (its files and on-disk store) agree."""
    beside = validation.results_of(shacl_fast.read_triples(fresh_build / "dataset.nq"))
    written = validation.built_result(fresh_build, validation.shapes_graph()).to_dict()
    assert beside == written


def test_a_violation_found_beside_the_writing_still_rejects_the_build(tmp_path, monkeypatch):
    from sdggraph.compile import build as building

    planted = {"conforms": False, "counts": {"violation": 0, "warning": 0, "info": 0}, "results": [],
               "failed_checks": [{"check": "planted-violation", "header": ["x"], "rows": [["1"]]}]}
    monkeypatch.setattr(building, "results_of", lambda triples: planted)
    with pytest.raises(building.BuildRejected, match="planted-violation"):
        build(tmp_path / "build")
    assert not (tmp_path / "build").exists()
