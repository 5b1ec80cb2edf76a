"""create_app(): the FastAPI app, a small shell over routers.

Each *_routes module (and pages) holds one APIRouter; what they share is in common.py.
The app holds the SPARQL service (app.state.sparql: settings and the query worker pool),
caps request bodies and logs every request.
"""

from __future__ import annotations

import asyncio
import inspect
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response

from .. import __version__
from . import (
    editor_routes,
    export_routes,
    pages,
    query_routes,
    report_routes,
    sparql_routes,
    traverse_routes,
    warm,
)
from .caching import HttpCaching
from .heavy import RETRY_AFTER_S, Busy
from .middleware import BodyLimit, RequestLog
from .service import SparqlService
from .settings import Settings

# FastAPI ≥ 0.16x asks OpenTelemetry for its providers on every request (~0.02 ms of a 0.1 ms warm
# answer); the service logs every request itself (middleware.RequestLog, `--log-format json`).
_NO_TELEMETRY = ({"telemetry": {"tracing": False, "metrics": False, "logs": False}}
                 if "telemetry" in inspect.signature(FastAPI).parameters else {})


def _busy(request: Request, refused: Busy) -> Response:
    request.state.outcome = "busy"
    return PlainTextResponse(f"{refused}\n", status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)})


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app over the build in settings.build_dir; raises BuildMissingError when there is none."""
    settings = settings or Settings.from_env()
    service = SparqlService(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        service.start()  # workers open the store while the server starts listening
        warming = asyncio.create_task(warm.keep_warm(app)) if settings.warm_derived else None
        try:
            yield
        finally:
            if warming is not None:
                warming.cancel()
            service.close()

    app = FastAPI(title="sdggraph", version=__version__, lifespan=lifespan,
                  description="Asker kommunes styring etter FNs bærekraftsmål: SPARQL 1.1-endepunkt, "
                              "navngitte spørsmål og grafvandring.",
                  docs_url=None, redoc_url=None,  # their pages load scripts from a CDN; the service works offline
                  **_NO_TELEMETRY)
    app.state.settings = settings
    app.state.sparql = service
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, body_seconds=settings.request_seconds)
    app.add_middleware(HttpCaching, service=service, max_bytes=settings.cache_mb << 20)  # ETag, 304, HEAD, gzip
    app.add_middleware(RequestLog, in_flight=service.in_flight)  # last: outermost, so it times and logs the 413s too
    app.add_exception_handler(Busy, _busy)
    for routes in (query_routes, sparql_routes, traverse_routes, editor_routes, pages, report_routes,
                   export_routes):
        app.include_router(routes.router)
    return app
