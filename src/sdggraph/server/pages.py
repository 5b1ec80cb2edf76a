"""Pages for people: a page for every resource the graph mints (the query page: editor.py).

Every IRI under config.base_iri() is served at its path part (…/kommune/3203/indicator/HEL-01 at
/kommune/3203/indicator/HEL-01, the ontology at /ontology), and any other IRI the graph holds (FN
goals, W3C terms) at /resource?iri=…, so links work on localhost. A resource answers as HTML for
browsers — label, types, links out and in with labels, what OWL-RL inferred kept apart from what
was stated, provenance (source section and page), and for an indicator its series (the years of
the report editions it is in, each figure with the edition that printed it) as a small chart — and as RDF (Turtle, JSON-LD, N-Triples, RDF/XML) by Accept or `format=`: the
triples with the resource as subject or object (like DESCRIBE, plus incoming links).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from html import escape
from importlib import resources
from urllib.parse import quote

import pyoxigraph
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from .. import config
from ..errors import BuildMissingError
from ..query import traverse
from . import comparison_pages, negotiation, serialize
from .common import build_dir_of, local_href, over_derived_limit, page, pick_format

router = APIRouter()

RDF_TYPE = traverse.RDF_TYPE
PROV_DERIVED = traverse.PROV + "wasDerivedFrom"
OFFERS = [("text/html", "html"), ("text/turtle", "turtle"), ("application/ld+json", "jsonld"),
          ("application/n-triples", "ntriples"), ("application/rdf+xml", "rdfxml")]
RDF_MEDIA = {name: negotiation.MEDIA_TYPES[name] for name in ("turtle", "jsonld", "ntriples", "rdfxml")}
MAX_INCOMING = 200  # incoming links shown on a page (a status or unit has hundreds)
WEB_FILES = {"app.js": "text/javascript; charset=utf-8", "style.css": "text/css; charset=utf-8"}


def sg(local: str) -> str:
    return traverse.sg(local)


# ---- reading a resource -------------------------------------------------------------------

@dataclass
class Resource:
    iri: str
    outgoing: list[tuple[str, object, bool]] = field(default_factory=list)   # (predicate, object, inferred)
    incoming: list[tuple[str, str, bool]] = field(default_factory=list)      # (subject, predicate, inferred)

    def values(self, predicate: str) -> list:
        return [obj for p, obj, _ in self.outgoing if p == predicate]

    def triples(self) -> list[pyoxigraph.Triple]:
        node = pyoxigraph.NamedNode(self.iri)
        out = {pyoxigraph.Triple(node, pyoxigraph.NamedNode(p), o) for p, o, _ in self.outgoing}
        out |= {pyoxigraph.Triple(pyoxigraph.NamedNode(s), pyoxigraph.NamedNode(p), node) for s, p, _ in self.incoming}
        return sorted(out, key=str)


def read_resource(store: pyoxigraph.Store, iri: str, inferred_graph: str) -> Resource | None:
    """The triples around an IRI (union of the layers), or None when the graph does not hold it."""
    try:
        node = pyoxigraph.NamedNode(iri)
    except ValueError:
        return None
    resource = Resource(iri)
    seen = set()
    for quad in store.quads_for_pattern(node, None, None, None):
        key = (quad.predicate.value, quad.object)
        if key not in seen:
            seen.add(key)
            resource.outgoing.append((quad.predicate.value, quad.object, quad.graph_name.value == inferred_graph))
    seen = set()
    for quad in store.quads_for_pattern(None, None, node, None):
        if isinstance(quad.subject, pyoxigraph.NamedNode) and (quad.subject.value, quad.predicate.value) not in seen:
            seen.add((quad.subject.value, quad.predicate.value))
            resource.incoming.append((quad.subject.value, quad.predicate.value,
                                      quad.graph_name.value == inferred_graph))
    return resource if resource.outgoing or resource.incoming else None


def ontology_triples(store: pyoxigraph.Store) -> list[pyoxigraph.Triple]:
    """The ontology as published: every stated triple about the ontology or its terms."""
    from ..layout import graph_iri

    base = config.rebase(config.DEFAULT_BASE_IRI + "ontology")
    asserted = pyoxigraph.NamedNode(graph_iri("asserted"))
    return sorted((pyoxigraph.Triple(q.subject, q.predicate, q.object)
                   for q in store.quads_for_pattern(None, None, None, asserted)
                   if isinstance(q.subject, pyoxigraph.NamedNode)
                   and (q.subject.value == base or q.subject.value.startswith(base + "#"))), key=str)


# ---- HTML ---------------------------------------------------------------------------------

class Labeller:
    """Labels for IRIs: from the traversal graph (derived once per build), or, for a graph above
    settings.derived_limit (none is derived in the server process), from the store, chosen as the
    traversal graph chooses them (traverse.best_label)."""

    def __init__(self, g=None, store: pyoxigraph.Store | None = None):
        self.g, self.store = g, store
        self._found: dict[str, str] = {}

    def __call__(self, iri: str) -> str:
        if self.g is not None:
            return self.g.nodes[iri]["label"] if iri in self.g else traverse.local_name(iri)
        if iri not in self._found:
            self._found[iri] = self._from_store(iri)
        return self._found[iri]

    def _from_store(self, iri: str) -> str:
        try:
            subject = pyoxigraph.NamedNode(iri)
        except ValueError:
            return traverse.local_name(iri)
        literals = [(quad.predicate.value, quad.object.value, quad.object.language)
                    for quad in self.store.quads_for_pattern(subject, None, None, None)
                    if isinstance(quad.object, pyoxigraph.Literal)]
        return traverse.best_label(literals, iri)

    def link(self, iri: str) -> str:
        return (f'<a href="{escape(local_href(iri))}" title="{escape(iri)}">{escape(self(iri))}</a>')


LANGUAGES = {"nb": "bokmål", "nn": "nynorsk", "en": "engelsk", "no": "norsk", "es": "spansk", "fr": "fransk"}
DATATYPES = {"integer": "heltall", "decimal": "desimaltall", "double": "desimaltall", "date": "dato", "gYear": "år",
             "boolean": "sannhetsverdi", "anyURI": "adresse", "dateTime": "tidspunkt"}
NUMBER = re.compile(r"^([+-]?)(\d+)(?:\.(\d+))?$")


def number_text(lexical: str) -> str:
    """A decimal's lexical form as Norwegian pages print it: decimal comma, no-break-space thousands
    from five digits (four-digit numbers stay whole, as years and counts read best)."""
    match = NUMBER.match(lexical.strip())
    if not match:
        return lexical
    sign, whole, fraction = match.groups()
    if len(whole) > 4:
        whole = f"{int(whole):,}".replace(",", "\u00a0")
    return ("-" if sign == "-" else "") + whole + ("," + fraction if fraction else "")


def literal_html(term: pyoxigraph.Literal) -> str:
    if term.language:
        name = LANGUAGES.get(term.language, term.language)
        return f'{escape(term.value)} <span class="tag" title="@{escape(term.language)}">{escape(name)}</span>'
    kind = traverse.local_name(term.datatype.value)
    if term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        text = number_text(term.value) if kind in ("integer", "decimal", "double") else term.value
        return (f'{escape(text)} <span class="tag" title="{escape(term.datatype.value)}">'
                f"{escape(DATATYPES.get(kind, kind))}</span>")
    return escape(term.value)


def term_html(term, label: Labeller) -> str:
    if isinstance(term, pyoxigraph.NamedNode):
        return label.link(term.value)
    if isinstance(term, pyoxigraph.Literal):
        return literal_html(term)
    return escape(str(term))


def _nb_first(terms) -> list:
    """Literals with the Norwegian ones first (and other languages after)."""
    return sorted(terms, key=lambda t: (getattr(t, "language", None) != "nb", str(t)))


def property_table(rows: list[tuple[str, object]], label: Labeller, css: str) -> str:
    grouped: dict[str, list] = {}
    for predicate, obj in rows:
        grouped.setdefault(predicate, []).append(obj)
    order = sorted(grouped, key=lambda p: (p != RDF_TYPE, label(p).lower()))
    lines = [f'<table class="{css}"><tbody>']
    for predicate in order:
        values = "<br>".join(term_html(v, label) for v in _nb_first(grouped[predicate]))
        lines.append(f'<tr><th>{label.link(predicate)}</th><td>{values}</td></tr>')
    lines.append("</tbody></table>")
    return "".join(lines)


def _objects(store: pyoxigraph.Store, subject, predicate: str) -> list:
    """The objects of (subject, predicate, ?), Norwegian literals first."""
    return _nb_first(q.object for q in store.quads_for_pattern(subject, pyoxigraph.NamedNode(predicate), None, None))


def provenance_html(store: pyoxigraph.Store, resource: Resource, label: Labeller) -> str:
    sources = [o for o in resource.values(PROV_DERIVED) if isinstance(o, pyoxigraph.NamedNode)]
    if not sources:
        return ""
    items = []
    for source in sources:
        section = _objects(store, source, sg("section"))
        pages = _objects(store, source, sg("page"))
        documents = _objects(store, source, traverse.DCTERMS + "isPartOf")
        text = section[0].value if section else label(source.value)
        parts = [f'<a href="{escape(local_href(source.value))}">{escape(text)}</a>']
        if pages:
            parts.append(f"side {escape(pages[0].value)}")
        if documents:
            parts.append(f"i {label.link(documents[0].value)}")
        items.append("<li>" + ", ".join(parts) + "</li>")
    return f'<section class="provenance"><h2>Kilde</h2><ul>{"".join(items)}</ul></section>'


@dataclass
class Point:
    year: str
    value: Decimal | None
    status: str
    printed: str
    edition: str = ""  # the label of the edition that printed it
    earlier: list[str] = field(default_factory=list)  # what earlier editions printed, where it was revised


def _nb_label(store: pyoxigraph.Store, node) -> str:
    labels = [q.object for q in store.quads_for_pattern(node, pyoxigraph.NamedNode(traverse.SKOS + "prefLabel"), None, None)
              if isinstance(q.object, pyoxigraph.Literal) and q.object.language == "nb"]
    return labels[0].value if labels else traverse.local_name(node.value)


def _fields(store: pyoxigraph.Store, node) -> dict:
    return {q.predicate.value: q.object for q in store.quads_for_pattern(node, None, None, None)}


def indicator_years(store: pyoxigraph.Store, indicator: str) -> list[str]:
    """The reporting years of the report editions the indicator is in (from its sg:introducedIn to
    before its sg:retiredIn), with any other year it has an observation for; no year is fixed here."""
    node = pyoxigraph.NamedNode(indicator)
    bounds = {}
    for name in ("introducedIn", "retiredIn"):
        for quad in store.quads_for_pattern(node, pyoxigraph.NamedNode(sg(name)), None, None):
            year = _fields(store, quad.object).get(sg("reportYear"))
            if year is not None:
                bounds[name] = year.value
    years = set()
    for quad in store.quads_for_pattern(None, pyoxigraph.NamedNode(RDF_TYPE), pyoxigraph.NamedNode(sg("ReportEdition")), None):
        edition = quad.subject
        report_year = _fields(store, edition).get(sg("reportYear"))
        if report_year is None or report_year.value < bounds.get("introducedIn", "") \
                or ("retiredIn" in bounds and report_year.value >= bounds["retiredIn"]):
            continue
        years |= {q.object.value for q in store.quads_for_pattern(edition, pyoxigraph.NamedNode(sg("reportingYear")), None, None)}
    for quad in store.quads_for_pattern(None, pyoxigraph.NamedNode(sg("ofIndicator")), node, None):
        year = _fields(store, quad.subject).get(sg("year"))
        if year is not None:
            years.add(year.value)
    return sorted(years)


def _point(store: pyoxigraph.Store, figure, year: str) -> Point:
    fields = _fields(store, figure)
    value = fields.get(sg("value"))
    try:
        number = Decimal(value.value) if value is not None else None
    except InvalidOperation:
        number = None
    status = fields.get(sg("observationStatus"))
    printed = fields.get(sg("printedValue"))
    edition = fields.get(sg("publishedIn"))
    return Point(year, number, _nb_label(store, status) if status is not None else "", printed.value if printed else "",
                 _nb_label(store, edition) if edition is not None else "")


def indicator_series(store: pyoxigraph.Store, indicator: str) -> list[Point]:
    """The indicator's current observation per year (a missing year shows as «mangler»), each with the
    edition that printed it and, where a later edition revised it, what the earlier ones printed."""
    by_year = {}
    for quad in store.quads_for_pattern(None, pyoxigraph.NamedNode(sg("ofIndicator")), pyoxigraph.NamedNode(indicator), None):
        observation = quad.subject
        year = _fields(store, observation).get(sg("year"))
        if year is None:
            continue
        point = _point(store, observation, year.value)
        revised = [q.object for q in store.quads_for_pattern(observation, pyoxigraph.NamedNode(traverse.PROV + "wasRevisionOf"), None, None)]
        while revised:  # follow the revisions back, newest first
            older = _point(store, revised[0], year.value)
            point.earlier.append(f"{older.edition}: {older.printed or older.status}")
            revised = [q.object for q in store.quads_for_pattern(revised[0], pyoxigraph.NamedNode(traverse.PROV + "wasRevisionOf"), None, None)]
        by_year[year.value] = point
    return [by_year.get(year, Point(year, None, "mangler", "")) for year in indicator_years(store, indicator)]


def series_title(points: list[Point]) -> str:
    return f"Tidsserie {points[0].year}–{points[-1].year}" if points else "Tidsserie"


def _nice_step(span: float) -> float:
    raw = span / 5
    power = 10 ** math.floor(math.log10(raw))
    return next(f * power for f in (1, 2, 2.5, 5, 10) if f * power >= raw * 0.999)


def value_axis(numbers: list[float]) -> tuple[float, float, float, bool]:
    """(low, high, step, broken) of a chart's value axis. It starts at zero unless the figures sit far
    above it (the lowest above 60 % of the highest); then it is cut — and the cut is drawn — but it
    always spans at least a tenth of the highest figure, so a one-point fall at 97 % stays small."""
    low, high = (min(numbers), max(numbers)) if numbers else (0.0, 1.0)
    broken = low > 0 and low > 0.6 * high
    low = min(low, high - 0.1 * abs(high)) if broken else min(0.0, low)
    if high == low:
        high = low + 1
    step = _nice_step(high - low)
    return math.floor(low / step) * step, math.ceil(high / step) * step, step, broken


def series_svg(points: list[Point], threshold: Decimal | None = None, threshold_text: str = "") -> str:
    """A small line chart of the yearly figures; years without a figure show their status.

    Value ticks sit left of the axis and the first and last year are set in from the plot's edges,
    so tick labels, point labels and status texts do not overlap or run off the picture."""
    width, height, left, right, top, bottom, inset = 560, 250, 64, 24, 28, 62, 36
    numbers = [float(p.value) for p in points if p.value is not None] + ([float(threshold)] if threshold is not None else [])
    low, high, step, broken = value_axis(numbers)
    plot_w, plot_h = width - left - right - 2 * inset, height - top - bottom
    base = top + plot_h

    def x(index):
        return left + inset + (index * plot_w / (len(points) - 1) if len(points) > 1 else plot_w / 2)

    def y(value):
        return top + (high - float(value)) / (high - low) * plot_h

    out = [f'<svg class="series" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(series_title(points))}" font-size="12" '
           'font-family="system-ui, sans-serif">']
    ticks = round((high - low) / step)
    for n in range(ticks + 1):
        value = low + n * step
        ty = y(value)
        out.append(f'<line class="grid" x1="{left}" y1="{ty:.1f}" x2="{width - right}" y2="{ty:.1f}" stroke="#eceff1"/>')
        out.append(f'<text class="tick" x="{left - 8}" y="{ty + 4:.1f}" text-anchor="end" fill="#666">'
                   f"{_short(Decimal(str(round(value, 6))), digits=2)}</text>")
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{base}" stroke="#999"/>')
    out.append(f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" stroke="#999"/>')
    if broken:  # a zigzag across the axis: it does not start at zero
        zy = base - 12
        out.append(f'<path class="axis-break" d="M{left - 6},{zy + 6} l6,-4 l-6,-4 l6,-4" fill="none" stroke="#c0392b" '
                   f'stroke-width="1.6"><title>Aksen starter ikke på 0</title></path>')
        out.append(f'<text class="axis-note" x="{left - 8}" y="{base + 54}" fill="#c0392b" font-size="11">'
                   f"Aksen starter på {_short(Decimal(str(round(low, 6))), digits=2)}, ikke 0</text>")
    if threshold is not None:
        ty = y(threshold)
        out.append(f'<line class="threshold" x1="{left}" y1="{ty:.1f}" x2="{width - right}" y2="{ty:.1f}" '
                   'stroke="#c0392b" stroke-dasharray="6 4"/>')
        out.append(f'<text x="{width - right}" y="{ty - 5:.1f}" text-anchor="end" fill="#c0392b">'
                   f"terskel {escape(threshold_text or _short(threshold))}</text>")
    measured = [(i, p) for i, p in enumerate(points) if p.value is not None]
    if len(measured) > 1:
        path = " ".join(f"{'M' if n == 0 else 'L'}{x(i):.1f},{y(p.value):.1f}" for n, (i, p) in enumerate(measured))
        out.append(f'<path d="{path}" fill="none" stroke="#1e8449" stroke-width="2"/>')
    for index, point in enumerate(points):
        out.append(f'<text x="{x(index):.1f}" y="{base + 18}" text-anchor="middle" fill="#333">{escape(point.year)}</text>')
        if point.value is not None:
            out.append(f'<circle class="measured" cx="{x(index):.1f}" cy="{y(point.value):.1f}" r="4.5" fill="#1e8449">'
                       f"<title>{escape(point.year)}: {escape(point.printed or _short(point.value))}</title></circle>")
            out.append(f'<text class="point" x="{x(index):.1f}" y="{y(point.value) - 9:.1f}" text-anchor="middle" '
                       f'fill="#1e8449">{escape(point.printed or _short(point.value))}</text>')
        else:
            out.append(f'<circle class="missing" cx="{x(index):.1f}" cy="{base:.1f}" r="4.5" fill="#fff" '
                       f'stroke="#888" stroke-dasharray="2 2"><title>{escape(point.year)}: {escape(point.status)}'
                       "</title></circle>")
            out.append(f'<text class="status" x="{x(index):.1f}" y="{base + 36}" text-anchor="middle" fill="#666" '
                       f'font-style="italic">{escape(point.status)}</text>')
    out.append("</svg>")
    return "".join(out)


def _short(number: Decimal, digits: int = 1) -> str:
    """A chart label: at most `digits` decimals, Norwegian decimal comma."""
    return f"{float(number):.{digits}f}".rstrip("0").rstrip(".").replace(".", ",")


def indicator_html(store: pyoxigraph.Store, resource: Resource) -> str:
    points = indicator_series(store, resource.iri)
    threshold, threshold_text = None, ""
    for node in resource.values(sg("hasThreshold")):
        fields = {q.predicate.value: q.object for q in store.quads_for_pattern(node, None, None, None)}
        if sg("thresholdValue") in fields:
            threshold = Decimal(fields[sg("thresholdValue")].value)
            threshold_text = fields[sg("printedText")].value if sg("printedText") in fields else ""
    rows = "".join(f"<tr><td>{escape(p.year)}</td><td>{escape(p.printed or (str(p.value) if p.value is not None else ''))}"
                   f"</td><td>{escape(p.status)}</td><td>{escape(p.edition)}</td>"
                   f"<td>{escape('; '.join(p.earlier))}</td></tr>" for p in points)
    return (f'<section class="series"><h2>{escape(series_title(points))}</h2>{series_svg(points, threshold, threshold_text)}'
            f'<table class="series"><thead><tr><th>År</th><th>Verdi</th><th>Status</th><th>Utgave</th>'
            f"<th>Revidert fra</th></tr></thead><tbody>{rows}</tbody></table></section>")


CLASSIFICATION = [str(config.SG) + "resultChainStep", str(config.SG) + "addressesChallenge",
                  str(config.SG) + "ageGroup", str(config.SG) + "dataBasis", traverse.DCTERMS + "accrualPeriodicity",
                  str(config.SG) + "dataSource"]
RATIONALE = str(config.SG) + "classificationRationale"


def classification_html(resource: Resource, label: Labeller) -> str:
    """How the report classifies the indicator, each value by its name in the graph, and why."""
    rows = []
    for predicate in CLASSIFICATION:
        predicate = config.rebase(predicate) if predicate.startswith(config.DEFAULT_BASE_IRI) else predicate
        values = resource.values(predicate)
        if values:
            rows.append(f"<tr><th>{label.link(predicate)}</th><td>"
                        + "<br>".join(term_html(v, label) for v in _nb_first(values)) + "</td></tr>")
    rationale = resource.values(config.rebase(RATIONALE))
    why = ""
    if rationale:
        lang = getattr(rationale[0], "language", None)
        # the classification table's rationale is sdggraph's curation note, written in English
        why = (f'<h3>Begrunnelse for klassifiseringen</h3><p class="rationale" lang="{lang or "en"}">'
               f'{escape(rationale[0].value)}</p><p class="muted note">Begrunnelsen er sdggraphs vurdering '
               "(data/indicators/indicators.classification.csv) og står på engelsk.</p>")
    if not rows and not why:
        return ""
    return (f'<section class="classification"><h2>Klassifisering</h2><table class="outgoing"><tbody>{"".join(rows)}'
            f"</tbody></table>{why}</section>")


def resource_html(store: pyoxigraph.Store, resource: Resource, label: Labeller) -> str:
    iri = resource.iri
    title = label(iri)
    types = [o.value for o in resource.values(RDF_TYPE) if isinstance(o, pyoxigraph.NamedNode)]
    stated_types = [o.value for p, o, inferred in resource.outgoing if p == RDF_TYPE and not inferred] or types
    parts = [f"<h1>{escape(title)}</h1>",
             f'<p class="iri"><code>{escape(iri)}</code></p>']
    if stated_types:
        parts.append('<p class="types">Type: ' + ", ".join(label.link(t) for t in stated_types) + "</p>")
    definitions = [o for o in resource.values(traverse.SKOS + "definition") if getattr(o, "language", None) == "nb"]
    if definitions:
        parts.append(f'<p class="definition">{escape(definitions[0].value)}</p>')
    shown_apart: set[str] = set()
    if sg("Indicator") in types:
        parts.append(indicator_html(store, resource))
        parts.append(classification_html(resource, label))
        shown_apart = {config.rebase(p) if p.startswith(config.DEFAULT_BASE_IRI) else p for p in [*CLASSIFICATION, RATIONALE]}
    if sg("ServiceArea") in types:  # issue 13: the KOSTRA figures its chapter reports, with a comparison chart
        parts.append(comparison_pages.kostra_html(store, iri))
    if sg("ReferenceArea") in types:
        parts.append(comparison_pages.area_html(store, iri))
    if sg("ComparisonMeasure") in types:
        parts.append(comparison_pages.measure_html(store, iri))
    stated = [(p, o) for p, o, inferred in resource.outgoing if not inferred and p not in shown_apart]
    inferred = [(p, o) for p, o, is_inferred in resource.outgoing if is_inferred]
    parts.append(f"<h2>Egenskaper og lenker ut</h2>{property_table(stated, label, 'outgoing')}")
    if inferred:
        parts.append(f'<details class="inferred"><summary>Utledet av OWL-RL ({len(inferred)})</summary>'
                     f"{property_table(inferred, label, 'outgoing inferred')}</details>")
    parts.append(provenance_html(store, resource, label))
    incoming = sorted(resource.incoming, key=lambda item: (item[2], label(item[1]).lower(), label(item[0]).lower()))
    if incoming:
        rows = "".join(f'<tr{" class=inferred" if inferred_link else ""}><td>{label.link(subject)}</td>'
                       f"<td>{label.link(predicate)}{' <span class=tag>utledet</span>' if inferred_link else ''}</td></tr>"
                       for subject, predicate, inferred_link in incoming[:MAX_INCOMING])
        more = (f'<p class="more">… og {len(incoming) - MAX_INCOMING} lenker til.</p>'
                if len(incoming) > MAX_INCOMING else "")
        parts.append(f'<h2>Lenker inn ({len(incoming)})</h2><table class="incoming"><thead><tr><th>Fra</th>'
                     f"<th>Egenskap</th></tr></thead><tbody>{rows}</tbody></table>{more}")
    here = escape(local_href(iri))
    joiner = "&amp;" if "?" in local_href(iri) else "?"
    parts.append('<p class="downloads">Som RDF: ' + " · ".join(
        f'<a href="{here}{joiner}format={name}">{text}</a>'
        for name, text in (("turtle", "Turtle"), ("jsonld", "JSON-LD"), ("ntriples", "N-Triples"), ("rdfxml", "RDF/XML")))
        + f' · <a href="/traverse/neighbourhood?node={quote(iri, safe="")}">Nabolaget som graf</a></p>')
    return page(title, "".join(parts))


def ontology_terms_html(triples: list[pyoxigraph.Triple], label: Labeller) -> str:
    """The ontology page's list of terms, each with an anchor so …/ontology#Term lands on it."""
    base = config.rebase(config.DEFAULT_BASE_IRI + "ontology#")
    terms: dict[str, dict[str, list]] = {}
    for triple in triples:
        if triple.subject.value.startswith(base):
            terms.setdefault(triple.subject.value, {}).setdefault(triple.predicate.value, []).append(triple.object)
    items = []
    for iri in sorted(terms, key=lambda t: t[len(base):].lower()):
        name = iri[len(base):]
        kinds = ", ".join(label(t.value) for t in terms[iri].get(RDF_TYPE, []) if isinstance(t, pyoxigraph.NamedNode))
        definition = [t for t in terms[iri].get(traverse.SKOS + "definition", []) if t.language == "nb"]
        items.append(f'<li id="{escape(name)}"><a href="/resource?iri={quote(iri, safe="")}"><code>sg:{escape(name)}'
                     f"</code></a> — {escape(label(iri))} <span class=tag>{escape(kinds)}</span>"
                     + (f"<br><small>{escape(definition[0].value)}</small>" if definition else "") + "</li>")
    return f'<h2>Begreper ({len(items)})</h2><ul class="terms">{"".join(items)}</ul>'


