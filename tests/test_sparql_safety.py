"""Safe by default: the endpoint never fetches what a query names (SERVICE, LOAD, FROM/USING of
foreign graphs), stops runaway queries without delaying other clients, and survives dead workers."""

from __future__ import annotations

import http.server
import os
import shutil
import signal
import threading
import time

import pytest
from fastapi.testclient import TestClient

from sdggraph import config
from sdggraph.server import guard
from sdggraph.server.app import create_app
from sdggraph.server.settings import Settings

TOKEN = "operator-secret-token-0123456789"
EXPENSIVE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # ~10^12 rows: never finishes
CHEAP = "ASK { ?s ?p ?o }"


class Trap:
    """A local HTTP server that records every request: a fetch by the endpoint would show up here."""

    def __init__(self):
        hits = self.hits = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the standard library's name)
                hits.append(self.path)
                self.send_response(200)
                self.send_header("content-type", "text/turtle")
                self.end_headers()
                self.wfile.write(b"<urn:a> <urn:b> <urn:c> .\n")

            do_POST = do_GET

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def trap():
    server = Trap()
    yield server
    server.close()


@pytest.fixture(scope="module")
def client(build_dir):
    app = create_app(Settings(build_dir=build_dir, timeout=3, workers=2))
    with TestClient(app) as test_client:
        app.state.sparql.executor.wait_ready()
        yield test_client


@pytest.fixture(scope="module")
def update_client(build_dir, tmp_path_factory):
    copy = tmp_path_factory.mktemp("updatable") / "build"
    shutil.copytree(build_dir, copy)
    app = create_app(Settings(build_dir=copy, timeout=10, update_token=TOKEN))
    with TestClient(app) as test_client:
        yield test_client


def refused(response, words: str) -> None:
    assert response.status_code == 400, response.text
    assert words in response.text


# ---- SERVICE ----

@pytest.mark.parametrize("template", [
    "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "select * where {{ service silent <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ BIND(<{url}> AS ?e) SeRvIcE ?e {{ ?s ?p ?o }} }}",
    "PREFIX t: <{url}> SELECT * WHERE {{ ?x ?y ?z OPTIONAL {{ SERVICE t:sparql {{ ?s ?p ?o }} }} }}",
    "SELECT * WHERE {{ ?s ?p ?o FILTER EXISTS {{ SERVICE<{url}>{{ ?s ?p ?o }} }} }}",
    "ASK {{ SERVICE <{url}> {{}} }} # a comment after it",
    'SELECT * WHERE {{ BIND("a" AS ?x) SERVICE <{url}> {{ BIND("}}" AS ?y) }} }}',
])
def test_service_is_refused_and_nothing_is_fetched(client, trap, template):
    query = template.format(url=trap.url)
    for response in (client.get("/sparql", params={"query": query}), client.post("/sparql", data={"query": query})):
        refused(response, "SERVICE is not allowed")
    assert trap.hits == []


@pytest.mark.parametrize("query", [
    'SELECT ?x WHERE { BIND("SERVICE <http://127.0.0.1:9/> { }" AS ?x) }',
    "SELECT ?x WHERE { BIND('''\nSERVICE <http://127.0.0.1:9/> {}''' AS ?x) }",
    'SELECT ?x WHERE { BIND("say \\"SERVICE\\"" AS ?x) }',
    "SELECT ?x WHERE { BIND(1 AS ?x) } # SERVICE <http://127.0.0.1:9/> { }",
    "SELECT ?x WHERE { BIND(<http://example.org/SERVICE> AS ?x) }",
    "PREFIX service: <http://example.org/> SELECT ?x WHERE { BIND(service:load AS ?x) }",
    "SELECT ?service ?load WHERE { BIND(1 AS ?service) BIND(2 AS ?load) }",
    'SELECT ?x WHERE { BIND("x"@service AS ?x) }',
])
def test_service_in_strings_comments_iris_and_names_is_harmless(client, query):
    response = client.get("/sparql", params={"query": query})
    assert response.status_code == 200, response.text


# ---- FROM / FROM NAMED and protocol graphs ----

@pytest.mark.parametrize("query", [
    "SELECT * FROM <{url}data.ttl> WHERE {{ ?s ?p ?o }}",
    "SELECT * FROM NAMED <{url}data.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "SELECT * FROM <file:///etc/passwd> WHERE {{ ?s ?p ?o }}",
    "SELECT * from named <file:///etc/hostname> WHERE {{ ?s ?p ?o }}",
    "PREFIX f: <file:///etc/> SELECT * FROM f:passwd WHERE {{ ?s ?p ?o }}",
    "SELECT * FROM <file:\\u002F\\u002F/etc/passwd> WHERE {{ ?s ?p ?o }}",
    "SELECT * FROM <passwd> WHERE {{ ?s ?p ?o }}",
    "BASE <file:///etc/> SELECT * FROM <passwd> WHERE {{ ?s ?p ?o }}",
    "CONSTRUCT {{ ?s ?p ?o }} FROM <{own}> FROM <{url}> WHERE {{ ?s ?p ?o }}",
])
def test_foreign_from_is_refused(client, trap, query):
    response = client.get("/sparql", params={"query": query.format(url=trap.url, own=config.GRAPH_ASSERTED)})
    refused(response, "is not one of this dataset's graphs")
    assert trap.hits == []


