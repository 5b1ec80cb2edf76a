"""HTTP routes for graph traversal: /traverse/path, /traverse/neighbourhood, /traverse/impact.

JSON by default (nodes with labels and types, edges with predicates); an SVG picture with
`Accept: image/svg+xml` or `format=svg`; and for browsers (`Accept: text/html`) a page with the
picture inline, its nodes linking to their resource pages. The networkx graph is derived once,
as the app starts (traverse.graph caches it by build directory), not per request. A walk is
computed in the server process, so it takes a slot of its heavy work (server/heavy.py); a repeat
is answered from the result cache (server/caching.py) and takes none.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from html import escape

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response

from ..errors import BuildMissingError, SdggraphError
from ..query import traverse
from .common import (
    build_dir_of,
    build_dir_of_app,
    error,
    heavy_of,
    local_href,
    not_acceptable,
    over_derived_limit,
    page,
    pick_format,
    too_large,
)


@asynccontextmanager
async def lifespan(app):
    """Derive the networkx graph as the app starts (it is cached per build), not at a first
    request; not for a graph above settings.derived_limit (minutes and gigabytes in networkx):
    walks are then answered 503 and pages label from the store."""
    if not over_derived_limit(app):
        await run_in_threadpool(traverse.graph, build_dir_of_app(app))
    yield


router = APIRouter(lifespan=lifespan)

OFFERS = [("application/json", "json"), ("image/svg+xml", "svg"), ("text/html", "html")]


async def answer(request: Request, compute) -> Response:
    """Run a traversal (compute(graph) → Subgraph) and render it in the negotiated format, in a
    slot of the server's heavy work, off the event loop."""
    fmt = pick_format(request, OFFERS)
    if fmt is None:
        return not_acceptable(OFFERS)
    if (refused := too_large(request, f"sdggraph traverse {request.url.path.rsplit('/', 1)[-1]}")) is not None:
        return refused
    async with heavy_of(request).slot():
        return await run_in_threadpool(_render, request, fmt, compute)


def _render(request: Request, fmt: str, compute) -> Response:
    try:
        g = traverse.graph(build_dir_of(request))
        result = compute(g)
    except traverse.NodeNotFound as failure:
        return error(404, str(failure))
    except BuildMissingError as failure:
        return error(503, str(failure))
    except SdggraphError as failure:
        return error(400, str(failure))
    if fmt == "json":
        return JSONResponse(result.to_json(g))
    svg = traverse.to_svg(result, g, href=local_href)
    if fmt == "svg":
        return Response(svg, media_type="image/svg+xml")
    query = request.url.query
    links = " · ".join(f'<a href="{escape(request.url.path)}?{escape(query)}&amp;format={name}">{label}</a>'
                       for name, label in (("json", "JSON"), ("svg", "SVG")))
    notes = "".join(f"<li>{escape(note)}</li>" for _, note in sorted(result.empty.items()))
    body = (f"<h1>{escape(result.title)}</h1>"
            + (f'<ul class="empty-columns">{notes}</ul>' if notes else "")
            + f'<p class="downloads">Last ned: {links}</p><div class="graph">{svg}</div>')
    return HTMLResponse(page(result.title, body))


def _int(value: str | None, name: str, default: int | None = None) -> int:
    if value is None or value == "":
        if default is None:
            raise SdggraphError(f"parameter '{name}' is required")
        return default
    try:
        return int(value)
    except ValueError:
        raise SdggraphError(f"parameter '{name}' must be a whole number, got {value!r}") from None


def _required(request: Request, name: str) -> str:
    value = request.query_params.get(name)
    if not value:
        raise SdggraphError(f"parameter '{name}' is required (an IRI or a prefixed name like indicator:HEL-01)")
    return value


@router.get("/traverse/path")
async def path(request: Request):
    return await answer(request, lambda g: traverse.path(g, _required(request, "from"), _required(request, "to")))


@router.get("/traverse/neighbourhood")
async def neighbourhood(request: Request):
    return await answer(request, lambda g: traverse.neighbourhood(
        g, _required(request, "node"), _int(request.query_params.get("depth"), "depth", 1)))


@router.get("/traverse/impact")
async def impact(request: Request):
    return await answer(request, lambda g: traverse.impact(g, _int(request.query_params.get("goal"), "goal")))
