"""`sdggraph push`: the built graph uploaded to real triple stores (Oxigraph's server, Virtuoso)
through staging graphs and one swap request, checked by querying the servers directly; the
request-level details (authentication, a failure before the swap) on an in-memory fake store."""

from __future__ import annotations

import base64
import socket

import httpx
import pyoxigraph
import pytest
from fake_store import FakeStore
from rdflib import Graph
from rdflib.compare import isomorphic

from sdggraph import cli
from sdggraph.errors import SdggraphError
from sdggraph.layout import LAYERS, graph_iri
from sdggraph.store import marker
from sdggraph.store.local import open_store
from sdggraph.store.local import query as local_query
from sdggraph.store.push import PushFailed, push

# Our graphs only: Virtuoso keeps system graphs of its own beside them.
OURS = 'FILTER (STRSTARTS(STR(?g), "https://w3id.org/sdggraph/") || STRSTARTS(STR(?g), "https://example.org/"))'
PER_GRAPH = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } %s } GROUP BY ?g" % OURS
SECRET = "pa55-w0rd-never-printed"


def server_select(server, sparql) -> list[dict]:
    """Query the server directly (plain HTTP, not sdggraph.store.remote): JSON bindings as dicts of values."""
    response = httpx.post(server.query_url, data={"query": sparql},
                          headers={"Accept": "application/sparql-results+json"}, timeout=30)
    response.raise_for_status()
    return [{name: cell["value"] for name, cell in row.items()} for row in response.json()["results"]["bindings"]]


def server_counts(server, with_marker: bool = False) -> dict[str, int]:
    counts = {row["g"]: int(row["n"]) for row in server_select(server, PER_GRAPH)}
    if not with_marker:
        counts.pop(marker.marker_graph(), None)
    return counts


