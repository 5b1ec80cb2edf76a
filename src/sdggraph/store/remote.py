"""Remote mode: run SPARQL on an external endpoint (SPARQL 1.1 Protocol) instead of build/.

Which data the remote queries see. Locally the default graph is the union of the three layer
graphs (asserted, reference, inferred) and GRAPH ?g sees those three. Remotely we ask for the
same RDF dataset in the protocol itself: every query carries `default-graph-uri` and
`named-graph-uri` for the three layer IRIs (as `sdggraph push` writes them). This works on any
SPARQL 1.1 server without configuring it (Oxigraph started plainly with `oxigraph serve`,
Fuseki, GraphDB, Virtuoso), and it keeps other data the store may hold (other municipalities'
graphs on a national store) out of Asker's answers. `graphs` (or SDGGRAPH_SPARQL_GRAPHS,
whitespace-separated) names other graphs, e.g. the one graph of `sdggraph push --graph IRI`;
the word `server` sends no dataset and uses the endpoint's own default graph (Oxigraph
`serve --union-default-graph`, or data pushed to the default graph).

Bindings are never spliced as text: each value must be a typed RDF term, written in N-Triples
term syntax with full escaping, and joined in as a VALUES block placed first in the query's
top-level WHERE group. There it is joined before the group's FILTERs, OPTIONALs and
aggregates are evaluated, which gives the same rows as pyoxigraph's substitution for the
queries we ask. (A trailing VALUES clause would be joined only after GROUP BY, and wrapping the
query as a sub-SELECT would be applied after its LIMIT: both change answers.) A variable used
only inside a nested sub-SELECT that does not project it is not reached by the VALUES block.
"""

from __future__ import annotations

import functools
import os
import re
from urllib.parse import urlsplit, urlunsplit

import httpx
import pyoxigraph

from ..errors import SdggraphError
from ..safexml import refuse_doctype
from . import TIMEOUT_S

ENV_ENDPOINT = "SDGGRAPH_SPARQL_ENDPOINT"
ENV_GRAPHS = "SDGGRAPH_SPARQL_GRAPHS"
SERVER_DATASET = "server"  # in `graphs`: send no dataset, use the endpoint's default graph
RESULTS_ACCEPT = "application/sparql-results+json, application/sparql-results+xml;q=0.8"
ANY_ACCEPT = RESULTS_ACCEPT + ", application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
# Code points SPARQL's IRIREF forbids (the grammar's exclusion set plus controls and space).
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_IRI_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_VARNAME = re.compile(r"\w+")
_LANGTAG = re.compile(r"[A-Za-z]+(-[A-Za-z0-9]+)*")
_STRING_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


# --- writing terms ---------------------------------------------------------------------------

def iri_term(iri: str) -> str:
    """`<iri>`; an IRI SPARQL cannot write (or a relative one) is refused, not escaped."""
    if not _IRI_SCHEME.match(iri) or _IRI_FORBIDDEN.search(iri):
        raise SdggraphError(f"not an absolute IRI that SPARQL can write: {iri!r}")
    return f"<{iri}>"


def string_term(text: str) -> str:
    escaped = "".join(_STRING_ESCAPES.get(char, char) for char in text)
    # Some servers expand \uXXXX everywhere before parsing; writing the 'u' after an escaped
    # backslash as \u0075 keeps a literal "\u0022" from turning into a quote on those servers.
    escaped = re.sub(r"(?<=\\\\)([uU])", lambda m: "\\u%04X" % ord(m.group(1)), escaped)
    return f'"{escaped}"'


