"""Where things are on disk: the hand-edited inputs and the layout of a build directory.

The build writes a build directory and everything else (store, server, exports, push) reads it;
both sides take the file names from here, so the on-disk layout is defined once.
"""

from __future__ import annotations

import os
from pathlib import Path

from . import config
from .errors import BuildMissingError

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parents[1]
ONTOLOGY_DIR = REPO_ROOT / "ontology"
DATA_DIR = REPO_ROOT / "data"
SHAPES_DIR = REPO_ROOT / "shapes"
QUERIES_DIR = REPO_ROOT / "queries"
DEFAULT_BUILD_DIR = REPO_ROOT / "build"

# A build directory: per layer sorted N-Triples and Turtle, the dataset as N-Quads (one named
# graph per layer), the pyoxigraph store the service opens, and the manifest of what was loaded.
LAYERS = ("asserted", "reference", "inferred")
STORE_DIR = "oxigraph"
DATASET_FILE = "dataset.nq"
MANIFEST_FILE = "manifest.json"


def build_dir() -> Path:
    return Path(os.environ.get("SDGGRAPH_BUILD_DIR", DEFAULT_BUILD_DIR))


def graph_iri(layer: str) -> str:
    """The named graph of a layer, under the configured base IRI."""
    return config.rebase(config.GRAPH_NAMES[layer])


def require_build(build_dir: Path | None = None) -> Path:
    """The build directory, or BuildMissingError when it holds no complete build."""
    build_dir = Path(build_dir or globals()["build_dir"]())
    if not (build_dir / STORE_DIR).is_dir() or not (build_dir / DATASET_FILE).is_file():
        raise BuildMissingError(build_dir)
    return build_dir
