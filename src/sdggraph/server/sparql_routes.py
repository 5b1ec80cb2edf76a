"""HTTP routes of the SPARQL 1.1 Protocol endpoint (/sparql) and the VoID description.

Thin: the protocol lives in protocol.py, safety in guard.py, execution in executor.py.
"""

from __future__ import annotations

import os

import anyio
from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from . import description, negotiation, protocol
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
        executor = state.sparql.executor
        state.sparql_limiter = anyio.CapacityLimiter(executor.max_queue + executor.size + 2)
    return state.sparql_limiter


def _rdf_reply(graph, request: Request, format_values: list[str]) -> protocol.Reply:
    try:
        chosen = negotiation.from_parameter(format_values)
    except negotiation.UnknownFormat as error:
        return protocol.Reply(400, (str(error) + "\n").encode(), outcome="bad-request")
    fmt = chosen[1] if chosen else negotiation.choose(RDF_OFFERS, request.headers.get("accept"))
    if fmt is None:
        return protocol.Reply(406, b"this description can be given as turtle, ntriples, jsonld or rdfxml\n",
                              outcome="not-acceptable")
    return protocol.Reply(200, description.serialize(graph, fmt), negotiation.MEDIA_TYPES[fmt])


def _urls(request: Request) -> tuple[str, str]:
    return str(request.url_for("sparql")), str(request.url_for("void"))


# Other methods reach the handler too, so they get the protocol's plain-text 405 with Allow.
@router.api_route("/sparql", methods=["GET", "POST", "PUT", "DELETE", "PATCH"], name="sparql",
                  summary="SPARQL 1.1 Protocol endpoint (query; update with the operator's token)")
async def sparql(request: Request) -> Response:
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
        graph = description.service_description(service.dataset_info(), endpoint_url, void_url,
                                                service.settings.updates_enabled)
        return _response(request, _rdf_reply(graph, request, sparql_request.formats))
    context = service.context(endpoint_url)
    if len(sparql_request.text) <= SMALL_TEXT:
        prepared = protocol.prepare(sparql_request, context)  # at most a millisecond: not worth a thread
    else:
        prepared = await _prepare_in_lane(request, sparql_request, context)
    if isinstance(prepared, protocol.Reply):
        return _response(request, prepared)
    reply = await anyio.to_thread.run_sync(protocol.execute, prepared, context, limiter=_limiter(request))
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
    service = request.app.state.sparql
    endpoint_url, _ = _urls(request)
    graph = description.void_description(service.dataset_info(), endpoint_url)
    return _response(request, _rdf_reply(graph, request, request.query_params.getlist("format")))
