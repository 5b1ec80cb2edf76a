"""Compile the CSV tables in data/ into RDF.

A table's kind is the last dotted part of its file name before `.csv`
(`04-helse.indicators.csv` is an `indicators` table), so a kind may be split over several files.
data/README.md documents every column. Errors name the file and the line.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, SKOS, XSD

from ..config import EU_FREQUENCY, KOMMUNE, KOMMUNENUMMER, KS_EVALUATION, QB, SDG, SG, resource
from ..errors import InputFileError
from ..terms import new_graph
from .comparison import COMPARISON_TABLES, area_iri

OBSERVATIONS_DATASET = URIRef(resource("dataset", "indicator-observations"))
# Years without a figure sit in their own Data Cube data set, so the measure is on every observation
# of each set (IC-14) and aggregates over sdmx-measure:obsValue see only figures (export/datacube.py).
OBSERVATIONS_WITHOUT_FIGURE_DATASET = URIRef(resource("dataset", "indicator-observations-without-figure"))
CURATED_SOURCE = URIRef(resource("source", "curated-by-sdggraph"))

STATUS = {"measured": SG.Measured, "not_measured": SG.NotMeasured, "not_yet_published": SG.NotYetPublished}
STATUS_CODE = {iri: code for code, iri in STATUS.items()}
PRINTED_STATUS = {"ikke målt": SG.NotMeasured, "tall kommer": SG.NotYetPublished}  # the report's words, casefolded
COMPARATOR = {">": SG.GreaterThan, ">=": SG.GreaterOrEqual, "<": SG.LessThan, "<=": SG.LessOrEqual}
DIRECTION = {"increase": SG.Increase, "decrease": SG.Decrease}
BASIS = {"stated": SG.StatedInSource, "curated": SG.Curated}
AGE_GROUP = {
    "children-and-young": SG.ChildrenAndYoung,
    "seniors-67-plus": SG.Seniors67Plus,
    "age-not-relevant": SG.AgeNotRelevant,
    "all-or-adults": SG.AllOrAdults,
}
DATA_BASIS = {"public-statistics": SG.PublicStatistics, "own-data": SG.OwnData}
FREQUENCY = {
    "annual": EU_FREQUENCY.ANNUAL,
    "biennial": EU_FREQUENCY.BIENNIAL,
    "triennial": EU_FREQUENCY.TRIENNIAL,
    "quadrennial": EU_FREQUENCY.QUADRENNIAL,
    "irregular": EU_FREQUENCY.IRREG,
}
RESULT_CHAIN = {code: KS_EVALUATION[code] for code in ("1-Input", "2-Process", "3-Output", "4-Outcome", "5-Impact")}
CHALLENGES = ("ungt-utenforskap", "demografiutfordringer", "klima-og-natur")
INTEGER_UNITS = {"count", "rank"}

AREA_CODE = r"[A-Z]{3}"
SUBGOAL_ID = re.compile(rf"^{AREA_CODE}-\d+$")
INDICATOR_ID = re.compile(rf"^{AREA_CODE}-\d{{2}}$")


class Row(dict):
    """A CSV row that knows where it came from, for error messages."""

    def __init__(self, values, path: Path, line: int):
        super().__init__(values)
        self.path, self.line = path, line

    def fail(self, message: str):
        raise InputFileError(self.path, self.line, message)

    def required(self, column: str) -> str:
        value = (self.get(column) or "").strip()
        if not value:
            self.fail(f"column '{column}' is empty")
        return value

    def optional(self, column: str) -> str:
        return (self.get(column) or "").strip()

    def lookup(self, column: str, table: dict, allow_empty=False):
        value = self.optional(column)
        if not value and allow_empty:
            return None
        if value not in table:
            self.fail(f"column '{column}': '{value}' is not one of {', '.join(sorted(table))}")
        return table[value]

    def decimal(self, column: str) -> Decimal | None:
        value = self.optional(column)
        if not value:
            return None
        try:
            return Decimal(value)
        except InvalidOperation:
            self.fail(f"column '{column}': '{value}' is not a number with '.' as decimal separator")


def decode_utf8(path: Path, data: bytes) -> str:
    """The file's text; a UTF-8 byte-order mark (Excel writes one) is dropped; other encodings fail
    with the line and column of the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise InputFileError(path, line, f"not UTF-8 (byte 0x{data[error.start]:02x} at column {column}): "
                                         f"save the file as UTF-8 (in Excel: CSV UTF-8)") from error


