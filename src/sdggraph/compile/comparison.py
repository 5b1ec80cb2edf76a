"""Compile the report's comparison tables (data/comparison/) into RDF.

Measures are the rows of the report's comparison tables (the befolkning chapter, the six KOSTRA
tables); their observations are modelled like the indicator observations (`sg:Observation`: value,
unit, status, printed cell, source, note) with the area as a dimension (`sg:refArea`, a
sub-property of sdmx-dimension:refArea), so one model serves both. Areas are national resources
under ref-area/ (data/comparison/areas.ttl); the CSV tables name them by their official code.
data/README.md documents every column.
"""

from __future__ import annotations

import re

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, SKOS, XSD

from ..config import DEFAULT_BASE_IRI, QB, SG, resource

COMPARISON_DATASET = URIRef(resource("dataset", "comparison-observations"))
# Cells without a figure («-», an empty cell): a data set of their own, as for the indicators (export/datacube.py)
COMPARISON_WITHOUT_FIGURE_DATASET = URIRef(resource("dataset", "comparison-observations-without-figure"))
REF_AREA = DEFAULT_BASE_IRI + "ref-area/"
ASKER_AREA = URIRef(REF_AREA + "municipality-3203")

COMPARISON_STATUS = {"measured": SG.Measured, "not_available": SG.NotAvailable, "not_printed": SG.NotPrinted}
COLUMN = {"printed": SG.ColumnPrinted, "inferred": SG.ColumnInferred, "prose": SG.FromProse}
BASIS = {"B": SG.AppropriationAccounts, "K": SG.GroupAccounts}
TARGET_COMPARATOR = {"=": SG.EqualTo, ">=": SG.GreaterOrEqual, "<=": SG.LessOrEqual,
                     "increase": SG.IncreasesFromPreviousYear}
KOSTRA_CATEGORIES = ("priority", "productivity", "coverage", "quality", "basic-data-level-3", "other-key-figures")
MEASURE_ID = re.compile(r"^[A-Z]{3}-\d{2}$")
YES = {"yes": True, "": False}


def area_iri(code: str) -> URIRef | None:
    """The ref-area IRI for an official code: 3203 (kommune), 32 (fylke), NO (country), EKG12 (KOSTRA group)."""
    if re.fullmatch(r"\d{4}", code):
        return URIRef(f"{REF_AREA}municipality-{code}")
    if re.fullmatch(r"\d{2}", code):
        return URIRef(f"{REF_AREA}county-{code}")
    if re.fullmatch(r"[A-Z]{2}", code):
        return URIRef(f"{REF_AREA}country-{code}")
    if re.fullmatch(r"EKG\d+", code):
        return URIRef(f"{REF_AREA}kostra-group-{code}")
    return None


def measure_iri(ident: str) -> URIRef:
    return URIRef(resource("comparison-measure", ident))


def _area(row, column="area") -> URIRef:
    iri = area_iri(row.required(column))
    if iri is None:
        row.fail(f"column '{column}': '{row.required(column)}' is not a kommunenummer (3203), fylkesnummer (32), "
                 "country code (NO) or KOSTRA group code (EKG12)")
    return iri


def _flag(row, column) -> bool:
    return row.lookup(column, YES)


