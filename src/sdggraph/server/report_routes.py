"""HTTP routes for the coverage-gap report: GET /report/coverage, GET /report/distribution.

/report/coverage?format=html|md|csv|json answers what `sdggraph report coverage` writes (HTML by
default). /report/distribution answers the graph's distribution of the indicator set beside the
report's figures as JSON ({"reproduces_report": bool, "distribution": [...]}), or ?format=csv.
No build → 503; an unknown format → 400.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..errors import BuildMissingError, SdggraphError
from ..report.coverage import coverage_report, distribution, distribution_mismatches
from ..report.render import FORMATS, MEDIA_TYPES, render
from .common import build_dir_of

router = APIRouter()


def _text(message: str, status: int) -> Response:
    return Response(message.rstrip("\n") + "\n", status_code=status, media_type="text/plain; charset=utf-8")


@router.get("/report/coverage", summary="The coverage-gap report (html, md, csv or json)")
def get_coverage(request: Request, format: str = "html"):
    if format not in FORMATS:
        return _text(f"ukjent format '{format}'; kjente: {', '.join(FORMATS)}", 400)
    try:
        report = coverage_report(build_dir=build_dir_of(request))
    except BuildMissingError as error:
        return _text(str(error), 503)
    except SdggraphError as error:
        return _text(str(error), 400)
    headers = {} if format == "html" else {"Content-Disposition": f'inline; filename="dekningsrapport.{format}"'}
    return Response(render(report, format).encode("utf-8"), media_type=MEDIA_TYPES[format], headers=headers)


@router.get("/report/distribution", summary="The indicator set in the graph beside the report's distribution")
def get_distribution(request: Request, format: str = "json"):
    if format not in ("json", "csv"):
        return _text(f"ukjent format '{format}'; kjente: json, csv", 400)
    try:
        records = distribution(build_dir=build_dir_of(request))
    except BuildMissingError as error:
        return _text(str(error), 503)
    if format == "csv":
        from ..cli.report import distribution_table
        from ..query.results import format_rows

        header, rows = distribution_table(records)
        return Response(format_rows(header, rows, "csv").encode("utf-8"), media_type=MEDIA_TYPES["csv"])
    body = {"reproduces_report": not distribution_mismatches(records), "distribution": records}
    return Response(json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8"), media_type="application/json")