def read_table(path: Path, columns: Iterable[str]) -> list[Row]:
    import io

    try:
        text = decode_utf8(path, path.read_bytes())
    except FileNotFoundError as error:
        raise InputFileError(path, None, "file not found") from error
    if not text.strip():
        raise InputFileError(path, 1, "the file is empty: it needs a header line and at least one row")
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise InputFileError(path, 1, f"missing columns: {', '.join(missing)}")
        rows = []
        for values in reader:
            if None in values:
                raise InputFileError(path, reader.line_num, "more cells than header columns (an unquoted comma?)")
            if not any((value or "").strip() for value in values.values()):
                continue  # a blank line (spreadsheets leave them at the end)
            rows.append(Row(values, path, reader.line_num))
    except csv.Error as error:
        raise InputFileError(path, reader.line_num or None, f"CSV error: {error}") from error
    if not rows:
        raise InputFileError(path, 1, "the table has a header but no rows (emptied by mistake?); "
                                      "remove the file if it is meant to go")
    return rows


def table_kind(path: Path) -> str:
    return path.name[: -len(".csv")].rsplit(".", 1)[-1]


def source_iri(row: Row, column="source") -> URIRef:
    value = row.optional(column)
    return URIRef(resource("source", value)) if value else CURATED_SOURCE


def add_note(graph: Graph, subject, row: Row, column="note"):
    if row.optional(column):
        graph.add((subject, SKOS.note, Literal(row.optional(column))))


def compile_units(graph: Graph, rows: list[Row], context: dict):
    for row in rows:
        code = row.required("code")
        unit = URIRef(resource("unit", code))
        context["units"][code] = unit
        graph.add((unit, RDF.type, SG.Unit))
        graph.add((unit, SKOS.notation, Literal(code)))
        graph.add((unit, SKOS.prefLabel, Literal(row.required("label_nb"), lang="nb")))
        graph.add((unit, SKOS.prefLabel, Literal(row.required("label_en"), lang="en")))
        for column, prop in (("min", SG.minValue), ("max", SG.maxValue)):
            bound = row.decimal(column)
            if bound is not None:
                graph.add((unit, prop, Literal(bound, datatype=XSD.decimal)))
        if row.optional("qudt"):
            graph.add((unit, SKOS.exactMatch, URIRef(row.optional("qudt"))))


def compile_indicators(graph: Graph, rows: list[Row], context: dict):
    for row in rows:
        ident = row.required("indicator_id")
        if not INDICATOR_ID.match(ident):
            row.fail(f"indicator_id '{ident}' is not like HEL-01")
        if ident in context["indicators"]:
            row.fail(f"indicator {ident} is defined twice")
        subgoal = row.required("subgoal_id")
        if not SUBGOAL_ID.match(subgoal):
            row.fail(f"subgoal_id '{subgoal}' is not like HEL-1")
        check_known(row, "subgoal_id", subgoal, URIRef(resource("sub-goal", subgoal)), context)
        unit = row.lookup("unit", context["units"])
        indicator = URIRef(resource("indicator", ident))
        context["indicators"][ident] = unit
        source = source_iri(row)
        graph.add((indicator, RDF.type, SG.Indicator))
        graph.add((indicator, SKOS.notation, Literal(ident)))
        graph.add((indicator, SG.order, Literal(int(ident[-2:]))))
        graph.add((indicator, SKOS.prefLabel, Literal(row.required("label_nb"), lang="nb")))
        if row.optional("label_en"):
            graph.add((indicator, SKOS.prefLabel, Literal(row.optional("label_en"), lang="en")))
        graph.add((indicator, SG.measures, URIRef(resource("sub-goal", subgoal))))
        graph.add((indicator, SG.unit, unit))
        graph.add((indicator, PROV.wasDerivedFrom, source))
        add_note(graph, indicator, row)
        direction = row.lookup("direction", DIRECTION, allow_empty=True)
        if direction is not None:
            graph.add((indicator, SG.desiredDirection, direction))
        comparator = row.lookup("threshold_comparator", COMPARATOR, allow_empty=True)
        if comparator is not None:
            value = row.decimal("threshold_value")
            if value is None:
                row.fail("threshold_comparator without threshold_value")
            threshold = URIRef(resource("indicator", f"{ident}-threshold"))
            graph.add((indicator, SG.hasThreshold, threshold))
            graph.add((threshold, RDF.type, SG.Threshold))
            graph.add((threshold, SG.comparator, comparator))
            graph.add((threshold, SG.thresholdValue, Literal(value, datatype=XSD.decimal)))
            graph.add((threshold, SG.unit, unit))
            graph.add((threshold, PROV.wasDerivedFrom, source))
            if row.optional("threshold_text"):
                graph.add((threshold, SG.printedText, Literal(row.optional("threshold_text"))))


