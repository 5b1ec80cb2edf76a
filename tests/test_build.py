"""`sdggraph build`: what it writes, that it is deterministic, and how it fails."""

import json
import shutil

import pytest

from sdggraph.cli import main
from sdggraph.compile.build import build
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
    """Every file but the store, built again in another process (another hash seed, so another
    iteration order of rdflib's sets)."""
    import os
    import subprocess
    import sys

    from sdggraph.layout import DERIVED_DIR, STORE_DIR

    again = tmp_path / "again"
    env = dict(os.environ, PYTHONHASHSEED="4711")
    subprocess.run([sys.executable, "-m", "sdggraph.cli", "build", "--out", str(again)], check=True, env=env,
                   capture_output=True)

    def files(root):
        # the store is binary; derived/ is the service's cache of views, made on first request
        return sorted(p.relative_to(root) for p in root.rglob("*")
                      if p.is_file() and not {STORE_DIR, DERIVED_DIR} & set(p.relative_to(root).parts))
    assert files(build_dir) == files(again)
    assert {"inferred.ttl", "docs/ontology.html", "manifest.json", "locations.json", "dataset.nq"} <= \
        {str(p) for p in files(build_dir)}
    for name in files(build_dir):
        assert (build_dir / name).read_bytes() == (again / name).read_bytes(), name
    assert b"ns1:" not in (build_dir / "inferred.ttl").read_bytes()


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


# ---- The gate: a build never publishes a broken graph ---------------------------------------

@pytest.fixture(scope="module")
def good_build(tmp_path_factory):
    """One good build of the shipped data; each test below copies it as the 'previous build'."""
    out = tmp_path_factory.mktemp("good") / "out"
    build(out)
    return out


@pytest.fixture
def previous(good_build, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(good_build, out)
    return out


def fingerprint(out):
    return {name: (out / name).read_bytes() for name in ("manifest.json", "asserted.nt", "inferred.nt", "dataset.nq")}


def rewrite(path, old, new, count=1):
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def line_of(path, needle):
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if needle in line)


def test_unknown_subgoal_in_a_csv_row_names_file_and_line(tmp_path, data_copy, previous, capsys):
    table = data_copy / "indicators" / "04-helse.indicators.csv"
    rewrite(table, "HEL-01,HEL-1,", "HEL-01,HEL-99,")
    before = fingerprint(previous)
    assert run_build(tmp_path, data_copy) == 2
    err = capsys.readouterr().err
    assert f"04-helse.indicators.csv:{line_of(table, 'HEL-01,HEL-99,')}:" in err
    assert "HEL-99" in err and "sub-goal" in err and "HEL-1" in err  # the known delmål are listed
    assert fingerprint(previous) == before


