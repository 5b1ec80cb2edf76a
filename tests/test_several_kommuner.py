"""A dataset of several kommuner (manifest `kommuner`, store/dataset.DatasetInfo): a named
question about one kommune reads that kommune's graphs and the shared ones, with its parameters'
IRIs made in that kommune. The dataset is the short form of bench/national_scale.py: Asker and
two SYNTHETIC clones of it (kommunenummer 9001, 9002), made by the bench's own generator."""

from __future__ import annotations

import importlib.util

import pytest
from fastapi.testclient import TestClient

from sdggraph.query import named as named_queries
from sdggraph.server.app import create_app
from sdggraph.server.settings import Settings

KOMMUNE = "https://w3id.org/sdggraph/kommune/"
SPARQL_JSON = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def national_scale(repo_root):
    spec = importlib.util.spec_from_file_location("national_scale", repo_root / "bench" / "national_scale.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def several_dir(build_dir, national_scale, tmp_path_factory):
    out = tmp_path_factory.mktemp("several-kommuner")
    national_scale.build_synthetic(build_dir, out, kommuner=2)
    return out


@pytest.fixture(scope="module")
def several(several_dir):
    with TestClient(create_app(Settings(build_dir=several_dir, workers=1, timeout=30))) as client:
        yield client


@pytest.fixture(scope="module")
def single(build_dir):
    with TestClient(create_app(Settings(build_dir=build_dir, workers=1, timeout=30))) as client:
        yield client


def bindings(client, name: str, **params) -> list[dict]:
    answer = client.get(f"/queries/{name}", params=params, headers=SPARQL_JSON)
    assert answer.status_code == 200, answer.text
    return answer.json()["results"]["bindings"]


def test_a_question_reads_the_home_kommune_by_default_and_another_when_asked(several, single):
    alone = bindings(single, "delmal-uten-indikator")
    home = bindings(several, "delmal-uten-indikator")
    clone = bindings(several, "delmal-uten-indikator", kommune="9001")
    assert len(alone) == len(home) == len(clone) > 0  # not the sum over three kommuner
    assert all(row["subgoal"]["value"].startswith(KOMMUNE + "3203/") for row in home)
    assert all(row["subgoal"]["value"].startswith(KOMMUNE + "9001/") for row in clone)
    assert [row["id"]["value"] for row in clone] == [row["id"]["value"] for row in alone]


def test_parameter_iris_are_made_in_the_kommune_asked_about(several, single):
    alone = bindings(single, "indikatorer-for-samfunnsfloke", floke="klima-og-natur")
    clone = bindings(several, "indikatorer-for-samfunnsfloke", floke="klima-og-natur", kommune="9002")
    assert len(clone) == len(alone) > 0  # with Asker's IRI bound the clone's graphs would give none
    assert clone[0]["challenge"]["value"] == KOMMUNE + "9002/challenge/klima-og-natur"
    shown = several.get("/queries/indikatorer-for-samfunnsfloke", params={"kommune": "9002", "format": "sparql"})
    assert f"<{KOMMUNE}9002/challenge/ungt-utenforskap>" in shown.text


def test_the_query_text_of_a_question_about_a_kommune_reads_its_graphs_at_sparql(several):
    """What the editor shows names the kommune's graphs (FROM), so running it at /sparql gives the
    rows the question gave, not those of every kommune."""
    asked = bindings(several, "delmal-uten-indikator", kommune="9002")
    shown = several.get("/queries/delmal-uten-indikator", params={"kommune": "9002", "format": "sparql"}).text
    assert "FROM <https://w3id.org/sdggraph/graph/kommune/9002>" in shown
    answer = several.post("/sparql", data={"query": shown}, headers=SPARQL_JSON)
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"]["bindings"] == asked


def test_computed_defaults_come_from_the_kommune_asked_about(several, single):
    for name in ("indikatorer-uten-tall", "kostra-for-tjenesteomrade"):
        alone = bindings(single, name)
        clone = bindings(several, name, kommune="9001")
        assert len(clone) == len(alone) > 0
        assert {row.get("year", row.get("latestYear"))["value"] for row in clone} == \
               {row.get("year", row.get("latestYear"))["value"] for row in alone}


def test_a_kommune_the_dataset_does_not_hold_is_404_and_a_malformed_one_400(several, single):
    assert several.get("/queries/delmal-uten-indikator", params={"kommune": "9003"}).status_code == 404
    assert single.get("/queries/delmal-uten-indikator", params={"kommune": "9001"}).status_code == 404
    assert single.get("/queries/delmal-uten-indikator", params={"kommune": "3203"}).status_code == 200
    for bad in ("32O3", "3203 ", "../3203", ""):
        answer = several.get("/queries/delmal-uten-indikator", params={"kommune": bad})
        assert answer.status_code == 400 and "kommune" in answer.json()["error"]


def test_the_answers_of_two_kommuner_are_cached_apart(several):
    first = several.get("/queries/delmal-uten-indikator", params={"kommune": "9001"}, headers=SPARQL_JSON)
    second = several.get("/queries/delmal-uten-indikator", params={"kommune": "9002"}, headers=SPARQL_JSON)
    assert first.headers["etag"] != second.headers["etag"]
    assert "/9002/" in second.text and "/9001/" not in second.text


def test_no_question_may_declare_a_kommune_parameter(tmp_path):
    path = tmp_path / "x.rq"
    path.write_text("# question-nb: x\n# question-en: x\n"
                    "# param: kommune = 3203 -> ?k as xsd:string\nSELECT ?k WHERE {}\n", encoding="utf-8")
    with pytest.raises(named_queries.QueryFileError, match="kommune"):
        named_queries.parse_file(path)


def test_the_cli_asks_about_one_kommune_as_the_service_does(several, several_dir, capsys):
    from sdggraph.cli import main

    for kommune in (None, "9001"):
        header, rows = named_queries.run_named("indikatorer-for-samfunnsfloke", {"floke": "klima-og-natur"},
                                               several_dir, kommune)
        served = bindings(several, "indikatorer-for-samfunnsfloke", floke="klima-og-natur",
                          **({"kommune": kommune} if kommune else {}))
        assert rows == [[row[name]["value"] if name in row else "" for name in header] for row in served]
        assert rows and all(row[header.index("indicator")].startswith(KOMMUNE + (kommune or "3203") + "/")
                            for row in rows)
    assert main(["query", "--build-dir", str(several_dir), "--name", "delmal-uten-indikator",
                 "--kommune", "9002", "--format", "csv"]) == 0
    assert f"{KOMMUNE}9002/sub-goal/" in capsys.readouterr().out
    assert main(["query", "--build-dir", str(several_dir), "--name", "delmal-uten-indikator",
                 "--kommune", "9003"]) == 2
    assert "no kommune 9003" in capsys.readouterr().err
    assert main(["query", "--build-dir", str(several_dir), "--name", "delmal-uten-indikator",
                 "--kommune", "32O3"]) == 2


def test_against_a_remote_endpoint_the_kommune_is_asked_for_by_its_graphs(several_dir, oxigraph_server, monkeypatch):
    """Remote mode: the kommune's graphs go as default-graph-uri, so a store holding the whole
    dataset (here Oxigraph's server, its default graph not the union) answers for that kommune."""
    import httpx
    import pyoxigraph

    quads = pyoxigraph.Store.read_only(str(several_dir / "oxigraph")).dump(format=pyoxigraph.RdfFormat.N_QUADS)
    loaded = httpx.post(oxigraph_server.store_url, content=quads,
                        headers={"Content-Type": "application/n-quads"}, timeout=120)
    assert loaded.status_code in (200, 204), loaded.text
    local = named_queries.run_named("delmal-uten-indikator", {}, several_dir, "9002")
    monkeypatch.setenv("SDGGRAPH_SPARQL_ENDPOINT", oxigraph_server.query_url)
    remote = named_queries.run_named("delmal-uten-indikator", {}, several_dir, "9002")
    assert remote == local and local[1]