@dataclass(frozen=True)
class Edition:
    """A report edition as data/ declares it (sg:ReportEdition): what the tables need to know."""
    ident: str
    iri: URIRef
    report_year: str
    reporting_years: frozenset[str]


def report_editions(sources: Iterable[tuple[Path, Graph]]) -> dict[str, Edition]:
    """The editions the Turtle data declares, by id (the last part of edition:ar2024)."""
    prefix = resource("edition", "")
    graph, declared_in = new_graph(), {}
    for path, part in sources:
        graph += part
        for iri in part.subjects(RDF.type, SG.ReportEdition):
            declared_in.setdefault(iri, path)
    editions = {}
    for iri in sorted(declared_in):
        if not str(iri).startswith(prefix):
            continue
        report_years = sorted(str(y) for y in graph.objects(iri, SG.reportYear))
        if len(report_years) != 1:
            raise InputFileError(declared_in[iri], None,
                                 f"edition {iri} needs exactly one sg:reportYear, has {len(report_years)}")
        ident = str(iri)[len(prefix):]
        editions[ident] = Edition(ident, iri, report_years[0], frozenset(str(y) for y in graph.objects(iri, SG.reportingYear)))
    by_year: dict[str, str] = {}
    for edition in editions.values():
        if edition.report_year in by_year:
            raise InputFileError(declared_in[edition.iri], None,
                                 f"editions {by_year[edition.report_year]} and {edition.ident} both have "
                                 f"sg:reportYear {edition.report_year}; editions are ordered by it")
        by_year[edition.report_year] = edition.ident
    return editions


def row_edition(row: Row, editions: dict[str, Edition]) -> Edition | None:
    ident = row.optional("edition")
    if not ident:
        if len(editions) > 1:
            row.fail(f"column 'edition' is empty and data/ declares {len(editions)} editions "
                     f"({', '.join(sorted(editions))}): say which edition printed the row")
        edition = next(iter(editions.values()), None)
    elif ident not in editions:
        row.fail(f"edition '{ident}' is not declared in data/ (a sg:ReportEdition edition:{ident}); "
                 f"declared: {', '.join(sorted(editions)) or 'none'}")
    else:
        edition = editions[ident]
    if edition is not None and edition.reporting_years and row.optional("year") not in edition.reporting_years:
        row.fail(f"year {row.optional('year')} is not a reporting year of edition {edition.ident} "
                 f"({', '.join(sorted(edition.reporting_years))}); add it to the edition's sg:reportingYear "
                 f"or give the row the edition that prints it")
    return edition


def observation_literal(row: Row, unit_code: str) -> Literal | None:
    value = row.decimal("value")
    if value is None:
        return None
    if unit_code in INTEGER_UNITS and "." not in row.optional("value"):
        return Literal(int(value), datatype=XSD.integer)
    return Literal(row.optional("value"), datatype=XSD.decimal)


