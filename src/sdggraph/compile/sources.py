"""Find and parse the hand-edited inputs: ontology/, data/ (Turtle and CSV tables).

Parsing lives here once; the build, validation and tests all load through `load_file`, so a
broken file is reported the same way everywhere: file, line, parser message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph
from rdflib import Graph, URIRef
from rdflib.namespace import RDF
from rdflib.plugins.parsers.notation3 import BadSyntax

from .. import config, layout
from ..errors import InputFileError, InputsMissingError
from ..safexml import DoctypeRefused, refuse_doctype
from ..terms import new_graph, rdflib_quads
from .tables import compile_tables, decode_utf8, report_editions

RDF_SUFFIXES = {".ttl": "turtle", ".nt": "nt", ".trig": "trig", ".jsonld": "json-ld", ".rdf": "xml", ".owl": "xml"}


@dataclass
class LoadedSource:
    path: Path
    layer: str  # "asserted" or "reference"
    graph: Graph
    locations: dict = field(default_factory=dict)  # subject IRI -> (file, line or None) it came from

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


OXIGRAPH_FORMATS = {"turtle": pyoxigraph.RdfFormat.TURTLE, "nt": pyoxigraph.RdfFormat.N_TRIPLES}


def reference_parser() -> bool:
    from .inference import use_reference

    return use_reference()


def parse_with_oxigraph(path: Path, text: str, fmt: str) -> Graph:
    """Turtle and N-Triples parsed by Oxigraph (several times faster than rdflib's parser, and
    exact about lines), into the rdflib Graph the build works on; the file's prefixes are kept."""
    parser = pyoxigraph.parse(text.encode("utf-8"), format=OXIGRAPH_FORMATS[fmt], base_iri=path.resolve().as_uri())
    graph = new_graph()
    try:
        graph.addN((s, p, o, graph) for s, p, o, _graph in rdflib_quads(parser))
    except SyntaxError as error:
        raise InputFileError(path, error.lineno, f"syntax error: {error.msg}") from error
    for prefix, namespace in sorted((parser.prefixes or {}).items()):
        graph.bind(prefix, namespace, override=True, replace=True)
    return graph


def parse_rdf_file(path: Path) -> Graph:
    """Parse one RDF file; a syntax error names the file and line."""
    fmt = RDF_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise InputFileError(path, None, f"unknown RDF file type '{path.suffix}'")
    graph = new_graph()
    try:
        if fmt == "xml":
            with open(path, "rb") as handle:
                refuse_doctype(handle)
        text = decode_utf8(path, path.read_bytes())
        if fmt in OXIGRAPH_FORMATS and not reference_parser():
            return parse_with_oxigraph(path, text, fmt)
        graph.parse(data=text, format=fmt, publicID=path.resolve().as_uri())
    except InputFileError:
        raise
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
    out = new_graph()
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
    loaded += [LoadedSource(p, "reference", parse_rdf_file(p)) for p in files["reference"]]
    for source in loaded:
        if not len(source.graph):
            # An emptied file would silently drop everything it defined (and what hangs on it).
            raise InputFileError(source.path, 1, "the file holds no triples (emptied by mistake?); "
                                                 "remove the file if it is meant to go")
    turtle_data = [source for source in loaded if source.path in files["data"]]
    known = {s for source in turtle_data for s in source.graph.subjects() if isinstance(s, URIRef)}
    # the tables need the report editions the Turtle declares (which row is the current value)
    editions = report_editions((source.path, source.graph) for source in turtle_data)
    tables = [LoadedSource(p, "asserted", g, {s: (p, line) for s, (_, line) in g.locations.items()})
              for p, g in compile_tables(files["tables"], known, editions)]
    for source in turtle_data:  # a Turtle resource: the file and the line where its description starts
        source.locations = subject_lines(source)
    loaded[len(files["ontology"]) + len(files["data"]):len(files["ontology"]) + len(files["data"])] = tables
    for path in extra_files or []:
        path = Path(path)
        if path.suffix == ".csv":
            raise InputFileError(path, None, "extra CSV tables are checked by copying them into data/ and building")
        loaded.append(LoadedSource(path, "asserted", parse_rdf_file(path)))
    for source in loaded:
        source.graph = rebased(source.graph)
        if source.locations and config.base_iri() != config.DEFAULT_BASE_IRI:
            source.locations = {URIRef(config.rebase(str(s))): where for s, where in source.locations.items()}
    return loaded


def locations(sources: list[LoadedSource]) -> dict[str, str]:
    """Where each resource came from, as 'file:line' (or 'file' for Turtle), relative to the inputs."""
    out = {}
    for source in sources:  # Turtle first: a table row about a delmål is not where the delmål is defined
        for subject, (_, line) in source.locations.items():
            out.setdefault(str(subject), f"{source.relative()}:{line}" if line else source.relative())
    return dict(sorted(out.items()))


def subject_lines(source: LoadedSource) -> dict:
    """Each typed subject of a Turtle file -> (file, line where a statement about it starts)."""
    first_token = {}
    for number, line in enumerate(source.path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        token = line.split(None, 1)[0] if line.strip() else ""
        if token and not token.startswith(("#", "@", ";", ",", ".")):
            first_token.setdefault(token, number)
    manager = source.graph.namespace_manager
    out = {}
    for subject in source.graph.subjects(RDF.type, None):
        if subject in out or not isinstance(subject, URIRef):
            continue
        try:
            qname = manager.normalizeUri(subject)
        except Exception:  # noqa: BLE001 - not every IRI has a prefixed form
            qname = None
        out[subject] = (source.path, first_token.get(qname) or first_token.get(f"<{subject}>"))
    return out


def ontology_graph() -> Graph:
    graph = new_graph()
    for path in input_files()["ontology"]:
        graph += parse_rdf_file(path)
    return rebased(graph)
