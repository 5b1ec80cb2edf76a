"""Remote mode (--sparql-endpoint): the same questions give the same rows on real triple stores
(Oxigraph's server and Virtuoso, each started on loopback) after `sdggraph push` as on the
bundled store; bindings travel as escaped VALUES."""

from __future__ import annotations

import socket

import httpx
import pyoxigraph
import pytest
from rdflib import Literal as RdfLiteral
from rdflib import URIRef

from sdggraph import cli, config
from sdggraph.errors import SdggraphError
from sdggraph.layout import LAYERS, graph_iri
from sdggraph.store.local import select
from sdggraph.store.push import push
from sdggraph.store.remote import inject_values, remote_query, remote_select, sparql_term, string_term

XSD = "http://www.w3.org/2001/XMLSchema#"
SG = str(config.SG)
PREFIXES = f"PREFIX sg: <{SG}>\nPREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
NASTY = 'say "hi" \\ then\nnew line\r\ttab \\u0022 } } # not a comment \'single\' """'
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
FOREIGN_GRAPH = "https://example.org/graph/another-kommune"


@pytest.fixture(scope="module")
def remote(build_dir, triple_store):
    """Each triple store (Oxigraph, Virtuoso) with the build pushed, plus foreign data in another
    graph that Asker's questions must not see."""
    push(triple_store.store_url, auth=triple_store.credentials, build_dir=build_dir)
    foreign = "<https://example.org/x> a <%sIndicator> ; <%sdataSource> <https://example.org/y> ." % (SG, SG)
    response = httpx.put(triple_store.store_url, params={"graph": FOREIGN_GRAPH}, content=foreign,
                         headers={"Content-Type": "text/turtle"}, auth=triple_store.auth)
    assert response.status_code in (200, 201, 204)
    return triple_store


def canonical(rows) -> list[tuple[str, ...]]:
    """Rows as sorted tuples of N-Triples text (datatypes and languages count; blank node labels do not)."""
    def text(term):
        if term is None:
            return ""
        return "_:" if isinstance(term, pyoxigraph.BlankNode) else str(term)
    return sorted(tuple(text(term) for term in row) for row in rows)


def same_locally_and_remotely(sparql, bindings, build_dir, endpoint):
    local_header, local_rows = select(sparql, bindings, build_dir=build_dir)
    remote_header, remote_rows = select(sparql, bindings, endpoint=endpoint)
    assert remote_header == local_header
    assert canonical(remote_rows) == canonical(local_rows)
    return local_rows


# --- escaping and placement (no server needed) -----------------------------------------------

def test_string_term_escapes_quotes_backslashes_and_newlines():
    text = string_term('a"b\\c\nd\re')
    assert text == '"a\\"b\\\\c\\nd\\re"'
    assert "\n" not in text and "\r" not in text


def test_escaped_backslash_u_cannot_become_a_code_point_escape():
    # "\u0022" as text must stay text on servers that expand \u escapes before parsing
    assert string_term("\\u0022") == '"\\\\\\u00750022"'


def test_typed_and_language_literals_keep_their_datatype_and_tag():
    assert sparql_term(pyoxigraph.Literal("2024", datatype=pyoxigraph.NamedNode(XSD + "gYear"))) \
        == f'"2024"^^<{XSD}gYear>'
    assert sparql_term(pyoxigraph.Literal("hei", language="nb")) == '"hei"@nb'
    assert sparql_term(pyoxigraph.Literal("plain")) == '"plain"'
    assert sparql_term(RdfLiteral("3", datatype=URIRef(XSD + "integer"))) == f'"3"^^<{XSD}integer>'


@pytest.mark.parametrize("bad", ["http://example.org/a>b", "http://example.org/a b", 'http://x/"', "http://x/{y}",
                                 "relative/iri"])
def test_an_iri_with_illegal_characters_is_rejected(bad):
    with pytest.raises(SdggraphError, match="IRI"):
        sparql_term(URIRef(bad))


