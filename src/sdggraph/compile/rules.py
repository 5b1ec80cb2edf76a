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

from rdflib import Literal
from rdflib.namespace import OWL, RDF, RDFS

from ..terms import RDF_TYPE_ONLY

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
        elif o in UNSUPPORTED and p in RDF_TYPE_ONLY:
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
    # Indexed by predicate first: comparing rdflib terms with == runs Python code per triple.
    by_predicate = defaultdict(lambda: defaultdict(set))  # p -> s -> {o}
    for s, p, o in triples:
        by_predicate[p][s].add(o)

    def pairs(p):
        return ((s, o) for s, objects in by_predicate.get(p, {}).items() for o in objects)
    lists = {(s, p): o for p in (RDF.first, RDF.rest) for s, o in pairs(p)}
    sub_class, sub_prop = defaultdict(set), defaultdict(set)
    for relation, p, both_ways in ((sub_class, SUB_CLASS, False), (sub_class, EQ_CLASS, True),
                                   (sub_prop, SUB_PROP, False), (sub_prop, EQ_PROP, True)):
        for s, o in pairs(p):
            relation[s].add(o)
            if both_ways:
                relation[o].add(s)
    supers_c, supers_p = _transitive(sub_class), _transitive(sub_prop)
    domain, range_, inverse = defaultdict(set), defaultdict(set), defaultdict(set)
    for s, o in pairs(DOMAIN):
        domain[s].add(o)
    for s, o in pairs(RANGE):
        range_[s].add(o)
    for s, o in pairs(INVERSE):
        inverse[s].add(o)
        inverse[o].add(s)
    instances = by_predicate.get(TYPE, {})
    symmetric = {s for s, classes in instances.items() if SYMMETRIC in classes}
    transitive = {s for s, classes in instances.items() if TRANSITIVE in classes}
    chains = []
    for s, o in pairs(CHAIN):
        steps = rdf_list(lists, o)
        if steps:
            chains.append((s, steps))
    # scm-dom1/rng1 (a domain's super-classes) are covered by cax-sco on the derived types;
    # scm-dom2/rng2 (a super-property's domain) by prp-spo1 deriving the super-property triple.

    def types_of(classes):
        return {t for cls in classes for t in {cls} | supers_c.get(cls, set())}

    # What one triple of predicate p yields, worked out once per predicate: most predicates
    # (labels, notes, the UN's SKOS data) yield nothing and are skipped whole.
    rules = {}
    for p in set(supers_p) | set(domain) | set(range_) | set(inverse) | symmetric:
        rules[p] = (tuple(supers_p.get(p, ())), tuple(types_of(domain.get(p, ()))),
                    tuple(types_of(range_.get(p, ()))), tuple(inverse.get(p, ())), p in symmetric)

    def derive(by_p: dict, out: set) -> None:
        """prp-spo1, prp-dom, prp-rng, prp-inv, prp-symp and cax-sco on the triples {p: {s: {o}}}."""
        for p, subjects in by_p.items():
            if p == TYPE:
                for s, classes in subjects.items():
                    if not isinstance(s, Literal):
                        for o in classes:
                            for c in supers_c.get(o, ()):
                                out.add((s, TYPE, c))
                continue
            rule = rules.get(p)
            if rule is None:
                continue
            supers, domain_types, range_types, inverses, is_symmetric = rule
            for s, objects in subjects.items():
                if isinstance(s, Literal):
                    continue
                for c in domain_types:
                    out.add((s, TYPE, c))
                for o in objects:
                    for q in supers:
                        out.add((s, q, o))
                    if not isinstance(o, Literal):
                        for c in range_types:
                            out.add((o, TYPE, c))
                        for q in inverses:
                            out.add((o, q, s))
                        if is_symmetric:
                            out.add((o, p, s))

    pending_by_p = by_predicate  # the first round: every triple
    while pending_by_p:
        new = set()
        derive(pending_by_p, new)
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
        new -= triples
        triples |= new
        pending_by_p = defaultdict(lambda: defaultdict(set))
        for s, p, o in new:
            if not isinstance(s, Literal):
                by_predicate[p][s].add(o)
                pending_by_p[p][s].add(o)
    return triples


__all__ = ["closure", "unsupported"]
