"""HTTP routes for the exports: GET /export (the list), GET /export/{format}, GET /context.jsonld.

/export/{format} answers the same bytes as `sdggraph export FORMAT` (file sets such as opensdg as
a zip); `?gzip=true` gzips them, `?format=csv|xlsx` picks the table format of observations and
indicators. The DCAT export's access URLs are built from the request's base URL. Unknown format →
404; an export that fails its profile check → 422 with the messages; no build → 503.

Each export is made once per version of the graph (build and update generation) into the derived
folder and served from there as a file (server/derived.py): concurrent first requests wait for one
computation, later ones read the file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, Response

from ..errors import BuildMissingError, SdggraphError
from ..export import FORMATS, run_export
from ..export.common import gzip_bytes
from ..export.dumps import context_text, published_context
from ..layout import derived_name
from .common import build_dir_of, derived_of, short_hash, too_large
from .derived import DerivedFailure

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


TABLE_EXPORTS = {"observations", "indicators"}  # the ones ?format= changes
TABLE_FORMATS = ("csv", "xlsx")
MAX_URL_VARIANTS = 8  # derived files per distinct base URL (dcat names the URL the client used)


def write_export(tmp: Path, meta: Path, name: str, build_dir: Path, table_format: str, base_url: str) -> None:
    """Export `name` into `tmp`, its media type and file name into `meta` (in the derive child)."""
    result = run_export(name, build_dir, table_format=table_format, base_url=base_url)
    about = {"media_type": result.payload_media_type(), "filename": result.payload_filename()}
    meta_tmp = meta.with_name(meta.name + ".tmp")
    meta_tmp.write_text(json.dumps(about), encoding="utf-8")
    os.replace(meta_tmp, meta)
    tmp.write_bytes(result.payload())


def export_payload(name: str, build_dir: Path, base_url: str) -> tuple[bytes, str, str]:
    """Export `name`: its bytes, media type and file name (in the derive child)."""
    result = run_export(name, build_dir, base_url=base_url)
    return result.payload(), result.payload_media_type(), result.payload_filename()


@router.get("/export/{name}", summary="Download an export of the built graph")
async def get_export(name: str, request: Request, gzip: str = "false", format: str = "csv"):
    if name not in FORMATS:
        return _text(f"ukjent eksportformat '{name}'; kjente: {', '.join(FORMATS)}", 404)
    if (refused := too_large(request, f"sdggraph export {name}")) is not None:
        return refused
    base_url = str(request.base_url)
    variant = ""
    if name in TABLE_EXPORTS:
        if format not in TABLE_FORMATS:
            return _text(f"ukjent tabellformat '{format}'; kjente: {', '.join(TABLE_FORMATS)}", 400)
        variant = f"-{format}"
    if name == "dcat":  # its access URLs name this service as the client reached it
        variant = f"-{short_hash(base_url)}"
    try:
        derived, folder = derived_of(request)
        path = folder / derived_name("export", name=name, variant=variant)
        if name == "dcat" and not path.is_file() and derived.count(folder, "export-dcat-*") >= MAX_URL_VARIANTS:
            # Host is the client's to choose: past a few, answer without keeping a file per name
            async with derived.heavy.slot():
                payload, media_type, filename = await run_in_threadpool(
                    derived.child.call, export_payload, name, build_dir_of(request), base_url)
            return Response(payload, media_type=media_type,
                            headers={"Content-Disposition": f'attachment; filename="{filename}"'})
        meta = path.with_name(path.name + ".meta.json")

        def make(tmp):  # on the derive thread; the export is made in the derive child
            derived.child.call(write_export, tmp, meta, name, build_dir_of(request), format, base_url)

        path = await derived.aensure(path, make)
        about = json.loads(meta.read_text(encoding="utf-8"))
        media_type, filename = about["media_type"], about["filename"]
        if gzip.lower() in TRUE:
            source = path
            path = await derived.aensure(path.with_name(path.name + ".gz"),
                                         lambda tmp: tmp.write_bytes(gzip_bytes(source.read_bytes())))
            media_type, filename = "application/gzip", filename + ".gz"
    except DerivedFailure as failure:
        return _text(str(failure), failure.status)
    except BuildMissingError as error:
        return _text(str(error), 503)
    except SdggraphError as error:
        return _text(str(error), 400)
    return FileResponse(path, media_type=media_type,
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/context.jsonld", summary="sdggraph's JSON-LD @context")
def context():
    # The versioned file, moved to the configured base IRI (identical under the default base).
    return Response(context_text({"@context": published_context()}).encode("utf-8"), media_type="application/ld+json",
                    headers={"Cache-Control": "max-age=300"})
