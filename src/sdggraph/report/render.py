"""Render the coverage-gap report (coverage.coverage_report()) as HTML, Markdown, CSV or JSON.

HTML: one self-contained file (inline CSS and SVG, no scripts, nothing from the network), in
Norwegian for an analyst, with a heat map of FN goals × Asker's goals and small trend lines.
Markdown: the same tables, for a wiki or an issue.
JSON: {"meta": {...}, "sections": {section: [record, ...]}} exactly as coverage.py builds it.
CSV: the same facts as one long table, one row per field of each record:

    section,row,field,value
    subgoals_without_indicators,1,subgoal_id,HEL-4
    subgoals_without_indicators,1,reason_label,Indikator under utvikling

`row` numbers the records of a section from 1 (0 is the section "meta"); `value` is the JSON
value written as text: lists joined with "; ", booleans as true/false, null as an empty cell,
numbers with "." as decimal separator. UTF-8, RFC 4180 quoting.
"""

from __future__ import annotations

import csv
import io
import json
from html import escape
from importlib import resources
from string import Template

from .. import config

FORMATS = ("html", "md", "csv", "json")
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8",
               "csv": "text/csv; charset=utf-8", "json": "application/json"}


def render(report: dict, fmt: str) -> str:
    return {"html": render_html, "md": render_md, "csv": render_csv, "json": render_json}[fmt](report)


# ---- JSON and CSV ---------------------------------------------------------------------------

def render_json(report: dict) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2) + "\n"


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "; ".join(cell(v) for v in value)
    return str(value)


def long_rows(report: dict) -> list[list[str]]:
    out = [["meta", "0", field, cell(value)] for field, value in report["meta"].items()]
    for section, records in report["sections"].items():
        for number, record in enumerate(records, start=1):
            out += [[section, str(number), field, cell(value)] for field, value in record.items()]
    return out


def render_csv(report: dict) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["section", "row", "field", "value"])
    writer.writerows(long_rows(report))
    return buffer.getvalue()


# ---- Shared wording -------------------------------------------------------------------------

def summary(report: dict) -> list[tuple[str, int, bool]]:
    """(what, how many, is it a hole) for the key numbers at the top."""
    s = report["sections"]
    latest = report["meta"]["latest_year"]
    return [
        ("indikatorer", report["meta"]["indicator_count"], False),
        ("delmål", report["meta"]["subgoal_count"], False),
        ("delmål uten indikator", len(s["subgoals_without_indicators"]), True),
        (f"indikatorer uten tall for {latest}", len(s["indicators_without_latest"]), True),
        ("indikatorer under terskel", len(s["threshold_misses"]), True),
        ("prioriterte FN-mål uten indikator", sum(1 for g in s["fn_goals"] if g["prioritised"] and not g["indicator_count"]), True),
        ("FN-delmål uten indikator", sum(1 for t in s["fn_targets"] if not t["indicator_count"]), True),
        ("temaplaner uten delmål", sum(1 for p in s["thematic_plans"] if not p["linked"]), True),
        ("avvik fra rapportens fordeling",
         sum(1 for d in s["distribution"] if d["stated_kind"] in ("count", "percent") and d["matches"] is False), True),
    ]


def stated_text(record: dict) -> str:
    if record["stated_kind"] == "count":
        return str(record["stated_count"])
    if record["stated_kind"] == "percent":
        return f"{record['stated_percent']} %"
    if record["stated_kind"] == "derived":
        return f"{record['stated_percent']} % (avledet: resten)"
    return "–"


def graph_text(record: dict) -> str:
    return f"{record['graph_count']} ({record['graph_percent']:g} %)"


def match_text(record: dict) -> str:
    return {True: "ja", False: "NEI", None: ""}[record["matches"]]


