"""What every router of the service shares: the build it serves, format choice, error answers,
and the HTML frame of a page. Routers import this, never each other."""

from __future__ import annotations

import hashlib
from html import escape
from pathlib import Path
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from .. import config
from . import negotiation


def build_dir_of_app(app) -> Path:
    """The build every view of the app reads: the build directory, or with updates enabled a
    snapshot of the store as of the last update (SparqlService.current_build)."""
    service = getattr(app.state, "sparql", None)
    return service.current_build() if service is not None else Path(app.state.settings.build_dir)


def build_dir_of(request: Request) -> Path:
    return build_dir_of_app(request.app)


_BARE_DERIVED = None


def _bare_derived():
    """The Derived of an app without the SPARQL service (a router mounted alone)."""
    from .derived import Derived

    global _BARE_DERIVED
    if _BARE_DERIVED is None:
        _BARE_DERIVED = Derived()
    return _BARE_DERIVED


def derived_of(request: Request):
    """(Derived, folder) for files made once per version of the graph (see server/derived.py)."""
    service = getattr(request.app.state, "sparql", None)
    if service is not None:
        return service.derived, service.derived_dir()
    # An app without the SPARQL service: keyed by the build's manifest.
    from ..layout import MANIFEST_FILE, derived_root, require_build

    build = require_build(Path(request.app.state.settings.build_dir))
    key = hashlib.sha256((build / MANIFEST_FILE).read_bytes()).hexdigest()[:16]
    return _bare_derived(), derived_root(build) / f"{key}-0"


def heavy_of(request: Request):
    """The admission of work computed in the server process (server/heavy.HeavyWork)."""
    service = getattr(request.app.state, "sparql", None)
    return (service.derived if service is not None else _bare_derived()).heavy


def too_large(request: Request, command: str) -> Response | None:
    """503 when the graph has more triples than the service derives exports, reports and walks
    from in its own process (settings.derived_limit: rdflib and networkx take minutes and
    gigabytes at national scale), saying which command makes it offline; else None."""
    if not over_derived_limit(request.app):
        return None
    triples, limit = request.app.state.sparql.dataset_info().triples, request.app.state.settings.derived_limit
    return PlainTextResponse(
        f"the graph has {triples:,} triples, more than the {limit:,} the service makes this from in its own process "
        f"(SDGGRAPH_DERIVED_LIMIT); make it with `{command}` on the build; SPARQL, the named questions and the "
        f"pages answer as before\n", status_code=503)


def over_derived_limit(app) -> bool:
    """Whether the graph is above settings.derived_limit (see too_large)."""
    service = getattr(app.state, "sparql", None)
    limit = app.state.settings.derived_limit
    try:
        return bool(service is not None and limit and service.dataset_info().triples > limit)
    except (OSError, ValueError, KeyError):  # no build yet: the routes say so
        return False


def short_hash(text: str) -> str:
    """A file-name-safe stand-in for a URL or other text in a derived file's name."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def pick_format(request: Request, offers: list[tuple[str, str]]) -> str | None:
    """`format=` (a short name) first, then Accept with q-values; None when nothing fits (406)."""
    wanted = request.query_params.get("format")
    if wanted:
        return wanted if wanted in {name for _, name in offers} else None
    return negotiation.choose(offers, request.headers.get("accept"))


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def not_acceptable(offers) -> JSONResponse:
    names = ", ".join(f"{media} (format={name})" for media, name in offers)
    return error(406, f"cannot answer in the requested format; available: {names}")


def local_href(iri: str) -> str:
    """Where a browser on this service finds an IRI's page."""
    base = config.base_iri()
    if iri.startswith(base) and len(iri) > len(base):
        return "/" + iri[len(base):]
    return "/resource?iri=" + quote(iri, safe="")


def page(title: str, body: str) -> str:
    """The frame every HTML page shares: header with navigation, and the shared stylesheet."""
    return ("<!doctype html>\n<html lang=\"nb\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)} – sdggraph</title>"
            '<link rel="stylesheet" href="/web/style.css"></head><body>'
            '<header class="top"><a href="/">sdggraph</a> · <a href="/">Spørringer</a> · '
            '<a href="/queries">Navngitte spørsmål</a> · <a href="/traverse/impact?goal=13">Fra FN-mål 13</a> · '
            '<a href="/ontology">Ontologien</a></header>'
            f"<main>{body}</main></body></html>\n")
