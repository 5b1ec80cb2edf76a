"""Validate the graph with the SHACL shapes in shapes/*.ttl (pySHACL), after OWL-RL inference.

`validate()` checks the built graph (asserted and reference layers) plus any extra RDF files a
user is editing. The build's inferred layer already holds the OWL-RL entailments of the built
part; when extra files come in, inference is run again over everything (sdggraph.inference, the
same entailments the build keeps), so the extras' triples are inferred upon too. An extra file
that is one of the build's own inputs (an edited data/ file) replaces its built version: the
inputs are then compiled afresh from data/ instead of read from build/.

The ontology is passed to pySHACL as ont_graph, so sh:targetClass sees the class hierarchy.
Only sh:Violation makes the graph non-conforming; warnings and infos are coverage findings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH, SKOS, XSD

from .. import config, layout
from ..errors import InputFileError, SdggraphError
from ..layout import LAYERS
from . import shacl_fast

SHAPE = "https://w3id.org/sdggraph/shapes#"
HINT = URIRef(SHAPE + "hint")
SEVERITIES = ("violation", "warning", "info")  # most severe first
SEVERITY_IRIS = {"violation": SH.Violation, "warning": SH.Warning, "info": SH.Info}
SEVERITY_NAMES = {iri: name for name, iri in SEVERITY_IRIS.items()}
SEVERITY_NB = {"violation": "brudd", "warning": "advarsel", "info": "info"}


@dataclass
class Result:
    """One SHACL validation result, with what a person needs to act on it."""

    focus_node: str
    focus_label: str | None
    path: str | None  # a SPARQL property path in prefixed form, e.g. "sg:measures" or "^sg:contributesToFnGoal"
    value: str | None
    severity: str  # violation | warning | info
    source_shape: str
    shape_name: str | None
    constraint_component: str | None
    message: str  # Norwegian (nb)
    message_en: str | None
    hint: str | None  # Norwegian (nb)
    hint_en: str | None
    location: str | None = None  # where the focus node was stated: "data/…/x.observations.csv:14" (or a .ttl file)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ValidationResult:
    results: list[Result]
    report: Graph | None = field(repr=False)  # None: results kept in the build; made again when asked for
    shapes_graph: Graph = field(repr=False)
    # The *-violation queries that returned rows on the same graph, as (name, header, rows): the
    # other half of the integrity rules (check/violations.py); filled in by validate().
    failed_checks: list = field(default_factory=list)
    store: object = field(default=None, repr=False)  # the validated graph in pyoxigraph, when made
    remake: object = field(default=None, repr=False)  # () -> ValidationResult, for a report not kept

    @property
    def report_graph(self) -> Graph:
        """The SHACL validation report (kept results have none: it is made again on first use)."""
        if self.report is None:
            again = self.remake()
            self.report, self.shapes_graph = again.report, again.shapes_graph
        return self.report

    @property
    def passes(self) -> bool:
        """No sh:Violation and no *-violation query with rows: what `check`, `validate` and the build require."""
        return self.conforms and not self.failed_checks

    @property
    def conforms(self) -> bool:
        """True when there is no sh:Violation (warnings and infos do not count)."""
        return not any(r.severity == "violation" for r in self.results)

    def counts(self) -> dict[str, int]:
        return {name: sum(r.severity == name for r in self.results) for name in SEVERITIES}

    def at_least(self, severity: str) -> ValidationResult:
        """Only the results of `severity` or more severe."""
        keep = set(SEVERITIES[: SEVERITIES.index(check_severity(severity)) + 1])
        return ValidationResult([r for r in self.results if r.severity in keep], self.report, self.shapes_graph,
                                self.failed_checks, self.store, self.remake)

    def by_shape(self, shape: str) -> list[Result]:
        return [r for r in self.results if r.source_shape == shape]

    def to_dict(self) -> dict:
        return {"conforms": self.conforms, "counts": self.counts(), "results": [r.to_dict() for r in self.results],
                "failed_checks": [{"check": name, "header": header, "rows": rows}
                                  for name, header, rows in self.failed_checks]}

    def report_turtle(self) -> str:
        """The SHACL validation report (only this object's results) as Turtle, the same text on
        every run (blank nodes named by what they hold, statements sorted)."""
        from ..export.common import serialize

        out = Graph()
        report = next(iter(self.report_graph.subjects(RDF.type, SH.ValidationReport)), BNode())
        out.add((report, RDF.type, SH.ValidationReport))
        out.add((report, SH.conforms, Literal(self.conforms)))
        kept = {(r.focus_node, r.source_shape, r.message) for r in self.results}
        for node in self.report_graph.subjects(RDF.type, SH.ValidationResult):
            key = (str(self.report_graph.value(node, SH.focusNode)), str(self.report_graph.value(node, SH.sourceShape)),
                   pick_language(self.report_graph.objects(node, SH.resultMessage), "nb") or "")
            if key in kept:
                out.add((report, SH.result, node))
                copy_description(self.report_graph, node, out)
        return serialize(out, "turtle", {"sh": str(SH), "shape": SHAPE}).decode("utf-8")


def check_severity(severity: str) -> str:
    if severity not in SEVERITIES:
        raise SdggraphError(f"severity must be one of {', '.join(SEVERITIES)}, not '{severity}'")
    return severity


def bind_prefixes(graph: Graph) -> None:
    for prefix, namespace in config.PREFIXES.items():
        graph.bind(prefix, config.rebase(namespace), override=True, replace=True)


def copy_description(source: Graph, node, target: Graph, seen=None) -> None:
    """Copy the triples about `node`, following blank nodes (paths, nested results)."""
    seen = seen if seen is not None else set()
    if node in seen:
        return
    seen.add(node)
    for p, o in source.predicate_objects(node):
        target.add((node, p, o))
        if isinstance(o, BNode):
            copy_description(source, o, target, seen)


def pick_language(literals: Iterable, language: str) -> str | None:
    """The literal in `language`, else one without a language, else any (deterministically)."""
    literals = sorted((lit for lit in literals if isinstance(lit, Literal)), key=lambda lit: (str(lit.language), str(lit)))
    for wanted in (language, None):
        for lit in literals:
            if lit.language == wanted:
                return str(lit)
    return str(literals[0]) if literals else None


# ---- Inputs -------------------------------------------------------------------------------

def shape_files(shapes_dir: Path | None = None) -> list[Path]:
    """shapes/*.ttl (not sub-folders: shapes/profiles/ holds export profiles, not checks)."""
    return sorted((shapes_dir or layout.shapes_dir()).glob("*.ttl"))


def shapes_graph(shapes_dir: Path | None = None) -> Graph:
    from ..compile.sources import parse_rdf_file

    files = shape_files(shapes_dir)
    graph = parse_rdf_file(files[0]) if files else Graph()
    for path in files[1:]:
        graph += parse_rdf_file(path)
    if not len(graph):
        raise SdggraphError(f"no shapes in {shapes_dir or layout.shapes_dir()}")
    return rebased_shapes(graph)


def rebased_shapes(graph: Graph) -> Graph:
    """Move the ontology terms the shapes use to the configured base, as the build moves the data.

    The shapes keep their own IRIs (they are not data), and the SPARQL prefix declarations
    (sh:namespace literals) move with the terms.
    """
    if config.base_iri() == config.DEFAULT_BASE_IRI:
        return graph
    def move(term):
        if isinstance(term, URIRef) and not str(term).startswith(SHAPE):
            return URIRef(config.rebase(str(term)))
        if isinstance(term, Literal) and term.datatype == XSD.anyURI:
            return Literal(config.rebase(str(term)), datatype=XSD.anyURI)
        return term
    out = Graph()
    for s, p, o in graph:
        out.add((move(s), p, move(o)))
    return out


def build_inputs() -> set[Path]:
    from ..compile.sources import input_files

    return {path.resolve() for paths in input_files().values() for path in paths}


class Triples(set):
    """Triples to validate (a set: filling rdflib graphs cost a second), and where each subject
    was stated when they were compiled afresh (`locations`, as compile.sources.locations)."""

    locations: dict | None = None


def data_graph(extra_files: Sequence[Path] = (), build_dir: Path | None = None) -> tuple[Triples, bool]:
    """The triples to validate and whether inference still has to run on them.

    Without extra files: the built asserted, reference and inferred layers (nothing to infer).
    With extra files: the built asserted and reference layers plus the extras, to be inferred upon.
    """
    from ..compile.sources import load_sources, parse_rdf_file, rebased
    from ..layout import require_build

    build_dir = require_build(build_dir)
    extra_files = [Path(p) for p in extra_files]
    if not extra_files:
        return built_triples(build_dir, LAYERS), False
    inputs = build_inputs()
    edited_inputs = [p for p in extra_files if p.resolve() in inputs]
    others = [p for p in extra_files if p.resolve() not in inputs]
    for path in others:
        if path.suffix.lower() == ".csv":
            raise InputFileError(path, None, "a CSV table outside data/ cannot be checked: put it in data/ and pass it "
                                             "again, or run `sdggraph build`")
    extras = set()
    for path in others:
        extras |= set(rebased(parse_rdf_file(path)))
    if edited_inputs:
        # The build holds the old version of an edited input: compile data/ afresh instead.
        from ..compile.sources import locations

        triples = Triples()
        sources = load_sources()
        for source in sources:
            triples.update(source.graph)
        triples.locations = locations(sources)
    else:
        triples = built_triples(build_dir, ("asserted", "reference"))
    triples |= extras
    return triples, True


def built_triples(build_dir: Path, layers) -> Triples:
    """The union of the chosen layers of a build, read from their N-Triples with Oxigraph's parser."""
    triples = Triples()
    for layer in layers:
        triples |= shacl_fast.read_triples(build_dir / f"{layer}.nt")  # N-Triples are N-Quads
    return triples


# ---- Validation ---------------------------------------------------------------------------

def validate_graph(data: Graph, ontology: Graph | None = None, shapes: Graph | None = None,
                   infer: bool = True, reference: bool | None = None, keep_store: bool = False) -> ValidationResult:
    """Validate `data` against `shapes` (default shapes/*.ttl), with the ontology as ont_graph.

    With infer=True the OWL-RL entailments the build keeps (sdggraph.inference) are added first,
    computed over data and ontology together.
    """
    from ..compile import inference
    from ..compile.sources import ontology_graph

    ontology = ontology if ontology is not None else ontology_graph()
    shapes = shapes if shapes is not None else shapes_graph()
    if not inference.use_reference(reference) and shacl_fast.unsupported(shapes) is None:
        triples = set(data) | set(ontology)  # pySHACL mixes ont_graph into the data graph too
        if infer:
            triples |= set(inference.infer(triples, reference=False).inferred)
        return fast_result(triples, shapes)
    import pyshacl  # the reference: imported only when it runs

    target = PreparedQueryGraph()
    target += data
    if infer:
        target += ontology
        target += inference.infer(target, reference=reference).inferred
    bind_prefixes(target)
    # inplace: `target` is our own copy, and pySHACL must query it (not a clone) to use its cache.
    _, report, text = pyshacl.validate(
        target, shacl_graph=shapes, ont_graph=ontology, inference="none", inplace=True, allow_warnings=True,
        allow_infos=True)
    if not isinstance(report, Graph):
        raise SdggraphError(f"the shapes could not be run: {text or report}")
    # Only top-level results: nested ones (sh:detail, from sh:node) explain their parent.
    nodes = [node for report_node in report.subjects(RDF.type, SH.ValidationReport)
             for node in report.objects(report_node, SH.result)]
    results = sorted((describe(report, node, target, shapes) for node in nodes), key=result_order)
    return ValidationResult(results, report, shapes, store=graph_store(target) if keep_store else None)


def fast_result(triples, shapes: Graph, store=None) -> ValidationResult:
    """Validate with the fast path (check/shacl_fast.py): the same results as pySHACL."""
    report, labels, store = shacl_fast.validate(triples, shapes, store)
    bind_prefixes(labels)
    nodes = [node for report_node in report.subjects(RDF.type, SH.ValidationReport)
             for node in report.objects(report_node, SH.result)]
    results = sorted((describe(report, node, labels, shapes) for node in nodes), key=result_order)
    return ValidationResult(results, report, shapes, store=store)


class PreparedQueryGraph(Graph):
    """A Graph that parses each SPARQL text once.

    pySHACL runs a SHACL-SPARQL constraint once per focus node with the same text; rdflib would
    parse it every time, which dominates the run (400 observations × tens of milliseconds).
    """

    _prepared: dict = {}

    def query(self, query_object, processor="sparql", result="sparql", initNs=None, initBindings=None,
              use_store_provided=True, **kwargs):
        if isinstance(query_object, str) and not initNs:
            from rdflib.plugins.sparql import prepareQuery

            prepared = self._prepared.get(query_object)
            if prepared is None:
                prepared = self._prepared[query_object] = prepareQuery(query_object)
            query_object = prepared
        return super().query(query_object, processor, result, initNs, initBindings, use_store_provided, **kwargs)


MAX_FILE_BYTES = 16 * 1024 * 1024  # default cap on an extra file (SDGGRAPH_VALIDATE_MAX_BYTES, --max-file-bytes)


def max_file_bytes() -> int:
    import os

    raw = os.environ.get("SDGGRAPH_VALIDATE_MAX_BYTES", "").strip()
    if not raw:
        return MAX_FILE_BYTES
    if not raw.isdigit() or int(raw) < 1:
        raise SdggraphError(f"SDGGRAPH_VALIDATE_MAX_BYTES={raw!r} is not a positive number of bytes")
    return int(raw)


def check_sizes(extra_files: Sequence[Path], limit: int | None = None) -> None:
    """Refuse, before reading anything, an extra file above the cap: parsing and inferring over
    a huge file would run for minutes and take gigabytes (the whole graph is held in memory)."""
    limit = max_file_bytes() if limit is None else limit
    for path in extra_files:
        try:
            size = Path(path).stat().st_size
        except FileNotFoundError:
            raise InputFileError(path, None, "file not found") from None
        except OSError as error:
            raise InputFileError(path, None, f"cannot read: {error.strerror}") from None
        if size > limit:
            raise InputFileError(path, None, f"the file is {size} bytes, above the limit of {limit} bytes for a "
                                 "file to validate (raise it with --max-file-bytes or SDGGRAPH_VALIDATE_MAX_BYTES)")


def build_locations(build_dir: Path | None = None) -> dict[str, str]:
    """The build's record of where each resource was stated (empty for builds from before it existed)."""
    import json

    from ..layout import LOCATIONS_FILE, require_build

    path = require_build(build_dir) / LOCATIONS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def with_locations(result: ValidationResult, where: dict[str, str]) -> ValidationResult:
    for r in result.results:
        r.location = where.get(r.focus_node)
    return result


def validate(extra_files: Sequence[Path] = (), severity: str = "info", build_dir: Path | None = None,
             shapes_dir: Path | None = None, reference: bool | None = None, checks: bool = True,
             max_bytes: int | None = None, triples: set | None = None,
             computed: dict | None = None) -> ValidationResult:
    """Validate the built graph plus `extra_files` (each at most `max_bytes`); keep results of `severity`
    or worse. With `checks`, the *-violation queries run on the same graph (result.failed_checks).
    `computed`: results_of() the build's own triples, worked out while the build wrote them."""
    from ..compile.inference import use_reference
    from .violations import failed_checks, failed_checks_on

    check_severity(severity)
    check_sizes(extra_files, max_bytes)
    if not extra_files and not use_reference(reference):
        # The built graph as it is: its results are kept in the build, per state of the rules.
        from ..layout import require_build

        build_dir = require_build(build_dir)
        key = rules_key(build_dir, shapes_dir)
        result = cached_result(build_dir, key, lambda: built_result(build_dir, shapes_graph(shapes_dir)))
        if result is None and computed is not None:
            result = from_dict(computed, lambda: built_result(build_dir, shapes_graph(shapes_dir)))
            keep_result(build_dir, key, result)
        if result is None:
            shapes = shapes_graph(shapes_dir)
            if shacl_fast.unsupported(shapes) is None:
                result = built_result(build_dir, shapes, triples)
                keep_result(build_dir, key, result)
        if result is not None:
            result = result.at_least(severity)
            if not checks:
                result.failed_checks = []
            return with_locations(result, build_locations(build_dir))
    shapes = shapes_graph(shapes_dir)
    data, needs_inference = data_graph(extra_files, build_dir)
    where = getattr(data, "locations", None)
    if where is None:
        where = build_locations(build_dir)
    result = validate_graph(data, shapes=shapes, infer=needs_inference, reference=reference,
                            keep_store=checks and bool(extra_files)).at_least(severity)
    if checks:
        # The queries see what the shapes saw: the build as it is, or the graph with the edits.
        result.failed_checks = failed_checks_on(result.store) if extra_files else failed_checks(build_dir)
    return with_locations(result, where)


def built_result(build_dir: Path, shapes: Graph, triples: set | None = None) -> ValidationResult:
    """Every result (all severities) and failed check on the build: read with Oxigraph's parser,
    SPARQL constraints on the built store. `triples`: the build's own, when the build checks what it wrote."""
    from concurrent.futures import ThreadPoolExecutor

    from ..layout import DATASET_FILE
    from ..store.local import open_store
    from .violations import failed_checks

    with ThreadPoolExecutor(1) as pool:  # the queries run in Oxigraph without the GIL, beside the shapes
        queries = pool.submit(failed_checks, build_dir)
        if triples is None:
            triples = shacl_fast.read_triples(build_dir / DATASET_FILE)
        result = fast_result(triples, shapes, open_store(build_dir))
        result.failed_checks = queries.result()
    return result


def rules_key(build_dir: Path, shapes_dir: Path | None = None) -> str:
    """What the results of the checks depend on: the build (its manifest), every shape file and
    every *-violation query (names and bytes), and this code's version."""
    import hashlib

    from .. import __version__
    from ..layout import MANIFEST_FILE, queries_dir

    digest = hashlib.sha256(__version__.encode() + b"\0" + (build_dir / MANIFEST_FILE).read_bytes())
    files = shape_files(shapes_dir) + sorted(queries_dir().glob("*-violation.rq"))
    for path in files:
        digest.update(b"\0" + path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:24]


def _result_file(build_dir: Path, key: str) -> Path:
    from ..layout import VALIDATION_DIR

    return build_dir / VALIDATION_DIR / f"{key}.json"


def keep_result(build_dir: Path, key: str, result: ValidationResult) -> None:
    """Store the results in the build (written whole, then renamed: a reader never sees half a file).
    The report graph is not kept: its blank nodes would make the file differ from build to build."""
    import json
    import os

    path = _result_file(build_dir, key)
    try:
        path.parent.mkdir(exist_ok=True)
        document = result.to_dict()
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, path)
    except OSError:  # a read-only build (an installed service): the results are just not kept
        pass


def cached_result(build_dir: Path, key: str, remake) -> ValidationResult | None:
    """The kept results of `key`, or None (none kept, or a file that does not read)."""
    import json

    try:
        return from_dict(json.loads(_result_file(build_dir, key).read_text(encoding="utf-8")), remake)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def from_dict(document: dict, remake=None) -> ValidationResult:
    """A ValidationResult from its to_dict() form (without its report graph: `remake` makes it)."""
    results = [Result(**item) for item in document["results"]]
    failed = [(item["check"], item["header"], item["rows"]) for item in document["failed_checks"]]
    return ValidationResult(results, None, Graph(), failed, remake=remake)


def results_of(triples: set, shapes_dir: Path | None = None) -> dict | None:
    """Every result (all severities) and failed check on `triples`, on the fast path, as to_dict();
    None when the shapes need the reference. The build runs this in a child process beside its
    writing (sdggraph.forked), on an in-memory store of the triples."""
    from .violations import failed_checks_on

    shapes = shapes_graph(shapes_dir)
    if shacl_fast.unsupported(shapes) is not None:
        return None
    result = fast_result(triples, shapes)
    result.failed_checks = failed_checks_on(result.store)
    return result.to_dict()


def graph_store(graph):
    import pyoxigraph

    store = pyoxigraph.Store()
    store.bulk_extend(pyoxigraph.Quad(shacl_fast.to_ox(s), shacl_fast.to_ox(p), shacl_fast.to_ox(o))
                      for s, p, o in graph if not isinstance(s, Literal))
    return store


def result_order(result: Result):
    return (SEVERITIES.index(result.severity), result.focus_node, result.source_shape, result.path or "",
            result.value or "", result.message)


# ---- Describing results -------------------------------------------------------------------

def compact(graph: Graph, term) -> str:
    if isinstance(term, URIRef):
        try:
            return graph.namespace_manager.normalizeUri(term)
        except Exception:  # noqa: BLE001 - rdflib raises various errors for IRIs it cannot shorten
            return f"<{term}>"
    return str(term)


def path_text(report: Graph, path, labels: Graph) -> str | None:
    """A SHACL path as SPARQL property-path text with prefixes."""
    if path is None:
        return None
    if isinstance(path, URIRef):
        return compact(labels, path)
    inverse = report.value(path, SH.inversePath)
    if inverse is not None:
        return "^" + path_text(report, inverse, labels)
    alternatives = report.value(path, SH.alternativePath)
    if alternatives is not None:
        from rdflib.collection import Collection
        return "(" + "|".join(path_text(report, p, labels) for p in Collection(report, alternatives)) + ")"
    if report.value(path, RDF.first) is not None:
        from rdflib.collection import Collection
        return "/".join(path_text(report, p, labels) for p in Collection(report, path))
    for operator, suffix in ((SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"), (SH.zeroOrOnePath, "?")):
        inner = report.value(path, operator)
        if inner is not None:
            return f"({path_text(report, inner, labels)}){suffix}"
    return str(path)


def label_of(graph: Graph, node) -> str | None:
    """A person's name for a node: nb label, else a label in any language, else its notation.

    An observation has no label of its own: it is called by its indicator and year.
    """
    for prop in (SKOS.prefLabel, RDFS.label):
        text = pick_language(graph.objects(node, prop), "nb")
        if text:
            return text
    sg = config.SG
    indicator, year = graph.value(node, URIRef(config.rebase(str(sg.ofIndicator)))), graph.value(node, URIRef(config.rebase(str(sg.year))))
    if indicator is not None and year is not None:
        return f"{label_of(graph, indicator) or compact(graph, indicator)} ({year})"
    notation = graph.value(node, SKOS.notation)
    return str(notation) if notation is not None else None


def restore_languages(report: Graph, node, shapes: Graph) -> list[Literal]:
    """The result's messages with their language tags.

    pySHACL drops the tag of an sh:message whose {?var} placeholders it fills in (SHACL says the
    tag is kept); the tag is recovered by matching the text against the message templates, and
    the report graph is corrected in place.
    """
    templates = list(shapes.objects(report.value(node, SH.sourceShape), SH.message))
    constraint = report.value(node, SH.sourceConstraint)
    if constraint is not None:
        templates += list(shapes.objects(constraint, SH.message))
    patterns = []
    for template in templates:
        if isinstance(template, Literal) and template.language:
            parts = re.split(r"\{[?$]\w+\}", str(template))
            patterns.append((re.compile("^" + "(.*?)".join(map(re.escape, parts)) + "$", re.S), template.language))
    restored = []
    for message in list(report.objects(node, SH.resultMessage)):
        if isinstance(message, Literal) and not message.language:
            language = next((lang for pattern, lang in patterns if pattern.match(str(message))), None)
            if language:
                report.remove((node, SH.resultMessage, message))
                message = Literal(str(message), lang=language)
                report.add((node, SH.resultMessage, message))
        restored.append(message)
    return restored


def describe(report: Graph, node, labels: Graph, shapes: Graph) -> Result:
    focus = report.value(node, SH.focusNode)
    shape = report.value(node, SH.sourceShape)
    value = report.value(node, SH.value)
    messages = restore_languages(report, node, shapes)
    return Result(
        focus_node=str(focus),
        focus_label=label_of(labels, focus),
        path=path_text(report, report.value(node, SH.resultPath), labels),
        value=None if value is None else (compact(labels, value) if isinstance(value, URIRef) else str(value)),
        severity=SEVERITY_NAMES.get(report.value(node, SH.resultSeverity), "violation"),
        source_shape=str(shape),
        shape_name=pick_language(shapes.objects(shape, SH.name), "nb"),
        constraint_component=compact(labels, report.value(node, SH.sourceConstraintComponent)),
        message=pick_language(messages, "nb") or "",
        message_en=pick_language(messages, "en"),
        hint=pick_language(shapes.objects(shape, HINT), "nb"),
        hint_en=pick_language(shapes.objects(shape, HINT), "en"),
    )


# ---- Text output --------------------------------------------------------------------------

def format_text(result: ValidationResult) -> str:
    """Results grouped by focus node, with its label and how to fix each finding (Norwegian)."""
    counts = result.counts()
    names = Graph()
    bind_prefixes(names)
    names.bind("shape", SHAPE)
    lines = [f"Validering: {counts['violation']} brudd, {counts['warning']} advarsler, {counts['info']} info"
             f" ({'ingen brudd' if result.conforms else 'grafen har brudd'})."]
    if result.failed_checks:
        from .violations import format_failures

        lines.append(f"Integritetssjekker (queries/*-violation.rq): {len(result.failed_checks)} fant rader:")
        lines.extend(format_failures(result.failed_checks))
    groups: dict[str, list[Result]] = {}
    for r in result.results:
        groups.setdefault(r.focus_node, []).append(r)
    order = sorted(groups, key=lambda focus: (min(SEVERITIES.index(r.severity) for r in groups[focus]), focus))
    for focus in order:
        first = groups[focus][0]
        title = compact(names, URIRef(focus))
        lines.append("")
        lines.append(f"{title}  «{first.focus_label}»" if first.focus_label else title)
        for r in groups[focus]:
            lines.append(f"  {SEVERITY_NB[r.severity].upper():<9} {r.message}")
            where = [f"regel: {compact(names, URIRef(r.source_shape))}"]
            if r.path:
                where.append(f"sti: {r.path}")
            if r.value and r.value != title:
                where.append(f"verdi: {r.value}")
            lines.append(f"  {'':<9} {' · '.join(where)}")
            if r.location:
                lines.append(f"  {'':<9} fil: {r.location}")
            if r.hint:
                lines.append(f"  {'':<9} retting: {r.hint}")
    return "\n".join(lines) + "\n"
