"""RDF terms between rdflib (the build, checks and exports) and pyoxigraph (parsing and serving).

Oxigraph parses several times faster than rdflib's parsers; `rdflib_quads` turns what it parses
into rdflib terms, converting each distinct term once (a graph names the same predicates and
classes thousands of times)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyoxigraph
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

XSD_STRING = str(XSD.string)
# `p in RDF_TYPE_ONLY` is a hash lookup; `p == RDF.type` runs rdflib's Python __eq__, per triple.
RDF_TYPE_ONLY = frozenset({RDF.type})


def memoized(convert):
    """`convert` answering each distinct term once (a graph names the same predicates and classes
    thousands of times)."""
    memo: dict = {}

    def once(term):
        found = memo.get(term)
        if found is None:
            found = memo[term] = convert(term)
        return found
    return once


def new_graph() -> Graph:
    """A graph for the build's own work: rdflib's SimpleMemory store, which keeps no per-triple
    contexts (the default Memory store's bookkeeping was a third of the build's time)."""
    return Graph(store="SimpleMemory")


def to_ox(term):
    if isinstance(term, URIRef):
        return pyoxigraph.NamedNode(str(term))
    if isinstance(term, BNode):
        return pyoxigraph.BlankNode(str(term))
    if term.language:
        return pyoxigraph.Literal(str(term), language=term.language)
    return pyoxigraph.Literal(str(term), datatype=pyoxigraph.NamedNode(str(term.datatype or XSD.string)))


def to_rdflib(term):
    if isinstance(term, pyoxigraph.NamedNode):
        return URIRef(term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == XSD_STRING:
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def rdflib_quads(quads: Iterable[pyoxigraph.Quad]) -> Iterator[tuple]:
    """(subject, predicate, object, graph name or None) in rdflib terms, for Oxigraph's quads."""
    term = memoized(to_rdflib)
    for quad in quads:
        graph = quad.graph_name
        yield (term(quad.subject), term(quad.predicate), term(quad.object),
               None if isinstance(graph, pyoxigraph.DefaultGraph) else term(graph))
