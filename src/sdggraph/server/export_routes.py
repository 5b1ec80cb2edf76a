"""HTTP routes for the exports: GET /export (the list), GET /export/{format}, GET /context.jsonld.

/export/{format} answers the same bytes as `sdggraph export FORMAT` (file sets such as opensdg as
a zip); `?gzip=true` gzips them, `?format=csv|xlsx` picks the table format of observations and
indicators. The DCAT export's access URLs are built from the request's base URL. Unknown format →
404; an export that fails its profile check → 422 with the messages; no build → 503.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ..errors import BuildMissingError, CheckFailed, SdggraphError
from ..export import FORMATS, run_export
from ..export.common import gzip_bytes
from ..export.dumps import context_text, published_context
from .common import build_dir_of

router = APIRouter()

TRUE = {"1", "true", "yes", "on"}


def _text(message: str, status: int) -> Response:
    return Response(message if message.endswith("\n") else message + "\n", status_code=status,
                    media_type="text/plain; charset=utf-8")


@router.get("/export", summary="The export formats")
def list_exports(request: Request):
    base = str(request.base_url)
    return JSONResponse([{"format": name, "description": fmt.description, "url": f"{base}export/{name}"}
                         for name, fmt in FORMATS.items()])


@router.get("/export/{name}", summary="Download an export of the built graph")
def get_export(name: str, request: Request, gzip: str = "false", format: str = "csv"):
    if name not in FORMATS:
        return _text(f"ukjent eksportformat '{name}'; kjente: {', '.join(FORMATS)}", 404)
    try:
        result = run_export(name, build_dir_of(request), table_format=format, base_url=str(request.base_url))
    except CheckFailed as failure:
        return _text(str(failure), 422)
    except BuildMissingError as error:
        return _text(str(error), 503)
    except SdggraphError as error:
        return _text(str(error), 400)
    data, media_type, filename = result.payload(), result.payload_media_type(), result.payload_filename()
    if gzip.lower() in TRUE:
        data, media_type, filename = gzip_bytes(data), "application/gzip", filename + ".gz"
    return Response(data, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/context.jsonld", summary="sdggraph's JSON-LD @context")
def context():
    # The versioned file, moved to the configured base IRI (identical under the default base).
    return Response(context_text({"@context": published_context()}).encode("utf-8"), media_type="application/ld+json",
                    headers={"Cache-Control": "max-age=300"})