def sparql_term(term) -> str:
    """A binding value as SPARQL/N-Triples term text. Accepts pyoxigraph or rdflib terms."""
    if term is None:
        return "UNDEF"
    if isinstance(term, pyoxigraph.NamedNode):
        return iri_term(term.value)
    if isinstance(term, pyoxigraph.Literal):
        text = string_term(term.value)
        if term.language:
            if not _LANGTAG.fullmatch(term.language):
                raise SdggraphError(f"not a language tag: {term.language!r}")
            return f"{text}@{term.language}"
        datatype = term.datatype.value
        return text if datatype == XSD_STRING else f"{text}^^{iri_term(datatype)}"
    try:  # rdflib terms, without importing rdflib when nobody uses it
        from rdflib.term import Literal as RdfLiteral
        from rdflib.term import URIRef
    except ImportError:  # pragma: no cover
        URIRef = RdfLiteral = ()
    if isinstance(term, URIRef):
        return iri_term(str(term))
    if isinstance(term, RdfLiteral):
        datatype = pyoxigraph.NamedNode(str(term.datatype)) if term.datatype else None
        if term.language:
            return sparql_term(pyoxigraph.Literal(str(term), language=term.language))
        return sparql_term(pyoxigraph.Literal(str(term), datatype=datatype))
    if isinstance(term, pyoxigraph.BlankNode) or type(term).__name__ == "BNode":
        raise SdggraphError("a blank node cannot be bound in a remote query (VALUES allows no blank nodes)")
    raise SdggraphError(f"a binding must be an RDF term (IRI or literal), not {type(term).__name__}: {term!r}")


def values_block(bindings: dict) -> str:
    names = []
    for name in bindings:
        name = name.value if isinstance(name, pyoxigraph.Variable) else str(name)
        if not _VARNAME.fullmatch(name):
            raise SdggraphError(f"not a SPARQL variable name: {name!r}")
        names.append(name)
    variables = " ".join("?" + name for name in names)
    values = " ".join(sparql_term(term) for term in bindings.values())
    return f"VALUES ({variables}) {{ ({values}) }}"


# --- placing the VALUES block ----------------------------------------------------------------

_IRIREF = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>')
_STRING = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
                     r'|"(?:[^"\\\n\r]|\\.)*"|\'(?:[^\'\\\n\r]|\\.)*\'', re.S)
_WORD = re.compile(r"[A-Za-z]+")


def _braces(sparql: str):
    """Yield (position, char, paren depth) for every '{' and '}' outside IRIs, strings, comments."""
    position, depth = 0, 0
    while position < len(sparql):
        char = sparql[position]
        if char == "#":
            newline = sparql.find("\n", position)
            position = len(sparql) if newline < 0 else newline
            continue
        if char in "\"'":
            match = _STRING.match(sparql, position)
            if match:
                position = match.end()
                continue
        if char == "<":
            match = _IRIREF.match(sparql, position)
            if match:
                position = match.end()
                continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char in "{}":
            yield position, char, depth
        position += 1


def inject_values(sparql: str, bindings: dict) -> str:
    """The query with the bindings' VALUES block first in its top-level WHERE group."""
    if not bindings:
        return sparql
    block = values_block(bindings)
    opening, closing, wrap = _where_group(sparql)
    body = sparql[opening + 1:closing]
    if wrap:  # WHERE { SELECT … }: VALUES may not precede it
        body = f" {{{body}}} "
    return f"{sparql[:opening + 1]} {block} {body}{sparql[closing:]}"


@functools.lru_cache(maxsize=256)
def _where_group(sparql: str) -> tuple[int, int, bool]:
    """Where the top-level WHERE group opens and closes, and whether it holds a subquery. Kept per
    text: a named question is bound on every request, and scanning it cost ~0.1 ms of each."""
    opening = closing = None
    level = 0
    for position, char, parens in _braces(sparql):
        if opening is None:
            if char == "{" and parens == 0:  # the first group outside ( ): the WHERE clause
                opening, level = position, 1
            continue
        level += 1 if char == "{" else -1
        if level == 0:
            closing = position
            break
    if opening is None or closing is None:
        raise SdggraphError("cannot bind parameters: no WHERE { … } group found in the query")
    return opening, closing, re.match(r"\s*select\b", sparql[opening + 1:closing], re.I) is not None


