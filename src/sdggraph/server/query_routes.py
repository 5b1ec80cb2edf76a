"""HTTP routes for the named questions: GET /queries and GET /queries/{name}.

/queries lists them (JSON; HTML for browsers). /queries/{name}?param=value runs one with its
parameters bound as typed terms (named_queries) in the app's SPARQL worker pool, and answers
the rows as JSON (what the CLI's `--format json` prints), CSV, SPARQL JSON results (with term
types), or — format=sparql — the query text with the values bound and without developer
comments, which the web page puts in its editor. Unknown name → 404, unknown parameter or invalid value → 400.

`kommune=<kommunenummer>` asks about one kommune of a dataset of several (store/dataset.DatasetInfo):
the question then reads that kommune's graphs and the shared ones. The default is the home kommune;
a dataset of one kommune is read whole.
"""

from __future__ import annotations

from html import escape

import pyoxigraph
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response

from ..errors import SdggraphError
from ..query import named as named_queries
from ..query.results import format_rows, term_text
from .common import build_dir_of, error, not_acceptable, page, pick_format

router = APIRouter()

LIST_OFFERS = [("application/json", "json"), ("text/html", "html")]
RUN_OFFERS = [("application/json", "json"), ("text/csv", "csv"), ("application/sparql-results+json", "sparql-json"),
              ("application/sparql-query", "sparql")]
MEDIA = {"json": "application/json", "csv": "text/csv; charset=utf-8", "html": "text/html; charset=utf-8",
         "sparql-json": "application/sparql-results+json", "sparql": "application/sparql-query; charset=utf-8"}


class ServiceError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


SERVICE_STATUS = {"timeout": 503, "busy": 503, "too-many-rows": 413}
DIRECTORY_MAX_AGE = 2.0  # seconds: queries/ is looked at again at most this often (edits show then)


def computed_defaults(request: Request, query: named_queries.NamedQuery,
                      graphs: list[str] | None = None) -> dict[str, str]:
    """The question's computed defaults (e.g. the latest reporting year) in the graph this app serves
    (`graphs`: the default graph of one kommune, see kommune_graphs)."""
    from ..store.local import select_local

    if not query.computed_defaults:
        return {}
    service = getattr(request.app.state, "sparql", None)
    if service is not None:  # once per version of the graph
        return service.computed_defaults(query.computed_defaults, graphs)
    build_dir = build_dir_of(request)
    return named_queries.compute_defaults(
        query.computed_defaults, lambda sparql: select_local(sparql, build_dir=build_dir, default_graph=graphs))


def kommune_graphs(request: Request, kommune: str | None) -> list[str] | None:
    """The default graph of a question about `kommune` (None: the whole dataset); ServiceError 404
    for a kommune the dataset does not hold."""
    from ..store.dataset import UnknownKommuneError, read_dataset_info

    service = getattr(request.app.state, "sparql", None)
    info = service.dataset_info() if service is not None else read_dataset_info(build_dir_of(request))
    try:
        return info.default_graph_of(kommune)
    except UnknownKommuneError as failure:
        raise ServiceError(404, str(failure)) from failure


async def run_in_service(request: Request, query: named_queries.NamedQuery, params: dict[str, str],
                         graphs: list[str] | None, computed: dict[str, str], kommune: str | None) -> bytes:
    """SPARQL JSON results of a named question from the app's worker pool (app.state.sparql): the
    same timeout, row cap and cores as /sparql; about one kommune of a dataset of several."""
    from .executor import Job

    text = query.with_values(params, computed, kommune)
    job = Job(text, default_graph=graphs, union=graphs is None, tabular_format="json")
    alone = request.scope["state"].get("alone", False)  # middleware.RequestLog
    outcome = await request.app.state.sparql.run_named(job, query.name, alone)
    if outcome.status != "ok":
        raise ServiceError(SERVICE_STATUS.get(outcome.status, 500), outcome.message or outcome.status)
    return outcome.body


async def defaults_for(request: Request, query: named_queries.NamedQuery, graphs: list[str] | None) -> dict[str, str]:
    """computed_defaults from the event loop: the service's kept values, else computed in a thread."""
    service = getattr(request.app.state, "sparql", None)
    known = service.known_defaults(query.computed_defaults, graphs) if service is not None else None
    if known is not None:
        return known
    return await run_in_threadpool(computed_defaults, request, query, graphs)


