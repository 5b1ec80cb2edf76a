"""Write query results in the SPARQL 1.1 result formats and the RDF formats.

`solutions` writes rows already taken from a result (JSON, XML, CSV, TSV per the W3C
result-format specs, byte for byte as pyoxigraph's own writer does): pyoxigraph can serialize
only a live result iterator, and the row cap needs the rows counted first when a result is
large (see executor._select). `triples` writes CONSTRUCT/DESCRIBE triples with pyoxigraph.
This module is imported by the query worker processes: pyoxigraph and the standard library only.
"""

from __future__ import annotations

import csv
import io
import json
import re
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph

XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
RESULTS_NS = "http://www.w3.org/2005/sparql-results#"

RDF_FORMATS = {
    "turtle": pyoxigraph.RdfFormat.TURTLE,
    "ntriples": pyoxigraph.RdfFormat.N_TRIPLES,
    "jsonld": pyoxigraph.RdfFormat.JSON_LD,
    "rdfxml": pyoxigraph.RdfFormat.RDF_XML,
}
_TURTLE_SHORT = {  # literals TSV may write bare, as Turtle does
    XSD + "integer": re.compile(r"[+-]?[0-9]+\Z"),
    XSD + "decimal": re.compile(r"[+-]?[0-9]*\.[0-9]+\Z"),
    XSD + "boolean": re.compile(r"(true|false)\Z"),
}


def _json_term(term) -> dict:
    if isinstance(term, pyoxigraph.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, pyoxigraph.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, pyoxigraph.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, pyoxigraph.Triple):
        return {"type": "triple", "value": {"subject": _json_term(term.subject),
                                            "predicate": _json_term(term.predicate),
                                            "object": _json_term(term.object)}}
    raise TypeError(f"unexpected term {term!r}")


def _xml_term(term) -> str:
    if isinstance(term, pyoxigraph.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, pyoxigraph.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, pyoxigraph.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    if isinstance(term, pyoxigraph.Triple):
        return (f"<triple><subject>{_xml_term(term.subject)}</subject><predicate>{_xml_term(term.predicate)}"
                f"</predicate><object>{_xml_term(term.object)}</object></triple>")
    raise TypeError(f"unexpected term {term!r}")


def _csv_term(term) -> str:
    if term is None:
        return ""
    if isinstance(term, (pyoxigraph.NamedNode, pyoxigraph.Literal)):
        return term.value
    if isinstance(term, pyoxigraph.BlankNode):
        return "_:" + term.value
    return str(term)


def _tsv_term(term) -> str:
    if term is None:
        return ""
    if isinstance(term, pyoxigraph.Literal) and not term.language:
        short = _TURTLE_SHORT.get(term.datatype.value)
        if short and short.match(term.value):
            return term.value
    return str(term).replace("\t", "\\t")  # N-Triples form is Turtle; a raw tab would split the cell


def solutions(variables: list[str], rows: list, fmt: str) -> bytes:
    """SELECT results (rows are pyoxigraph QuerySolutions) in json, xml, csv or tsv."""
    if fmt == "json":
        bindings = [{name: _json_term(row[name]) for name in variables if row[name] is not None} for row in rows]
        return json.dumps({"head": {"vars": variables}, "results": {"bindings": bindings}},
                          ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if fmt == "xml":
        out = ['<?xml version="1.0"?>', f'<sparql xmlns="{RESULTS_NS}">', "<head>"]
        out += [f"<variable name={quoteattr(name)}/>" for name in variables]
        out.append("</head><results>")
        for row in rows:
            out.append("<result>")
            out += [f"<binding name={quoteattr(name)}>{_xml_term(row[name])}</binding>"
                    for name in variables if row[name] is not None]
            out.append("</result>")
        out.append("</results></sparql>")
        return "".join(out).encode("utf-8")
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180, as the SPARQL CSV spec asks
        writer.writerow(variables)
        writer.writerows([_csv_term(row[name]) for name in variables] for row in rows)
        return buffer.getvalue().encode("utf-8")
    if fmt == "tsv":
        lines = ["\t".join("?" + name for name in variables)]
        lines += ["\t".join(_tsv_term(row[name]) for name in variables) for row in rows]
        return ("\n".join(lines) + "\n").encode("utf-8")
    raise ValueError(f"no SELECT result format {fmt!r}")


def triples(items: list, fmt: str, prefixes: dict[str, str] | None = None, output=None) -> bytes | None:
    """CONSTRUCT/DESCRIBE results in turtle, ntriples, jsonld or rdfxml (written to `output` if given)."""
    rdf_format = RDF_FORMATS[fmt]
    if fmt in ("turtle", "rdfxml") and prefixes:
        used = _used_prefixes(items, prefixes)
        written = pyoxigraph.serialize(items, output, format=rdf_format, prefixes=used)
    else:
        written = pyoxigraph.serialize(items, output, format=rdf_format)
    return None if output is not None else written or b""


def _used_prefixes(items: list, prefixes: dict[str, str]) -> dict[str, str]:
    """Only the prefixes the triples use, so small answers stay small."""
    iris = set()
    for triple in items:
        for term in (triple.subject, triple.predicate, triple.object):
            if isinstance(term, pyoxigraph.NamedNode):
                iris.add(term.value)
            elif isinstance(term, pyoxigraph.Literal):
                iris.add(term.datatype.value)
    return {prefix: namespace for prefix, namespace in prefixes.items()
            if any(iri.startswith(namespace) for iri in iris)}