# ---- routes -------------------------------------------------------------------------------

def not_found(iri: str, fmt: str | None) -> Response:
    if fmt == "html":
        body = (f"<h1>Fant ikke ressursen</h1><p>Grafen har ingen ressurs <code>{escape(iri)}</code>.</p>"
                f'<p><a href="/">Til spørresiden</a></p>')
        return HTMLResponse(page("Fant ikke ressursen", body), status_code=404)
    return Response(f"not found: {iri}\n", status_code=404, media_type="text/plain; charset=utf-8")


def serve_resource(request: Request, iri: str) -> Response:
    from ..layout import graph_iri
    from ..store.local import open_store

    fmt = pick_format(request, OFFERS)
    if fmt is None:
        names = ", ".join(f"{media} (format={name})" for media, name in OFFERS)
        return Response(f"not acceptable; available: {names}\n", status_code=406, media_type="text/plain; charset=utf-8")
    try:
        build_dir = build_dir_of(request)
        store = open_store(build_dir)
    except BuildMissingError as failure:
        return Response(f"{failure}\n", status_code=503, media_type="text/plain; charset=utf-8")
    resource = read_resource(store, iri, graph_iri("inferred"))
    is_ontology = iri == config.rebase(config.DEFAULT_BASE_IRI + "ontology")
    if resource is None:
        return not_found(iri, fmt)
    prefixes = {prefix: config.rebase(namespace) for prefix, namespace in config.PREFIXES.items()}
    if fmt != "html":
        triples = ontology_triples(store) if is_ontology else resource.triples()
        return Response(serialize.triples(triples, fmt, prefixes), media_type=RDF_MEDIA[fmt],
                        headers={"Vary": "Accept"})
    label = Labeller(store=store) if over_derived_limit(request.app) else Labeller(traverse.graph(build_dir))
    html = resource_html(store, resource, label)
    if is_ontology:
        html = html.replace("</main>", ontology_terms_html(ontology_triples(store), label) + "</main>")
    return HTMLResponse(html, headers={"Vary": "Accept"})