def compile_comparison_measures(graph: Graph, rows, context: dict):
    from .tables import add_note, source_iri  # shared helpers; imported here to keep the module import acyclic

    for row in rows:
        ident = row.required("measure_id")
        if not MEASURE_ID.match(ident):
            row.fail(f"measure_id '{ident}' is not like VEL-03")
        if ident in context["measures"]:
            row.fail(f"measure {ident} is defined twice")
        unit = row.lookup("unit", context["units"])
        measure = measure_iri(ident)
        context["measures"][ident] = unit
        service_area = row.optional("service_area")
        graph.add((measure, RDF.type, SG.KostraKeyFigure if service_area else SG.ComparisonMeasure))
        graph.add((measure, SKOS.notation, Literal(ident)))
        graph.add((measure, SG.order, Literal(int(ident[-2:]))))
        graph.add((measure, SKOS.prefLabel, Literal(row.required("label_nb"), lang="nb")))
        graph.add((measure, SKOS.prefLabel, Literal(row.required("label_en"), lang="en")))
        graph.add((measure, SG.printedLabel, Literal(row.required("printed_label"))))
        graph.add((measure, SG.inTable, URIRef(resource("comparison-table", row.required("table")))))
        graph.add((measure, SG.unit, unit))
        graph.add((measure, PROV.wasDerivedFrom, source_iri(row)))
        add_note(graph, measure, row)
        if service_area:
            graph.add((measure, SG.reportedBy, URIRef(resource("org", service_area))))
            category = row.required("kostra_category")
            if category not in KOSTRA_CATEGORIES:
                row.fail(f"column 'kostra_category': '{category}' is not one of {', '.join(KOSTRA_CATEGORIES)}")
            graph.add((measure, SG.kostraCategory, URIRef(resource("kostra-category", category))))
            for code in row.optional("kostra_functions").split():
                if not re.fullmatch(r"\d{3}", code):
                    row.fail(f"column 'kostra_functions': '{code}' is not a three-digit KOSTRA function")
                graph.add((measure, SG.kostraFunction, Literal(code)))
            basis = row.lookup("basis", BASIS, allow_empty=True)
            if basis is not None:
                graph.add((measure, SG.accountsBasis, basis))
            graph.add((measure, SG.inflationAdjusted, Literal(_flag(row, "inflation_adjusted"))))
            graph.add((measure, SG.adjustedForExpenditureNeed, Literal(_flag(row, "need_adjusted"))))
        elif row.optional("kostra_category") or row.optional("kostra_functions") or row.optional("basis"):
            row.fail("KOSTRA columns are set but service_area is empty")


def compile_comparison_observations(graph: Graph, rows, context: dict):
    from .tables import add_note, observation_literal, source_iri

    units_by_iri = {iri: code for code, iri in context["units"].items()}
    for row in rows:
        ident = row.required("measure_id")
        if ident not in context["measures"]:
            row.fail(f"measure {ident} has no row in any *.comparison-measures.csv")
        year = row.required("year")
        if not re.fullmatch(r"\d{4}", year):
            row.fail(f"year '{year}' is not a four-digit year")
        area = _area(row)
        code = row.required("area")
        key = (ident, code, year)
        if key in context["comparison_observations"]:
            row.fail(f"a second observation for {ident}, area {code}, {year}")
        context["comparison_observations"].add(key)
        status = row.lookup("status", COMPARISON_STATUS)
        unit = context["measures"][ident]
        value = observation_literal(row, units_by_iri[unit])
        if (status == SG.Measured) != (value is not None):
            row.fail("status 'measured' needs a value, and only 'measured' may have one")
        observation = URIRef(resource("comparison-observation", f"{ident}-{code}-{year}"))
        graph.add((observation, RDF.type, SG.ComparisonObservation))
        graph.add((observation, QB.dataSet, COMPARISON_DATASET if value is not None else COMPARISON_WITHOUT_FIGURE_DATASET))
        graph.add((observation, SG.ofMeasure, measure_iri(ident)))
        graph.add((observation, SG.refArea, area))
        graph.add((observation, SG.year, Literal(year, datatype=XSD.gYear)))
        graph.add((observation, SG.observationStatus, status))
        graph.add((observation, SG.unit, unit))
        graph.add((observation, SG.columnAssignment, row.lookup("column", COLUMN)))
        if value is not None:
            graph.add((observation, SG.value, value))
        for column, prop in (("printed", SG.printedValue), ("ocr_text", SG.ocrText)):
            if row.optional(column):
                graph.add((observation, prop, Literal(row.optional(column))))
        if _flag(row, "provisional"):
            graph.add((observation, SG.provisional, Literal(True)))
        graph.add((observation, PROV.wasDerivedFrom, source_iri(row)))
        add_note(graph, observation, row)


