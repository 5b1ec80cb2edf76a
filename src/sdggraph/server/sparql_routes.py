"""HTTP routes of the SPARQL 1.1 Protocol endpoint (/sparql) and the VoID description.

Thin: the protocol lives in protocol.py, safety in guard.py, execution in executor.py. The service
description and VoID are made once per version of the graph and endpoint URL into the derived
folder and served as files; a successful update bumps the version (SparqlService.run_update).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from ..errors import BuildMissingError
from ..layout import derived_name
from . import description, negotiation, protocol
from .common import derived_of, short_hash

router = APIRouter()

RDF_OFFERS = negotiation.GRAPH_OFFERS


def _response(request: Request, reply: protocol.Reply, vary: bool = True) -> Response:
    request.state.outcome = reply.outcome
    headers = dict(reply.headers)
    headers["Access-Control-Allow-Origin"] = "*"  # read-only data, no cookies: browser clients elsewhere may query
    if vary:
        headers["Vary"] = "Accept"
    return Response(reply.body, status_code=reply.status, media_type=reply.media_type, headers=headers)


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
    return description.read_dataset_info(service.current_build())


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
            request.method, request.query_params.multi_items(), request.headers.get("content-type"),
            await request.body(), request.headers.get("accept"), request.headers.get("authorization"))
    except protocol.ProtocolError as error:
        return _response(request, protocol.error_reply(error))
    if sparql_request.operation == "describe":
        updates = service.settings.updates_enabled
        return await _description(
            request, "service-description",
            lambda: description.service_description(_current_info(request), endpoint_url, void_url, updates),
            sparql_request.formats, endpoint=short_hash(endpoint_url + " " + void_url), updates=int(updates))
    context = service.context(endpoint_url)
    if sparql_request.operation == "update":
        reply = await run_in_threadpool(service.run_update, lambda: protocol.answer(sparql_request, context))
    else:
        reply = await run_in_threadpool(protocol.answer, sparql_request, context)
    return _response(request, reply)


@router.get("/.well-known/void", name="void", summary="VoID description of the dataset")
async def void(request: Request) -> Response:
    endpoint_url, _ = _urls(request)
    return await _description(request, "void", lambda: description.void_description(_current_info(request), endpoint_url),
                              request.query_params.getlist("format"), endpoint=short_hash(endpoint_url))