@router.get("/queries")
def list_queries(request: Request):
    fmt = pick_format(request, LIST_OFFERS)
    if fmt is None:
        return not_acceptable(LIST_OFFERS)
    queries = [query.describe(computed_defaults(request, query)) for query in named_queries.discover().values()]
    if fmt == "json":
        return JSONResponse(queries)
    return HTMLResponse(listing_html(queries))


async def run_query(request: Request):
    # async: a cold question's answer is awaited on the worker's pipe, with no hop to a thread
    name = request.path_params["name"]
    fmt = pick_format(request, RUN_OFFERS)
    params: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        if key == "format":
            continue
        if key in params:
            return error(400, f"parameter '{key}' given twice")
        params[key] = value
    kommune = params.pop(named_queries.KOMMUNE_PARAM, None)
    try:
        query = named_queries.get(name, max_age=DIRECTORY_MAX_AGE)
        if fmt is None:
            return not_acceptable(RUN_OFFERS)
        named_queries.check_kommune(kommune)
        graphs = kommune_graphs(request, kommune)
        computed = await defaults_for(request, query, graphs)
        if fmt == "sparql":  # with the kommune's graphs named, the text reads what the question read
            from ..store.remote import with_dataset

            text = query.shown_with_values(params, computed, kommune)
            return Response(text if graphs is None else with_dataset(text, graphs), media_type=MEDIA[fmt])
        results = await run_in_service(request, query, params, graphs, computed, kommune)
    except ServiceError as failure:
        return error(failure.status, str(failure))
    except named_queries.UnknownQueryError as failure:
        return error(404, str(failure))
    except SdggraphError as failure:  # unknown parameter, invalid value
        return error(400, str(failure))
    if fmt == "sparql-json":  # the worker's answer as it is
        return Response(results, media_type=MEDIA[fmt])
    if len(results) > INLINE_CONVERSION_BYTES:  # keep the event loop free of long conversions
        return await run_in_threadpool(converted, results, fmt)
    return converted(results, fmt)


# A plain route: FastAPI's dependency solving took ~0.1 ms of each request, for one path parameter.
router.add_route("/queries/{name}", run_query, methods=["GET"])

INLINE_CONVERSION_BYTES = 64 * 1024


def converted(results: bytes, fmt: str) -> Response:
    """SPARQL JSON results as the rows of `fmt` (json or csv)."""
    solutions = pyoxigraph.parse_query_results(results, pyoxigraph.QueryResultsFormat.JSON)
    header = [variable.value for variable in solutions.variables]
    rows = [[term_text(solution[name]) for name in header] for solution in solutions]
    return Response(format_rows(header, rows, fmt), media_type=MEDIA[fmt])


def listing_html(queries: list[dict]) -> str:
    """/queries for people: each question with its parameters and links to run it."""
    items = []
    for query in queries:
        params = ", ".join(f"<code>{escape(p['name'])}</code> = <code>{escape(p['default'])}</code>"
                           + (f" ({escape(' | '.join(p['choices']))})" if p["choices"] else "")
                           for p in query["params"])
        name = escape(query["name"])
        items.append(
            f'<li><p class="question">{escape(query["question_nb"])}</p>'
            f'<p class="en" lang="en">{escape(query["question_en"])}</p>'
            f"<p><code>{name}</code>{' — parametre: ' + params if params else ''}</p>"
            f'<p><a href="/queries/{name}?format=json">JSON</a> · <a href="/queries/{name}?format=csv">CSV</a> · '
            f'<a href="/queries/{name}?format=sparql">SPARQL</a> · <a href="/#q={name}">Åpne i editoren</a></p></li>')
    body = ("<h1>Navngitte spørsmål</h1>"
            "<p>Spørsmål om Asker kommunes styring etter FNs bærekraftsmål. Spørsmål som slutter på "
            "<code>-violation</code> er kontroller som skal gi null rader.</p>"
            f'<ul class="queries">{"".join(items)}</ul>')
    return page("Navngitte spørsmål", body)
