"""HTTP routes of the SPARQL 1.1 Protocol endpoint (/sparql) and the VoID description.

Thin: the protocol lives in protocol.py, safety in guard.py, execution in executor.py. The service
description and VoID are made once per version of the graph and endpoint URL into the derived
folder and served as files; a successful update bumps the version (SparqlService.run_update).
"""

from __future__ import annotations

import os

import anyio
from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from ..errors import BuildMissingError
from ..layout import derived_name
from ..store.dataset import read_dataset_info
from . import description, editor, negotiation, protocol
from .common import derived_of, short_hash
from .executor import open_spooled

router = APIRouter()

RDF_OFFERS = negotiation.GRAPH_OFFERS


def _response(request: Request, reply: protocol.Reply, vary: bool = True) -> Response:
    request.state.outcome = reply.outcome
    headers = dict(reply.headers)
    headers["Access-Control-Allow-Origin"] = "*"  # read-only data, no cookies: browser clients elsewhere may query
    if vary:
        headers["Vary"] = "Accept"
    if reply.path is not None:  # a large answer: streamed from its spool file, never held whole
        handle = open_spooled(reply.path)
        headers["Content-Length"] = str(os.fstat(handle.fileno()).st_size)
        return StreamingResponse(_chunks(handle), status_code=reply.status, media_type=reply.media_type,
                                 headers=headers)
    return Response(reply.body, status_code=reply.status, media_type=reply.media_type, headers=headers)


def _chunks(handle, size: int = 64 * 1024):
    with handle:
        while chunk := handle.read(size):
            yield chunk


def _limiter(request: Request) -> anyio.CapacityLimiter:
    """Threads for /sparql requests waiting on the worker pool, apart from the default thread pool,
    so waiting queries never take the threads other routes need. The executor bounds the waiters."""
    state = request.app.state
    if getattr(state, "sparql_limiter", None) is None:
        executor = state.sparql.readers or state.sparql.executor  # the pool queries wait for
        state.sparql_limiter = anyio.CapacityLimiter(executor.max_queue + executor.size + 2)
    return state.sparql_limiter


MAX_URL_VARIANTS = 8  # derived descriptions per distinct endpoint URL (the client picks the Host)


async def _description(request: Request, kind: str, make_graph, format_values: list[str], **name_parts) -> Response:
    """A description in the negotiated format, from the derived folder (made on first request)."""
    try:
        chosen = negotiation.from_parameter(format_values)
    except negotiation.UnknownFormat as error:
        return _response(request, protocol.Reply(400, (str(error) + "\n").encode(), outcome="bad-request"))
    fmt = chosen[1] if chosen else negotiation.choose(RDF_OFFERS, request.headers.get("accept"))
    if fmt is None:
        return _response(request, protocol.Reply(
            406, b"this description can be given as turtle, ntriples, jsonld or rdfxml\n", outcome="not-acceptable"))
    headers = {"Access-Control-Allow-Origin": "*"}
    try:
        derived, folder = derived_of(request)
        path = folder / derived_name(kind, format=fmt, **name_parts)
        if not path.is_file() and derived.count(folder, f"{kind}-*.{fmt}") >= MAX_URL_VARIANTS:
            body = await run_in_threadpool(lambda: description.serialize(make_graph(), fmt))
            return Response(body, media_type=negotiation.MEDIA_TYPES[fmt], headers=headers)
        path = await derived.aensure(path, lambda tmp: tmp.write_bytes(description.serialize(make_graph(), fmt)))
    except BuildMissingError as error:
        return _response(request, protocol.Reply(503, f"{error}\n".encode(), outcome="store-error"))
    return FileResponse(path, media_type=negotiation.MEDIA_TYPES[fmt], headers=headers,
                        content_disposition_type="inline")


def _current_info(request: Request):
    """Graphs and counts of what the views show now (after updates: the latest snapshot)."""
    service = request.app.state.sparql
    return read_dataset_info(service.current_build())


def _wants_page(request: Request) -> bool:
    """A GET with no query, no format= and an Accept that names text/html above the RDF formats."""
    if request.method != "GET" or request.query_params.getlist("format"):
        return False
    accept = request.headers.get("accept") or ""
    return "text/html" in accept and negotiation.choose([("text/html", "html"), *RDF_OFFERS], accept) == "html"