def number_text(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    return str(value)


# ---- Markdown -------------------------------------------------------------------------------

def md_table(header: list[str], rows: list[list]) -> str:
    def clean(value) -> str:
        return cell(value).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(clean(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def render_md(report: dict) -> str:
    meta, s = report["meta"], report["sections"]
    latest = meta["latest_year"]
    out = [f"# {meta['title']}\n", f"_{meta['title_en']}_\n",
           "Nøkkeltall: " + "; ".join(f"{n} {what}" for what, n, _ in summary(report)) + ".\n"]
    out.append("## FN-mål og Askers hovedmål/delmål\n")
    out.append("Antall indikatorer som måler hvert hovedmål/delmål, der målet viser til FN-målet "
               "(direkte, gjennom et FN-delmål eller gjennom hovedmålet).\n")
    out.append(md_table(["nivå", "mål", "FN-mål", "via", "indikatorer"],
                        [[r["level"], f"{r['asker_id']} {r['asker_label']}", f"{r['fn_goal']} {r['fn_goal_label']}",
                          r["via"], r["indicator_count"]] for r in s["fn_matrix"]]))
    out.append("### FN-mål\n")
    out.append(md_table(["FN-mål", "prioritert", "Askers mål og strategier", "indikatorer"],
                        [[f"{g['fn_goal']} {g['fn_goal_label']}", "ja" if g["prioritised"] else "", g["referred_by"],
                          g["indicator_count"]] for g in s["fn_goals"]]))
    out.append("### FN-delmål\n")
    out.append(md_table(["FN-delmål", "viser til det", "oppgitt i kilden", "indikatorer"],
                        [[t["fn_target"], t["referred_by"], t["stated_by"], t["indicator_count"]] for t in s["fn_targets"]]))
    out.append("## Delmål uten indikatorer\n")
    out.append(md_table(["delmål", "satsingsområde", "grunn"],
                        [[f"{r['subgoal_id']} {r['subgoal_label']}", r["area_label"], r["reason_label"]]
                         for r in s["subgoals_without_indicators"]]))
    out.append(f"## Indikatorer uten tall for {latest}\n")
    for status in ("Ikke målt", "Tall kommer", "ingen observasjon"):
        records = [r for r in s["indicators_without_latest"] if r["status_label"] == status]
        if records:
            out.append(f"### {status} ({len(records)})\n")
            out.append(md_table(["indikator", "år med tall", "siste tall"],
                                [[f"{r['indicator_id']} {r['indicator_label']}", f"{r['years_with_data']} av {len(meta['years'])}",
                                  r["latest_figure_year"] or "–"] for r in records]))
    out.append("## Indikatorer under terskel\n")
    out.append(md_table(["indikator", "terskel"] + meta["years"],
                        [[f"{r['indicator_id']} {r['indicator_label']}", r["threshold"]]
                         + [number_text(r.get(f"value_{y}")) for y in meta["years"]] for r in s["threshold_misses"]]))
    out.append("## Indikatorsettet: grafen mot rapportens fordeling\n")
    out.append(md_table(["dimensjon", "kategori", "rapporten", "grafen", "samsvar"],
                        [[r["dimension_label"], r["category_label"], stated_text(r), graph_text(r), match_text(r)]
                         for r in s["distribution"]]))
    out.append("### Samfunnsfloker per satsingsområde\n")
    challenges = list(dict.fromkeys((r["challenge"], r["challenge_label"]) for r in s["challenge_by_area"]))
    areas = list(dict.fromkeys((r["area_id"], r["area_label"], r["area_indicator_count"]) for r in s["challenge_by_area"]))
    counts = {(r["area_id"], r["challenge"]): r["indicator_count"] for r in s["challenge_by_area"]}
    out.append(md_table(["satsingsområde", "indikatorer"] + [label for _, label in challenges],
                        [[label, total] + [counts[(area, c)] for c, _ in challenges] for area, label, total in areas]))
    out.append("## Temaplaner\n")
    out.append(md_table(["temaplan", "tjenesteområde", "utvalg", "delmål", "indikatorer"],
                        [[p["plan_label"], p["service_areas"], p["committees"], p["subgoals"] or "ingen",
                          p["indicator_count"]] for p in s["thematic_plans"]]))
    out.append("## Tjenesteområder\n")
    out.append(md_table(["tjenesteområde", "temaplaner", "delmål", "indikatorer"],
                        [[a["service_area_label"], a["plan_count"], a["subgoals"] or "ingen", a["indicator_count"]]
                         for a in s["service_areas"]]))
    out.append("## Asker og sammenlignbare kommuner\n")
    out.append("Årsrapportens sammenligningstabeller: befolkning, bolig og sysselsetting, og KOSTRA-tallene i "
               "tjenesteområdenes kapitler. «–» er en tom celle, «-» rapportens eget tegn for «ikke tilgjengelig».\n")
    for table_label, measures in comparison_tables(s.get("comparison", [])):
        columns = list(dict.fromkeys((r["area_label"], r["year"]) for records in measures.values() for r in records))
        out.append(f"### {table_label}\n")
        out.append(md_table(["størrelse"] + [f"{area} {year}" for area, year in columns],
                            [[f"{ident} {records[0]['measure_label']}"]
                             + [cell_text(next((r for r in records if (r["area_label"], r["year"]) == c), None)) for c in columns]
                             for ident, records in measures.items()]))
    return "\n".join(out)


def comparison_tables(records: list[dict]) -> list[tuple[str, dict[str, list[dict]]]]:
    """The comparison cells grouped by table, then by measure, in report order."""
    tables: dict[str, dict[str, list[dict]]] = {}
    for record in records:
        tables.setdefault(record["table_label"], {}).setdefault(record["measure_id"], []).append(record)
    return list(tables.items())


def years_said(records: list[dict], asker: bool = False, provisional: bool = False, wrap: str = "{}") -> str:
    """The records' years in words («2023 og 2024»), only Asker's or only provisional figures' when asked;
    `wrap` places them in a phrase, and nothing is said when there are none."""
    years = sorted({r["year"] for r in records if (not asker or r["area_code"] == config.KOMMUNENUMMER)
                    and (not provisional or r.get("provisional"))})
    if not years:
        return ""
    return wrap.format(years[0] if len(years) == 1 else ", ".join(years[:-1]) + " og " + years[-1])


def cell_text(record: dict | None) -> str:
    if record is None:
        return ""
    if record["status"] == "NotAvailable":
        return "-"
    if record["value"] is None:
        return "–"
    return record["printed"] or number_text(record["value"])


# ---- HTML -----------------------------------------------------------------------------------

def e(value) -> str:
    return escape(cell(value))


def heat_class(count: int | None) -> str:
    if count is None:
        return "cn"
    return "c0" if count == 0 else "c1" if count <= 2 else "c2" if count <= 5 else "c3" if count <= 9 else "c4"


def html_table(header: list[str], rows: list[list[str]], numeric: set[int] = frozenset(), row_classes=None,
               caption: str | None = None) -> str:
    """A table from already-escaped cell HTML."""
    head = "".join(f'<th{" class=num" if i in numeric else ""}>{h}</th>' for i, h in enumerate(header))
    body = []
    for n, row in enumerate(rows):
        klass = f' class="{row_classes[n]}"' if row_classes and row_classes[n] else ""
        body.append(f"<tr{klass}>" + "".join(f'<td{" class=num" if i in numeric else ""}>{c}</td>'
                                              for i, c in enumerate(row)) + "</tr>")
    cap = f"<caption class=muted>{caption}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def section(anchor: str, title: str, title_en: str, explain: str, content: str) -> str:
    return (f'<section id="{anchor}"><h2>{escape(title)}<span class="en">{escape(title_en)}</span></h2>'
            f'<p class="explain">{explain}</p>{content}</section>')


def heat_map(report: dict) -> str:
    s = report["sections"]
    goals = s["fn_goals"]
    cells = {(r["asker_id"], r["fn_goal"]): r for r in s["fn_matrix"]}
    header = ["Satsingsområde / hovedmål / delmål"] + [
        f'<span title="{e(g["fn_goal_label"])}">{"★" if g["prioritised"] else ""}{e(g["fn_goal"])}</span>' for g in goals]
    head = "<th>" + header[0] + "</th>" + "".join(
        f'<th class="goal{" prio" if g["prioritised"] else ""}">{h}</th>' for g, h in zip(goals, header[1:]))
    rows = []
    structure = s["structure"]
    seen_main = set()
    for r in structure:
        if r["maingoal_id"] not in seen_main:
            seen_main.add(r["maingoal_id"])
            rows.append(f'<tr class="area"><td colspan="{len(goals) + 1}">{e(r["area_label"])}</td></tr>')
            rows.append(heat_row(r["maingoal_id"], f"Hovedmål: {r['maingoal_label']}", goals, cells, main=True))
        rows.append(heat_row(r["subgoal_id"], f"{r['subgoal_id']} {r['subgoal_label']}", goals, cells))
    totals = "".join(f'<td class="cell {heat_class(g["indicator_count"] if g["referred_by"] else None)}">'
                     f'{g["indicator_count"] if g["referred_by"] else ""}</td>' for g in goals)
    rows.append(f'<tr><td class="label main">Indikatorer som bidrar til FN-målet (ulike)</td>{totals}</tr>')
    legend = ('<p class="legend">Tallet er antall indikatorer som måler målet. '
              '<span class="c0">0</span>viser til FN-målet, men ingen indikator måler det '
              '<span class="c1">1–2</span><span class="c2">3–5</span><span class="c3">6–9</span>'
              '<span class="c4">10+</span><span class="cn">&nbsp;</span>ingen kobling. ★ = FN-mål Asker prioriterer.</p>')
    return f'{legend}<table class="heat"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def heat_row(asker_id: str, text: str, goals: list[dict], cells: dict, main: bool = False) -> str:
    tds = []
    for g in goals:
        r = cells.get((asker_id, g["fn_goal"]))
        if r is None:
            tds.append('<td class="cell cn"></td>')
        else:
            tip = f'{asker_id} → FN {g["fn_goal"]} (via {r["via"]}): {r["indicator_count"]} indikatorer'
            tds.append(f'<td class="cell {heat_class(r["indicator_count"])}" title="{e(tip)}">{r["indicator_count"]}</td>')
    return f'<tr><td class="label{" main" if main else ""}">{e(text)}</td>{"".join(tds)}</tr>'


def sparkline(values: list, years: list[str], threshold=None, comparator: str | None = None,
              width: int = 150, height: int = 36) -> str:
    """A small inline SVG line of the yearly values, with the threshold dashed; misses in red."""
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if not points:
        return '<span class="muted">ingen tall</span>'
    scale = [v for _, v in points] + ([threshold] if threshold is not None else [])
    low, high = min(scale), max(scale)
    span = (high - low) or 1
    pad = 5
    def x(i):
        return pad + i * (width - 2 * pad) / max(len(years) - 1, 1)
    def y(v):
        return height - pad - (v - low) * (height - 2 * pad) / span
    parts = [f'<svg width="{width}" height="{height}" role="img" '
             f'aria-label="{e("utvikling " + ", ".join(f"{yr}: {number_text(v)}" for yr, v in zip(years, values)))}">']
    if threshold is not None:
        parts.append(f'<line x1="{pad}" x2="{width - pad}" y1="{y(threshold):.1f}" y2="{y(threshold):.1f}" '
                     f'stroke="#c0392b" stroke-dasharray="3 3" stroke-width="1"/>')
    parts.append('<polyline fill="none" stroke="#1f5f8b" stroke-width="2" points="'
                 + " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in points) + '"/>')
    from .coverage import misses
    for i, v in points:
        miss = threshold is not None and comparator and misses(v, comparator, threshold)
        parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{"#c0392b" if miss else "#1f5f8b"}">'
                     f'<title>{years[i]}: {number_text(v)}</title></circle>')
    parts.append("</svg>")
    return "".join(parts)


def bars(stated, graph_percent: float, width: int = 160) -> str:
    """Two horizontal bars: the report's share (grey) over the graph's (blue)."""
    def bar(value, y, colour):
        w = max(0.0, min(100.0, float(value))) * width / 100
        return f'<rect x="0" y="{y}" width="{w:.1f}" height="7" fill="{colour}"/>'
    top = bar(stated, 1, "#9aa5ad") if stated is not None else ""
    return (f'<svg width="{width}" height="18" role="img" '
            f'aria-label="rapporten {e(stated)} %, grafen {graph_percent:g} %">{top}{bar(graph_percent, 10, "#1f5f8b")}</svg>')


def year_dots(measured: list[str], years: list[str]) -> str:
    return '<span class="status-dots">' + "".join(
        f'<span class="{"m" if y in measured else ""}" title="{y}: {"tall" if y in measured else "ikke tall"}"></span>'
        for y in years) + "</span>"


def area_bars(records: list[dict], width: int = 230) -> str:
    """A small multiple: one horizontal bar per cell with a figure (Asker dark, the others light), the empty
    cells named below; bars start at 0 unless a value is negative."""
    with_value = [r for r in records if r["value"] is not None]
    if not with_value:
        return '<span class="muted">ingen tall</span>'
    low = min(0, min(r["value"] for r in with_value))
    high = max(0, max(r["value"] for r in with_value))
    span = (high - low) or 1
    label_w, bar_w, row_h = 118, width - 118 - 52, 14
    def x(v):
        return label_w + (v - low) * bar_w / span
    parts = [f'<svg width="{width}" height="{row_h * len(with_value) + 4}" role="img" aria-label="'
             + e("; ".join(f"{r['area_label']} {r['year']}: {number_text(r['value'])}" for r in with_value)) + '">']
    for i, r in enumerate(with_value):
        y = 2 + i * row_h
        asker = r["area_code"] == config.KOMMUNENUMMER
        left, right = sorted((x(0), x(r["value"])))
        parts.append(f'<text x="{label_w - 4}" y="{y + 10}" font-size="10" text-anchor="end">'
                     f'{e(r["area_label"][:16])} {e(r["year"][2:] if len(records) > 1 else "")}</text>')
        parts.append(f'<rect x="{left:.1f}" y="{y + 2}" width="{max(right - left, 0.5):.1f}" height="9" '
                     f'fill="{"#0f3d5e" if asker else "#9bb8cc"}"><title>{e(r["area_label"])} {e(r["year"])}: '
                     f'{e(r["printed"] or number_text(r["value"]))}</title></rect>')
        parts.append(f'<text x="{right + 3:.1f}" y="{y + 10}" font-size="10">{e(number_text(r["value"]))}</text>')
    parts.append("</svg>")
    empty = [r for r in records if r["value"] is None]
    if empty:
        parts.append('<div class="muted" style="font-size:11px">uten tall: '
                     + e(", ".join(f"{r['area_label']} {r['year']} ({cell_text(r)})" for r in empty)) + "</div>")
    return "".join(parts)


def comparison_section(records: list[dict]) -> str:
    """«Asker og sammenlignbare kommuner»: per table a grid of small multiples (one per measure) and the table."""
    if not records:
        return ""
    kostra = [r for r in records if r["service_area_label"]]  # the KOSTRA tables of the service areas' chapters
    beside = sorted({(r["area_kind"] == "KostraGroup", r["area_label"]) for r in kostra if r["area_code"] != config.KOMMUNENUMMER})
    beside = [label for _group, label in beside]
    beside_text = ", ".join(beside[:-1]) + " og " + beside[-1] if len(beside) > 1 else "".join(beside)
    parts = []
    for table_label, measures in comparison_tables(records):
        columns = list(dict.fromkeys((r["area_label"], r["year"]) for rs in measures.values() for r in rs))
        service = next((rs[0]["service_area_label"] for rs in measures.values() if rs[0]["service_area_label"]), None)
        service_text = f' <span class="en">{e(service)}</span>' if service else ""
        parts.append(f"<h3>{e(table_label)}{service_text}</h3>")
        cards = []
        for ident, rs in measures.items():
            unit = f' ({e(rs[0]["unit_label"])})' if rs[0]["unit_label"] else ""
            cards.append('<div class="card" style="min-width:250px;max-width:250px">'
                         '<div class="what" style="height:38px;overflow:hidden;margin-bottom:4px">'
                         f'<b>{e(ident)}</b> {e(rs[0]["measure_label"])}{unit}</div>{area_bars(rs)}</div>')
        parts.append('<div class="cards">' + "".join(cards) + "</div>")
        rows = [[f'<b>{e(ident)}</b> {e(rs[0]["measure_label"])}']
                + [e(cell_text(next((r for r in rs if (r["area_label"], r["year"]) == c), None))) for c in columns]
                for ident, rs in measures.items()]
        parts.append(html_table(["Størrelse"] + [f"{e(a)} {e(y)}" for a, y in columns], rows,
                                set(range(1, len(columns) + 1))))
    return section("sammenligning", "Asker og sammenlignbare kommuner", "Asker and comparable municipalities",
                   "Årsrapportens sammenligningstabeller: befolkning, boligproduksjon og sysselsetting ved siden av Bærum, "
                   "Drammen, Lier, Oslo, fylkene og Norge, og KOSTRA-tallene i hvert tjenesteområdes kapittel "
                   f"(Asker {years_said(kostra, asker=True)} ved siden av {beside_text}"
                   f"{years_said(kostra, provisional=True, wrap='; {} er foreløpige tall')}). "
                   "Ett lite diagram per størrelse, Asker mørk. «–» er en tom celle, «-» rapportens eget «ikke tilgjengelig».",
                   "".join(parts))


def render_html(report: dict) -> str:
    meta, s = report["meta"], report["sections"]
    latest, years = meta["latest_year"], meta["years"]
    body = []
    nav = [("fn", "FN-mål"), ("fn-delmal", "FN-delmål"), ("delmal", "Delmål uten indikator"),
           ("tall", f"Uten tall for {latest}"), ("terskel", "Under terskel"), ("fordeling", "Fordeling"),
           ("temaplaner", "Temaplaner"), ("tjenesteomrader", "Tjenesteområder"),
           ("sammenligning", "Asker og sammenlignbare kommuner")]
    body.append("<nav>" + "".join(f'<a href="#{a}">{escape(t)}</a>' for a, t in nav) + "</nav>")
    body.append('<p class="explain">Rapporten viser hvor styringssystemet i kommuneplanen har hull: mål uten '
                'indikatorer, indikatorer uten tall, FN-mål Asker viser til uten å måle dem, og temaplaner som ikke '
                'er knyttet til kommuneplanens delmål. Tallene er hentet fra kunnskapsgrafen over Asker kommunes '
                f'årsrapport {escape(str(latest))} og kommuneplan; røde felt er hull.</p>')
    body.append('<div class="cards">' + "".join(
        f'<div class="card{" hole" if hole and n else ""}"><div class="number">{n}</div><div class="what">{escape(what)}</div></div>'
        for what, n, hole in summary(report)) + "</div>")

    body.append(section("fn", "FN-mål og Askers mål", "UN goals × Asker's goals",
                        "Hver rad er et hovedmål eller delmål, hver kolonne et av FNs 17 bærekraftsmål. Et felt har tall "
                        "når målet viser til FN-målet (direkte, gjennom et FN-delmål eller gjennom hovedmålet), og tallet "
                        "er hvor mange indikatorer som måler målet. Nederste rad teller indikatorene som bidrar til hvert FN-mål.",
                        heat_map(report)))

    target_rows, target_classes = [], []
    for t in s["fn_targets"]:
        target_rows.append([f'<b>{e(t["fn_target"])}</b>', e(t["fn_target_label"]), e(t["referred_by"]),
                            e(t["stated_by"]) or '<span class="muted">kuratert</span>',
                            f'<span class="{heat_class(t["indicator_count"])}" style="padding:2px 8px">{t["indicator_count"]}</span>'])
        target_classes.append("hole" if not t["indicator_count"] else "")
    body.append(section("fn-delmal", "FN-delmål Asker viser til", "UN targets Asker refers to",
                        "FN-delmål som Askers delmål, hovedmål eller strategier bygger på, og hvor mange indikatorer som "
                        "bidrar til dem. Strategier har ingen egne indikatorer, så et FN-delmål som bare nås gjennom en "
                        "strategi, står uten indikator. Norsk tekst er FNs norske ordlyd der den finnes, ellers en uoffisiell oversettelse.",
                        html_table(["FN-delmål", "Tekst", "Askers mål/strategier", "Oppgitt i kilden", "Indikatorer"],
                                   target_rows, {4}, target_classes)))

    body.append(section("delmal", "Delmål uten indikatorer", "Sub-goals without indicators",
                        "Delmål som ingen indikator måler, med kildens begrunnelse.",
                        html_table(["Delmål", "Satsingsområde", "Begrunnelse"],
                                   [[f'<b>{e(r["subgoal_id"])}</b> {e(r["subgoal_label"])}', e(r["area_label"]),
                                     e(r["reason_label"])] for r in s["subgoals_without_indicators"]])))

    parts = []
    for status, explain in (("Ikke målt", "statistikken lages ikke hvert år"),
                            ("Tall kommer", "nasjonal statistikk publiseres med etterslep"),
                            ("ingen observasjon", "året mangler i dataene")):
        records = [r for r in s["indicators_without_latest"] if r["status_label"] == status]
        if not records:
            continue
        parts.append(f"<h3>«{escape(status)}» – {len(records)} indikatorer <span class=en>{escape(explain)}</span></h3>")
        parts.append(html_table(
            ["Indikator", "Satsingsområde", f"År med tall ({', '.join(years)})", "Antall år med tall", "Siste tall"],
            [[f'<b>{e(r["indicator_id"])}</b> {e(r["indicator_label"])}', e(r["area_label"]),
              year_dots(r["measured_years"], years), f'{r["years_with_data"]} av {len(years)}', e(r["latest_figure_year"] or "–")]
             for r in records], {3}))
    body.append(section("tall", f"Indikatorer uten tall for {latest}", f"Indicators without a {latest} figure",
                        f"Indikatorer som ikke har et tall for {escape(str(latest))}, delt etter rapportens status. "
                        "Rutene viser hvilke år indikatoren har tall (fylt rute = tall).", "".join(parts)))

    miss_rows = []
    for r in s["threshold_misses"]:
        values = [r.get(f"value_{y}") for y in years]
        miss_rows.append([f'<b>{e(r["indicator_id"])}</b> {e(r["indicator_label"])}', e(r["threshold"]),
                          *[f'<span class="{"no" if r.get(f"met_{y}") is False else "yes" if r.get(f"met_{y}") else "muted"}">'
                            f'{escape(number_text(r.get(f"value_{y}")))}</span>' for y in years],
                          sparkline(values, years, r["threshold_value"], r["comparator"])])
    body.append(section("terskel", "Indikatorer under terskel", "Indicators missing their threshold",
                        "Indikatorer med en terskel i navnet (for eksempel «> 10 %») der siste tall ikke når terskelen. "
                        "Rødt tall: terskelen ikke nådd det året. Linjen viser utviklingen; stiplet linje er terskelen.",
                        html_table(["Indikator", "Terskel", *years, "Utvikling"], miss_rows,
                                   set(range(2, 2 + len(years))))))

    dist_parts = []
    by_dimension: dict[str, list[dict]] = {}
    for r in s["distribution"]:
        by_dimension.setdefault(r["dimension_label"], []).append(r)
    for dimension, records in by_dimension.items():
        rows, classes = [], []
        for r in records:
            verdict = {True: '<span class="yes">✓ samsvarer</span>', False: '<span class="no">✗ avviker</span>',
                       None: '<span class="muted">ikke oppgitt</span>'}[r["matches"]]
            stated_percent = r["stated_percent"] if r["stated_kind"] in ("percent", "derived") else (
                100 * r["stated_count"] / meta["indicator_count"] if r["stated_kind"] == "count" and meta["indicator_count"] else None)
            rows.append([e(r["category_label"]), escape(stated_text(r)), escape(graph_text(r)),
                         bars(stated_percent, r["graph_percent"]), verdict])
            classes.append("hole" if r["matches"] is False and r["stated_kind"] != "derived" else "")
        dist_parts.append(f"<h3>{escape(dimension)}</h3>" + html_table(
            ["Kategori", "Rapporten", "Grafen", "Rapporten (grå) / grafen (blå)", "Samsvar"], rows, {1, 2}, classes))
    challenges = list(dict.fromkeys((r["challenge"], r["challenge_label"]) for r in s["challenge_by_area"]))
    areas = list(dict.fromkeys((r["area_id"], r["area_label"], r["area_indicator_count"]) for r in s["challenge_by_area"]))
    counts = {(r["area_id"], r["challenge"]): r["indicator_count"] for r in s["challenge_by_area"]}
    cross = html_table(["Satsingsområde", "Indikatorer", *[e(label) for _, label in challenges]],
                       [[e(label), str(total)] + [f'<span class="{heat_class(counts[(a, c)]) if c != "none" else ""}" '
                                                  f'style="padding:2px 8px">{counts[(a, c)]}</span>' for c, _ in challenges]
                        for a, label, total in areas], set(range(1, 2 + len(challenges))))
    dist_parts.append("<h3>Samfunnsfloker per satsingsområde</h3><p class=explain>Hvor mange av satsingsområdets "
                      "indikatorer som måler hver samfunnsfloke. 0 i rødt: floken måles ikke i området.</p>" + cross)
    body.append(section("fordeling", "Indikatorsettet: grafen mot rapportens fordeling",
                        "The indicator set: the graph beside the report's distribution",
                        "Årsrapporten beskriver indikatorsettet med fordelinger (samfunnsfloke, resultatkjede, aldersgruppe, "
                        "datagrunnlag, oppdatering, antall per satsingsområde). Klassifiseringen i grafen er laget slik at "
                        "den gjengir disse tallene; tabellen viser om den gjør det.", "".join(dist_parts)))

    plan_rows, plan_classes = [], []
    for p in s["thematic_plans"]:
        plan_rows.append([f'<b>{e(p["plan_label"])}</b>', e(p["service_areas"]), e(p["committees"]),
                          e(p["subgoals"]) or '<span class="no">ingen</span>', str(p["indicator_count"])])
        plan_classes.append("" if p["linked"] else "hole")
    body.append(section("temaplaner", "Temaplaner og kommuneplanens delmål", "Thematic plans and the master plan's sub-goals",
                        "Temaplanene med ansvarlig tjenesteområde og utvalg, delmålene rapporten knytter dem til, og "
                        "antall indikatorer som måler de delmålene. En plan uten delmål følges ikke opp av noen indikator.",
                        html_table(["Temaplan", "Tjenesteområde", "Utvalg", "Delmål", "Indikatorer"], plan_rows, {4},
                                   plan_classes)))
    area_rows, area_classes = [], []
    for a in s["service_areas"]:
        area_rows.append([f'<b>{e(a["service_area_label"])}</b>', str(a["plan_count"]),
                          e(a["subgoals"]) or '<span class="no">ingen</span>', str(a["indicator_count"])])
        area_classes.append("" if a["linked"] and a["plan_count"] else "hole")
    body.append(section("tjenesteomrader", "Tjenesteområder", "Service areas",
                        "Tjenesteområdene med temaplanene de har ansvar for, og delmålene og indikatorene planene er knyttet til.",
                        html_table(["Tjenesteområde", "Temaplaner", "Delmål (gjennom temaplanene)", "Indikatorer"],
                                   area_rows, {1, 3}, area_classes)))

    body.append(comparison_section(s.get("comparison", [])))

    footer = ("Laget av sdggraph fra den bygde grafen (<code>sdggraph report coverage</code>). De samme tallene finnes "
              "maskinlesbart med <code>--format csv</code> og <code>--format json</code>. Koblinger merket «kuratert» er "
              "sdggraphs vurdering, ikke kildens.")
    template = Template(resources.files("sdggraph").joinpath("templates/coverage.html").read_text(encoding="utf-8"))
    return template.substitute(title=escape(meta["title"]), subtitle=escape(meta["title_en"]),
                               generated=escape(f"Siste rapportår: {latest}"
                                                + (f" ({meta['latest_edition']})" if meta.get("latest_edition") else "")
                                                + f" · {meta['indicator_count']} indikatorer · "
                                                f"{meta['subgoal_count']} delmål · {meta['maingoal_count']} hovedmål"),
                               body="\n".join(body), footer=footer)