def compile_observations(graph: Graph, rows: list[Row], context: dict):
    """Check each row and keep it; finish_observations writes them once every edition's rows are read."""
    units_by_iri = {iri: code for code, iri in context["units"].items()}
    for row in rows:
        ident = row.required("indicator_id")
        if ident not in context["indicators"]:
            row.fail(f"indicator {ident} has no row in any *.indicators.csv")
        year = row.required("year")
        if not re.fullmatch(r"\d{4}", year):
            row.fail(f"year '{year}' is not a four-digit year")
        edition = row_edition(row, context["editions"])
        key = (ident, year, edition.ident if edition else None)
        if key in context["observations"]:
            row.fail(f"a second observation for {ident} in {year}"
                     + (f" in edition {edition.ident}" if edition else ""))
        context["observations"].add(key)
        status = row.lookup("status", STATUS)
        printed = row.optional("printed")
        printed_status = PRINTED_STATUS.get(printed.casefold())
        if printed_status is not None and printed_status != status:
            row.fail(f"status '{row.optional('status')}' contradicts the printed text '{printed}' "
                     f"(use status {STATUS_CODE[printed_status]} and an empty value)")
        if status != SG.Measured and printed and printed_status is None:
            row.fail(f"status '{row.optional('status')}' contradicts the printed text '{printed}' "
                     f"(a figure is printed: use status measured and the value)")
        unit = context["indicators"][ident]
        value = observation_literal(row, units_by_iri[unit])
        if (status == SG.Measured) != (value is not None):
            row.fail("status 'measured' needs a value, and only 'measured' may have one")
        context["figures"].setdefault((ident, year), []).append((edition, row, graph, status, value, unit))


def add_figure(graph: Graph, figure: URIRef, row: Row, edition: Edition | None, status, value, unit):
    graph.add((figure, SG.year, Literal(row.required("year"), datatype=XSD.gYear)))
    graph.add((figure, SG.observationStatus, status))
    graph.add((figure, SG.unit, unit))
    if value is not None:
        graph.add((figure, SG.value, value))
    if row.optional("printed"):
        graph.add((figure, SG.printedValue, Literal(row.optional("printed"))))
    if edition is not None:
        graph.add((figure, SG.publishedIn, edition.iri))
    graph.add((figure, PROV.wasDerivedFrom, source_iri(row)))
    add_note(graph, figure, row)


def finish_observations(context: dict):
    """Per indicator and year, the latest edition's row is the observation (the current value);
    each earlier edition's row stays as a superseded figure, and a changed value or status is a revision."""
    for (ident, year), figures in sorted(context["figures"].items()):
        figures = sorted(figures, key=lambda f: f[0].report_year if f[0] else "")
        edition, row, graph, status, value, unit = figures[-1]
        for _, figure_row, figure_graph, *_ in figures:  # what is added here is located at its row
            if isinstance(figure_graph, LocatedGraph):
                figure_graph.current = (figure_row.path, figure_row.line)
        observation = URIRef(resource("observation", f"{ident}-{year}"))
        graph.add((observation, RDF.type, SG.IndicatorObservation))
        graph.add((observation, QB.dataSet,
                   OBSERVATIONS_DATASET if value is not None else OBSERVATIONS_WITHOUT_FIGURE_DATASET))
        graph.add((observation, SG.ofIndicator, URIRef(resource("indicator", ident))))
        graph.add((observation, SG.refArea, area_iri(KOMMUNENUMMER)))  # the same area dimension as comparisons
        add_figure(graph, observation, row, edition, status, value, unit)
        # each earlier edition's figure is superseded by the next edition's; a change is a revision
        later, later_graph, later_status, later_value = observation, graph, status, value
        for old_edition, old_row, old_graph, old_status, old_value, _ in reversed(figures[:-1]):
            superseded = URIRef(resource("observation", f"{ident}-{year}--{old_edition.ident}"))
            old_graph.add((superseded, RDF.type, SG.SupersededFigure))
            old_graph.add((superseded, SG.supersededBy, later))
            add_figure(old_graph, superseded, old_row, old_edition, old_status, old_value, unit)
            if old_status != later_status or not same_number(old_value, later_value):
                later_graph.add((later, PROV.wasRevisionOf, superseded))
            later, later_graph, later_status, later_value = superseded, old_graph, old_status, old_value
        for _, _, figure_graph, *_ in figures:
            if isinstance(figure_graph, LocatedGraph):
                figure_graph.current = None


