"""Tables for analysts (issue 3): `observations` (one row per indicator and year) and
`indicators` (one row per indicator), as CSV (UTF-8, RFC 4180, CRLF line ends) or xlsx.

observations columns, exactly: satsingsomrade, hovedmal, delmal, indicator_id, indicator_label,
unit, threshold, year, value, status, edition, area_code, area (edition: the report edition of the current
value). The 400 indicator rows come first (area: Asker),
then one row per cell of the report's comparison tables (issue 13: the befolkning chapter and the
KOSTRA tables), whose indicator_id is the measure id (VEL-03), indicator_label the row label, the
hovedmål/delmål/threshold columns empty and status also not_available («-») or not_printed (an
empty cell); area_code is the official code (3203, 32, NO, EKG12), area the area's Norwegian name.
satsingsområde, hovedmål and delmål are given by their
Norwegian labels (the readable choice: an analyst filters on "God helse", not "HEL"; the delmål id
is the indicator id's prefix anyway), unit by its Norwegian label, threshold as printed. value has
'.' as decimal separator and is empty when there is no figure; status is measured, not_measured
(Ikke målt) or not_yet_published (Tall kommer). In xlsx, year is a number and value a number.

indicators: one row per indicator with its delmål, unit, threshold, samfunnsfloke, resultatkjede
step, age group, data basis, frequency, data source, FN goals and targets and national/UN matches;
multi-valued cells are joined with ' | '. Rows follow the report's order (satsingsområde, number).
"""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

from rdflib import Graph
from rdflib.namespace import RDF, SKOS

from ..config import KOMMUNENUMMER
from ..errors import SdggraphError
from . import ExportResult
from .common import (
    Ns,
    code_label,
    compact_code,
    data_date,
    indicators,
    label,
    load,
    restamp_zip,
)

OBSERVATION_COLUMNS = ("satsingsomrade", "hovedmal", "delmal", "indicator_id", "indicator_label", "unit",
                       "threshold", "year", "value", "status", "edition", "area_code", "area")
INDICATOR_COLUMNS = ("indicator_id", "indicator_label", "satsingsomrade", "delmal_id", "delmal", "unit",
                     "threshold", "direction", "samfunnsfloke", "resultatkjede", "age_group", "data_basis",
                     "frequency", "data_source", "fn_goals", "fn_targets", "exact_matches", "close_matches")
JOIN = " | "
TABLE_FORMATS = ("csv", "xlsx")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def observation_rows(graph: Graph) -> list[list]:
    rows = []
    for record in indicators(graph):
        common = [label(graph, record.area, "nb"), label(graph, record.main_goal, "nb"),
                  label(graph, record.sub_goal, "nb"), record.ident, record.label_nb,
                  label(graph, record.unit, "nb") if record.unit is not None else "", record.threshold_text]
        for obs in record.observations:
            area = graph.value(obs.iri, Ns.sg().refArea)
            rows.append(common + [obs.year, str(obs.value) if obs.value is not None else "", obs.status_code,
                                  obs.edition, _notation(graph, area), label(graph, area, "nb") if area is not None else ""])
    return rows + comparison_rows(graph)


def _notation(graph: Graph, node) -> str:
    value = graph.value(node, SKOS.notation) if node is not None else None
    return str(value) if value is not None else ""


def comparison_rows(graph: Graph) -> list[list]:
    """One row per comparison cell, in the order measure (as the data lists them), area code, year."""
    sg = Ns.sg()
    rows = []
    for obs in graph.subjects(RDF.type, sg.ComparisonObservation):
        measure = graph.value(obs, sg.ofMeasure)
        area = graph.value(obs, sg.refArea)
        unit = graph.value(obs, sg.unit)
        value = graph.value(obs, sg.value)
        status = graph.value(obs, sg.observationStatus)
        rows.append(["", "", "", _notation(graph, measure), label(graph, measure, "nb"),
                     label(graph, unit, "nb") if unit is not None else "", "", str(graph.value(obs, sg.year)),
                     str(value) if value is not None else "", _notation(graph, status), "", _notation(graph, area),
                     label(graph, area, "nb") if area is not None else ""])
    table_order = {}
    for measure in graph.subjects(RDF.type, sg.ComparisonMeasure):
        table = graph.value(measure, sg.inTable)
        table_order[_notation(graph, measure)] = (int(graph.value(table, sg.order) or 0) if table is not None else 0,
                                                  int(graph.value(measure, sg.order) or 0))
    def area_rank(code: str) -> tuple:  # Asker first, then municipalities, counties, the country, KOSTRA groups
        return (code != KOMMUNENUMMER, 0 if len(code) == 4 else 1 if len(code) == 2 and code.isdigit()
                else 2 if len(code) == 2 else 3, code)
    return sorted(rows, key=lambda r: (table_order.get(r[3], (0, 0)), r[3], area_rank(r[11]), r[7]))


