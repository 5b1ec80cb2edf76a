"""The query editor at `/` (and at /sparql for browsers): YASGUI, bundled, set up for this graph.

Plain functions the routes call: the page with its settings, the prefixes YASQE completes
(instead of prefix.cc) and the classes and properties it completes (instead of LOV), both from
the built graph, derived once per build. YASGUI itself is vendored in web/vendor/yasgui/
(scripts/refresh_yasgui.sh); nothing is fetched from another host.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path

from .. import config

VENDOR = ("web", "vendor", "yasgui")
VENDOR_FILES = {"yasgui.min.js": "text/javascript; charset=utf-8", "yasgui.min.css": "text/css; charset=utf-8",
                "LICENSE.txt": "text/plain; charset=utf-8", "yasgui.min.js.LICENSE.txt": "text/plain; charset=utf-8",
                "VERSION": "text/plain; charset=utf-8", "README.md": "text/markdown; charset=utf-8"}
OWL = "http://www.w3.org/2002/07/owl#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"


def package_file(*parts: str) -> bytes:
    return resources.files("sdggraph").joinpath(*parts).read_bytes()


def yasgui_version() -> str:
    for line in package_file(*VENDOR, "VERSION").decode("utf-8").splitlines():
        if line.startswith("version:"):
            return line.split(":", 1)[1].strip()
    return ""


def prefixes() -> dict[str, str]:
    """Our prefixes under the configured base, in prefix.cc's format (prefix → namespace)."""
    return {prefix: config.rebase(namespace) for prefix, namespace in sorted(config.PREFIXES.items())}


@functools.lru_cache(maxsize=1)
def _template() -> str:
    return package_file("web", "index.html").decode("utf-8")


def index_html() -> str:
    """The editor page with the settings its script needs (base IRI, prefixes, YASGUI version)."""
    settings = {"base": config.base_iri(), "prefixes": prefixes(), "yasgui": yasgui_version()}
    # JSON inside <script>: escape '<' so no value can close the element
    data = json.dumps(settings, ensure_ascii=False).replace("<", "\\u003c")
    return _template().replace("{{CONFIG_JSON}}", data)


CLASSES = f"""SELECT DISTINCT ?term WHERE {{
  {{ ?term a <{OWL}Class> }} UNION {{ ?term a <{RDFS}Class> }} UNION {{ [] a ?term }}
  FILTER(isIRI(?term))
}}"""
PROPERTIES = f"""SELECT DISTINCT ?term WHERE {{
  {{ ?term a <{OWL}ObjectProperty> }} UNION {{ ?term a <{OWL}DatatypeProperty> }}
  UNION {{ ?term a <{OWL}AnnotationProperty> }} UNION {{ ?term a <http://www.w3.org/1999/02/22-rdf-syntax-ns#Property> }}
  UNION {{ [] ?term [] }}
}}"""


@functools.lru_cache(maxsize=4)
def _vocabulary(build_dir: str, stamp: int) -> dict[str, list[str]]:
    from ..store.local import query

    def terms(sparql: str) -> list[str]:
        return sorted({solution["term"].value for solution in query(sparql, Path(build_dir))})
    return {"classes": terms(CLASSES), "properties": terms(PROPERTIES)}


def vocabulary(build_dir: Path) -> dict[str, list[str]]:
    """The classes and properties of the built graph (the ontology's and the ones the data uses),
    as full IRIs for YASQE's class and property completion; derived once per build."""
    from ..layout import MANIFEST_FILE, require_build

    build_dir = require_build(build_dir).resolve()
    manifest = build_dir / MANIFEST_FILE
    return _vocabulary(str(build_dir), manifest.stat().st_mtime_ns if manifest.exists() else 0)