def server_default_count(server) -> int:
    return int(server_select(server, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"])


def server_marks(server) -> dict[str, str]:
    rows = server_select(server, f"SELECT ?g ?b WHERE {{ GRAPH <{marker.marker_graph()}> {{ ?g <{marker.PUSH}build> ?b }} }}")
    return {row["g"]: row["b"] for row in rows}


def clear(server) -> None:
    """Drop our graphs (not DROP ALL: Virtuoso's system graphs must stay)."""
    graphs = [row["g"] for row in server_select(server, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } %s }" % OURS)]
    operations = [f"DROP SILENT GRAPH <{graph}>" for graph in graphs]
    if server.engine == "oxigraph":
        operations.append("CLEAR SILENT DEFAULT")  # (Virtuoso's default graph is the union of all)
    if not operations:
        return
    update = " ; ".join(operations)
    httpx.post(server.update_url, data={"update": update}, auth=server.auth, timeout=60).raise_for_status()


def local_counts(build_dir) -> dict[str, int]:
    return {solution["g"].value: int(solution["n"].value) for solution in local_query(PER_GRAPH, build_dir)}


@pytest.fixture
def server(oxigraph_server):
    clear(oxigraph_server)
    return oxigraph_server


@pytest.fixture
def store(triple_store):
    """Each real engine in turn, emptied of our graphs."""
    clear(triple_store)
    return triple_store


def test_push_gives_the_server_every_layer_with_the_local_triple_counts(store, build_dir):
    report = push(store.store_url, auth=store.credentials, build_dir=build_dir)
    expected = local_counts(build_dir)
    assert set(expected) == {graph_iri(layer) for layer in LAYERS}
    assert server_counts(store) == expected  # and no staging graph is left
    assert [(item.graph, item.triples) for item in report.pushed] == [(graph_iri(layer), expected[graph_iri(layer)])
                                                                      for layer in LAYERS]
    assert all(item.status == 201 for item in report.pushed)  # each staging graph is new
    build = marker.build_hash_of(build_dir)
    assert server_marks(store) == {graph_iri(layer): build for layer in LAYERS}
    assert report.engine == store.engine and report.atomic is (store.engine == "oxigraph")


def test_each_pushed_graph_is_the_local_layer(server, build_dir):
    push(server.store_url, build_dir=build_dir)
    for layer in LAYERS:
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
        assert isomorphic(remote, local), layer  # blank nodes (thresholds) included


def test_push_replaces_rather_than_adds(store, build_dir):
    stale = "<https://example.org/stale> <https://example.org/p> \"gone after push\" ."
    httpx.put(store.store_url, params={"graph": graph_iri("asserted")}, content=stale, auth=store.auth,
              headers={"Content-Type": "application/n-triples"}).raise_for_status()
    push(store.store_url, auth=store.credentials, build_dir=build_dir)
    push(store.store_url, auth=store.credentials, build_dir=build_dir)
    assert server_counts(store) == local_counts(build_dir)
    assert not server_select(store, "SELECT * WHERE { GRAPH ?g { <https://example.org/stale> ?p ?o } }")
    assert len(server_marks(store)) == 3


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

ATOMICITY = {"oxigraph": "The swap was one transaction", "virtuoso": "not one transaction"}


def test_cli_push_exit_0_and_reports_graph_triples_status_progress_and_atomicity(store, build_dir, capsys):
    auth = ["--auth", store.credentials] if store.credentials else []
    assert cli.main(["push", "--endpoint", store.store_url, *auth, "--build-dir", str(build_dir)]) == 0
    captured = capsys.readouterr()
    out, err = captured.out, captured.err
    for number, layer in enumerate(LAYERS, 1):
        count = local_counts(build_dir)[graph_iri(layer)]
        line = next(line for line in out.splitlines() if f"<{graph_iri(layer)}>" in line)
        assert f"{count} triples" in line and "HTTP 201" in line
        assert f"[{number}/3] {layer}: {count} triples staged" in err  # progress per layer, on stderr
    assert ATOMICITY[store.engine] in out
    assert "swapping in with one SPARQL Update request" in err
    assert server_counts(store) == local_counts(build_dir)


def test_cli_push_exit_2_when_the_endpoint_refuses(server, build_dir, capsys):
    # Oxigraph's SPARQL query endpoint does not take PUT: the server's own message is shown
    assert cli.main(["push", "--endpoint", server.query_url, "--update-endpoint", server.update_url,
                     "--query-endpoint", server.query_url, "--build-dir", str(build_dir)]) == 2
    err = capsys.readouterr().err
    assert server.query_url in err and "HTTP 4" in err and "not supported" in err
    assert "before the swap" in err and "still holds the previous layers" in err
    assert server_counts(server, with_marker=True) == {}


def test_an_unknown_graph_store_path_needs_the_update_endpoint(build_dir, capsys):
    assert cli.main(["push", "--endpoint", "http://127.0.0.1:9/rdf-graphs/service", "--build-dir", str(build_dir)]) == 2
    assert "--update-endpoint" in capsys.readouterr().err


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


# --- authentication (an in-memory store behind the transport: Oxigraph has no auth) ----------

STORE = "https://store.example.org/store"


def test_basic_auth_is_sent_on_every_request(build_dir):
    expected = "Basic " + base64.b64encode(f"asker:{SECRET}".encode()).decode()
    fake = FakeStore(require=expected)
    push(STORE, auth=f"asker:{SECRET}", auth_scheme="basic", build_dir=build_dir, transport=fake.transport())
    assert all(request.headers["authorization"] == expected for request in fake.requests)
    puts = [request for request in fake.requests if request.method == "PUT"]
    assert [request.url.params["graph"].rsplit("/", 1)[-1] for request in puts] == list(LAYERS)  # staging graphs
    assert all("/graph/staging/" in request.url.params["graph"] for request in puts)
    assert all(request.headers["content-type"] == "application/n-triples" for request in puts)
    assert {str(request.url).split("?")[0] for request in fake.requests} == \
        {STORE, "https://store.example.org/update", "https://store.example.org/query"}
    assert {graph for graph in fake.graphs() if graph != marker.marker_graph()} == {graph_iri(layer) for layer in LAYERS}


def test_auto_auth_answers_a_basic_challenge_and_keeps_the_scheme(build_dir):
    expected = "Basic " + base64.b64encode(f"asker:{SECRET}".encode()).decode()

    class Challenging(FakeStore):
        challenges = 0

        def handle(self, request):
            if "authorization" not in request.headers:
                self.challenges += 1
                return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="store"'})
            return super().handle(request)
    fake = Challenging(require=expected)
    push(STORE, auth=f"asker:{SECRET}", build_dir=build_dir, transport=fake.transport())
    assert fake.challenges == 1  # only the first request went without credentials
    assert len(fake.graphs()) == 4


def test_bearer_token_is_sent_and_never_in_the_report_or_errors(build_dir):
    fake = FakeStore(require=f"Bearer {SECRET}")
    report = push(STORE, token=SECRET, build_dir=build_dir, transport=fake.transport())
    assert all(request.headers["authorization"] == f"Bearer {SECRET}" for request in fake.requests)
    assert SECRET not in "\n".join(report.lines())
    with pytest.raises(SdggraphError) as raised:
        push(STORE, token="wrong", build_dir=build_dir, transport=FakeStore(require=f"Bearer {SECRET}").transport())
    assert "HTTP 401" in str(raised.value) and "denied for this user" in str(raised.value)
    assert SECRET not in str(raised.value) and "before the swap" in str(raised.value)


def test_credentials_in_the_url_are_redacted(build_dir):
    report = push(f"https://asker:{SECRET}@store.example.org/store", build_dir=build_dir,
                  transport=FakeStore().transport())
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


# --- Virtuoso's digest authentication ------------------------------------------------------------

def test_virtuoso_push_detects_digest_auth_from_the_challenge(virtuoso_server, build_dir, capsys):
    clear(virtuoso_server)
    assert cli.main(["push", "--endpoint", virtuoso_server.store_url, "--auth", virtuoso_server.credentials,
                     "--build-dir", str(build_dir)]) == 0
    assert server_counts(virtuoso_server) == local_counts(build_dir)
    assert virtuoso_server.password not in capsys.readouterr().out


@pytest.mark.parametrize("options", [["--auth", "dba:wrong-password"], ["--auth", "dba:dba", "--auth-scheme", "basic"]],
                         ids=["wrong password", "basic where digest is asked"])
def test_virtuoso_refuses_and_the_store_keeps_its_layers(virtuoso_server, build_dir, capsys, options):
    clear(virtuoso_server)
    push(virtuoso_server.store_url, auth=virtuoso_server.credentials, build_dir=build_dir)
    before = server_counts(virtuoso_server, with_marker=True)
    assert cli.main(["push", "--endpoint", virtuoso_server.store_url, *options, "--build-dir", str(build_dir)]) == 2
    err = capsys.readouterr().err
    assert "HTTP 401" in err and "before the swap" in err and "still holds the previous layers" in err
    assert "wrong-password" not in err
    assert server_counts(virtuoso_server, with_marker=True) == before


# --- is one update request one transaction? (what push's output and the README say) ---------

def test_one_update_request_is_one_transaction_on_oxigraph_but_not_on_virtuoso(store):
    """A request whose last operation fails: Oxigraph rolls the whole request back, Virtuoso keeps
    the operations before the failing one. push's atomicity statement rests on this."""
    graph = "https://example.org/graph/transaction-probe"
    request = (f'INSERT DATA {{ GRAPH <{graph}> {{ <https://example.org/s> <https://example.org/p> "applied" }} }} ; '
               f"DROP GRAPH <https://example.org/graph/does-not-exist>")  # no SILENT: fails on both engines
    response = httpx.post(store.update_url, data={"update": request}, auth=store.auth, timeout=60)
    assert response.status_code >= 400
    applied = bool(server_select(store, f"SELECT * WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"))
    from sdggraph.store.push import TRANSACTIONAL
    assert applied is (not TRANSACTIONAL[store.engine][0])
    assert applied is (store.engine == "virtuoso")


# --- failures before the swap (fake store: the n-th request fails) ----------------------------

def previous_state(fake: FakeStore) -> dict[str, int]:
    return {graph: count for graph, count in fake.graphs().items() if "/staging/" not in graph}


@pytest.mark.parametrize("failing", [2, 3, 5], ids=["first PUT", "second PUT", "count check"])
def test_a_failure_before_the_swap_leaves_the_previous_layers_and_no_staging(build_dir, failing):
    fake = FakeStore()
    push(STORE, build_dir=build_dir, transport=fake.transport())  # the previous push
    before = fake.graphs()
    fake.requests.clear()
    fake.fail = {failing: 500}
    with pytest.raises(PushFailed) as raised:
        push(STORE, build_dir=build_dir, transport=fake.transport())
    message = str(raised.value)
    assert "push failed before the swap" in message and "still holds the previous layers" in message
    assert "the staging graphs were removed" in message and "injected failure" in message
    assert fake.graphs() == before  # nothing of the new push, no staging graph


def test_a_refused_swap_on_a_transactional_store_says_the_previous_layers_remain(build_dir):
    fake = FakeStore(server="Oxigraph/0.5")
    fake.fail = {8: 500}  # marker read, 3 PUTs, 3 counts, then the swap
    with pytest.raises(PushFailed) as raised:
        push(STORE, build_dir=build_dir, transport=fake.transport())
    assert "swap" in fake.requests[7].content.decode().replace("+", " ") or b"MOVE" in fake.requests[7].content
    assert "push failed during the swap" in str(raised.value)
    assert "still holds the previous layers" in str(raised.value)
    assert fake.graphs() == {}


# --- timeouts ---------------------------------------------------------------------------------

def test_a_store_that_accepts_but_never_answers_fails_within_the_timeout(build_dir, capsys):
    import time

    with socket.socket() as listener:  # accepts connections, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        url = f"http://127.0.0.1:{port}/store"
        started = time.monotonic()
        assert cli.main(["push", "--endpoint", url, "--timeout", "1.5", "--build-dir", str(build_dir)]) == 2
        elapsed = time.monotonic() - started
    err = capsys.readouterr().err
    assert f"127.0.0.1:{port}" in err and "did not answer within 1.5 s" in err
    assert "--timeout" in err and "before the swap" in err
    assert elapsed < 30  # bounded by the timeout (and the failed clean-up's), not httpx's default


def test_timeout_must_be_positive(build_dir, capsys):
    assert cli.main(["push", "--endpoint", STORE, "--timeout", "0", "--build-dir", str(build_dir)]) == 2
    assert "--timeout" in capsys.readouterr().err


# --- remote mode refuses a mixed store --------------------------------------------------------

def set_mark(server, graph, build) -> None:
    update = (f"DELETE WHERE {{ GRAPH <{marker.marker_graph()}> {{ <{graph}> <{marker.PUSH}build> ?b }} }} ; "
              f'INSERT DATA {{ GRAPH <{marker.marker_graph()}> {{ <{graph}> <{marker.PUSH}build> "{build}" }} }}')
    httpx.post(server.update_url, data={"update": update}, auth=server.auth, timeout=60).raise_for_status()


def test_remote_check_fails_on_layers_from_different_builds(store, build_dir, capsys):
    push(store.store_url, auth=store.credentials, build_dir=build_dir)
    assert cli.main(["--sparql-endpoint", store.query_url, "check"]) == 0
    assert f"from build {marker.short(marker.build_hash_of(build_dir))}" in capsys.readouterr().err
    set_mark(store, graph_iri("inferred"), "0" * 64)  # as after a single-layer push from another build
    assert cli.main(["--sparql-endpoint", store.query_url, "check"]) == 1
    err = capsys.readouterr().err
    assert "mix of builds" in err and graph_iri("inferred") in err and "push" in err
    assert cli.main(["--sparql-endpoint", store.query_url, "query", "ASK {}"]) == 2  # answers from a mix: an error
    assert "mix of builds" in capsys.readouterr().err


def test_remote_check_fails_when_a_layer_has_no_marker(server, build_dir, capsys):
    push(server.store_url, build_dir=build_dir)
    httpx.post(server.update_url, data={"update": f"DELETE WHERE {{ GRAPH <{marker.marker_graph()}> "
                                                  f"{{ <{graph_iri('reference')}> ?p ?o }} }}"}).raise_for_status()
    assert cli.main(["--sparql-endpoint", server.query_url, "check"]) == 1
    err = capsys.readouterr().err
    assert graph_iri("reference") in err and "no push marker" in err
    assert cli.main(["--sparql-endpoint", server.query_url, "query", "ASK {}"]) == 2


def test_layers_loaded_without_push_fail_check_but_can_be_queried(server, build_dir, capsys):
    for layer in LAYERS:
        httpx.put(server.store_url, params={"graph": graph_iri(layer)}, content=(build_dir / f"{layer}.nt").read_bytes(),
                  headers={"Content-Type": "application/n-triples"}, timeout=60).raise_for_status()
    assert cli.main(["--sparql-endpoint", server.query_url, "check"]) == 1
    assert "no push marker" in capsys.readouterr().err
    assert cli.main(["--sparql-endpoint", server.query_url, "query", "ASK { ?s ?p ?o }"]) == 0
    captured = capsys.readouterr()
    assert "true" in captured.out and "nothing shows the graphs come from one build" in captured.err
