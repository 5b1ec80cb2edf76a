"""The SPARQL 1.1 Protocol as plain functions: read an HTTP request into a SparqlRequest, answer it.

Operations (https://www.w3.org/TR/sparql11-protocol/):

* query: GET ?query=, POST application/x-www-form-urlencoded (query=), POST
  application/sparql-query (the body); default-graph-uri / named-graph-uri name the dataset
  and override the query's FROM / FROM NAMED, and must be graphs of this dataset.
* update: POST application/x-www-form-urlencoded (update=) or application/sparql-update,
  refused unless the operator set an update token and the request carries it as
  `Authorization: Bearer <token>` (compared in constant time).
* service description: GET without query.

Errors are (status, message) ProtocolErrors; the route turns them into text/plain answers.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from ..query import syntax
from . import guard, negotiation
from .executor import Job, Outcome, QueryExecutor
from .settings import Settings

FORM = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"
DATASET_PARAMETERS = ("default-graph-uri", "named-graph-uri", "using-graph-uri", "using-named-graph-uri")


class ProtocolError(Exception):
    def __init__(self, status: int, message: str, outcome: str = "bad-request", headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.outcome, self.headers = status, message, outcome, headers or {}


@dataclass
class SparqlRequest:
    operation: str  # "query", "update" or "describe"
    text: str = ""
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)
    using_graphs: list[str] = field(default_factory=list)
    using_named_graphs: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)
    accept: str | None = None
    authorization: str | None = None


@dataclass
class Reply:
    status: int
    body: bytes
    media_type: str = "text/plain; charset=utf-8"
    outcome: str = "ok"
    headers: dict = field(default_factory=dict)
    path: str | None = None  # a spool file holding the body (streamed by the route, then gone)


@dataclass
class Context:
    """What answering a request needs besides the request."""

    settings: Settings
    executor: QueryExecutor
    allowed_graphs: set[str]
    endpoint_url: str


def _media_type(content_type: str | None) -> tuple[str, str | None]:
    """(media type, charset) of a Content-Type header."""
    if not content_type:
        return "", None
    parts = [part.strip() for part in content_type.split(";")]
    charset = None
    for part in parts[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return parts[0].lower(), charset


def _decode(body: bytes, charset: str | None, what: str) -> str:
    if charset not in (None, "utf-8", "utf8"):
        raise ProtocolError(415, f"{what} must be UTF-8 encoded (got charset={charset})", "unsupported-media-type")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ProtocolError(400, f"{what} is not valid UTF-8: {error}") from error


def url_params(query_string: bytes) -> list[tuple[str, str]]:
    """The URL's parameters, decoded strictly: invalid UTF-8 is a 400 here as in a POST body."""
    try:
        return parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError as error:
        raise ProtocolError(400, f"the URL's query string is not valid UTF-8 after percent-decoding: {error}") from error


def _one(params: list[tuple[str, str]], name: str) -> str | None:
    values = [value for key, value in params if key == name]
    if len(values) > 1:
        raise ProtocolError(400, f"the request has {len(values)} '{name}' parameters; send exactly one")
    return values[0] if values else None


