"""The SPARQL 1.1 Protocol at /sparql: operations, result formats, content negotiation, errors,
datasets, updates with the operator's token, service description, VoID, caps, logging, and a
real client (SPARQLWrapper) against `sdggraph serve`."""

from __future__ import annotations

import csv
import io
import json
import logging
import shutil
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pyoxigraph
import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, VOID

from sdggraph import config
from sdggraph.server.app import create_app
from sdggraph.server.settings import Settings

SG = "https://w3id.org/sdggraph/ontology#"
RESULTS = "{http://www.w3.org/2005/sparql-results#}"
SD = "http://www.w3.org/ns/sparql-service-description#"
AREAS = f"PREFIX sg: <{SG}> SELECT ?area WHERE {{ ?area a sg:FocusArea }} ORDER BY ?area"
AREA_CODES = ["BYS", "HEL", "INN", "KLI", "MED", "OKO", "SAM", "UTD"]  # the report's eight satsingsområder
TOKEN = "operator-secret-token-0123456789"


def area_iris():
    return [config.resource("focus-area", code) for code in AREA_CODES]


def graph_counts(build_dir: Path) -> dict[str, int]:
    manifest = json.loads((build_dir / "manifest.json").read_text(encoding="utf-8"))
    return {entry["iri"]: entry["triples"] for entry in manifest["graphs"].values()}


@pytest.fixture(scope="module")
def client(build_dir):
    app = create_app(Settings(build_dir=build_dir, timeout=20, workers=2))
    with TestClient(app) as test_client:
        app.state.sparql.executor.wait_ready()
        yield test_client


def json_column(response, name: str) -> list[str]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    return [binding[name]["value"] for binding in response.json()["results"]["bindings"]]


# ---- operations ----

def test_get_query(client):
    assert json_column(client.get("/sparql", params={"query": AREAS}), "area") == area_iris()


def test_post_form_query(client):
    response = client.post("/sparql", data={"query": AREAS})
    assert json_column(response, "area") == area_iris()


def test_post_direct_query(client):
    response = client.post("/sparql", content=AREAS.encode(), headers={"content-type": "application/sparql-query"})
    assert json_column(response, "area") == area_iris()


def test_post_direct_query_with_utf8_charset(client):
    response = client.post("/sparql", content=AREAS.encode(),
                           headers={"content-type": "application/sparql-query; charset=UTF-8"})
    assert json_column(response, "area") == area_iris()


# ---- result formats ----

def parse_select(response) -> list[str]:
    """The first column of a SELECT answer, whatever its format."""
    media_type = response.headers["content-type"].split(";")[0]
    if media_type == "application/sparql-results+json":
        data = response.json()
        return [binding[data["head"]["vars"][0]]["value"] for binding in data["results"]["bindings"]]
    if media_type == "application/sparql-results+xml":
        root = ElementTree.fromstring(response.content)
        return [result.find(f"{RESULTS}binding/{RESULTS}uri").text for result in root.iter(f"{RESULTS}result")]
    if media_type == "text/csv":
        rows = list(csv.reader(io.StringIO(response.text)))
        assert rows[0] == ["area"]
        return [row[0] for row in rows[1:]]
    if media_type == "text/tab-separated-values":
        lines = response.text.splitlines()
        assert lines[0] == "?area"
        return [line.strip("<>") for line in lines[1:]]
    raise AssertionError(f"unexpected content type {media_type}")