def indicator_rows(graph: Graph) -> list[list]:
    rows = []
    for record in indicators(graph):
        rows.append([
            record.ident, record.label_nb, label(graph, record.area, "nb"), record.sub_goal_ident,
            label(graph, record.sub_goal, "nb"),
            label(graph, record.unit, "nb") if record.unit is not None else "",
            record.threshold_text,
            code_label(graph, record.direction),
            JOIN.join(label(graph, challenge, "nb") for challenge in record.challenges),
            code_label(graph, record.result_chain),
            code_label(graph, record.age_group),
            code_label(graph, record.data_basis),
            code_label(graph, record.frequency),
            label(graph, record.data_source, "nb") if record.data_source is not None else "",
            JOIN.join(compact_code(graph, goal) for goal in record.fn_goals),
            JOIN.join(compact_code(graph, target) for target in record.fn_targets),
            JOIN.join(str(match) for match in record.exact_matches),
            JOIN.join(str(match) for match in record.close_matches),
        ])
    return rows


def csv_bytes(columns, rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(sheet_name: str, columns, rows, numeric: set[str], date: datetime.date) -> bytes:
    from openpyxl import Workbook
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_name
    sheet.append(list(columns))
    indexes = {columns.index(name) for name in numeric}
    for row in rows:
        sheet.append([(Decimal(cell) if isinstance(cell, str) and cell else (None if cell == "" else cell))
                      if i in indexes else cell for i, cell in enumerate(row)])
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    stamp = datetime.datetime.combine(date, datetime.time())  # the data date, not the clock
    workbook.properties.created = stamp
    workbook.properties.modified = stamp
    workbook.properties.creator = "sdggraph"
    # ExcelWriter directly: Workbook.save() would stamp dcterms:modified with the clock.
    from zipfile import ZIP_DEFLATED, ZipFile

    from openpyxl.writer.excel import ExcelWriter
    buffer = io.BytesIO()
    ExcelWriter(workbook, ZipFile(buffer, "w", ZIP_DEFLATED, allowZip64=True)).save()
    return restamp_zip(buffer.getvalue())


def _table(name: str, columns, rows, numeric: set[str], fmt: str, graph: Graph, counts: dict) -> ExportResult:
    if fmt not in TABLE_FORMATS:
        raise SdggraphError(f"unknown table format '{fmt}'; use csv or xlsx")
    data = csv_bytes(columns, rows) if fmt == "csv" else xlsx_bytes(name, columns, rows, numeric, data_date(graph))
    return ExportResult(name, f"asker-{name}.{fmt}", MEDIA_TYPES[fmt], data=data, counts=counts)


def export_observations(build_dir=None, table_format: str = "csv", **_options) -> ExportResult:
    _, union = load(build_dir)
    rows = observation_rows(union)
    measured = sum(1 for row in rows if row[9] == "measured")
    return _table("observations", OBSERVATION_COLUMNS, rows, {"year", "value"}, table_format, union,
                  {"rows": len(rows), "indicators": len({row[3] for row in rows if row[0]}),
                   "comparison measures": len({row[3] for row in rows if not row[0]}), "with value": measured})


def export_indicators(build_dir=None, table_format: str = "csv", **_options) -> ExportResult:
    _, union = load(build_dir)
    rows = indicator_rows(union)
    return _table("indicators", INDICATOR_COLUMNS, rows, set(), table_format, union,
                  {"rows": len(rows), "indicators": len(rows)})
