"""HTTP routes for the coverage-gap report: GET /report/coverage, GET /report/distribution.

/report/coverage?format=html|md|csv|json answers what `sdggraph report coverage` writes (HTML by
default). /report/distribution answers the graph's distribution of the indicator set beside the
report's figures as JSON ({"reproduces_report": bool, "distribution": [...]}), or ?format=csv.
No build → 503; an unknown format → 400. Both are made once per version of the graph (build and
update generation) into the derived folder and served from there as files; the HTML report says
which version it shows and when that was made.
"""

from __future__ import annotations

import json
import time
from html import escape
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from ..errors import BuildMissingError, SdggraphError
from ..layout import derived_name
from ..report.coverage import coverage_report, distribution, distribution_mismatches
from ..report.render import FORMATS, MEDIA_TYPES, render
from .common import build_dir_of, derived_of, too_large
from .derived import DerivedFailure

router = APIRouter()


def _text(message: str, status: int) -> Response:
    return Response(message.rstrip("\n") + "\n", status_code=status, media_type="text/plain; charset=utf-8")


def _made_line(request: Request) -> str:
    service = getattr(request.app.state, "sparql", None)
    if service is None:
        return ""
    version = service.version()
    when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(version.made))
    text = (f"Laget fra bygget {version.build}, oppdatering {version.generation}, grafen per {when} · "
            f"Made from build {version.build}, update {version.generation}, the graph as of {when}")
    return f'<p class="made" style="color:#666;font-size:.85em">{escape(text)}</p>'


def write_coverage(tmp: Path, build_dir: Path, format: str, made_line: str) -> None:
    """The coverage report in `format` into `tmp` (in the derive child)."""
    text = render(coverage_report(build_dir=build_dir), format)
    if format == "html":
        text = text.replace("</body>", made_line + "</body>", 1)
    tmp.write_bytes(text.encode("utf-8"))


def write_distribution(tmp: Path, build_dir: Path, format: str) -> None:
    """The indicator set's distribution beside the report's, as csv or json, into `tmp` (in the derive child)."""
    records = distribution(build_dir=build_dir)
    if format == "csv":
        from ..cli.report import distribution_table
        from ..query.results import format_rows

        header, rows = distribution_table(records)
        tmp.write_bytes(format_rows(header, rows, "csv").encode("utf-8"))
    else:
        body = {"reproduces_report": not distribution_mismatches(records), "distribution": records}
        tmp.write_bytes(json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8"))


async def _derived_file(request: Request, name: str, make, media_type: str, headers: dict, command: str) -> Response:
    if (refused := too_large(request, command)) is not None:
        return refused
    try:
        derived, folder = derived_of(request)
        path = await derived.aensure(folder / name, make)
    except DerivedFailure as failure:
        return _text(str(failure), failure.status)
    except BuildMissingError as error:
        return _text(str(error), 503)
    except SdggraphError as error:
        return _text(str(error), 400)
    return FileResponse(path, media_type=media_type, headers=headers, content_disposition_type="inline")


@router.get("/report/coverage", summary="The coverage-gap report (html, md, csv or json)")
async def get_coverage(request: Request, format: str = "html"):
    if format not in FORMATS:
        return _text(f"ukjent format '{format}'; kjente: {', '.join(FORMATS)}", 400)

    def make(tmp):  # on the derive thread; the report is made in the derive child
        derived_of(request)[0].child.call(write_coverage, tmp, build_dir_of(request), format, _made_line(request))

    headers = {} if format == "html" else {"Content-Disposition": f'inline; filename="dekningsrapport.{format}"'}
    return await _derived_file(request, derived_name("coverage", format=format), make, MEDIA_TYPES[format], headers,
                               f"sdggraph report coverage --format {format}")


@router.get("/report/distribution", summary="The indicator set in the graph beside the report's distribution")
async def get_distribution(request: Request, format: str = "json"):
    if format not in ("json", "csv"):
        return _text(f"ukjent format '{format}'; kjente: json, csv", 400)

    def make(tmp):
        derived_of(request)[0].child.call(write_distribution, tmp, build_dir_of(request), format)

    media_type = MEDIA_TYPES["csv"] if format == "csv" else "application/json"
    return await _derived_file(request, derived_name("distribution", format=format), make, media_type, {},
                               "sdggraph report distribution")
