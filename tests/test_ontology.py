"""The ontology parses, is OWL 2, and documents every term in Norwegian and English."""

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from sdggraph.config import SG
from sdggraph.layout import ontology_dir

ONTOLOGY_IRI = URIRef("https://w3id.org/sdggraph/ontology")


def ontology() -> Graph:
    return Graph().parse(ontology_dir() / "sdggraph.ttl")


def own_terms(graph: Graph, kinds):
    return sorted({s for kind in kinds for s in graph.subjects(RDF.type, kind) if str(s).startswith(str(SG))})


def test_every_class_and_property_has_nb_en_label_and_definition():
    graph = ontology()
    terms = own_terms(graph, (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty))
    assert len(terms) > 60
    missing = []
    for term in terms:
        for prop in (RDFS.label, SKOS.definition):
            languages = sorted(o.language for o in graph.objects(term, prop))
            if languages.count("nb") != 1 or languages.count("en") != 1:
                missing.append(f"{term} {prop}: {languages}")
    assert not missing, "\n".join(missing)


def test_the_mission_s_classes_exist():
    graph = ontology()
    for name in ("FocusArea", "MainGoal", "SubGoal", "Strategy", "Indicator", "IndicatorObservation", "Threshold",
                 "ThematicPlan", "EffortArea", "ServiceArea", "PoliticalBody", "StandingCommittee",
                 "SocietalChallenge"):
        assert (SG[name], RDF.type, OWL.Class) in graph, name


def test_ontology_metadata():
    graph = ontology()
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in graph
    for prop in ("versionInfo", "versionIRI"):
        assert graph.value(ONTOLOGY_IRI, OWL[prop]) is not None
    assert graph.value(ONTOLOGY_IRI, URIRef("http://purl.org/dc/terms/license")) is not None
    assert graph.value(ONTOLOGY_IRI, URIRef("http://purl.org/dc/terms/creator")) is not None


def test_reused_vocabularies_are_the_standard_ones():
    graph = ontology()
    supers = {str(o) for o in graph.objects(None, RDFS.subClassOf)}
    assert "http://purl.org/linked-data/cube#Observation" in supers
    assert "http://www.w3.org/ns/org#OrganizationalUnit" in supers
    assert "http://www.w3.org/2004/02/skos/core#Concept" in supers
    chains = list(graph.subjects(OWL.propertyChainAxiom, None))
    assert SG.contributesToFnGoal in chains and SG.refersToFnGoal in chains


def test_html_documentation_lists_every_term(build_dir):
    page = (build_dir / "docs" / "ontology.html").read_text(encoding="utf-8")
    graph = ontology()
    for term in own_terms(graph, (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)):
        assert f'id="{str(term).split("#")[1]}"' in page, term
    assert "Egenskapskjede / property chain" in page and "Indikatorobservasjon" in page