def with_dataset(sparql: str, graphs: list[str]) -> str:
    """The query with `FROM <graph>` for each graph before its top-level WHERE group: the text
    then reads those graphs wherever it is run."""
    opening = next((position for position, char, parens in _braces(sparql) if char == "{" and parens == 0), None)
    if opening is None:
        raise SdggraphError("cannot name the graphs: no WHERE { … } group found in the query")
    where = re.search(r"\bwhere\s*$", sparql[:opening], re.I)
    at = where.start() if where else opening
    clauses = "".join(f"FROM <{graph}>\n" for graph in graphs)
    return f"{sparql[:at]}{clauses}{sparql[at:]}"


# --- talking to the endpoint -----------------------------------------------------------------

def redact(url: str) -> str:
    """The URL without user:password, for messages."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return url


def check_endpoint(endpoint: str) -> str:
    if urlsplit(endpoint).scheme not in ("http", "https") or not urlsplit(endpoint).hostname:
        raise SdggraphError(f"the endpoint must be an http(s) URL, got {redact(endpoint)!r}")
    return endpoint


def dataset_graphs(graphs=None) -> list[str] | None:
    """The graph IRIs to ask for (None: the server's own default graph)."""
    if graphs is None:
        configured = os.environ.get(ENV_GRAPHS, "").split()
        if configured:
            graphs = configured
        else:
            from ..layout import LAYERS, graph_iri
            graphs = [graph_iri(layer) for layer in LAYERS]
    graphs = list(graphs)
    if SERVER_DATASET in graphs:
        if len(graphs) > 1:
            raise SdggraphError(f"'{SERVER_DATASET}' (the endpoint's own default graph) cannot be combined with graph IRIs")
        return None
    for graph in graphs:
        iri_term(graph)  # validates
    return graphs


def server_message(response: httpx.Response, limit: int = 800) -> str:
    text = " ".join(response.text.split())
    return text[:limit] + ("…" if len(text) > limit else "")


def post_query(endpoint: str, sparql: str, accept: str = RESULTS_ACCEPT, graphs=None,
               timeout: float = TIMEOUT_S) -> httpx.Response:
    """POST the query form-encoded (SPARQL 1.1 Protocol §2.1.2) with the dataset; errors → SdggraphError."""
    check_endpoint(endpoint)
    form = {"query": sparql}
    graphs = dataset_graphs(graphs)
    if graphs is not None:
        form["default-graph-uri"] = graphs
        form["named-graph-uri"] = graphs
    where = redact(endpoint)
    try:
        response = httpx.post(endpoint, data=form, headers={"Accept": accept}, timeout=timeout)
    except httpx.TimeoutException as error:
        raise SdggraphError(f"SPARQL endpoint {where} did not answer within {timeout:g} s ({type(error).__name__})") from None
    except httpx.HTTPError as error:
        raise SdggraphError(f"cannot reach SPARQL endpoint {where}: {error}") from None
    if response.status_code >= 400:
        raise SdggraphError(f"SPARQL endpoint {where} answered HTTP {response.status_code} "
                            f"{response.reason_phrase}: {server_message(response)}")
    return response


def _media_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
_BOOLEAN_CANONICAL = {"1": "true", "0": "false", "true": "true", "false": "false"}


def _normalise_term(cell: dict) -> None:
    """One JSON results term in the standard's form, as the local store gives it."""
    if cell.get("type") == "typed-literal":  # Virtuoso (and the 2008 note) for a literal with a datatype
        cell["type"] = "literal"
    if cell.get("type") == "literal":
        if cell.get("datatype") == XSD_BOOLEAN:  # Virtuoso stores booleans as integers: "1"^^xsd:boolean
            cell["value"] = _BOOLEAN_CANONICAL.get(cell["value"].strip(), cell["value"])
        if "xml:lang" in cell:
            cell["xml:lang"] = cell["xml:lang"].lower()  # tags are case-insensitive; the local store lowercases
            cell.pop("datatype", None)


def normalise_json_results(content: bytes) -> bytes:
    """SPARQL JSON results with engines' deviations mapped to the standard (see _normalise_term)."""
    import json

    try:
        document = json.loads(content)
    except ValueError:
        return content  # the parser reports it
    for row in (document.get("results") or {}).get("bindings") or []:
        for cell in row.values():
            if isinstance(cell, dict):
                _normalise_term(cell)
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def parse_response(endpoint: str, response: httpx.Response):
    """pyoxigraph QuerySolutions / QueryBoolean, or an iterator of triples for CONSTRUCT/DESCRIBE."""
    media_type = _media_type(response)
    try:
        results_format = pyoxigraph.QueryResultsFormat.from_media_type(media_type)
        if results_format is not None:
            content = response.content
            if results_format == pyoxigraph.QueryResultsFormat.JSON:
                content = normalise_json_results(content)
            return pyoxigraph.parse_query_results(content, results_format)
        rdf_format = pyoxigraph.RdfFormat.from_media_type(media_type)
        if rdf_format is not None:
            if rdf_format == pyoxigraph.RdfFormat.RDF_XML:
                refuse_doctype(response.content)  # entity expansion would exhaust memory
            return pyoxigraph.parse(response.content, rdf_format)
    except (SyntaxError, ValueError) as error:
        raise SdggraphError(f"SPARQL endpoint {redact(endpoint)} sent results that do not parse: {error}") from None
    raise SdggraphError(f"SPARQL endpoint {redact(endpoint)} answered with unexpected content type "
                        f"{media_type or '(none)'}: {server_message(response, 200)}")


GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"
_FORM = re.compile(r"select|ask|construct|describe", re.I)


def query_form(sparql: str) -> str | None:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the first of these words outside IRIs, strings and comments."""
    position = 0
    while position < len(sparql):
        char = sparql[position]
        if char == "#":
            newline = sparql.find("\n", position)
            position = len(sparql) if newline < 0 else newline
            continue
        match = (_STRING.match(sparql, position) if char in "\"'" else
                 _IRIREF.match(sparql, position) if char == "<" else None)
        if match:
            position = match.end()
            continue
        word = _WORD.match(sparql, position)
        if word:
            prefixed = word.end() < len(sparql) and sparql[word.end()] == ":"  # a prefix name, e.g. ask:
            variable = position > 0 and sparql[position - 1] in "?$"
            if _FORM.fullmatch(word.group()) and not prefixed and not variable:
                return word.group().upper()
            position = word.end()
            continue
        position += 1
    return None


def remote_query(endpoint: str, sparql: str, graphs=None, timeout: float = TIMEOUT_S):
    """Any query form, as the same kinds of objects pyoxigraph's Store.query returns."""
    # Ask for RDF when the query builds a graph: Virtuoso answers CONSTRUCT with a results
    # table (?s ?p ?o) when the Accept header lists results formats first.
    accept = GRAPH_ACCEPT if query_form(sparql) in ("CONSTRUCT", "DESCRIBE") else ANY_ACCEPT
    return parse_response(endpoint, post_query(endpoint, sparql, accept, graphs, timeout))


def remote_select(endpoint: str, sparql: str, bindings: dict | None = None, graphs=None,
                  timeout: float = TIMEOUT_S) -> tuple[list[str], list[list]]:
    """A SELECT on the endpoint as (variable names, rows of pyoxigraph terms or None)."""
    text = inject_values(sparql, bindings or {})
    result = parse_response(endpoint, post_query(endpoint, text, RESULTS_ACCEPT, graphs, timeout))
    if not isinstance(result, pyoxigraph.QuerySolutions):
        raise SdggraphError("remote_select needs a SELECT query")
    header = [variable.value for variable in result.variables]
    try:
        return header, [[solution[name] for name in header] for solution in result]
    except SyntaxError as error:  # the results stream is parsed lazily
        raise SdggraphError(f"SPARQL endpoint {redact(endpoint)} sent results that do not parse: {error}") from None