@pytest.mark.parametrize("bad", ["raw user text", 42, pyoxigraph.BlankNode("b0")])
def test_only_iris_and_literals_can_be_bound(bad):
    with pytest.raises(SdggraphError):
        inject_values("SELECT * WHERE { ?s ?p ?x }", {"x": bad})


def test_a_variable_name_cannot_carry_syntax():
    with pytest.raises(SdggraphError, match="variable"):
        inject_values("SELECT * WHERE { ?s ?p ?x }", {"x) {} #": pyoxigraph.Literal("v")})


def test_values_go_first_in_the_where_group_past_braces_in_strings_iris_and_comments():
    sparql = ('PREFIX ex: <http://example.org/ns#>  # a comment with { and }\n'
              'SELECT ?s (IF(EXISTS { ?s ?p ?o }, "{", \'}\') AS ?b) FROM <http://example.org/g#x> '
              'WHERE { ?s ex:p """}""" . }')
    injected = inject_values(sparql, {"s": pyoxigraph.NamedNode("http://example.org/s")})
    head, _, tail = injected.partition("WHERE {")
    assert head == sparql.partition("WHERE {")[0]
    assert tail.lstrip().startswith("VALUES (?s) { (<http://example.org/s>) }")
    assert tail.rstrip().endswith('?s ex:p """}""" . }')


def test_a_where_clause_that_is_a_subselect_is_wrapped():
    injected = inject_values("SELECT * WHERE { SELECT ?s WHERE { ?s ?p ?o } LIMIT 1 }",
                             {"s": pyoxigraph.NamedNode("http://example.org/s")})
    assert " ".join(injected.split()) == \
        "SELECT * WHERE { VALUES (?s) { (<http://example.org/s>) } { SELECT ?s WHERE { ?s ?p ?o } LIMIT 1 } }"


def test_virtuoso_json_results_are_read_as_the_standard_terms():
    from sdggraph.store.remote import normalise_json_results

    body = (b'{"head": {"vars": ["n", "b", "l"]}, "results": {"bindings": [{'
            b'"n": {"type": "typed-literal", "datatype": "http://www.w3.org/2001/XMLSchema#integer", "value": "8790"},'
            b'"b": {"type": "typed-literal", "datatype": "http://www.w3.org/2001/XMLSchema#boolean", "value": "1"},'
            b'"l": {"type": "literal", "xml:lang": "NB-no", "value": "\\u00E5r"}}]}}')
    row = next(iter(pyoxigraph.parse_query_results(normalise_json_results(body), pyoxigraph.QueryResultsFormat.JSON)))
    assert row["n"] == pyoxigraph.Literal("8790", datatype=pyoxigraph.NamedNode(XSD + "integer"))
    assert row["b"] == pyoxigraph.Literal("true", datatype=pyoxigraph.NamedNode(XSD + "boolean"))
    assert row["l"] == pyoxigraph.Literal("\u00e5r", language="nb-no")


@pytest.mark.parametrize("sparql,form", [
    ("PREFIX select: <http://example.org/construct#> # describe\nCONSTRUCT { ?select ?p ?o } WHERE { ?select ?p ?o }",
     "CONSTRUCT"),
    ('BASE <http://example.org/ask/> SELECT ("construct" AS ?x) WHERE { }', "SELECT"),
    ("describe <http://example.org/x>", "DESCRIBE"),
    ("ASK { }", "ASK")])
def test_the_query_form_is_found_past_prefixes_strings_and_comments(sparql, form):
    from sdggraph.store.remote import query_form

    assert query_form(sparql) == form


# --- the real server -------------------------------------------------------------------------

def test_a_nasty_literal_round_trips_through_the_remote_unchanged(remote, build_dir):
    value = pyoxigraph.Literal(NASTY, language="nb")
    header, rows = remote_select(remote.query_url, "SELECT ?x (STRLEN(?x) AS ?n) WHERE { }", {"x": value})
    assert header == ["x", "n"]
    assert rows == [[value, pyoxigraph.Literal(str(len(NASTY)), datatype=pyoxigraph.NamedNode(XSD + "integer"))]]
    same_locally_and_remotely("SELECT ?x WHERE { }", {"x": value}, build_dir, remote.query_url)