PREFLIGHT = {"Allow": "GET, POST, OPTIONS", "Access-Control-Allow-Origin": "*",
             "Access-Control-Allow-Methods": "GET, POST", "Access-Control-Allow-Headers": "Content-Type, Accept",
             "Access-Control-Max-Age": "86400"}


def _urls(request: Request) -> tuple[str, str]:
    return str(request.url_for("sparql")), str(request.url_for("void"))


# Other methods reach the handler too, so they get the protocol's plain-text 405 with Allow.
@router.api_route("/sparql", methods=["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"], name="sparql",
                  summary="SPARQL 1.1 Protocol endpoint (query; update with the operator's token)")
async def sparql(request: Request) -> Response:
    if request.method == "OPTIONS":  # a browser's CORS preflight, e.g. before a POST of application/sparql-query
        return Response(status_code=204, headers=PREFLIGHT)
    service = request.app.state.sparql
    endpoint_url, void_url = _urls(request)
    try:
        sparql_request = protocol.parse_request(
            request.method, protocol.url_params(request.scope.get("query_string", b"")),
            request.headers.get("content-type"),
            await request.body(), request.headers.get("accept"), request.headers.get("authorization"))
    except protocol.ProtocolError as error:
        return _response(request, protocol.error_reply(error))
    if sparql_request.operation == "describe":
        if _wants_page(request):  # a browser opening /sparql gets the editor, as Fuseki and Oxigraph do
            return HTMLResponse(editor.index_html(), headers={"Vary": "Accept"})
        updates = service.settings.updates_enabled
        return await _description(
            request, "service-description",
            lambda: description.service_description(_current_info(request), endpoint_url, void_url, updates),
            sparql_request.formats, endpoint=short_hash(endpoint_url + " " + void_url), updates=int(updates))
    context = service.context(endpoint_url)
    if sparql_request.operation == "update":
        reply = await run_in_threadpool(service.run_update, lambda: protocol.answer(sparql_request, context))
        return _response(request, reply)
    if len(sparql_request.text) <= SMALL_TEXT:
        prepared = protocol.prepare(sparql_request, context)  # at most a millisecond: not worth a thread
    else:
        prepared = await _prepare_in_lane(request, sparql_request, context)
    if isinstance(prepared, protocol.Reply):
        return _response(request, prepared)
    reply = await anyio.to_thread.run_sync(service.execute, prepared, context, limiter=_limiter(request))
    return _response(request, reply)


SMALL_TEXT = 512  # characters checked on the event loop; longer texts in a thread, in a lane by length
LONG_TEXT = 16 * 1024  # texts above this are checked in a lane of their own, so they never delay shorter ones


async def _prepare_in_lane(request: Request, sparql_request, context):
    """Check a longer text in a thread, one text per lane at a time, at most max_queue waiting per
    lane and within the timeout: checking holds the GIL, and many at once would starve the event
    loop. Long texts have a lane of their own, so an editor's query never waits behind them."""
    state = request.app.state
    if getattr(state, "guard_lanes", None) is None:
        state.guard_lanes = {name: [anyio.CapacityLimiter(1), 0] for name in ("medium", "long")}
    lane = state.guard_lanes["long" if len(sparql_request.text) > LONG_TEXT else "medium"]
    limiter = lane[0]
    settings = state.sparql.settings
    busy = protocol.Reply(503, b"too many long queries are being checked; try again later\n", outcome="busy",
                          headers={"Retry-After": "1"})
    if limiter.borrowed_tokens and lane[1] >= settings.max_queue:
        return busy
    lane[1] += 1
    try:
        with anyio.move_on_after(settings.timeout) as scope:
            await limiter.acquire()
    finally:
        lane[1] -= 1
    if scope.cancelled_caught:
        return busy
    try:
        return await anyio.to_thread.run_sync(protocol.prepare, sparql_request, context)
    finally:
        limiter.release()


@router.get("/.well-known/void", name="void", summary="VoID description of the dataset")
async def void(request: Request) -> Response:
    endpoint_url, _ = _urls(request)
    return await _description(request, "void", lambda: description.void_description(_current_info(request), endpoint_url),
                              request.query_params.getlist("format"), endpoint=short_hash(endpoint_url))