@router.get("/kommune/{rest:path}")
def kommune_resource(rest: str, request: Request):
    return serve_resource(request, config.base_iri() + "kommune/" + rest)


@router.get("/ref-area/{rest:path}")
def ref_area_resource(rest: str, request: Request):
    """The reference areas (issue 13) are national, not Asker's: they live under ref-area/."""
    return serve_resource(request, config.base_iri() + "ref-area/" + rest)


@router.get("/ontology")
def ontology(request: Request):
    return serve_resource(request, config.base_iri() + "ontology")


@router.get("/ontology/{rest:path}")
def ontology_version(rest: str, request: Request):
    return serve_resource(request, config.base_iri() + "ontology/" + rest)


@router.get("/graph/{rest:path}")
def graph_resource(rest: str, request: Request):
    return serve_resource(request, config.base_iri() + "graph/" + rest)


@router.get("/resource")
def any_resource(request: Request, iri: str = ""):
    if not iri:
        return Response("give the IRI: /resource?iri=…\n", status_code=400, media_type="text/plain; charset=utf-8")
    return serve_resource(request, iri)


# ---- the files of the query page (the page itself: editor.py) --------------------------------

def web_file(name: str) -> bytes:
    return resources.files("sdggraph").joinpath("web", name).read_bytes()


@router.get("/web/{name}")
def static_file(name: str):
    if name not in WEB_FILES:  # a fixed list: nothing else under the package is reachable
        return Response("not found\n", status_code=404, media_type="text/plain; charset=utf-8")
    return Response(web_file(name), media_type=WEB_FILES[name], headers={"Cache-Control": "max-age=300"})