@pytest.mark.parametrize("graph", ["http://127.0.0.1:9/data.ttl", "file:///etc/passwd", "passwd"])
def test_foreign_protocol_graphs_are_refused(client, graph):
    for parameter in ("default-graph-uri", "named-graph-uri"):
        response = client.get("/sparql", params={"query": "ASK {}", parameter: graph})
        refused(response, "is not one of this dataset's graphs")


def test_own_graphs_are_allowed_in_from(client):
    query = "ASK " + " ".join(f"FROM <{iri}>" for iri in config.GRAPH_NAMES.values()) + " { ?s ?p ?o }"
    assert client.get("/sparql", params={"query": query}).json()["boolean"] is True
    query = f"PREFIX g: <{config.DEFAULT_BASE_IRI}graph/> ASK FROM NAMED g:asserted {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert client.get("/sparql", params={"query": query}).json()["boolean"] is True


# ---- LOAD and updates ----

def test_load_is_refused_everywhere(client, update_client, trap):
    load = f"LOAD <{trap.url}data.ttl> INTO GRAPH <{config.GRAPH_ASSERTED}>"
    refused(client.get("/sparql", params={"query": load}), "SPARQL Update, not a query")
    assert client.post("/sparql", data={"update": load}).status_code == 403  # read-only: no updates at all
    headers = {"authorization": f"Bearer {TOKEN}"}
    refused(update_client.post("/sparql", data={"update": load}, headers=headers), "LOAD is not allowed")
    for text in (f"load silent <{trap.url}>", "LOAD <file:///etc/passwd>",
                 f"INSERT DATA {{ <urn:a> <urn:b> 1 }} ; LOAD <{trap.url}x>"):
        refused(update_client.post("/sparql", content=text.encode(),
                                   headers={**headers, "content-type": "application/sparql-update"}),
                "LOAD is not allowed")
    assert trap.hits == []
    # the refused multi-operation update changed nothing
    assert update_client.get("/sparql", params={"query": "ASK { <urn:a> <urn:b> 1 }"}).json()["boolean"] is False


def test_update_with_service_or_foreign_using_is_refused(update_client, trap):
    headers = {"authorization": f"Bearer {TOKEN}", "content-type": "application/sparql-update"}
    service = f"INSERT {{ GRAPH <urn:g> {{ ?s ?p ?o }} }} WHERE {{ SERVICE <{trap.url}> {{ ?s ?p ?o }} }}"
    refused(update_client.post("/sparql", content=service.encode(), headers=headers), "SERVICE is not allowed")
    using = f"INSERT {{ GRAPH <urn:g> {{ ?s ?p ?o }} }} USING <{trap.url}> WHERE {{ ?s ?p ?o }}"
    refused(update_client.post("/sparql", content=using.encode(), headers=headers),
            "is not one of this dataset's graphs")
    response = update_client.post("/sparql", params={"using-graph-uri": "file:///etc/passwd"},
                                  content=b"INSERT { GRAPH <urn:g> { ?s ?p ?o } } WHERE { ?s ?p ?o }", headers=headers)
    refused(response, "is not one of this dataset's graphs")
    assert trap.hits == []


def test_using_graph_uri_is_applied_to_updates(update_client):
    headers = {"authorization": f"Bearer {TOKEN}", "content-type": "application/sparql-update"}
    update = (f"INSERT {{ GRAPH <urn:copy> {{ ?area a <urn:Area> }} }} WHERE {{ ?area a <{config.SG}FocusArea> }}")
    response = update_client.post("/sparql", params={"using-graph-uri": config.GRAPH_REFERENCE},
                                  content=update.encode(), headers=headers)
    assert response.status_code == 200, response.text
    ask = "ASK { GRAPH <urn:copy> { ?area a <urn:Area> } }"
    assert update_client.get("/sparql", params={"query": ask}).json()["boolean"] is False  # no areas in reference
    response = update_client.post("/sparql", params={"using-graph-uri": config.GRAPH_ASSERTED},
                                  content=update.encode(), headers=headers)
    assert response.status_code == 200, response.text
    assert update_client.get("/sparql", params={"query": ask}).json()["boolean"] is True


# ---- timeouts and concurrency ----

