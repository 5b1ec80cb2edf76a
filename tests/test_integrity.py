"""`sdggraph check` and `sdggraph validate` agree on what is an error.

The integrity rules are the SHACL shapes of severity Violation and queries/*-violation.rq
together; both commands (and the build's gate) run both on the same graph. Here each kind of
error is planted in a copy of data/, built without the gate, and both commands must fail.
"""

from __future__ import annotations

import shutil

import pytest

from sdggraph.cli import main
from sdggraph.compile.build import build
from sdggraph.layout import data_dir


def planted(tmp_path, edit):
    data = tmp_path / "data"
    shutil.copytree(data_dir(), data)
    edit(data)
    out = tmp_path / "unchecked"
    build(out, data_dir=data, check=False)
    return out


def only_a_query_catches(data):
    # A delmål with both indicators and a reason for having none: delmal-without-indicator-or-reason.
    plan = data / "kommuneplan" / "kommuneplan.ttl"
    text = plan.read_text(encoding="utf-8")
    plan.write_text(text.replace("subgoal:HEL-1 a sg:SubGoal ;",
                                 "subgoal:HEL-1 a sg:SubGoal ;\n    sg:noIndicatorReason sg:IndicatorUnderDevelopment ;", 1),
                    encoding="utf-8")


def only_a_shape_catches(data):
    # A temaplan without a responsible committee: only shape:ThematicPlanHasCommittee says so.
    plans = data / "thematic-plans" / "thematic-plans.ttl"
    lines = plans.read_text(encoding="utf-8").splitlines()
    number = next(n for n, line in enumerate(lines) if line.strip().startswith("sg:responsibleCommittee "))
    lines[number] = lines[number].replace("sg:responsibleCommittee ", "sg:formerCommittee ", 1)
    plans.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("edit, says", [(only_a_query_catches, "delmal-without-indicator-or-reason-violation"),
                                        (only_a_shape_catches, "Temaplanen mangler ansvarlig hovedutvalg")])
def test_check_and_validate_fail_on_the_same_graph(tmp_path, capsys, edit, says):
    out = planted(tmp_path, edit)
    assert main(["check", "--build-dir", str(out)]) == 1
    check_err = capsys.readouterr().err
    assert main(["validate", "--build-dir", str(out), "--severity", "violation"]) == 1
    validate_out = capsys.readouterr().out
    assert says in check_err and says in validate_out


def test_check_and_validate_pass_on_the_shipped_data(build_dir, capsys):
    assert main(["check", "--build-dir", str(build_dir)]) == 0
    assert "no SHACL violation" in capsys.readouterr().out
    assert main(["validate", "--build-dir", str(build_dir), "--severity", "violation"]) == 0


def test_an_edited_file_is_checked_by_the_queries_too(build_dir, tmp_path, capsys):
    """validate with an edit runs the *-violation queries on the edited graph, not on build/."""
    edit = tmp_path / "edit.ttl"
    edit.write_text("""@prefix sg: <https://w3id.org/sdggraph/ontology#> .
@prefix subgoal: <https://w3id.org/sdggraph/kommune/3203/sub-goal/> .
subgoal:HEL-1 sg:noIndicatorReason sg:IndicatorUnderDevelopment .
""", encoding="utf-8")
    assert main(["validate", "--build-dir", str(build_dir), str(edit), "--severity", "violation", "--format", "json"]) == 1
    import json

    failed = {item["check"] for item in json.loads(capsys.readouterr().out)["failed_checks"]}
    assert failed == {"delmal-without-indicator-or-reason-violation"}