def test_each_layer_graph_and_the_union_answer_as_locally(remote, build_dir):
    rows = same_locally_and_remotely(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", None, build_dir, remote.query_url)
    assert {row[0].value for row in rows} == {graph_iri(layer) for layer in LAYERS}  # not the foreign graph
    same_locally_and_remotely("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", None, build_dir, remote.query_url)


QUERIES = {
    "indicators per focus area (inferred sg:inFocusArea, aggregate)":
        "SELECT ?area (COUNT(DISTINCT ?i) AS ?n) WHERE { ?i a sg:Indicator ; sg:inFocusArea ?area } GROUP BY ?area",
    "labels with languages, optional unit":
        "SELECT ?i ?label ?unit WHERE { ?i a sg:Indicator ; skos:prefLabel ?label . OPTIONAL { ?i sg:unit ?unit } }",
    "observations: typed years and decimals":
        "SELECT ?o ?year ?value ?status WHERE { ?o a sg:IndicatorObservation ; sg:year ?year ; "
        "sg:observationStatus ?status . OPTIONAL { ?o sg:value ?value } }",
    "thresholds are blank nodes":
        "SELECT ?i ?comparator ?value WHERE { ?i sg:hasThreshold ?t . ?t sg:comparator ?comparator . "
        "OPTIONAL { ?t sg:thresholdValue ?value } }",
    "FN goals reached through links, ordered and limited":
        "SELECT ?i ?goal WHERE { ?i sg:contributesToFnGoal ?goal } ORDER BY ?i ?goal LIMIT 25",
    "sub-goals without indicator (NOT EXISTS)":
        "SELECT ?s WHERE { ?s a sg:SubGoal FILTER NOT EXISTS { ?i sg:measures ?s } }",
}


@pytest.mark.parametrize("sparql", QUERIES.values(), ids=QUERIES.keys())
def test_queries_give_the_same_rows_remotely(remote, build_dir, sparql):
    rows = same_locally_and_remotely(PREFIXES + sparql, None, build_dir, remote.query_url)
    if "NOT EXISTS" not in sparql:
        assert rows, "a query that should have answers returned none: the comparison would prove nothing"


def test_bindings_are_applied_before_aggregation(remote, build_dir):
    # ?indicator is bound but not projected (pyoxigraph's substitution refuses that; a trailing
    # VALUES would count every observation): the count must be the one indicator's
    sparql = PREFIXES + "SELECT (COUNT(?o) AS ?n) WHERE { ?o sg:ofIndicator ?indicator }"
    indicator = pyoxigraph.NamedNode(config.rebase(config.resource("indicator", "HEL-01")))
    _, rows = select(sparql, {"indicator": indicator}, endpoint=remote.query_url)
    _, written_in = select(sparql.replace("?indicator", f"<{indicator.value}>"), None, build_dir=build_dir)
    _, everything = select(sparql, None, endpoint=remote.query_url)
    assert rows == written_in
    assert 0 < int(rows[0][0].value) < int(everything[0][0].value)


def test_a_typed_year_binding_matches_as_locally(remote, build_dir):
    year = pyoxigraph.Literal("2024", datatype=pyoxigraph.NamedNode(XSD + "gYear"))
    rows = same_locally_and_remotely(PREFIXES + "SELECT ?o ?year WHERE { ?o sg:year ?year }", {"year": year},
                                     build_dir, remote.query_url)
    assert rows and all(row[1] == year for row in rows)


def _named_questions():
    from sdggraph.query import named

    return sorted(named.discover())


@pytest.mark.parametrize("name", _named_questions())
def test_every_named_question_gives_the_same_rows_remotely(remote, build_dir, name):
    from sdggraph.query import named as named_queries

    local_header, local_rows = named_queries.run(name, {}, build_dir)
    remote_header, remote_rows = cli_remote(remote.query_url, lambda: named_queries.run(name, {}, build_dir))
    assert remote_header == local_header
    assert canonical(remote_rows) == canonical(local_rows), f"{name}: the remote rows differ from the local ones"
    # revisjoner is empty while data/ has one edition (tests/test_editions.py builds a second one)
    if not named_queries.get(name).is_check and name != "revisjoner":
        assert local_rows, f"{name} answers nothing locally: the comparison would prove nothing"


def test_there_are_named_questions_to_compare():
    assert len([name for name in _named_questions() if not name.endswith("-violation")]) >= 5


def cli_remote(endpoint, call, graphs=None):
    """Run `call` in remote mode exactly as `sdggraph --sparql-endpoint` sets it up."""
    import os

    saved = {name: os.environ.get(name) for name in ("SDGGRAPH_SPARQL_ENDPOINT", "SDGGRAPH_SPARQL_GRAPHS")}
    os.environ["SDGGRAPH_SPARQL_ENDPOINT"] = endpoint
    if graphs:
        os.environ["SDGGRAPH_SPARQL_GRAPHS"] = graphs
    try:
        return call()
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None) if value is None else os.environ.__setitem__(name, value)


