"""What things are called: base IRI, namespaces, named graphs, prefixes (paths: layout.py).

The default base IRI is https://w3id.org/sdggraph/ (a permanent-identifier service, so IRIs
survive a change of host). Municipalities sit under kommune/<kommunenummer>/ so that national
initiatives can merge the graphs of many. Set SDGGRAPH_BASE_IRI to publish under another base:
the build rewrites every IRI under the default base, and the data files stay as they are.
"""

from __future__ import annotations

import os

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

DEFAULT_BASE_IRI = "https://w3id.org/sdggraph/"
KOMMUNENUMMER = "3203"  # Asker kommune from 2024


def base_iri() -> str:
    base = os.environ.get("SDGGRAPH_BASE_IRI", DEFAULT_BASE_IRI)
    return base if base.endswith(("/", "#")) else base + "/"


SG = Namespace(DEFAULT_BASE_IRI + "ontology#")
KOMMUNE = Namespace(f"{DEFAULT_BASE_IRI}kommune/{KOMMUNENUMMER}/")
SDG = Namespace("http://metadata.un.org/sdg/")
SDGO = Namespace("http://metadata.un.org/sdg/ontology#")
QB = Namespace("http://purl.org/linked-data/cube#")
ORG = Namespace("http://www.w3.org/ns/org#")
KS = Namespace("https://metadata.ks.no/sdg-taxonomi/#")
KS_EVALUATION = Namespace("https://data.norge.no/vocabulary/indicator/Evaluation/")
EU_FREQUENCY = Namespace("http://publications.europa.eu/resource/authority/frequency/")
SDMX_CODE = Namespace("http://purl.org/linked-data/sdmx/2009/code#")


def resource(kind: str, ident: str) -> str:
    """IRI (under the default base) of one of Asker's resources, e.g. resource('indicator', 'HEL-01')."""
    return f"{KOMMUNE}{kind}/{ident}"


# Named graphs of the built dataset; the SPARQL default graph is their union.
GRAPH_ASSERTED = DEFAULT_BASE_IRI + "graph/asserted"
GRAPH_REFERENCE = DEFAULT_BASE_IRI + "graph/reference"
GRAPH_INFERRED = DEFAULT_BASE_IRI + "graph/inferred"
GRAPH_NAMES = {"asserted": GRAPH_ASSERTED, "reference": GRAPH_REFERENCE, "inferred": GRAPH_INFERRED}

PREFIXES = {
    "sg": str(SG),
    "kommune": str(KOMMUNE),
    "area": resource("focus-area", ""),
    "maingoal": resource("main-goal", ""),
    "subgoal": resource("sub-goal", ""),
    "strategy": resource("strategy", ""),
    "indicator": resource("indicator", ""),
    "obs": resource("observation", ""),
    "plan": resource("thematic-plan", ""),
    "effort": resource("effort-area", ""),
    "orgunit": resource("org", ""),
    "challenge": resource("challenge", ""),
    "src": resource("source", ""),
    "fnlink": resource("fn-link", ""),
    "datasource": resource("data-source", ""),
    "unit": resource("unit", ""),
    "edition": resource("edition", ""),
    "measure": resource("comparison-measure", ""),
    "cobs": resource("comparison-observation", ""),
    "cmptable": resource("comparison-table", ""),
    "kostracat": resource("kostra-category", ""),
    "plantarget": resource("plan-target", ""),
    "refarea": DEFAULT_BASE_IRI + "ref-area/",
    "sdg": str(SDG),
    "sdgo": str(SDGO),
    "skos": str(SKOS),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "dcterms": str(DCTERMS),
    "prov": str(PROV),
    "qb": str(QB),
    "org": str(ORG),
    "ks": str(KS),
    "ksev": str(KS_EVALUATION),
    "freq": str(EU_FREQUENCY),
}


def in_kommune(iri: str, kommune: str | None) -> str:
    """An IRI of Asker's (…/kommune/3203/…) as the same resource of another kommune in a dataset of
    several; unchanged for None or Asker."""
    if not kommune or kommune == KOMMUNENUMMER:
        return iri
    return iri.replace(f"/kommune/{KOMMUNENUMMER}/", f"/kommune/{kommune}/", 1)


def rebase(iri: str) -> str:
    """Map an IRI under the default base to the configured base."""
    base = base_iri()
    if base != DEFAULT_BASE_IRI and iri.startswith(DEFAULT_BASE_IRI):
        return base + iri[len(DEFAULT_BASE_IRI):]
    return iri
