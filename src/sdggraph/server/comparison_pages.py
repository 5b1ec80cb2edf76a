"""Page sections for the report's comparison tables (issue 13): a tjenesteområde's KOSTRA figures with a
comparison chart per figure, and a reference area's figures. The charts are the coverage report's small
multiples (report/render.area_bars), drawn from the same records."""

from __future__ import annotations

import re
from html import escape

import pyoxigraph

from .. import config
from ..report.coverage import number
from ..report.render import area_bars, cell_text, number_text, years_said
from .common import local_href

IRI_SAFE = re.compile(r'^[^<>"{}|\\^`\s]+$')
KIND_RANK = {"MunicipalityArea": 0, "CountyArea": 1, "CountryArea": 2, "KostraGroup": 3}


def _query(store: pyoxigraph.Store, where: str, subject: str) -> list[dict]:
    sg = config.rebase(str(config.SG))
    text = f"""
        PREFIX sg: <{sg}>
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?measure ?id ?order ?measureLabel ?unitLabel ?category ?categoryLabel ?categoryOrder
               ?area ?code ?areaLabel ?kind ?year ?value ?printed ?status ?provisional ?obs
        WHERE {{
            {where}
            ?obs sg:ofMeasure ?measure ; sg:refArea ?area ; sg:year ?year ; sg:observationStatus ?status .
            ?measure skos:notation ?id ; sg:order ?order ; skos:prefLabel ?measureLabel . FILTER(lang(?measureLabel) = "nb")
            ?area skos:notation ?code ; skos:prefLabel ?areaLabel ; a ?kind . FILTER(lang(?areaLabel) = "nb")
            FILTER(?kind IN (sg:MunicipalityArea, sg:CountyArea, sg:CountryArea, sg:KostraGroup))
            OPTIONAL {{ ?measure sg:kostraCategory ?category . ?category skos:prefLabel ?categoryLabel ; sg:order ?categoryOrder .
                       FILTER(lang(?categoryLabel) = "nb") }}
            OPTIONAL {{ ?measure sg:unit/skos:prefLabel ?unitLabel . FILTER(lang(?unitLabel) = "nb") }}
            OPTIONAL {{ ?obs sg:value ?value }}
            OPTIONAL {{ ?obs sg:printedValue ?printed }}
            OPTIONAL {{ ?obs sg:provisional ?provisional }}
        }}"""
    if not IRI_SAFE.match(subject):  # the IRI of a resource the store holds; checked before it goes in the text
        return []
    result = store.query(text.replace("?subject", f"<{subject}>"), use_default_graph_as_union=True)
    names = [v.value for v in result.variables]
    records = []
    for row in result:
        r = {name: (None if row[name] is None else row[name].value) for name in names}
        kind = r["kind"].rsplit("#", 1)[-1]
        records.append({
            "measure": r["measure"], "measure_id": r["id"], "measure_label": r["measureLabel"], "unit_label": r["unitLabel"],
            "category_label": r["categoryLabel"], "area": r["area"], "area_code": r["code"], "area_label": r["areaLabel"],
            "year": r["year"], "value": number(r["value"]),
            "printed": r["printed"], "status": r["status"].rsplit("#", 1)[-1], "provisional": r["provisional"] == "true",
            "_sort": (int(r["categoryOrder"] or 0), int(r["order"]), r["id"], r["code"] != config.KOMMUNENUMMER,
                      KIND_RANK[kind], r["code"], r["year"])})
    records.sort(key=lambda rec: rec["_sort"])
    return records


def _grouped(records: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for record in records:
        out.setdefault(record["measure_id"], []).append(record)
    return out


def kostra_html(store: pyoxigraph.Store, service_area: str) -> str:
    """The KOSTRA figures the service area's chapter reports: a chart per figure and the table."""
    records = _query(store, "?measure sg:reportedBy ?subject .", service_area)
    if not records:
        return ""
    measures = _grouped(records)
    columns = list(dict.fromkeys((r["area_label"], r["year"]) for r in records))
    cards = []
    for ident, rs in measures.items():
        cards.append(f'<figure class="small-multiple" style="width:250px;margin:0"><figcaption style="font-size:12px;height:32px;overflow:hidden"><a href="{escape(local_href(rs[0]["measure"]))}">'
                     f'{escape(ident)}</a> {escape(rs[0]["measure_label"])}</figcaption>{area_bars(rs)}</figure>')
    rows = []
    for ident, rs in measures.items():
        cells = "".join(f'<td class="num">{escape(cell_text(next((r for r in rs if (r["area_label"], r["year"]) == c), None)))}</td>'
                        for c in columns)
        rows.append(f'<tr><td>{escape(rs[0]["category_label"] or "")}</td><td><a href="{escape(local_href(rs[0]["measure"]))}">'
                    f'{escape(ident)}</a> {escape(rs[0]["measure_label"])}</td>{cells}</tr>')
    header = "".join(f"<th>{escape(a)} {escape(y)}</th>" for a, y in columns)
    return (f'<section class="kostra"><h2>KOSTRA-tall i kapitlet ({len(measures)})</h2>'
            f'<p class="muted">Asker {escape(years_said(records, asker=True))} ved siden av sammenligningskommunene og '
            f'KOSTRA-gruppe 12{escape(years_said(records, provisional=True, wrap=" ({}: foreløpige tall)"))}. '
            'Asker er mørk i diagrammene; «–» er en tom celle i rapportens tabell.</p>'
            f'<div class="multiples" style="display:flex;flex-wrap:wrap;gap:10px">{"".join(cards)}</div>'
            f'<table class="kostra"><thead><tr><th>Gruppe</th><th>Nøkkeltall</th>{header}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></section>')


def area_html(store: pyoxigraph.Store, area: str) -> str:
    """The figures the report's comparison tables give for one area."""
    records = _query(store, "BIND(?subject AS ?area)", area)
    if not records:
        return ""
    rows = "".join(
        f'<tr><td><a href="{escape(local_href(r["measure"]))}">{escape(r["measure_id"])}</a> {escape(r["measure_label"])}</td>'
        f'<td>{escape(r["year"])}</td><td class="num">{escape(cell_text(r))}</td></tr>' for r in records)
    return (f'<section class="area-figures"><h2>Tall for området i årsrapportens sammenligningstabeller ({len(records)})</h2>'
            f'<table><thead><tr><th>Størrelse</th><th>År</th><th>Verdi</th></tr></thead><tbody>{rows}</tbody></table></section>')


def measure_html(store: pyoxigraph.Store, measure: str) -> str:
    """A comparison measure's cells as a chart and a table."""
    records = _query(store, "BIND(?subject AS ?measure)", measure)
    if not records:
        return ""
    rows = "".join(f'<tr><td><a href="{escape(local_href(r["area"]))}">{escape(r["area_label"])}</a></td>'
                   f'<td>{escape(r["year"])}</td><td class="num">{escape(cell_text(r))}</td></tr>' for r in records)
    return (f'<section class="series"><h2>Områdene i rapportens tabell</h2>{area_bars(records, width=360)}'
            f'<table><thead><tr><th>Område</th><th>År</th><th>Verdi</th></tr></thead><tbody>{rows}</tbody></table></section>')


__all__ = ["area_html", "kostra_html", "measure_html", "number_text"]