def parse_request(method: str, url_params: list[tuple[str, str]], content_type: str | None, body: bytes,
                  accept: str | None = None, authorization: str | None = None) -> SparqlRequest:
    """Read the protocol operation from the parts of an HTTP request; raise ProtocolError if malformed."""
    params = list(url_params)
    media_type, charset = _media_type(content_type)
    direct_text, direct_operation = None, None
    if method == "POST":
        if media_type == FORM:
            form = _decode(body, charset, "the form body")
            try:
                params += parse_qsl(form, keep_blank_values=True, strict_parsing=False, encoding="utf-8",
                                    errors="strict")
            except UnicodeDecodeError as error:
                raise ProtocolError(400, f"the form body is not valid UTF-8 after percent-decoding: {error}") from error
        elif media_type in (QUERY_TYPE, UPDATE_TYPE):
            direct_operation = "query" if media_type == QUERY_TYPE else "update"
            direct_text = _decode(body, charset, f"the {media_type} body")
        elif not media_type:
            raise ProtocolError(415, f"a POST needs a Content-Type: {FORM}, {QUERY_TYPE} or {UPDATE_TYPE}",
                                "unsupported-media-type")
        else:
            raise ProtocolError(415, f"Content-Type {media_type} is not supported here; use {FORM}, {QUERY_TYPE} "
                                f"or {UPDATE_TYPE}", "unsupported-media-type")
    elif method != "GET":
        raise ProtocolError(405, "use GET or POST", headers={"Allow": "GET, POST, OPTIONS"})

    query, update = _one(params, "query"), _one(params, "update")
    if direct_operation and (query is not None or update is not None):
        raise ProtocolError(400, f"the body is a {direct_operation} ({media_type}); do not also send "
                            "a query= or update= parameter")
    if query is not None and update is not None:
        raise ProtocolError(400, "send either query= or update=, not both")
    if method == "GET" and update is not None:
        raise ProtocolError(400, "SPARQL Update must be sent with POST, never GET")
    if direct_operation:
        operation, text = direct_operation, direct_text
    elif query is not None:
        operation, text = "query", query
    elif update is not None:
        operation, text = "update", update
    elif method == "GET":
        operation, text = "describe", ""
    else:
        raise ProtocolError(400, "the form has neither a query= nor an update= parameter")

    def values(name):
        return [value.strip() for key, value in params if key == name and value.strip()]

    request = SparqlRequest(operation, text, values("default-graph-uri"), values("named-graph-uri"),
                            values("using-graph-uri"), values("using-named-graph-uri"),
                            [value for key, value in params if key == "format"], accept, authorization)
    if operation == "query" and (request.using_graphs or request.using_named_graphs):
        raise ProtocolError(400, "using-graph-uri / using-named-graph-uri belong to updates; "
                            "a query takes default-graph-uri / named-graph-uri")
    if operation == "update" and (request.default_graphs or request.named_graphs):
        raise ProtocolError(400, "default-graph-uri / named-graph-uri belong to queries; "
                            "an update takes using-graph-uri / using-named-graph-uri")
    return request


def _refuse(error: guard.GuardError) -> ProtocolError:
    message = str(error)
    if isinstance(error, guard.GuardTimeout):
        return ProtocolError(413, message, "too-large")
    outcome = "bad-request" if message.startswith("SPARQL syntax error") else "refused"
    return ProtocolError(400, message, outcome)


OUTCOME_STATUS = {  # executor outcome -> HTTP status
    "syntax": 400,
    "not-acceptable": 406,
    "too-many-rows": 413,
    "too-large": 413,
    "graph-missing": 404,  # SPARQL 1.1 Update: DROP/CLEAR/MOVE of a missing graph fails unless SILENT
    "graph-exists": 409,  # CREATE of an existing graph fails unless SILENT
    "update-failed": 400,
    "timeout": 503,
    "busy": 503,
    "crashed": 503,
    "store-error": 500,
}


def _reply(outcome: Outcome, text: str = "") -> Reply:
    if outcome.status == "ok":
        if outcome.result_kind == "update":
            return Reply(200, b"update applied\n", outcome="ok")
        return Reply(200, outcome.body, negotiation.MEDIA_TYPES[outcome.format], outcome="ok", path=outcome.path)
    status = OUTCOME_STATUS.get(outcome.status, 500)
    message = outcome.message
    if outcome.status == "syntax":  # line, column and a short list instead of the grammar's
        message = syntax.readable(text, message)
    headers = {"Retry-After": "1"} if outcome.status == "busy" else {}
    return Reply(status, (message + "\n").encode("utf-8"), outcome=outcome.status, headers=headers)