@pytest.mark.parametrize("accept, media_type", [
    ("application/sparql-results+json", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
])
def test_select_in_every_format(client, accept, media_type):
    response = client.get("/sparql", params={"query": AREAS}, headers={"accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert parse_select(response) == area_iris()


@pytest.mark.parametrize("fmt, media_type", [("json", "application/sparql-results+json"),
                                             ("xml", "application/sparql-results+xml"),
                                             ("csv", "text/csv"), ("tsv", "text/tab-separated-values")])
def test_format_parameter_for_select(client, fmt, media_type):
    response = client.get("/sparql", params={"query": AREAS, "format": fmt}, headers={"accept": "text/turtle"})
    assert response.headers["content-type"].split(";")[0] == media_type
    assert parse_select(response) == area_iris()


def test_literals_keep_language_and_datatype(client):
    query = (f"PREFIX sg: <{SG}> SELECT ?label ?n WHERE {{ <{config.resource('focus-area', 'HEL')}> "
             "<http://www.w3.org/2004/02/skos/core#prefLabel> ?label FILTER(lang(?label) = 'nb') BIND(8 AS ?n) }")
    binding = client.get("/sparql", params={"query": query}).json()["results"]["bindings"][0]
    assert binding["label"] == {"type": "literal", "value": "God helse", "xml:lang": "nb"}
    assert binding["n"]["datatype"] == "http://www.w3.org/2001/XMLSchema#integer"
    xml = client.get("/sparql", params={"query": query, "format": "xml"}).text
    assert '<literal xml:lang="nb">God helse</literal>' in xml
    tsv = client.get("/sparql", params={"query": query, "format": "tsv"}).text.splitlines()
    assert tsv[1] == '"God helse"@nb\t8'


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_ask_in_every_format(client, fmt):
    for query, expected in ((f"ASK {{ ?s a <{SG}FocusArea> }}", "true"), (f"ASK {{ ?s a <{SG}Nothing> }}", "false")):
        response = client.get("/sparql", params={"query": query, "format": fmt})
        assert response.status_code == 200
        if fmt == "json":
            assert response.json()["boolean"] is (expected == "true")
        elif fmt == "xml":
            assert ElementTree.fromstring(response.content).find(f"{RESULTS}boolean").text == expected
        else:
            assert response.text.split()[-1] == expected


CONSTRUCT = (f"CONSTRUCT {{ ?area a <{SG}FocusArea> ; <http://www.w3.org/2004/02/skos/core#prefLabel> ?label }} "
             f"WHERE {{ ?area a <{SG}FocusArea> ; <http://www.w3.org/2004/02/skos/core#prefLabel> ?label }}")


@pytest.mark.parametrize("accept, media_type, rdflib_format", [
    ("text/turtle", "text/turtle", "turtle"),
    ("application/n-triples", "application/n-triples", "nt"),
    ("application/ld+json", "application/ld+json", "json-ld"),
    ("application/rdf+xml", "application/rdf+xml", "xml"),
])
def test_construct_in_every_format(client, accept, media_type, rdflib_format):
    response = client.get("/sparql", params={"query": CONSTRUCT}, headers={"accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    graph = Graph().parse(data=response.content, format=rdflib_format)
    assert sorted(str(s) for s in graph.subjects(RDF.type, URIRef(SG + "FocusArea"))) == area_iris()
    assert Literal("God helse", lang="nb") in set(graph.objects())
    assert len(graph) == 8 + 16  # a type and two labels (nb, en) per area


@pytest.mark.parametrize("fmt, rdflib_format", [("turtle", "turtle"), ("ntriples", "nt"), ("jsonld", "json-ld"),
                                                ("rdfxml", "xml"), ("json", "json-ld"), ("xml", "xml")])
def test_format_parameter_for_construct(client, fmt, rdflib_format):
    response = client.get("/sparql", params={"query": CONSTRUCT, "format": fmt})
    assert response.status_code == 200
    assert len(Graph().parse(data=response.content, format=rdflib_format)) == 24


def test_describe(client):
    hel = config.resource("focus-area", "HEL")
    response = client.get("/sparql", params={"query": f"DESCRIBE <{hel}>"})
    assert response.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=response.text, format="turtle")
    assert (URIRef(hel), RDF.type, URIRef(SG + "FocusArea")) in graph


# ---- content negotiation ----

@pytest.mark.parametrize("accept, expected", [
    ("application/sparql-results+xml;q=0.5, text/csv;q=0.9", "text/csv"),
    ("text/csv;q=0, */*;q=0.1", "application/sparql-results+json"),
    ("text/*", "text/csv"),
    ("application/json", "application/sparql-results+json"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/sparql-results+xml"),
    ("", "application/sparql-results+json"),
])
def test_accept_with_q_values_for_select(client, accept, expected):
    response = client.get("/sparql", params={"query": AREAS}, headers={"accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == expected
    assert "Accept" in response.headers["vary"]


@pytest.mark.parametrize("accept, expected", [
    ("application/ld+json;q=0.8, text/turtle;q=0.2", "application/ld+json"),
    ("application/rdf+xml, text/turtle;q=0.9", "application/rdf+xml"),
    ("text/plain", "application/n-triples"),
    ("*/*", "text/turtle"),
])
def test_accept_with_q_values_for_construct(client, accept, expected):
    response = client.get("/sparql", params={"query": CONSTRUCT}, headers={"accept": accept})
    assert response.headers["content-type"].split(";")[0] == expected


@pytest.mark.parametrize("query, params, accept", [
    (AREAS, {}, "image/png"),
    (AREAS, {}, "text/turtle"),
    (AREAS, {"format": "turtle"}, None),
    (CONSTRUCT, {"format": "csv"}, None),
    (CONSTRUCT, {}, "application/sparql-results+json, text/csv"),
])
def test_not_acceptable(client, query, params, accept):
    headers = {"accept": accept} if accept else {}
    response = client.get("/sparql", params={"query": query, **params}, headers=headers)
    assert response.status_code == 406
    assert "can be given as" in response.text


def test_unknown_format_parameter(client):
    response = client.get("/sparql", params={"query": AREAS, "format": "yaml"})
    assert response.status_code == 400
    assert "unknown format" in response.text


def test_format_parameter_as_sparqlwrapper_sends_it(client):
    # SPARQLWrapper repeats format= with a short name and the media type
    response = client.get("/sparql", params=[("query", AREAS), ("format", "tsv"),
                                             ("format", "text/tab-separated-values"), ("output", "tsv")])
    assert response.headers["content-type"].startswith("text/tab-separated-values")


# ---- errors ----

def test_malformed_query_gives_the_parsers_message(client):
    response = client.get("/sparql", params={"query": "SELECT ?x WHERE { ?x ?y }"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    # short and readable: line and column, a few expected tokens, the line with a caret; no Unicode ranges
    assert response.text.startswith("SPARQL syntax error at line 1, column ")
    assert "SELECT ?x WHERE { ?x ?y }\n" in response.text and "^" in response.text
    assert "\\u{" not in response.text and "..=" not in response.text and len(response.text) < 400


def test_syntax_error_on_a_later_line_names_that_line(client):
    query = 'PREFIX sg: <https://w3id.org/sdggraph/ontology#>\nSELECT ?x WHERE {\n  ?x a sg:Indicator\n  FILTER(LANG(?x) = "nb"\n}'
    response = client.post("/sparql", data={"query": query})
    assert response.status_code == 400
    first, excerpt, caret = response.text.rstrip("\n").split("\n")
    assert first.startswith("SPARQL syntax error at line 5, column 1: expected one of ") and '")"' in first
    assert excerpt == "  }" and caret == "  ^"


def test_unterminated_string_is_a_syntax_error(client):
    response = client.get("/sparql", params={"query": 'SELECT * { ?s ?p "open }'})
    assert response.status_code == 400
    assert "unterminated string" in response.text


def test_two_query_parameters(client):
    response = client.get("/sparql", params=[("query", "ASK {}"), ("query", "ASK {}")])
    assert response.status_code == 400
    assert "2 'query' parameters" in response.text


def test_query_in_url_and_body(client):
    response = client.post("/sparql", params={"query": "ASK {}"}, content=b"ASK {}",
                           headers={"content-type": "application/sparql-query"})
    assert response.status_code == 400


@pytest.mark.parametrize("content_type, status", [
    ("text/plain", 415), (None, 415), ("application/sparql-query; charset=UTF-16", 415),
    ("application/json", 415),
])
def test_wrong_content_type(client, content_type, status):
    headers = {"content-type": content_type} if content_type else {}
    response = client.post("/sparql", content=b"ASK {}", headers=headers)
    assert response.status_code == status
    assert "application/sparql-query" in response.text or "UTF-8" in response.text


def test_body_that_is_not_utf8(client):
    response = client.post("/sparql", content="ASK { FILTER('æ') }".encode("latin-1"),
                           headers={"content-type": "application/sparql-query"})
    assert response.status_code == 400
    assert "UTF-8" in response.text


def test_other_methods_are_not_allowed(client):
    assert client.put("/sparql", params={"query": "ASK {}"}).status_code == 405


def test_update_sent_as_query_is_refused(client):
    update = f"INSERT DATA {{ GRAPH <{config.GRAPH_ASSERTED}> {{ <urn:x> <urn:p> 1 }} }}"
    for response in (client.get("/sparql", params={"query": update}),
                     client.post("/sparql", data={"query": update})):
        assert response.status_code == 400
        assert "SPARQL Update, not a query" in response.text
    response = client.get("/sparql", params={"update": update})
    assert response.status_code == 400
    assert "POST" in response.text


def test_update_refused_without_a_token_configured(client):
    update = f"INSERT DATA {{ GRAPH <{config.GRAPH_ASSERTED}> {{ <urn:x> <urn:p> 1 }} }}"
    for response in (client.post("/sparql", data={"update": update}),
                     client.post("/sparql", content=update.encode(), headers={
                         "content-type": "application/sparql-update", "authorization": f"Bearer {TOKEN}"})):
        assert response.status_code == 403
        assert "read-only" in response.text
    assert client.get("/sparql", params={"query": "ASK { <urn:x> <urn:p> 1 }"}).json()["boolean"] is False


# ---- datasets ----

def test_default_graph_is_the_union(client):
    inferred_only = f"ASK {{ ?indicator <{SG}contributesToFnGoal> ?goal }}"
    assert client.get("/sparql", params={"query": inferred_only}).json()["boolean"] is True
    assert client.get("/sparql", params={"query": f"ASK {{ ?i a <{SG}Indicator> }}"}).json()["boolean"] is True


def test_default_graph_uri_is_honoured(client):
    inferred_only = f"ASK {{ ?indicator <{SG}contributesToFnGoal> ?goal }}"

    def ask(graph):
        return client.get("/sparql", params={"query": inferred_only, "default-graph-uri": graph}).json()["boolean"]

    assert ask(config.GRAPH_ASSERTED) is False
    assert ask(config.GRAPH_INFERRED) is True
    response = client.post("/sparql", params=[("default-graph-uri", config.GRAPH_ASSERTED),
                                               ("default-graph-uri", config.GRAPH_REFERENCE)],
                           content=inferred_only.encode(), headers={"content-type": "application/sparql-query"})
    assert response.json()["boolean"] is False


def test_named_graph_uri_is_honoured(client):
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"
    assert json_column(client.get("/sparql", params={"query": query}), "g") == sorted(config.GRAPH_NAMES.values())
    response = client.get("/sparql", params={"query": query, "named-graph-uri": config.GRAPH_REFERENCE})
    assert json_column(response, "g") == [config.GRAPH_REFERENCE]
    # only named graphs given: the default graph is empty
    response = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }", "named-graph-uri": config.GRAPH_REFERENCE})
    assert response.json()["boolean"] is False


def test_from_own_graph_is_honoured(client, build_dir):
    query = f"SELECT (COUNT(*) AS ?n) FROM <{config.GRAPH_ASSERTED}> WHERE {{ ?s ?p ?o }}"
    count = int(json_column(client.get("/sparql", params={"query": query}), "n")[0])
    assert count == graph_counts(build_dir)[config.GRAPH_ASSERTED]


def test_protocol_dataset_overrides_from(client):
    query = f"ASK FROM <{config.GRAPH_INFERRED}> {{ ?indicator <{SG}contributesToFnGoal> ?goal }}"
    assert client.get("/sparql", params={"query": query}).json()["boolean"] is True
    response = client.get("/sparql", params={"query": query, "default-graph-uri": config.GRAPH_ASSERTED})
    assert response.json()["boolean"] is False


@pytest.mark.parametrize("parameter", ["default-graph-uri", "named-graph-uri"])
def test_foreign_graph_parameters_are_refused(client, parameter):
    response = client.get("/sparql", params={"query": "ASK {}", parameter: "http://example.org/graph"})
    assert response.status_code == 400
    assert "is not one of this dataset's graphs" in response.text


# ---- service description and VoID ----

@pytest.mark.parametrize("accept, rdflib_format", [("text/turtle", "turtle"), ("application/ld+json", "json-ld"),
                                                   (None, "turtle")])
def test_service_description(client, build_dir, accept, rdflib_format):
    response = client.get("/sparql", headers={"accept": accept} if accept else {})
    assert response.status_code == 200
    graph = Graph().parse(data=response.content, format=rdflib_format)
    endpoint = URIRef("http://testserver/sparql")
    assert (endpoint, RDF.type, URIRef(SD + "Service")) in graph
    assert (endpoint, URIRef(SD + "endpoint"), endpoint) in graph
    assert (endpoint, URIRef(SD + "supportedLanguage"), URIRef(SD + "SPARQL11Query")) in graph
    assert (endpoint, URIRef(SD + "supportedLanguage"), URIRef(SD + "SPARQL11Update")) not in graph
    assert (endpoint, URIRef(SD + "feature"), URIRef(SD + "UnionDefaultGraph")) in graph
    formats = set(graph.objects(endpoint, URIRef(SD + "resultFormat")))
    assert URIRef("http://www.w3.org/ns/formats/SPARQL_Results_JSON") in formats and len(formats) == 8
    dataset = graph.value(endpoint, URIRef(SD + "defaultDataset"))
    assert (dataset, RDF.type, VOID.Dataset) in graph
    names = {graph.value(named, URIRef(SD + "name")) for named in graph.objects(dataset, URIRef(SD + "namedGraph"))}
    assert names == {URIRef(iri) for iri in config.GRAPH_NAMES.values()}


def test_void_description(client, build_dir):
    for accept, rdflib_format in (("text/turtle", "turtle"), ("application/ld+json", "json-ld")):
        response = client.get("/.well-known/void", headers={"accept": accept})
        assert response.status_code == 200
        graph = Graph().parse(data=response.content, format=rdflib_format)
        datasets = set(graph.subjects(VOID.subset))
        assert len(datasets) == 1
        dataset = datasets.pop()
        assert (dataset, VOID.sparqlEndpoint, URIRef("http://testserver/sparql")) in graph
        counts = graph_counts(build_dir)
        assert graph.value(dataset, VOID.triples).toPython() == sum(counts.values())
        subsets = {str(subset): graph.value(subset, VOID.triples).toPython()
                   for subset in graph.objects(dataset, VOID.subset)}
        assert subsets == counts
        assert URIRef(SG) in set(graph.objects(dataset, VOID.vocabulary))


# ---- caps ----

@pytest.fixture(scope="module")
def small_client(build_dir):
    app = create_app(Settings(build_dir=build_dir, timeout=20, workers=1, max_rows=5, max_body_bytes=2000))
    with TestClient(app) as test_client:
        yield test_client


def test_request_body_above_the_cap_is_413(small_client):
    big = "ASK {} " + "#" * 3000
    response = small_client.post("/sparql", content=big.encode(), headers={"content-type": "application/sparql-query"})
    assert response.status_code == 413
    assert "2000 bytes" in response.text
    chunked = small_client.post("/sparql", content=(chunk for chunk in [big[:1500].encode(), big[1500:].encode()]),
                                headers={"content-type": "application/sparql-query"})
    assert chunked.status_code == 413
    small = small_client.post("/sparql", content=b"ASK {}", headers={"content-type": "application/sparql-query"})
    assert small.status_code == 200


def test_a_compressed_request_body_is_415_with_what_would_do(small_client):
    import gzip

    for coding in ("gzip", "br", "x-bomb"):
        response = small_client.post("/sparql", content=gzip.compress(b"ASK {}"),
                                     headers={"content-type": "application/sparql-query", "content-encoding": coding})
        assert response.status_code == 415, response.text
        assert response.headers["accept-encoding"] == "identity"
        assert f"Content-Encoding {coding} is not accepted" in response.text
    plain = small_client.post("/sparql", content=b"ASK {}",
                              headers={"content-type": "application/sparql-query", "content-encoding": "identity"})
    assert plain.status_code == 200


def test_result_rows_above_the_cap_are_413(small_client):
    response = small_client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 6"})
    assert response.status_code == 413
    assert "more than 5 rows" in response.text
    assert small_client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 5"}).status_code == 200
    response = small_client.get("/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"})
    assert response.status_code == 413
    assert "more than 5 triples" in response.text


# ---- logging ----

def test_every_request_is_logged_with_duration_and_outcome(client, caplog):
    with caplog.at_level(logging.INFO, logger="sdggraph.server.requests"):
        client.get("/sparql", params={"query": "ASK {}"})
        client.get("/sparql", params={"query": "SELECT * { SERVICE <http://example.org/> { ?s ?p ?o } }"})
        client.get("/sparql", params={"query": "SELECT"})
    lines = [record.getMessage() for record in caplog.records if record.name == "sdggraph.server.requests"]
    assert len(lines) == 3
    assert lines[0].startswith("GET /sparql 200 ") and " ms ok client=testclient agent=" in lines[0]
    assert lines[1].startswith("GET /sparql 400 ") and " ms refused client=" in lines[1]
    assert lines[2].startswith("GET /sparql 400 ") and " ms syntax client=" in lines[2]


# ---- updates with the operator's token ----

@pytest.fixture(scope="module")
def update_client(build_dir, tmp_path_factory):
    copy = tmp_path_factory.mktemp("updatable") / "build"
    shutil.copytree(build_dir, copy)  # updates change the store they serve: never the shared build
    app = create_app(Settings(build_dir=copy, timeout=20, update_token=TOKEN))
    with TestClient(app) as test_client:
        yield test_client


def test_update_needs_the_right_token(update_client):
    update = f"INSERT DATA {{ GRAPH <{config.GRAPH_ASSERTED}> {{ <urn:x> <urn:p> 1 }} }}"
    ask = {"query": "ASK { <urn:x> <urn:p> 1 }"}
    response = update_client.post("/sparql", data={"update": update})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    response = update_client.post("/sparql", data={"update": update},
                                  headers={"authorization": "Bearer not-the-token-0123456789"})
    assert response.status_code == 403
    assert update_client.get("/sparql", params=ask).json()["boolean"] is False
    response = update_client.post("/sparql", content=update.encode(), headers={
        "content-type": "application/sparql-update", "authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert update_client.get("/sparql", params=ask).json()["boolean"] is True
    description = Graph().parse(data=update_client.get("/sparql").text, format="turtle")
    assert (None, URIRef(SD + "supportedLanguage"), URIRef(SD + "SPARQL11Update")) in description


def test_update_token_is_compared_in_constant_time(update_client, monkeypatch):
    from sdggraph.server import protocol

    calls = []
    real = protocol.hmac.compare_digest
    monkeypatch.setattr(protocol.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    update_client.post("/sparql", data={"update": "CLEAR SILENT GRAPH <urn:none>"},
                       headers={"authorization": "Bearer wrong-token-0123456789"})
    assert calls == [(b"wrong-token-0123456789", TOKEN.encode())]


def test_short_update_token_is_refused(build_dir):
    from sdggraph.errors import SdggraphError

    with pytest.raises(SdggraphError, match="at least 16"):
        Settings(build_dir=build_dir, update_token="short")


# ---- a store rebuilt while serving ----

def test_a_new_build_is_picked_up_while_serving(build_dir, tmp_path):
    served = tmp_path / "build"
    shutil.copytree(build_dir, served)
    app = create_app(Settings(build_dir=served, timeout=20, workers=1))
    with TestClient(app) as test_client:
        assert test_client.get("/sparql", params={"query": AREAS}).status_code == 200
        # what build.swap_in does: a new store directory replaces the old one. The new build differs
        # (one satsingsområde fewer), so a worker still reading the removed store would answer 8.
        shutil.copytree(served / "oxigraph", tmp_path / "new-store")
        rebuilt = pyoxigraph.Store(str(tmp_path / "new-store"))
        rebuilt.update(f"DELETE WHERE {{ GRAPH ?g {{ <{area_iris()[0]}> a ?type }} }}")
        rebuilt.flush()
        del rebuilt
        (served / "oxigraph").rename(tmp_path / "old-store")
        (tmp_path / "new-store").rename(served / "oxigraph")
        shutil.rmtree(tmp_path / "old-store")
        assert json_column(test_client.get("/sparql", params={"query": AREAS}), "area") == area_iris()[1:]


# ---- a real client against `sdggraph serve` ----

@pytest.fixture(scope="module")
def live_server(live_service):
    return live_service + "/sparql"


def test_sparqlwrapper_against_sdggraph_serve(live_server):
    from SPARQLWrapper import CSV, JSON, POST, TURTLE, XML, SPARQLWrapper

    client = SPARQLWrapper(live_server)
    client.setQuery(AREAS)
    client.setReturnFormat(JSON)
    bindings = client.query().convert()["results"]["bindings"]
    assert [binding["area"]["value"] for binding in bindings] == area_iris()

    client.setReturnFormat(XML)
    document = client.query().convert()  # an xml.dom document
    assert len(document.getElementsByTagName("result")) == 8

    client.setReturnFormat(CSV)
    assert client.query().convert().decode().splitlines()[0] == "area"

    client.setMethod(POST)
    client.setQuery(CONSTRUCT)
    client.setReturnFormat(TURTLE)
    graph = Graph().parse(data=client.query().convert(), format="turtle")
    assert len(graph) == 24

    client.setReturnFormat(XML)  # SPARQLWrapper asks for RDF/XML and parses it into an rdflib Graph
    assert len(client.query().convert()) == 24

    client.setQuery(f"ASK {{ ?s a <{SG}FocusArea> }}")
    client.setReturnFormat(JSON)
    assert client.query().convert()["boolean"] is True


def test_sparqlwrapper_sees_the_refusals(live_server):
    from SPARQLWrapper import JSON, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

    client = SPARQLWrapper(live_server)
    client.setReturnFormat(JSON)
    client.setQuery("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    with pytest.raises(QueryBadFormed, match="SERVICE is not allowed"):
        client.query()
    client.setQuery("SELECT * WHERE { ?s ?p }")
    with pytest.raises(QueryBadFormed, match="syntax error"):
        client.query()


def test_serve_without_a_build_exits_2(tmp_path, capsys):
    from sdggraph.cli import main

    assert main(["serve", "--build-dir", str(tmp_path / "nothing")]) == 2
    assert "run `sdggraph build` first" in capsys.readouterr().err


def test_unbounded_result_is_given_up_early(small_client):
    response = small_client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o . ?a ?b ?c }"})
    assert response.status_code == 413
    assert "larger than 10240 bytes" in response.text  # 5 rows x 2 KB: the writer stopped there


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { ?s ?p ?o } LIMIT 300",
    "SELECT * WHERE { }",
    "SELECT * WHERE { FILTER(false) }",
    'SELECT ?a ?b WHERE { VALUES (?a ?b) { ("},{\\"\\n<result>" 1) ("a,\\"b\\"\\r\\nc" UNDEF) (UNDEF UNDEF) '
    "(<<( <urn:a> <urn:b> <urn:c> )>> 2) } }",
])
def test_row_count_of_pyoxigraphs_output(build_dir, query):
    """The row cap counts rows in pyoxigraph's output; strings that look like separators must not count."""
    import pyoxigraph

    from sdggraph.server.executor import RESULT_FORMATS, count_rows

    store = pyoxigraph.Store.read_only(str(build_dir / "oxigraph"))
    rows = len(list(store.query(query, use_default_graph_as_union=True)))
    for name, fmt in RESULT_FORMATS.items():
        body = store.query(query, use_default_graph_as_union=True).serialize(format=fmt)
        assert count_rows(body, name) == rows, name


def test_a_cors_preflight_is_answered_so_browsers_elsewhere_may_post_queries(build_dir):
    from fastapi.testclient import TestClient

    from sdggraph.server.app import create_app
    from sdggraph.server.settings import Settings

    with TestClient(create_app(Settings(build_dir=build_dir, workers=1))) as client:
        preflight = client.options("/sparql", headers={"Origin": "https://example.org",
                                                       "Access-Control-Request-Method": "POST",
                                                       "Access-Control-Request-Headers": "content-type"})
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == "*"
        assert "POST" in preflight.headers["access-control-allow-methods"]
        assert "content-type" in preflight.headers["access-control-allow-headers"].lower()
        refused = client.put("/sparql", content=b"x")
        assert refused.status_code == 405 and "OPTIONS" in refused.headers["allow"]
