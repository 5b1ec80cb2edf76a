"""Where things are on disk: the hand-edited inputs and the layout of a build directory.

The build writes a build directory and everything else (store, server, exports, push) reads it;
both sides take the file names from here, so the on-disk layout is defined once.
"""

from __future__ import annotations

import os
from pathlib import Path

from . import config
from .errors import BuildMissingError, InputsMissingError

PACKAGE_DIR = Path(__file__).resolve().parent
SOURCE_ROOT = PACKAGE_DIR.parents[1]  # a checkout: src/sdggraph/ sits two levels below it
BUNDLE_ROOT = PACKAGE_DIR / "bundled"  # a wheel: ontology/ data/ shapes/ queries/ copied in when packaged
INPUT_DIRS = ("ontology", "data", "shapes", "queries")


def input_root() -> Path:
    """The folder holding ontology/, data/, shapes/ and queries/: the checkout when running from
    one (edits are seen at once), else the copy bundled in the installed package."""
    for root in (SOURCE_ROOT, BUNDLE_ROOT):
        if all((root / name).is_dir() for name in INPUT_DIRS):
            return root
    raise InputsMissingError(f"no ontology/, data/, shapes/ and queries/ found; looked in {SOURCE_ROOT} "
                             f"and {BUNDLE_ROOT} (reinstall sdggraph, or give --data DIR)")


def data_dir() -> Path:
    """Where the facts are: $SDGGRAPH_DATA (`--data DIR`: an edited copy, another municipality's
    data), else the bundled Asker data."""
    chosen = os.environ.get("SDGGRAPH_DATA")
    return Path(chosen) if chosen else input_root() / "data"


def ontology_dir() -> Path:
    return input_root() / "ontology"


def shapes_dir() -> Path:
    return input_root() / "shapes"


def queries_dir() -> Path:
    return input_root() / "queries"


# A build directory: per layer sorted N-Triples and Turtle, the dataset as N-Quads (one named
# graph per layer), the pyoxigraph store the service opens, and the manifest of what was loaded.
LAYERS = ("asserted", "reference", "inferred")
STORE_DIR = "oxigraph"
DATASET_FILE = "dataset.nq"
MANIFEST_FILE = "manifest.json"
LOCATIONS_FILE = "locations.json"  # resource IRI -> "file:line" it was compiled from (validation messages)
# The integrity checks' results on this build, per state of shapes/ and queries/ (check/validate.py):
# the build's gate computes them, `validate` and `check` read them instead of checking again.
VALIDATION_DIR = "validation"

# What the service derives from a build, once, lazily, under DERIVED_DIR/<version>/ (version: the
# manifest's hash and the update generation), so a request never recomputes it. SNAPSHOT_DIR holds,
# when updates are enabled, the store as it was at that generation (a build directory of its own).
DERIVED_DIR = "derived"
SNAPSHOT_DIR = "snapshot"
DERIVED_FILES = {
    "export": "export-{name}{variant}",           # + .meta.json: media type and download name
    "coverage": "coverage.{format}",
    "distribution": "distribution.{format}",
    "void": "void-{endpoint}.{format}",
    "service-description": "service-description-{endpoint}-{updates}.{format}",
    "traverse": "traverse-{build}.pickle",  # the networkx graph of query/traverse.py
}


def derived_name(kind: str, **parts) -> str:
    return DERIVED_FILES[kind].format(**parts)


def derived_root(build_dir: Path) -> Path:
    """Where derived files of a build go: inside it (so a rebuild swaps them out with it), or, when
    the build directory is read-only, a per-build folder in the temporary directory."""
    import hashlib
    import tempfile

    inside = Path(build_dir) / DERIVED_DIR
    try:
        inside.mkdir(exist_ok=True)
        if os.access(inside, os.W_OK):
            return inside
    except OSError:
        pass
    stamp = hashlib.sha256(str(Path(build_dir).resolve()).encode()).hexdigest()[:16]
    fallback = Path(tempfile.gettempdir()) / f"sdggraph-derived-{os.getuid()}" / stamp
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback


def build_dir() -> Path:
    """$SDGGRAPH_BUILD_DIR, else ./build where the command runs."""
    chosen = os.environ.get("SDGGRAPH_BUILD_DIR")
    return Path(chosen) if chosen else Path.cwd() / "build"


def graph_iri(layer: str) -> str:
    """The named graph of a layer, under the configured base IRI."""
    return config.rebase(config.GRAPH_NAMES[layer])


def require_build(build_dir: Path | None = None) -> Path:
    """The build directory, or BuildMissingError when it holds no complete build."""
    build_dir = Path(build_dir or globals()["build_dir"]())
    if not (build_dir / STORE_DIR).is_dir() or not (build_dir / DATASET_FILE).is_file():
        raise BuildMissingError(build_dir)
    return build_dir