def same_number(a: Literal | None, b: Literal | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return Decimal(str(a)) == Decimal(str(b))


def check_known(row: Row, column: str, ident: str, iri: URIRef, context: dict) -> None:
    """A row may only point at a kommuneplan resource the Turtle data defines (when it is known)."""
    known = context.get("known")
    if known is not None and iri not in known:
        kind = iri.split("/")[-2]
        similar = sorted(str(k).rsplit("/", 1)[-1] for k in known if k.split("/")[-2] == kind
                         and str(k).rsplit("/", 1)[-1].split("-")[0] == ident.split("-")[0])
        hint = f" (known in {ident.split('-')[0]}: {', '.join(similar)})" if similar else ""
        row.fail(f"column '{column}': {ident} is not a {kind} defined in data/*.ttl{hint}")


def fn_subject(row: Row) -> URIRef:
    ident = row.required("subject_id")
    if re.fullmatch(AREA_CODE, ident):
        return URIRef(resource("main-goal", ident))
    if re.fullmatch(rf"{AREA_CODE}-\d+", ident):
        return URIRef(resource("sub-goal", ident))
    if re.fullmatch(rf"{AREA_CODE}-\d+-\d+", ident):
        return URIRef(resource("strategy", ident))
    row.fail(f"subject_id '{ident}' is not a hovedmål (HEL), delmål (HEL-1) or strategy (HEL-1-1) id")


def compile_fn_links(graph: Graph, rows: list[Row], context: dict):
    for row in rows:
        subject = fn_subject(row)
        check_known(row, "subject_id", row.required("subject_id"), subject, context)
        reference = row.required("fn_ref")
        link = URIRef(resource("fn-link", f"{row.required('subject_id')}--{reference}"))
        if link in context["fn_links"]:
            row.fail(f"link {row.required('subject_id')} → {reference} is listed twice")
        context["fn_links"].add(link)
        graph.add((subject, SG.hasFnLink, link))
        graph.add((link, RDF.type, SG.FnLink))
        if reference == "AK":
            graph.add((link, SG.askerOwn, Literal(True)))
        elif re.fullmatch(r"\d{1,2}", reference):
            graph.add((link, SG.fnGoal, SDG[reference]))
        elif re.fullmatch(r"\d{1,2}\.[0-9a-z]{1,2}", reference):
            graph.add((link, SG.fnTarget, SDG[reference]))
        else:
            row.fail(f"fn_ref '{reference}' is not a goal (13), target (13.2) or AK")
        basis = row.lookup("basis", BASIS)
        graph.add((link, SG.linkBasis, basis))
        if basis == SG.StatedInSource and not row.optional("source"):
            row.fail("a 'stated' link must name its source")
        if basis == SG.Curated and not row.optional("note"):
            row.fail("a 'curated' link needs a note giving the reason")
        graph.add((link, PROV.wasDerivedFrom, source_iri(row)))
        add_note(graph, link, row)


def compile_classification(graph: Graph, rows: list[Row], context: dict):
    for row in rows:
        ident = row.required("indicator_id")
        if ident not in context["indicators"]:
            row.fail(f"indicator {ident} has no row in any *.indicators.csv")
        indicator = URIRef(resource("indicator", ident))
        challenge = row.optional("challenge")
        if challenge:
            if challenge not in CHALLENGES:
                row.fail(f"challenge '{challenge}' is not one of {', '.join(CHALLENGES)} (or empty)")
            graph.add((indicator, SG.addressesChallenge, URIRef(resource("challenge", challenge))))
        graph.add((indicator, SG.resultChainStep, row.lookup("result_chain", RESULT_CHAIN)))
        graph.add((indicator, SG.ageGroup, row.lookup("age_group", AGE_GROUP)))
        graph.add((indicator, SG.dataBasis, row.lookup("data_basis", DATA_BASIS)))
        graph.add((indicator, DCTERMS.accrualPeriodicity, row.lookup("frequency", FREQUENCY)))
        if row.optional("data_source"):
            graph.add((indicator, SG.dataSource, URIRef(resource("data-source", row.optional("data_source")))))
        if row.optional("rationale"):
            graph.add((indicator, SG.classificationRationale, Literal(row.optional("rationale"))))


def compile_matches(graph: Graph, rows: list[Row], context: dict):
    kinds = {"exact": SKOS.exactMatch, "close": SKOS.closeMatch}
    for row in rows:
        ident = row.required("indicator_id")
        if ident not in context["indicators"]:
            row.fail(f"indicator {ident} has no row in any *.indicators.csv")
        target = row.required("target_iri")
        if not re.match(r"^https?://\S+$", target):
            row.fail(f"target_iri '{target}' is not an absolute IRI")
        indicator = URIRef(resource("indicator", ident))
        graph.add((indicator, row.lookup("match", kinds), URIRef(target)))
        if row.optional("note"):
            graph.add((indicator, SKOS.editorialNote, Literal(f"{target}: {row.optional('note')}")))


# Order matters: units before indicators, indicators before what refers to them.
TABLES: list[tuple[str, tuple[str, ...], Callable]] = [
    ("units", ("code", "label_nb", "label_en", "min", "max", "qudt"), compile_units),
    ("indicators", ("indicator_id", "subgoal_id", "label_nb", "label_en", "unit", "threshold_comparator",
                    "threshold_value", "threshold_text", "direction", "source", "note"), compile_indicators),
    ("observations", ("indicator_id", "year", "value", "status", "printed", "source", "note"), compile_observations),
    # the optional column edition names the sg:ReportEdition that printed the row (data/README.md)
    ("fn-links", ("subject_id", "fn_ref", "basis", "source", "note"), compile_fn_links),
    ("classification", ("indicator_id", "challenge", "result_chain", "age_group", "data_basis", "frequency",
                        "data_source", "rationale"), compile_classification),
    ("matches", ("indicator_id", "match", "target_iri", "note"), compile_matches),
    *COMPARISON_TABLES,  # compile/comparison.py: the report's comparison tables (data/comparison/)
]
KNOWN_KINDS = {kind for kind, _, _ in TABLES}


class LocatedGraph(Graph):
    """A graph that remembers, for each subject, the table row that first stated something about it,
    so validation results can name the file and line to fix."""

    def __init__(self):
        super().__init__(store="SimpleMemory")  # as sources.new_graph
        self.locations: dict = {}  # subject -> (path, line)
        self.current = None

    def add(self, triple):
        if self.current is not None:
            self.locations.setdefault(triple[0], self.current)
        return super().add(triple)


def located(rows: list[Row], graph: LocatedGraph):
    for row in rows:
        graph.current = (row.path, row.line)
        yield row
    graph.current = None


def compile_tables(paths: list[Path], known: set | None = None,
                   editions: dict[str, Edition] | None = None) -> list[tuple[Path, Graph]]:
    """Compile every table; returns one graph per file, in a deterministic order.

    `known`: the IRIs the Turtle data defines; rows pointing at a delmål, hovedmål or strategy
    outside it fail. Each graph's `locations` maps a subject to the (file, line) it came from.
    `editions` are the report editions data/ declares (`report_editions`): observation rows name
    theirs in the column edition (may be empty when there is only one)."""
    by_kind: dict[str, list[Path]] = {}
    for path in sorted(paths):
        kind = table_kind(path)
        if kind not in KNOWN_KINDS:
            raise InputFileError(path, None, f"unknown table kind '{kind}'; known: {', '.join(sorted(KNOWN_KINDS))}")
        by_kind.setdefault(kind, []).append(path)
    context = {"units": {}, "indicators": {}, "observations": set(), "fn_links": set(), "known": known,
               "editions": editions or {}, "figures": {}, "measures": {}, "comparison_observations": set()}
    compiled = []
    for kind, columns, compile_rows in TABLES:
        for path in by_kind.get(kind, []):
            graph = LocatedGraph()
            compile_rows(graph, located(read_table(path, columns), graph), context)
            compiled.append((path, graph))
        if kind == "observations":
            finish_observations(context)
    return compiled


__all__ = ["compile_tables", "OBSERVATIONS_DATASET", "OBSERVATIONS_WITHOUT_FIGURE_DATASET", "KOMMUNE"]
