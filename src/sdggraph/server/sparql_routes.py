"""HTTP routes of the SPARQL 1.1 Protocol endpoint (/sparql) and the VoID description.

Thin: the protocol lives in protocol.py, safety in guard.py, execution in executor.py.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from . import description, editor, negotiation, protocol

router = APIRouter()

RDF_OFFERS = negotiation.GRAPH_OFFERS


def _response(request: Request, reply: protocol.Reply, vary: bool = True) -> Response:
    request.state.outcome = reply.outcome
    headers = dict(reply.headers)
    headers["Access-Control-Allow-Origin"] = "*"  # read-only data, no cookies: browser clients elsewhere may query
    if vary:
        headers["Vary"] = "Accept"
    return Response(reply.body, status_code=reply.status, media_type=reply.media_type, headers=headers)


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


def _wants_page(request: Request) -> bool:
    """A GET with no query, no format= and an Accept that names text/html above the RDF formats."""
    if request.method != "GET" or request.query_params.getlist("format"):
        return False
    accept = request.headers.get("accept") or ""
    return "text/html" in accept and negotiation.choose([("text/html", "html"), *RDF_OFFERS], accept) == "html"


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
        if _wants_page(request):  # a browser opening /sparql gets the editor, as Fuseki and Oxigraph do
            return HTMLResponse(editor.index_html(), headers={"Vary": "Accept"})
        graph = description.service_description(service.dataset_info(), endpoint_url, void_url,
                                                service.settings.updates_enabled)
        return _response(request, _rdf_reply(graph, request, sparql_request.formats))
    reply = await run_in_threadpool(protocol.answer, sparql_request, service.context(endpoint_url))
    return _response(request, reply)


@router.get("/.well-known/void", name="void", summary="VoID description of the dataset")
async def void(request: Request) -> Response:
    service = request.app.state.sparql
    endpoint_url, _ = _urls(request)
    graph = description.void_description(service.dataset_info(), endpoint_url)
    return _response(request, _rdf_reply(graph, request, request.query_params.getlist("format")))
