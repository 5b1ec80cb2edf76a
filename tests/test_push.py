"""`sdggraph push`: the built graph uploaded to a real Oxigraph server with the Graph Store
Protocol (PUT per layer graph), checked by querying the server directly."""

from __future__ import annotations

import base64
import socket

import httpx
import pyoxigraph
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from sdggraph import cli
from sdggraph.layout import LAYERS, graph_iri
from sdggraph.errors import SdggraphError
from sdggraph.store.push import push
from sdggraph.store.local import open_store, query as local_query

PER_GRAPH = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
SECRET = "pa55-w0rd-never-printed"


def server_select(server, sparql) -> list[dict]:
    """Query the server directly (plain HTTP, not sdggraph.store.remote): JSON bindings as dicts of values."""
    response = httpx.post(server.query_url, data={"query": sparql},
                          headers={"Accept": "application/sparql-results+json"}, timeout=30)
    response.raise_for_status()
    return [{name: cell["value"] for name, cell in row.items()} for row in response.json()["results"]["bindings"]]


def server_counts(server) -> dict[str, int]:
    return {row["g"]: int(row["n"]) for row in server_select(server, PER_GRAPH)}


def server_default_count(server) -> int:
    return int(server_select(server, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"])


def clear(server) -> None:
    httpx.post(server.base + "/update", data={"update": "DROP ALL"}, timeout=30).raise_for_status()


def local_counts(build_dir) -> dict[str, int]:
    return {solution["g"].value: int(solution["n"].value) for solution in local_query(PER_GRAPH, build_dir)}


@pytest.fixture
def server(oxigraph_server):
    clear(oxigraph_server)
    return oxigraph_server


def test_push_gives_the_server_every_layer_with_the_local_triple_counts(server, build_dir):
    report = push(server.store_url, build_dir=build_dir)
    expected = local_counts(build_dir)
    assert set(expected) == {graph_iri(layer) for layer in LAYERS}
    assert server_counts(server) == expected
    assert [(item.graph, item.triples) for item in report.pushed] == [(graph_iri(layer), expected[graph_iri(layer)])
                                                                      for layer in LAYERS]
    assert all(item.status == 201 for item in report.pushed)  # new graphs on an empty store


@pytest.mark.parametrize("layer", LAYERS)
def test_each_pushed_graph_is_the_local_layer(server, build_dir, layer):
    push(server.store_url, build_dir=build_dir)
    response = httpx.get(server.store_url, params={"graph": graph_iri(layer)},
                         headers={"Accept": "application/n-triples"}, timeout=30)
    assert response.status_code == 200
    remote = Graph().parse(data=response.text, format="nt")
    # Compared with the bundled store's graph, not the .nt file: Oxigraph writes literals in
    # canonical form ("75.0"^^xsd:decimal comes back as "75") on both sides alike.
    local_quads = open_store(build_dir).quads_for_pattern(None, None, None, pyoxigraph.NamedNode(graph_iri(layer)))
    local_nt = pyoxigraph.serialize([quad.triple for quad in local_quads], format=pyoxigraph.RdfFormat.N_TRIPLES)
    local = Graph().parse(data=local_nt.decode(), format="nt")
    assert len(remote) == len(local) == len((build_dir / f"{layer}.nt").read_text().splitlines()) > 0
    assert isomorphic(remote, local)  # blank nodes (thresholds) included


def test_push_replaces_rather_than_adds(server, build_dir):
    stale = "<https://example.org/stale> <https://example.org/p> \"gone after push\" ."
    httpx.put(server.store_url, params={"graph": graph_iri("asserted")}, content=stale,
              headers={"Content-Type": "application/n-triples"}).raise_for_status()
    push(server.store_url, build_dir=build_dir)
    second = push(server.store_url, build_dir=build_dir)
    assert server_counts(server) == local_counts(build_dir)
    assert not server_select(server, "SELECT * WHERE { GRAPH ?g { <https://example.org/stale> ?p ?o } }")
    assert all(item.status == 204 for item in second.pushed)  # replaced, not created


def test_graph_set_to_a_layer_pushes_only_that_layer(server, build_dir):
    report = push(server.store_url, graph=graph_iri("inferred"), build_dir=build_dir)
    assert [item.layers for item in report.pushed] == [("inferred",)]
    assert server_counts(server) == {graph_iri("inferred"): local_counts(build_dir)[graph_iri("inferred")]}


def test_graph_set_to_another_iri_pushes_the_union_into_it(server, build_dir):
    target = "https://example.org/graph/kommune/3203"
    report = push(server.store_url, graph=target, build_dir=build_dir)
    distinct = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }"
    expected = int(next(iter(local_query(distinct, build_dir)))["n"].value)
    assert server_counts(server) == {target: expected}
    assert report.pushed[0].triples == expected and report.pushed[0].layers == LAYERS


def test_graph_default_pushes_the_union_into_the_default_graph(server, build_dir):
    push(server.store_url, graph="default", build_dir=build_dir)
    assert server_counts(server) == {}  # no named graphs
    assert server_default_count(server) == sum(local_counts(build_dir).values())


def test_a_relative_graph_iri_is_refused(server, build_dir):
    with pytest.raises(SdggraphError, match="IRI"):
        push(server.store_url, graph="not an iri", build_dir=build_dir)
    assert server_counts(server) == {}


# --- the CLI ---------------------------------------------------------------------------------

def test_cli_push_exit_0_and_reports_graph_triples_and_status(server, build_dir, capsys):
    assert cli.main(["push", "--endpoint", server.store_url, "--build-dir", str(build_dir)]) == 0
    out = capsys.readouterr().out
    for layer, count in zip(LAYERS, (local_counts(build_dir)[graph_iri(layer)] for layer in LAYERS)):
        line = next(line for line in out.splitlines() if f"<{graph_iri(layer)}>" in line)
        assert f"{count} triples" in line and "HTTP 201" in line
    assert server_counts(server) == local_counts(build_dir)


def test_cli_push_exit_2_when_the_endpoint_refuses(server, build_dir, capsys):
    # Oxigraph's SPARQL query endpoint does not take PUT: the server's own message is shown
    assert cli.main(["push", "--endpoint", server.query_url, "--build-dir", str(build_dir)]) == 2
    err = capsys.readouterr().err
    assert server.query_url in err and "HTTP 4" in err and "not supported" in err
    assert server_counts(server) == {}


def test_cli_push_exit_2_when_the_server_is_down(build_dir, capsys):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/store"
    assert cli.main(["push", "--endpoint", url, "--build-dir", str(build_dir)]) == 2
    err = capsys.readouterr().err
    assert "cannot reach" in err and url in err


def test_cli_push_exit_2_without_a_build(tmp_path, capsys):
    assert cli.main(["push", "--endpoint", "http://127.0.0.1:9/store", "--build-dir", str(tmp_path)]) == 2
    assert "sdggraph build" in capsys.readouterr().err


def test_cli_push_exit_2_for_a_non_http_endpoint(build_dir, capsys):
    assert cli.main(["push", "--endpoint", "ftp://example.org/store", "--build-dir", str(build_dir)]) == 2
    assert "http(s)" in capsys.readouterr().err


# --- authentication (a recording transport: Oxigraph has no auth) -----------------------------

class Recorder:
    def __init__(self, status=204):
        self.requests, self.status = [], status

    def transport(self):
        def handle(request):
            self.requests.append(request)
            return httpx.Response(self.status, text="denied for this user" if self.status >= 400 else "")
        return httpx.MockTransport(handle)


def test_basic_auth_is_sent_on_every_put(build_dir):
    recorder = Recorder()
    push("https://store.example.org/store", auth=f"asker:{SECRET}", build_dir=build_dir,
         transport=recorder.transport())
    expected = "Basic " + base64.b64encode(f"asker:{SECRET}".encode()).decode()
    assert [request.method for request in recorder.requests] == ["PUT"] * 3
    assert all(request.headers["authorization"] == expected for request in recorder.requests)
    assert [request.url.params["graph"] for request in recorder.requests] == [graph_iri(layer) for layer in LAYERS]
    assert all(request.headers["content-type"] == "application/n-triples" for request in recorder.requests)


def test_bearer_token_is_sent_and_never_in_the_report_or_errors(build_dir):
    recorder = Recorder()
    report = push("https://store.example.org/store", token=SECRET, build_dir=build_dir, transport=recorder.transport())
    assert all(request.headers["authorization"] == f"Bearer {SECRET}" for request in recorder.requests)
    assert SECRET not in "\n".join(report.lines())
    with pytest.raises(SdggraphError) as raised:
        push("https://store.example.org/store", token=SECRET, build_dir=build_dir,
             transport=Recorder(status=401).transport())
    assert "HTTP 401" in str(raised.value) and "denied for this user" in str(raised.value)
    assert SECRET not in str(raised.value)


def test_credentials_in_the_url_are_redacted(build_dir):
    report = push(f"https://asker:{SECRET}@store.example.org/store", build_dir=build_dir,
                  transport=Recorder().transport())
    assert SECRET not in "\n".join(report.lines()) and "store.example.org" in report.lines()[0]


def test_auth_and_token_together_are_refused(build_dir):
    with pytest.raises(SdggraphError, match="either"):
        push("https://store.example.org/store", auth="a:b", token="t", build_dir=build_dir)


def test_cli_takes_the_token_from_the_environment(monkeypatch, build_dir, capsys):
    seen = {}

    def fake_push(endpoint, **options):
        seen.update(options)
        from sdggraph.store.push import PushReport
        return PushReport(endpoint)
    monkeypatch.setattr("sdggraph.store.push.push", fake_push)
    monkeypatch.setenv("SDGGRAPH_PUSH_TOKEN", SECRET)
    assert cli.main(["push", "--endpoint", "https://store.example.org/store"]) == 0
    assert seen["token"] == SECRET and seen["auth"] is None
    assert SECRET not in capsys.readouterr().out