def _first_difference(a, b, path="report"):
    """Where two JSON-like values first differ (for a readable failure)."""
    if type(a) is not type(b):
        return f"{path}: {a!r:.200} != {b!r:.200}"
    if isinstance(a, dict):
        for key in sorted(a.keys() | b.keys(), key=str):
            found = _first_difference(a.get(key), b.get(key), f"{path}/{key}")
            if found:
                return found
    elif isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)}"
        for index, (x, y) in enumerate(zip(a, b)):
            found = _first_difference(x, y, f"{path}[{index}]")
            if found:
                return found
    elif a != b:
        return f"{path}: {a!r:.200} != {b!r:.200}"
    return ""


def test_coverage_report_gives_the_same_facts_remotely(remote, build_dir):
    from sdggraph.report import coverage

    local = coverage.coverage_report(build_dir=build_dir)
    remote_report = cli_remote(remote.query_url, coverage.coverage_report)
    assert local["meta"]["indicator_count"] > 0
    assert remote_report == local, _first_difference(local, remote_report)


# --- the CLI ---------------------------------------------------------------------------------

def test_cli_query_prints_the_remote_rows(remote, project_dir, capsys):
    sparql = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert cli.main(["query", sparql, "--format", "csv"]) == 0
    local = capsys.readouterr().out
    assert cli.main(["--sparql-endpoint", remote.query_url, "query", sparql, "--format", "csv"]) == 0
    assert capsys.readouterr().out == local
    # a graph that exists only on the server proves the rows come from there
    assert cli.main(["--sparql-endpoint", remote.query_url, "--sparql-graph", FOREIGN_GRAPH, "query",
                     "SELECT ?x WHERE { ?x a ?type }", "--format", "csv"]) == 0
    assert capsys.readouterr().out == "x\nhttps://example.org/x\n"


def test_cli_remote_mode_is_undone_after_the_command(remote):
    import os

    assert cli.main(["--sparql-endpoint", remote.query_url, "query", "ASK {}"]) == 0
    assert "SDGGRAPH_SPARQL_ENDPOINT" not in os.environ


def test_cli_named_question_runs_remotely(remote, project_dir, capsys):
    names = [name for name in _named_questions() if not name.endswith("-violation")]
    assert cli.main(["query", "--name", names[0], "--format", "csv"]) == 0
    local = capsys.readouterr().out
    assert cli.main(["--sparql-endpoint", remote.query_url, "query", "--name", names[0], "--format", "csv"]) == 0
    remote_out = capsys.readouterr().out
    assert sorted(remote_out.splitlines()) == sorted(local.splitlines())