def test_timeout_stops_the_query_and_other_clients_are_served(client):
    executor = client.app.state.sparql.executor
    finished, outcome = [], {}
    lock = threading.Lock()

    def expensive():
        response = client.get("/sparql", params={"query": EXPENSIVE})
        with lock:
            finished.append("expensive")
        outcome["expensive"] = response

    runner = threading.Thread(target=expensive)
    runner.start()
    while executor.busy < 1 and runner.is_alive():  # wait until a worker holds the expensive query
        threading.Event().wait(0.01)
    cheap = client.get("/sparql", params={"query": CHEAP})
    with lock:
        finished.append("cheap")
        expensive_done_before_cheap = "expensive" in finished[:-1]
    assert cheap.status_code == 200 and cheap.json()["boolean"] is True
    assert not expensive_done_before_cheap  # the cheap query did not wait for the expensive one
    runner.join()
    response = outcome["expensive"]
    assert response.status_code == 503
    assert "ran longer than the 3 s limit and was stopped" in response.text
    assert finished == ["cheap", "expensive"]
    # the killed worker is replaced: the pool is whole again and answers
    executor.wait_ready()
    assert executor.alive == 2
    assert client.get("/sparql", params={"query": CHEAP}).status_code == 200


def test_two_expensive_queries_run_in_parallel_workers(client):
    """Both workers take one each (both cores); both are stopped, and the pool recovers."""
    executor = client.app.state.sparql.executor
    executor.wait_ready()
    responses = []
    threads = [threading.Thread(target=lambda: responses.append(client.get("/sparql", params={"query": EXPENSIVE})))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    while executor.busy < 2 and any(thread.is_alive() for thread in threads):
        threading.Event().wait(0.01)
    assert executor.busy == 2  # two queries evaluating at the same time, in two processes
    for thread in threads:
        thread.join()
    assert [response.status_code for response in responses] == [503, 503]
    executor.wait_ready()
    assert client.get("/sparql", params={"query": CHEAP}).status_code == 200


def test_a_dead_worker_is_replaced(client):
    executor = client.app.state.sparql.executor
    executor.wait_ready()
    victim = executor.worker_pids()[0]
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while victim in executor.worker_pids():  # until the kernel reports it dead
        assert time.monotonic() < deadline, "the killed worker is still listed after 30 s"
        threading.Event().wait(0.01)
    for _ in range(3):  # whichever worker is taken, every answer is right
        assert client.get("/sparql", params={"query": CHEAP}).json()["boolean"] is True
    executor.wait_ready()
    assert executor.alive == 2


# ---- the tokenizer itself ----

@pytest.mark.parametrize("text, service, load", [
    ('SELECT * { ?s ?p "SERVICE" }', False, False),
    ("SELECT * { ?s ?p '''it's\n''SERVICE''' }", False, False),
    ('SELECT * { ?s ?p """a "quoted" SERVICE""" }', False, False),
    ("SELECT * { ?s ?p 'a\\'SERVICE' }", False, False),
    ("SELECT * { ?s ?p ?o } #SERVICE\n", False, False),
    ("SELECT * { ?s ?p ?o }\n#x\nSERVICE", True, False),
    ("SELECT * { ?s <http://x/#SERVICE> ?o }", False, False),
    ("SELECT * { ?s ?p ?o FILTER(?o<3) SERVICE <http://x> {} }", True, False),
    ("SELECT * { _:load ?p ?service }", False, False),
    ("INSERT DATA { <a:b> <a:c> 'LOAD' }", False, False),
    ("CLEAR ALL; Load <http://x>", False, True),
])
def test_guard_sees_keywords_only_outside_strings_comments_and_iris(text, service, load):
    found = guard.inspect(text)
    assert (found.service, found.load) == (service, load)


def test_guard_tells_queries_from_updates():
    assert guard.inspect("PREFIX x: <urn:x> SELECT * {}").form == "SELECT"
    assert guard.inspect("BASE <urn:b> CONSTRUCT WHERE { ?s ?p ?o }").form == "CONSTRUCT"
    assert guard.inspect("PREFIX insert: <urn:x> ASK { insert:a ?p ?o }").kind == "query"
    assert guard.inspect("PREFIX x: <urn:x> DELETE WHERE { ?s x:p ?o }").kind == "update"
    assert guard.inspect("WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }").with_graphs == ["urn:g"]


def test_guard_adds_using_before_where_of_each_modify():
    text = ("CLEAR ALL ; INSERT DATA { <a:a> <a:b> 1 } ; INSERT { GRAPH <urn:g> { ?s ?p ?o } } WHERE { ?s ?p ?o } ;"
            " DELETE WHERE { ?s <a:x> ?o }")
    rewritten = guard.add_using(text, guard.inspect(text), ["urn:d"], ["urn:n"])
    assert rewritten.count("USING <urn:d> USING NAMED <urn:n> WHERE { ?s ?p ?o }") == 1
    assert rewritten.count("USING") == 2  # not in INSERT DATA, not in DELETE WHERE
