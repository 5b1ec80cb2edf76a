"""Content negotiation for SPARQL results: the `format` parameter first, then `Accept` with q-values.

Result formats have short names (json, xml, csv, tsv for SELECT/ASK; turtle, ntriples, jsonld,
rdfxml for CONSTRUCT/DESCRIBE). `json` and `xml` mean the natural JSON/XML form of whichever
result the query gives (SPARQL JSON or JSON-LD, SPARQL XML or RDF/XML): clients such as
SPARQLWrapper send `format=json` or `format=xml` whatever the query form.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

# Canonical media type of each format (the Content-Type of the answer).
MEDIA_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "turtle": "text/turtle; charset=utf-8",
    "ntriples": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}
TABULAR = ("json", "xml", "csv", "tsv")
GRAPH = ("turtle", "ntriples", "jsonld", "rdfxml")

# What the server offers, in its order of preference (ties in q go to the earlier entry).
TABULAR_OFFERS = [
    ("application/sparql-results+json", "json"),
    ("application/sparql-results+xml", "xml"),
    ("text/csv", "csv"),
    ("text/tab-separated-values", "tsv"),
    ("application/json", "json"),
    ("application/xml", "xml"),
    ("text/xml", "xml"),
]
GRAPH_OFFERS = [
    ("text/turtle", "turtle"),
    ("application/n-triples", "ntriples"),
    ("application/ld+json", "jsonld"),
    ("application/rdf+xml", "rdfxml"),
    ("application/x-turtle", "turtle"),
    ("text/n3", "turtle"),  # Turtle is a subset of N3
    ("text/plain", "ntriples"),  # N-Triples' historic media type
    ("application/json", "jsonld"),
    ("application/xml", "rdfxml"),
    ("text/xml", "rdfxml"),
]

# Values of the `format` parameter: (format for SELECT/ASK, format for CONSTRUCT/DESCRIBE).
FORMAT_PARAMETER = {
    "json": ("json", "jsonld"),
    "xml": ("xml", "rdfxml"),
    "csv": ("csv", None),
    "tsv": ("tsv", None),
    "turtle": (None, "turtle"),
    "ttl": (None, "turtle"),
    "n3": (None, "turtle"),
    "ntriples": (None, "ntriples"),
    "n-triples": (None, "ntriples"),
    "nt": (None, "ntriples"),
    "jsonld": (None, "jsonld"),
    "json-ld": (None, "jsonld"),
    "rdfxml": (None, "rdfxml"),
    "rdf+xml": (None, "rdfxml"),
    "rdf": (None, "rdfxml"),
}
for _media, _name in TABULAR_OFFERS:
    FORMAT_PARAMETER.setdefault(_media, (_name, None))
for _media, _name in GRAPH_OFFERS:
    tabular = FORMAT_PARAMETER.get(_media, (None, None))[0]
    FORMAT_PARAMETER[_media] = (tabular, _name)


class UnknownFormat(ValueError):
    pass


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float
    params: tuple

    def matches(self, media_type: str) -> int:
        """Specificity of the match (3 exact, 2 type/*, 1 */*) or 0."""
        main, _, sub = media_type.partition("/")
        if self.type == "*" and self.subtype == "*":
            return 1
        if self.type != main:
            return 0
        if self.subtype == "*":
            return 2
        return 3 if self.subtype == sub else 0


_QVALUE = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")


@functools.lru_cache(maxsize=256)  # clients send the same few Accept headers; bounded for those who do not
def parse_accept(header: str | None) -> tuple[MediaRange, ...]:
    ranges = []
    for part in (header or "").split(","):
        pieces = [piece.strip() for piece in part.split(";")]
        media = pieces[0].lower()
        if "/" not in media:
            continue
        main, _, sub = media.partition("/")
        q, params = 1.0, []
        for param in pieces[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                # RFC 9110 qvalue only: "nan", "inf", "2", "-1" are invalid, and an invalid
                # weight makes the range count for nothing (q=0) rather than for everything
                value = value.strip()
                q = float(value) if _QVALUE.fullmatch(value) else 0.0
            elif name.strip():
                params.append((name.strip().lower(), value.strip().strip('"')))
        ranges.append(MediaRange(main.strip(), sub.strip(), q, tuple(params)))
    return tuple(ranges)


def choose(offers: list[tuple[str, str]], accept: str | None) -> str | None:
    """The offered format the client prefers; the first offer when Accept is absent; None if nothing fits."""
    ranges = parse_accept(accept)
    if not ranges:
        return offers[0][1]
    best, best_q = None, 0.0
    for media_type, name in offers:
        specificity, q = 0, 0.0
        for media_range in ranges:
            score = media_range.matches(media_type)
            if score > specificity:  # the most specific range decides this offer's q
                specificity, q = score, media_range.q
        if specificity and q > best_q:
            best, best_q = name, q
    return best


def from_parameter(values: list[str]) -> tuple[str | None, str | None] | None:
    """The first known value of the `format` parameter, or None when none was given.

    Raises UnknownFormat when values were given but none is known.
    """
    values = [value.strip().lower() for value in values if value.strip()]
    if not values:
        return None
    for value in values:
        known = FORMAT_PARAMETER.get(value.split(";")[0].strip())
        if known:
            return known
    raise UnknownFormat(f"unknown format {values[0]!r}; use one of " + ", ".join(
        ("json", "xml", "csv", "tsv", "turtle", "ntriples", "jsonld", "rdfxml")))


def negotiate(format_values: list[str], accept: str | None) -> tuple[str | None, str | None]:
    """(format for SELECT/ASK, format for CONSTRUCT/DESCRIBE); None where nothing fits (406)."""
    from_format = from_parameter(format_values)
    if from_format is not None:
        return from_format
    return choose(TABULAR_OFFERS, accept), choose(GRAPH_OFFERS, accept)