def test_cli_check_runs_on_the_remote(remote, build_dir, capsys):
    assert "observation-without-status-violation" in _named_questions()
    broken = "https://example.org/graph/broken"
    httpx.put(remote.store_url, params={"graph": broken},
              content=f"<https://example.org/obs> <{RDF_TYPE}> <{SG}IndicatorObservation> .",
              headers={"Content-Type": "application/n-triples"}, auth=remote.auth).raise_for_status()
    assert cli.main(["--sparql-endpoint", remote.query_url, "check"]) == 0  # the pushed build is sound
    capsys.readouterr()
    assert cli.main(["--sparql-endpoint", remote.query_url, "--sparql-graph", broken, "check"]) == 1
    captured = capsys.readouterr()
    assert "https://example.org/obs" in captured.out + captured.err


def test_remote_construct_and_ask_work_in_cli_query(remote, capsys):
    assert cli.main(["--sparql-endpoint", remote.query_url, "query",
                     "CONSTRUCT WHERE { ?goal a <http://metadata.un.org/sdg/ontology#Goal> }", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "subject,predicate,object" and len(lines) == 1 + 17
    assert bool(remote_query(remote.query_url, "ASK { ?s a <%sIndicator> }" % SG))


# --- the server's own default graph (documented alternative) ---------------------------------

def test_a_union_default_graph_server_answers_as_locally(build_dir, tmp_path):
    from oxigraph_server import running_oxigraph

    with running_oxigraph(tmp_path / "db", "--union-default-graph") as server:
        push(server.store_url, build_dir=build_dir)
        sparql = PREFIXES + QUERIES["observations: typed years and decimals"]
        local = select(sparql, None, build_dir=build_dir)
        remote = cli_remote(server.query_url, lambda: select(sparql), graphs="server")
        assert remote[0] == local[0] and canonical(remote[1]) == canonical(local[1])


def test_server_cannot_be_mixed_with_graph_iris(remote):
    with pytest.raises(SdggraphError, match="server"):
        remote_select(remote.query_url, "SELECT * WHERE { }", graphs=["server", FOREIGN_GRAPH])


# --- errors ----------------------------------------------------------------------------------

def test_unreachable_endpoint_is_exit_2_with_the_url(capsys):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/query"
    assert cli.main(["--sparql-endpoint", url, "query", "SELECT * WHERE { ?s ?p ?o } LIMIT 1"]) == 2
    err = capsys.readouterr().err
    assert url in err and "cannot reach" in err


PARSER_MESSAGE = {"oxigraph": "expected", "virtuoso": "syntax error"}  # words of each engine's parser message


def test_a_query_the_remote_rejects_is_exit_2_with_its_message(remote, capsys):
    assert cli.main(["--sparql-endpoint", remote.query_url, "query", "SELECT * WHERE { ?s ?p"]) == 2
    err = capsys.readouterr().err
    assert remote.query_url in err and "HTTP 400" in err and PARSER_MESSAGE[remote.engine] in err


def test_a_wrong_path_is_an_error_with_the_status(remote):
    with pytest.raises(SdggraphError, match="HTTP 404"):
        remote_select(remote.base + "/no-such-endpoint", "SELECT * WHERE { }")


def test_a_silent_endpoint_times_out_as_an_error():
    with socket.socket() as listener:  # accepts connections, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/query"
        with pytest.raises(SdggraphError, match="did not answer"):
            remote_select(url, "SELECT * WHERE { }", timeout=0.5)


def test_credentials_in_the_endpoint_url_stay_out_of_messages():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://reader:s3cret@127.0.0.1:{probe.getsockname()[1]}/query"
    with pytest.raises(SdggraphError) as raised:
        remote_select(url, "SELECT * WHERE { }")
    assert "s3cret" not in str(raised.value) and "127.0.0.1" in str(raised.value)


def test_only_http_endpoints(capsys):
    assert cli.main(["--sparql-endpoint", "file:///etc/passwd", "query", "ASK {}"]) == 2
    assert "http(s)" in capsys.readouterr().err