def edit_row(table, indicator, year, **cells):
    """Change cells of one observation row (by column name, whatever columns the table has); its line."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(table.read_text(encoding="utf-8"), newline="")))
    header = rows[0]
    number = next(n for n, row in enumerate(rows) if row[:2] == [indicator, year])
    for column, value in cells.items():
        rows[number][header.index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    table.write_text(out.getvalue(), encoding="utf-8")
    return number + 1  # no row of this table spans lines


@pytest.mark.parametrize("cells, says", [
    ({"value": "0", "status": "measured", "printed": "Ikke målt"}, "contradicts the printed text 'Ikke målt'"),
    ({"value": "", "status": "not_measured", "printed": "Tall kommer"}, "contradicts the printed text 'Tall kommer'"),
    ({"value": "", "status": "not_yet_published", "printed": "18,0 %"}, "a figure is printed"),
    ({"value": "", "status": "measured", "printed": "18,0 %"}, "needs a value"),
])
def test_a_row_whose_status_contradicts_its_text_fails(tmp_path, data_copy, previous, capsys, cells, says):
    table = data_copy / "indicators" / "04-helse.observations.csv"
    number = edit_row(table, "HEL-04", "2021", **cells)
    before = fingerprint(previous)
    assert run_build(tmp_path, data_copy) == 2
    err = capsys.readouterr().err
    assert f"04-helse.observations.csv:{number}:" in err and says in err
    assert fingerprint(previous) == before


def test_a_header_only_table_fails(tmp_path, data_copy, previous, capsys):
    table = data_copy / "indicators" / "04-helse.observations.csv"
    table.write_text(table.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    assert run_build(tmp_path, data_copy) == 2
    err = capsys.readouterr().err
    assert "04-helse.observations.csv:1:" in err and "no rows" in err


def test_an_emptied_turtle_file_fails_and_the_server_keeps_serving(tmp_path, data_copy, previous, capsys):
    import subprocess
    import sys

    import httpx
    from helpers import free_port, stop, wait_until_answering

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "sdggraph.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                               "--workers", "1", "--build-dir", str(previous)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/sparql"
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?d a <https://w3id.org/sdggraph/ontology#SubGoal> }"
    try:
        wait_until_answering(server, url + "?query=ASK%7B%7D", limit_s=120)
        served = httpx.get(url, params={"query": count}, headers={"Accept": "text/csv"}, timeout=30).text
        assert int(served.splitlines()[1]) > 20
        (data_copy / "kommuneplan" / "kommuneplan.ttl").write_text("# emptied\n", encoding="utf-8")
        before = fingerprint(previous)
        assert run_build(tmp_path, data_copy) == 2
        err = capsys.readouterr().err
        assert "kommuneplan.ttl:1:" in err and "no triples" in err
        assert fingerprint(previous) == before
        answer = httpx.get(url, params={"query": count}, headers={"Accept": "text/csv"}, timeout=30)
        assert answer.status_code == 200 and answer.text == served
    finally:
        stop(server)


def test_a_csv_with_a_byte_order_mark_builds(tmp_path, data_copy):
    table = data_copy / "indicators" / "04-helse.observations.csv"
    table.write_bytes(b"\xef\xbb\xbf" + table.read_bytes())
    assert run_build(tmp_path, data_copy) == 0


def test_latin1_bytes_fail_with_line_and_hint(tmp_path, data_copy, capsys):
    table = data_copy / "indicators" / "04-helse.observations.csv"
    number = next(n for n, line in enumerate(table.read_text(encoding="utf-8").splitlines(), start=1)
                  if any("\x80" <= ch <= "\xff" for ch in line))  # the first å, ø … (one byte in Latin-1)
    # "Save as" Latin-1 in an old editor (characters Latin-1 lacks, like the en dash, become '?')
    table.write_bytes(table.read_text(encoding="utf-8").encode("latin-1", errors="replace"))
    assert run_build(tmp_path, data_copy) == 2
    err = capsys.readouterr().err
    assert f"04-helse.observations.csv:{number}:" in err and "not UTF-8" in err and "save the file as UTF-8" in err


def test_a_violation_fails_the_gate_and_keeps_the_previous_build(tmp_path, data_copy, previous, capsys):
    # A temaplan whose tjenesteområde was removed: no compile error, but a SHACL Violation and a
    # *-violation query (plan-without-service-area) that finds it.
    plans = data_copy / "thematic-plans" / "thematic-plans.ttl"
    lines = plans.read_text(encoding="utf-8").splitlines()
    number = next(n for n, line in enumerate(lines) if line.strip().startswith("sg:responsibleServiceArea "))
    subject = next(lines[n].split()[0] for n in range(number, -1, -1) if lines[n].startswith("plan:"))
    lines[number] = lines[number].replace("sg:responsibleServiceArea ", "sg:note-about-service-area ", 1)
    plans.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = fingerprint(previous)
    assert run_build(tmp_path, data_copy) == 1
    err = capsys.readouterr().err
    assert "build rejected" in err and "was left as it was" in err
    assert "Temaplanen mangler ansvarlig tjenesteområde" in err
    assert subject.split(":")[1] in err and "thematic-plans.ttl:" in err  # the resource and where it is stated
    assert "check plan-without-service-area-violation" in err
    assert fingerprint(previous) == before
    assert not list(tmp_path.glob(".out-new-*"))


def test_a_shrunk_build_needs_allow_shrink(tmp_path, data_copy, previous, capsys):
    # The previous build (as its manifest records it) held far more indicators than this one.
    manifest_path = previous / "manifest.json"
    recorded = json.loads(manifest_path.read_text(encoding="utf-8"))
    indicator = "https://w3id.org/sdggraph/ontology#Indicator"
    assert recorded["classes"][indicator] == 100
    recorded["classes"][indicator] = 150
    recorded["graphs"]["asserted"]["triples"] *= 2
    manifest_path.write_text(json.dumps(recorded), encoding="utf-8")
    before = fingerprint(previous)
    assert run_build(tmp_path, data_copy) == 1
    err = capsys.readouterr().err
    assert "sg:Indicator: 150 → 100" in err and "asserted triples" in err and "--allow-shrink" in err
    assert fingerprint(previous) == before
    assert main(["build", "--data", str(data_copy), "--out", str(previous), "--allow-shrink"]) == 0
    assert "shrink accepted" in capsys.readouterr().out
    assert json.loads(manifest_path.read_text(encoding="utf-8"))["classes"][indicator] == 100


def test_a_deleted_file_is_caught_as_a_shrink(tmp_path, data_copy, previous, capsys):
    (data_copy / "samfunnsfloker.ttl").unlink()
    assert run_build(tmp_path, data_copy) == 1
    err = capsys.readouterr().err
    assert "sg:SocietalChallenge" in err or "Violation" in err or "violation" in err


def test_validate_names_the_csv_row_of_a_result(tmp_path, data_copy, capsys):
    # An observation far out of its unit's range passes the compiler but not the shapes.
    table = data_copy / "indicators" / "04-helse.observations.csv"
    number = edit_row(table, "HEL-01", "2021", value="250.0", printed="250,0 %")
    out = tmp_path / "unchecked"
    build(out, data_dir=data_copy, check=False)
    assert main(["validate", "--build-dir", str(out), "--severity", "violation", "--format", "json"]) == 1
    [result] = json.loads(capsys.readouterr().out)["results"]
    assert result["location"] == f"{table}:{number}" or result["location"].endswith(f"04-helse.observations.csv:{number}")
    assert main(["validate", "--build-dir", str(out), "--severity", "violation"]) == 1
    assert "fil: " in capsys.readouterr().out