def prepare_query(request: SparqlRequest, context: Context) -> Job:
    """Check a query (guard, negotiation) and make its job; ProtocolError if it is refused."""
    try:
        found = guard.inspect(request.text, base_iri=context.endpoint_url,
                              deadline=time.monotonic() + context.settings.timeout)
        if found.kind == "update":
            raise ProtocolError(400, "this is a SPARQL Update, not a query: send it with POST as update= "
                                "or with Content-Type application/sparql-update")
        guard.check(found, context.allowed_graphs)
        guard.check_protocol_graphs("default-graph-uri", request.default_graphs, context.allowed_graphs)
        guard.check_protocol_graphs("named-graph-uri", request.named_graphs, context.allowed_graphs)
    except guard.GuardError as error:
        raise _refuse(error) from error
    try:
        tabular, graph = negotiation.negotiate(request.formats, request.accept)
    except negotiation.UnknownFormat as error:
        raise ProtocolError(400, str(error)) from error
    if found.form in ("SELECT", "ASK") and tabular is None:
        raise ProtocolError(406, f"{found.form} results can be given as json, xml, csv or tsv "
                            "(Accept or format=)", "not-acceptable")
    if found.form in ("CONSTRUCT", "DESCRIBE") and graph is None:
        raise ProtocolError(406, f"{found.form} results can be given as turtle, ntriples, jsonld or rdfxml "
                            "(Accept or format=)", "not-acceptable")
    job = Job(request.text, "query", base_iri=context.endpoint_url, tabular_format=tabular, graph_format=graph,
              max_rows=context.settings.max_rows, max_bytes=context.settings.max_result_bytes,
              shape=guard.shape(found))
    if request.default_graphs or request.named_graphs:  # the protocol's dataset wins over FROM
        job.default_graph, job.named_graphs, job.union = request.default_graphs, request.named_graphs, False
    elif found.from_graphs:
        job.union = False
    return job


def _authorize(request: SparqlRequest, settings: Settings) -> None:
    if not settings.updates_enabled:
        raise ProtocolError(403, "SPARQL Update is disabled: this endpoint is read-only", "refused")
    scheme, _, credentials = (request.authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise ProtocolError(401, "SPARQL Update needs the operator's token: Authorization: Bearer <token>",
                            "refused", {"WWW-Authenticate": 'Bearer realm="sdggraph"'})
    if not hmac.compare_digest(credentials.strip().encode("utf-8"), settings.update_token.encode("utf-8")):
        raise ProtocolError(403, "the update token is not valid", "refused")


def prepare_update(request: SparqlRequest, context: Context) -> Job:
    """Authorise and check an update and make its job; ProtocolError if it is refused."""
    _authorize(request, context.settings)
    try:
        found = guard.inspect(request.text, base_iri=context.endpoint_url,
                              deadline=time.monotonic() + context.settings.timeout)
        if found.kind == "query":
            raise ProtocolError(400, "this is a query, not an update: send it as query=")
        protocol_dataset = request.using_graphs or request.using_named_graphs
        if protocol_dataset and (found.using_graphs or found.with_graphs):
            raise ProtocolError(400, "the update has USING or WITH clauses and the request has "
                                "using-graph-uri / using-named-graph-uri: give the dataset in one place only")
        guard.check(found, context.allowed_graphs)
        guard.check_protocol_graphs("using-graph-uri", request.using_graphs, context.allowed_graphs)
        guard.check_protocol_graphs("using-named-graph-uri", request.using_named_graphs, context.allowed_graphs)
    except guard.GuardError as error:
        raise _refuse(error) from error
    text = request.text
    if protocol_dataset:
        text = guard.add_using(text, found, request.using_graphs, request.using_named_graphs)
    return Job(text, "update", base_iri=context.endpoint_url)


def prepare(request: SparqlRequest, context: Context) -> Job | Reply:
    """The job for a query or update, or the reply refusing it (CPU only, linear in the text)."""
    try:
        if request.operation == "update":
            return prepare_update(request, context)
        return prepare_query(request, context)
    except ProtocolError as error:
        return error_reply(error)


def execute(job: Job, context: Context, timeout: float | None = None) -> Reply:
    """Run a prepared job (blocking: it waits for a worker, within the timeout, or `timeout` s)."""
    return _reply(context.executor.run(job, timeout), job.text)


def answer(request: SparqlRequest, context: Context) -> Reply:
    """Answer a query or update (blocking). Describe requests are the route's."""
    prepared = prepare(request, context)
    return prepared if isinstance(prepared, Reply) else execute(prepared, context)


def error_reply(error: ProtocolError) -> Reply:
    return Reply(error.status, (error.message + "\n").encode("utf-8"), outcome=error.outcome, headers=error.headers)
