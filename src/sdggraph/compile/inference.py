"""OWL-RL inference with owlrl, and the choice of which entailments the graph keeps.

owlrl materialises the full OWL 2 RL closure, which includes much that says nothing to a user
(every resource owl:sameAs itself, typing of literals, axioms about OWL's own vocabulary). We
keep the entailments the product relies on: types from the class hierarchy, inverse links,
super-properties (skos:broader/narrower, dcterms:source …) and the property chains of the
ontology (an indicator contributes to the FN goals and targets of its delmål; focus area of a
delmål, indicator or strategy; temaplan to focus area through its delmål).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import owlrl
from rdflib import BNode, Graph, Literal
from rdflib.namespace import OWL, RDF, RDFS, XSD

VOCABULARY_NAMESPACES = (str(OWL), str(RDF), str(RDFS), str(XSD))
USELESS_TYPES = {OWL.Thing, RDFS.Resource, OWL.NamedIndividual, RDFS.Class, OWL.Class, RDF.Property,
                 OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDFS.Datatype,
                 OWL.TransitiveProperty, OWL.SymmetricProperty}


@dataclass
class InferenceResult:
    inferred: Graph
    closure_size: int
    seconds: float


def keep(triple) -> bool:
    s, p, o = triple
    if isinstance(s, (Literal, BNode)) or isinstance(o, BNode):
        return False
    if str(s).startswith(VOCABULARY_NAMESPACES):
        return False
    if p == OWL.sameAs or p == OWL.differentFrom:
        return False
    if p == RDF.type and o in USELESS_TYPES:
        return False
    if p in (RDFS.subClassOf, RDFS.subPropertyOf, OWL.equivalentClass, OWL.equivalentProperty,
             RDFS.domain, RDFS.range, OWL.inverseOf):
        return False  # schema entailments: the ontology states what matters
    return True


def infer(asserted: Graph) -> InferenceResult:
    """OWL-RL closure of `asserted`; returns only the new triples worth keeping."""
    started = time.perf_counter()
    closure = Graph()
    closure += asserted
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False,
                           datatype_axioms=False).expand(closure)
    inferred = Graph()
    for triple in closure:
        if triple not in asserted and keep(triple):
            inferred.add(triple)
    return InferenceResult(inferred, len(closure), time.perf_counter() - started)
