"""OWL-RL inference, and the choice of which entailments the graph keeps.

Two engines give the same kept entailments: the fast path (`rules.py`, the OWL 2 RL rules the
ontology uses, forward-chained in Python) and the reference, owlrl's full OWL 2 RL closure. The
fast path is the default; the reference runs when asked (`reference=True`, `--reference`,
SDGGRAPH_REFERENCE=1) or when the input uses OWL the fast path does not implement.

owlrl materialises the full OWL 2 RL closure, which includes much that says nothing to a user
(every resource owl:sameAs itself, typing of literals, axioms about OWL's own vocabulary). We
keep the entailments the product relies on: types from the class hierarchy, inverse links,
super-properties (skos:broader/narrower, dcterms:source …) and the property chains of the
ontology (an indicator contributes to the FN goals and targets of its delmål; focus area of a
delmål, indicator or strategy; temaplan to focus area through its delmål).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from rdflib import BNode, Graph, Literal
from rdflib.namespace import OWL, RDF, RDFS, XSD

from ..terms import RDF_TYPE_ONLY

VOCABULARY_NAMESPACES = (str(OWL), str(RDF), str(RDFS), str(XSD))
USELESS_TYPES = {OWL.Thing, RDFS.Resource, OWL.NamedIndividual, RDFS.Class, OWL.Class, RDF.Property,
                 OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDFS.Datatype,
                 OWL.TransitiveProperty, OWL.SymmetricProperty}


TYPE = RDF.type
EQUALITY = {OWL.sameAs, OWL.differentFrom}
SCHEMA = {RDFS.subClassOf, RDFS.subPropertyOf, OWL.equivalentClass, OWL.equivalentProperty, RDFS.domain, RDFS.range,
          OWL.inverseOf}


@dataclass
class InferenceResult:
    inferred: set  # the kept entailments, as triples (a set: the build holds layers as sets)
    closure_size: int
    seconds: float
    engine: str = "owlrl"  # "rules" (fast path) or "owlrl" (reference)


def keep(triple) -> bool:
    s, p, o = triple
    if isinstance(s, (Literal, BNode)) or isinstance(o, BNode):
        return False
    if str(s).startswith(VOCABULARY_NAMESPACES):
        return False
    if p in EQUALITY:
        return False
    if o in USELESS_TYPES and p in RDF_TYPE_ONLY:
        return False
    if p in SCHEMA:
        return False  # schema entailments: the ontology states what matters
    return True


def use_reference(reference: bool | None = None) -> bool:
    """Whether to run the reference engines (owlrl, pySHACL): asked for, or SDGGRAPH_REFERENCE=1."""
    if reference is not None:
        return reference
    return os.environ.get("SDGGRAPH_REFERENCE", "").strip().lower() in ("1", "true", "yes")


def infer(asserted, reference: bool | None = None) -> InferenceResult:
    """OWL-RL closure of `asserted` (an rdflib Graph or a set of triples); returns only the new
    triples worth keeping."""
    from . import rules

    started = time.perf_counter()
    stated = None if use_reference(reference) else set(asserted)
    if stated is not None and not rules.unsupported(stated):
        closure = rules.closure(stated)
        inferred = {triple for triple in closure - stated if keep(triple)}
        return InferenceResult(inferred, len(closure), time.perf_counter() - started, "rules")
    else:
        import owlrl  # the reference: imported only when it runs

        closure = Graph()
        closure.addN((s, p, o, closure) for s, p, o in asserted)
        owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False,
                               datatype_axioms=False).expand(closure)
        engine = "owlrl"
    inferred = {triple for triple in closure if triple not in asserted and keep(triple)}
    return InferenceResult(inferred, len(closure), time.perf_counter() - started, engine)
