"""The fast inference path: the OWL 2 RL rules the ontology uses, forward-chained over Python sets.

owlrl (the reference) computes the whole OWL 2 RL closure over rdflib, ~10 s for Asker's graph;
the build keeps only part of it (see inference.keep). This module applies the rules that produce
those kept entailments, to a fixpoint, in well under a second:

* cax-sco / cax-eqc: types from rdfs:subClassOf and owl:equivalentClass (transitively);
* prp-spo1 / prp-eqp: super-properties (rdfs:subPropertyOf, owl:equivalentProperty);
* prp-dom / prp-rng: types from rdfs:domain and rdfs:range (with scm-dom/rng through the hierarchy);
* prp-inv: owl:inverseOf; prp-symp: owl:SymmetricProperty; prp-trp: owl:TransitiveProperty;
* prp-spo2: owl:propertyChainAxiom, chains of any length.

Anything else that would make OWL 2 RL conclude more (equality, restrictions, cardinality, keys,
disjointness) is detected by `unsupported()`, and inference then falls back to owlrl. Tests
check that both paths keep the same entailments on Asker's data and on every shape fixture.
"""

from __future__ import annotations

from collections import defaultdict

from rdflib import Graph, Literal
from rdflib.namespace import OWL, RDF, RDFS

# Vocabulary whose OWL 2 RL rules this module does not implement.
UNSUPPORTED = {
    OWL.sameAs, OWL.differentFrom, OWL.AllDifferent, OWL.FunctionalProperty, OWL.InverseFunctionalProperty,
    OWL.hasKey, OWL.maxCardinality, OWL.maxQualifiedCardinality, OWL.cardinality, OWL.qualifiedCardinality,
    OWL.someValuesFrom, OWL.allValuesFrom, OWL.hasValue, OWL.intersectionOf, OWL.unionOf, OWL.complementOf,
    OWL.oneOf, OWL.disjointWith, OWL.AllDisjointClasses, OWL.AllDisjointProperties, OWL.propertyDisjointWith,
    OWL.disjointUnionOf, OWL.AsymmetricProperty, OWL.IrreflexiveProperty, OWL.ReflexiveProperty,
    OWL.Restriction, OWL.Nothing, OWL.bottomObjectProperty, OWL.bottomDataProperty, OWL.NegativePropertyAssertion,
    OWL.sourceIndividual, OWL.onProperty, OWL.onClass, OWL.withRestrictions, OWL.datatypeComplementOf,
}


# rdflib's namespace attribute lookup is slow in tight loops: plain constants.
TYPE, SUB_CLASS, SUB_PROP, DOMAIN, RANGE = RDF.type, RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range
EQ_CLASS, EQ_PROP, INVERSE, CHAIN = OWL.equivalentClass, OWL.equivalentProperty, OWL.inverseOf, OWL.propertyChainAxiom
SYMMETRIC, TRANSITIVE = OWL.SymmetricProperty, OWL.TransitiveProperty


def unsupported(graph) -> set:
    """The vocabulary in `graph` whose rules the fast path lacks (empty: the fast path is exact)."""
    found = set()
    for _, p, o in graph:
        if p in UNSUPPORTED:
            found.add(p)
        elif p == TYPE and o in UNSUPPORTED:
            found.add(o)
    return found


def _transitive(pairs: dict) -> dict:
    """Reflexive-free transitive closure of a relation given as {a: {b, …}}."""
    closed = {}
    for start in list(pairs):
        seen, stack = set(), list(pairs[start])
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                stack.extend(pairs.get(node, ()))
        closed[start] = seen
    return closed


def rdf_list(triples_by_subject: dict, head) -> list:
    items, seen = [], set()
    while head != RDF.nil and head not in seen:
        seen.add(head)
        first = triples_by_subject.get((head, RDF.first))
        if first is None:
            break
        items.append(first)
        head = triples_by_subject.get((head, RDF.rest), RDF.nil)
    return items


def closure(stated) -> set:
    """All triples of `stated` (a set or Graph) plus what the rules above derive (literal-subject
    triples left out: the build never keeps them and no rule here takes them further)."""
    triples = set(stated)
    lists = {(s, p): o for s, p, o in triples if p in (RDF.first, RDF.rest)}
    sub_class, sub_prop = defaultdict(set), defaultdict(set)
    for s, p, o in triples:
        if p == SUB_CLASS:
            sub_class[s].add(o)
        elif p == EQ_CLASS:
            sub_class[s].add(o)
            sub_class[o].add(s)
        elif p == SUB_PROP:
            sub_prop[s].add(o)
        elif p == EQ_PROP:
            sub_prop[s].add(o)
            sub_prop[o].add(s)
    supers_c, supers_p = _transitive(sub_class), _transitive(sub_prop)
    domain, range_, inverse = defaultdict(set), defaultdict(set), defaultdict(set)
    symmetric, transitive, chains = set(), set(), []
    for s, p, o in triples:
        if p == DOMAIN:
            domain[s].add(o)
        elif p == RANGE:
            range_[s].add(o)
        elif p == INVERSE:
            inverse[s].add(o)
            inverse[o].add(s)
        elif p == TYPE and o == SYMMETRIC:
            symmetric.add(s)
        elif p == TYPE and o == TRANSITIVE:
            transitive.add(s)
        elif p == CHAIN:
            steps = rdf_list(lists, o)
            if steps:
                chains.append((s, steps))
    # scm-dom1/rng1 (a domain's super-classes) are covered by cax-sco on the derived types;
    # scm-dom2/rng2 (a super-property's domain) by prp-spo1 deriving the super-property triple.

    def types_of(cls):
        return {cls} | supers_c.get(cls, set())

    def derive(triple, out):
        s, p, o = triple
        if isinstance(s, Literal):
            return
        if p == TYPE:
            for c in supers_c.get(o, ()):
                out.add((s, TYPE, c))
            return
        for q in supers_p.get(p, ()):
            out.add((s, q, o))
        for c in domain.get(p, ()):
            for t in types_of(c):
                out.add((s, TYPE, t))
        if not isinstance(o, Literal):
            for c in range_.get(p, ()):
                for t in types_of(c):
                    out.add((o, TYPE, t))
            for q in inverse.get(p, ()):
                out.add((o, q, s))
            if p in symmetric:
                out.add((o, p, s))

    by_predicate = defaultdict(lambda: defaultdict(set))  # p -> s -> {o}
    for s, p, o in triples:
        by_predicate[p][s].add(o)
    pending = set(triples)
    while pending:
        new = set()
        for triple in pending:
            derive(triple, new)
        for p in transitive:
            edges = by_predicate.get(p, {})
            for s, reach in _transitive({k: set(v) for k, v in edges.items()}).items():
                for o in reach:
                    new.add((s, p, o))
        for prop, steps in chains:
            frontier = {(s, o) for s, objects in by_predicate.get(steps[0], {}).items() for o in objects}
            for step in steps[1:]:
                edges = by_predicate.get(step, {})
                frontier = {(s, o2) for s, o in frontier for o2 in edges.get(o, ())}
                if not frontier:
                    break
            for s, o in frontier:
                new.add((s, prop, o))
        pending = {t for t in new if t not in triples and not isinstance(t[0], Literal)}
        triples |= pending
        for s, p, o in pending:
            by_predicate[p][s].add(o)
    return triples


__all__ = ["closure", "unsupported"]