def compile_plan_targets(graph: Graph, rows, context: dict):
    from .tables import add_note, source_iri

    for row in rows:
        ident = row.required("target_id")
        measure = row.required("measure_id")
        if measure not in context["measures"]:
            row.fail(f"measure {measure} has no row in any *.comparison-measures.csv")
        target = URIRef(resource("plan-target", ident))
        comparator = row.lookup("comparator", TARGET_COMPARATOR)
        value = row.decimal("target_value")
        if (comparator == SG.IncreasesFromPreviousYear) != (value is None):
            row.fail("a target needs target_value unless its comparator is 'increase'")
        graph.add((target, RDF.type, SG.PlanTarget))
        graph.add((target, SKOS.notation, Literal(ident)))
        graph.add((target, SKOS.prefLabel, Literal(row.required("label_nb"), lang="nb")))
        graph.add((target, SKOS.prefLabel, Literal(row.required("label_en"), lang="en")))
        graph.add((target, SG.targetMeasure, measure_iri(measure)))
        graph.add((target, SG.refArea, _area(row)))
        graph.add((target, SG.comparator, comparator))
        graph.add((target, SG.unit, context["measures"][measure]))
        if value is not None:
            graph.add((target, SG.thresholdValue, Literal(value, datatype=XSD.decimal)))
        if row.decimal("target_max") is not None:
            graph.add((target, SG.targetMaximum, Literal(row.decimal("target_max"), datatype=XSD.decimal)))
        graph.add((target, SG.printedText, Literal(row.required("printed"))))
        if row.optional("report_assessment"):
            graph.add((target, SG.reportAssessment, Literal(row.optional("report_assessment"))))
        graph.add((target, PROV.wasDerivedFrom, source_iri(row)))
        add_note(graph, target, row)


def compile_measure_matches(graph: Graph, rows, context: dict):
    kinds = {"exact": SKOS.exactMatch, "close": SKOS.closeMatch}
    for row in rows:
        ident = row.required("measure_id")
        if ident not in context["measures"]:
            row.fail(f"measure {ident} has no row in any *.comparison-measures.csv")
        target = row.required("target_iri")
        if not re.match(r"^https?://\S+$", target):
            row.fail(f"target_iri '{target}' is not an absolute IRI")
        graph.add((measure_iri(ident), row.lookup("match", kinds), URIRef(target)))
        if row.optional("note"):
            graph.add((measure_iri(ident), SKOS.editorialNote, Literal(f"{target}: {row.optional('note')}")))


def compile_service_area_staff(graph: Graph, rows, context: dict):
    from .tables import add_note, source_iri

    for row in rows:
        slug, year = row.required("service_area"), row.required("year")
        if not re.fullmatch(r"\d{4}", year):
            row.fail(f"year '{year}' is not a four-digit year")
        node = URIRef(resource("org", f"{slug}-{year}"))
        employees = row.decimal("employees")
        if employees is None or employees != int(employees):
            row.fail("column 'employees' must be a whole number")
        graph.add((node, SG.employees, Literal(int(employees))))
        graph.add((node, SG.chapterFullTimeEquivalents, Literal(row.decimal("fte"), datatype=XSD.decimal)))
        graph.add((node, PROV.wasDerivedFrom, source_iri(row)))
        add_note(graph, node, row)


COMPARISON_TABLES = [
    ("comparison-measures", ("measure_id", "table", "service_area", "kostra_category", "label_nb", "label_en",
                             "printed_label", "unit", "kostra_functions", "basis", "inflation_adjusted",
                             "need_adjusted", "source", "note"), compile_comparison_measures),
    ("comparison-observations", ("measure_id", "area", "year", "value", "status", "printed", "ocr_text", "column",
                                 "provisional", "source", "note"), compile_comparison_observations),
    ("plan-targets", ("target_id", "measure_id", "area", "label_nb", "label_en", "comparator", "target_value",
                      "target_max", "printed", "report_assessment", "source", "note"), compile_plan_targets),
    ("measure-matches", ("measure_id", "match", "target_iri", "note"), compile_measure_matches),
    ("service-area-staff", ("service_area", "year", "fte", "fte_printed", "fte_ocr", "employees",
                            "employees_printed", "source", "note"), compile_service_area_staff),
]
