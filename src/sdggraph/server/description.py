"""The SPARQL 1.1 Service Description of /sparql and the VoID description of the dataset.

Both are built from build/manifest.json (graph IRIs and triple counts) and the URL the
client used to reach the endpoint, so sd:endpoint and void:sparqlEndpoint name the endpoint
as the client sees it.
"""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, VOID, XSD

from .. import config
from ..store.dataset import DatasetInfo

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
RESULT_FORMATS = ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                  "Turtle", "N-Triples", "JSON-LD", "RDF_XML")
VOCABULARIES = ("https://w3id.org/sdggraph/ontology#", "http://www.w3.org/2004/02/skos/core#",
                "http://purl.org/dc/terms/", "http://www.w3.org/ns/prov#", "http://purl.org/linked-data/cube#",
                "http://www.w3.org/ns/org#", "http://metadata.un.org/sdg/ontology#", "http://www.w3.org/2000/01/rdf-schema#",
                "http://www.w3.org/2002/07/owl#")


def _bind(graph: Graph) -> Graph:
    graph.bind("sd", SD)
    graph.bind("void", VOID)
    graph.bind("formats", FORMATS)
    graph.bind("dcterms", DCTERMS)
    return graph


def service_description(info: DatasetInfo, endpoint_url: str, void_url: str, updates: bool) -> Graph:
    graph = _bind(Graph())
    service, endpoint = URIRef(endpoint_url), URIRef(endpoint_url)
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, endpoint))
    graph.add((service, RDFS.label, Literal("sdggraph SPARQL-endepunkt", lang="nb")))
    graph.add((service, RDFS.label, Literal("sdggraph SPARQL endpoint", lang="en")))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    if updates:
        graph.add((service, SD.supportedLanguage, SD.SPARQL11Update))
    graph.add((service, SD.feature, SD.UnionDefaultGraph))  # no dataset given: the union of the graphs
    for name in RESULT_FORMATS:
        graph.add((service, SD.resultFormat, FORMATS[name]))
    dataset = URIRef(info.dataset_iri)
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    graph.add((dataset, RDF.type, VOID.Dataset))
    graph.add((dataset, RDFS.seeAlso, URIRef(void_url)))
    default_graph = BNode("defaultGraph")
    graph.add((dataset, SD.defaultGraph, default_graph))
    graph.add((default_graph, RDF.type, SD.Graph))
    graph.add((default_graph, VOID.triples, Literal(info.triples, datatype=XSD.integer)))
    for layer, (iri, count) in info.graphs.items():
        named, inner = BNode(f"named-{layer}"), BNode(f"graph-{layer}")
        graph.add((dataset, SD.namedGraph, named))
        graph.add((named, RDF.type, SD.NamedGraph))
        graph.add((named, SD.name, URIRef(iri)))
        graph.add((named, SD.graph, inner))
        graph.add((inner, RDF.type, SD.Graph))
        graph.add((inner, VOID.triples, Literal(count, datatype=XSD.integer)))
    return graph


def void_description(info: DatasetInfo, endpoint_url: str) -> Graph:
    graph = _bind(Graph())
    dataset = URIRef(info.dataset_iri)
    graph.add((dataset, RDF.type, VOID.Dataset))
    graph.add((dataset, DCTERMS.title, Literal("Asker kommunes styring etter FNs bærekraftsmål", lang="nb")))
    graph.add((dataset, DCTERMS.title, Literal("Asker municipality's steering by the UN SDGs", lang="en")))
    graph.add((dataset, DCTERMS.description, Literal(
        "Kunnskapsgraf over satsingsområder, mål, indikatorer, temaplaner og ansvar i Asker kommune, "
        "knyttet til FNs bærekraftsmål og delmål.", lang="nb")))
    graph.add((dataset, VOID.sparqlEndpoint, URIRef(endpoint_url)))
    graph.add((dataset, VOID.triples, Literal(info.triples, datatype=XSD.integer)))
    graph.add((dataset, VOID.uriSpace, Literal(f"{info.base_iri}kommune/{config.KOMMUNENUMMER}/")))
    for vocabulary in VOCABULARIES:
        graph.add((dataset, VOID.vocabulary, URIRef(config.rebase(vocabulary))))
    for layer, (iri, count) in info.graphs.items():
        subset = URIRef(iri)
        graph.add((dataset, VOID.subset, subset))
        graph.add((subset, RDF.type, VOID.Dataset))
        graph.add((subset, DCTERMS.title, Literal(layer)))
        graph.add((subset, VOID.triples, Literal(count, datatype=XSD.integer)))
        graph.add((subset, VOID.sparqlEndpoint, URIRef(endpoint_url)))
    return graph


RDFLIB_FORMATS = {"turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld", "rdfxml": "xml"}


def serialize(graph: Graph, fmt: str) -> bytes:
    return graph.serialize(format=RDFLIB_FORMATS[fmt], encoding="utf-8")
