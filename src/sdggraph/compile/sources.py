"""Find and parse the hand-edited inputs: ontology/, data/ (Turtle and CSV tables).

Parsing lives here once; the build, validation and tests all load through `load_file`, so a
broken file is reported the same way everywhere: file, line, parser message.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph
from rdflib import Graph, URIRef
from rdflib.plugins.parsers.notation3 import BadSyntax

from .. import config, layout
from ..errors import InputFileError, InputsMissingError
from ..safexml import DoctypeRefused, refuse_doctype
from .tables import compile_tables

RDF_SUFFIXES = {".ttl": "turtle", ".nt": "nt", ".trig": "trig", ".jsonld": "json-ld", ".rdf": "xml", ".owl": "xml"}


@dataclass
class LoadedSource:
    path: Path
    layer: str  # "asserted" or "reference"
    graph: Graph

    def relative(self) -> str:
        try:
            return str(self.path.relative_to(layout.input_root()))
        except ValueError:
            return str(self.path)


def locate_syntax_error(path: Path, fmt: str, error: BadSyntax) -> tuple[int | None, str]:
    """Line and message for a syntax error rdflib found.

    rdflib's own line counter drifts on long files, so the file is re-read with Oxigraph's
    parser, which reports the exact line and column; rdflib's message is the fallback.
    """
    oxigraph_formats = {"turtle": pyoxigraph.RdfFormat.TURTLE, "nt": pyoxigraph.RdfFormat.N_TRIPLES,
                        "trig": pyoxigraph.RdfFormat.TRIG}
    if fmt in oxigraph_formats:
        try:
            for _ in pyoxigraph.parse(path=str(path), format=oxigraph_formats[fmt]):
                pass
        except SyntaxError as precise:
            return precise.lineno, f"syntax error: {precise.msg}"
    return error.lines + 1, f"syntax error: {error._why}"


def parse_rdf_file(path: Path) -> Graph:
    """Parse one RDF file; a syntax error names the file and line."""
    fmt = RDF_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise InputFileError(path, None, f"unknown RDF file type '{path.suffix}'")
    graph = Graph()
    try:
        if fmt == "xml":
            with open(path, "rb") as handle:
                refuse_doctype(handle)
        graph.parse(path, format=fmt)
    except DoctypeRefused as error:
        raise InputFileError(path, error.line, str(error).split(": ", 1)[1]) from error
    except BadSyntax as error:
        line, message = locate_syntax_error(path, fmt, error)
        raise InputFileError(path, line, message) from error
    except FileNotFoundError as error:
        raise InputFileError(path, None, "file not found") from error
    except Exception as error:  # other parsers (JSON-LD, RDF/XML) raise their own types
        raise InputFileError(path, getattr(error, "lineno", None) or getattr(error, "line", None),
                             f"{type(error).__name__}: {error}") from error
    return graph


def rebased(graph: Graph) -> Graph:
    """The graph with IRIs moved to the configured base (a no-op for the default base)."""
    if config.base_iri() == config.DEFAULT_BASE_IRI:
        return graph
    def move(term):
        return URIRef(config.rebase(str(term))) if isinstance(term, URIRef) else term
    out = Graph()
    for s, p, o in graph:
        out.add((move(s), move(p), move(o)))
    return out


def input_files(data_dir: Path | None = None, ontology_dir: Path | None = None) -> dict[str, list[Path]]:
    """The files the build reads, by kind. Names starting with '_' or '.' are working files, skipped."""
    data_dir = Path(data_dir or layout.data_dir())
    ontology_dir = Path(ontology_dir or layout.ontology_dir())
    for kind, folder in (("data", data_dir), ("ontology", ontology_dir)):
        if not folder.is_dir():
            raise InputsMissingError(f"no {kind} folder at {folder}")

    def visible(paths, root=data_dir):
        return sorted(p for p in paths
                      if not any(part.startswith(("_", ".")) for part in p.relative_to(root).parts))
    reference_dir = data_dir / "reference"
    rdf = [p for p in data_dir.rglob("*") if p.suffix in RDF_SUFFIXES and p.is_file()]
    return {
        "ontology": visible(ontology_dir.rglob("*.ttl"), ontology_dir),
        "reference": visible(p for p in rdf if reference_dir in p.parents),
        "data": visible(p for p in rdf if reference_dir not in p.parents),
        "tables": visible(p for p in data_dir.rglob("*.csv")),
    }


def load_sources(data_dir: Path | None = None, ontology_dir: Path | None = None,
                 extra_files: list[Path] | None = None) -> list[LoadedSource]:
    files = input_files(data_dir, ontology_dir)
    for kind in ("ontology", "data", "tables"):
        if not files[kind]:
            where = ontology_dir or layout.ontology_dir() if kind == "ontology" else data_dir or layout.data_dir()
            raise InputsMissingError(f"no {kind} files found in {where}: nothing to build")
    loaded = [LoadedSource(p, "asserted", parse_rdf_file(p)) for p in files["ontology"] + files["data"]]
    loaded += [LoadedSource(p, "asserted", g) for p, g in compile_tables(files["tables"])]
    loaded += [LoadedSource(p, "reference", parse_rdf_file(p)) for p in files["reference"]]
    for path in extra_files or []:
        path = Path(path)
        if path.suffix == ".csv":
            raise InputFileError(path, None, "extra CSV tables are checked by copying them into data/ and building")
        loaded.append(LoadedSource(path, "asserted", parse_rdf_file(path)))
    for source in loaded:
        source.graph = rebased(source.graph)
    return loaded


def ontology_graph() -> Graph:
    graph = Graph()
    for path in input_files()["ontology"]:
        graph += parse_rdf_file(path)
    return rebased(graph)
