"""HTTP routes of the query editor: the page at `/`, its completion lists, and the vendored YASGUI."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from ..errors import BuildMissingError
from . import editor
from .common import build_dir_of, error

router = APIRouter()


@router.get("/")
def index():
    return HTMLResponse(editor.index_html())


@router.get("/editor/prefixes.json")
def prefixes():
    return JSONResponse(editor.prefixes(), headers={"Cache-Control": "max-age=300"})


@router.get("/editor/vocabulary.json")
def vocabulary(request: Request):
    try:
        return JSONResponse(editor.vocabulary(build_dir_of(request)), headers={"Cache-Control": "max-age=300"})
    except BuildMissingError as failure:
        return error(503, str(failure))


@router.get("/web/vendor/yasgui/{name}")
def vendor_file(name: str):
    if name not in editor.VENDOR_FILES:  # a fixed list: nothing else under the package is reachable
        return Response("not found\n", status_code=404, media_type="text/plain; charset=utf-8")
    return Response(editor.package_file(*editor.VENDOR, name), media_type=editor.VENDOR_FILES[name],
                    headers={"Cache-Control": "max-age=86400"})
