"""`dcat`: a DCAT-AP-NO description of the sdggraph dataset, its distributions (every export
format, served at <base>/export/<format>) and the SPARQL endpoint as a dcat:DataService.

Checked before it is written against two profiles in shapes/: dcat-ap-no.ttl (DCAT-AP-NO's
mandatory properties) and dcat-ap-3-range.ttl (the value classes DCAT-AP 3.0.1 requires: every
media type a dct:MediaType, every standard a dct:Standard with a title, pages foaf:Document …).
tests/test_export_dcat.py also runs Digdir's official shapes when ../shared is present (0
Violations, 0 Warnings). The publisher is Asker kommune's IRI in Digdir's organisation
catalogue (the organisation number is sdggraph's choice, noted in the graph); dct:spatial
holds only values from an EU vocabulary (country NOR), because Digdir's shapes accept no other.

DCAT-AP-NO 3 mandatory properties are all present: Catalog and Dataset (dcterms:title and
dcterms:description @nb/@en, dcterms:publisher — a foaf:Agent with foaf:name —,
dcat:contactPoint, and for the Dataset dcat:theme from the EU data-theme list), Distribution
(dcat:accessURL), DataService (dcat:endpointURL, dcterms:title, dcterms:publisher,
dcat:contactPoint). shapes/profiles/dcat-ap-no.ttl checks them before the export is written.

Access URLs are absolute: the service base URL (`--base-url`, or the request's base on the
service) joined with `export/<format>` and `sparql`. dcterms:temporal spans the observation years
in the graph; dcterms:modified is the data date (common.data_date), never the clock.
"""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, XSD

from .. import config
from ..errors import CheckFailed
from . import FORMATS, ExportResult
from .common import (
    DCAT,
    EU_COUNTRY,
    EU_FILE_TYPE,
    EU_LICENCE,
    EU_THEME,
    VCARD,
    Ns,
    check_profile,
    data_date,
    describe_publisher,
    editions,
    indicators,
    label,
    load,
    municipality,
    resource,
    serialize,
    year_span,
)

PROFILE_SHAPES = "profiles/dcat-ap-no.ttl"  # under shapes/
RANGE_SHAPES = "profiles/dcat-ap-3-range.ttl"
DEFAULT_BASE_URL = "http://localhost:8000/"
IANA = "https://www.iana.org/assignments/media-types/"
# The licence sdggraph publishes under (the ontology's, CC BY 4.0), as the EU licence IRI DCAT-AP-NO uses.
LICENCE = EU_LICENCE.CC_BY_4_0
CONTACT_URL = URIRef("https://www.asker.kommune.no/")
CONTACT_EMAIL = URIRef("mailto:postmottak@asker.kommune.no")
THEMES = ("GOVE", "REGI", "SOCI", "ENVI")  # government, regions and cities, society, environment
SPARQL_PROTOCOL = URIRef("https://www.w3.org/TR/sparql11-protocol/")

# (export, table format or None, IANA media type, EU file type, title nb)
DISTRIBUTIONS = (
    ("turtle", None, "text/turtle", "RDF_TURTLE", "Hele grafen (Turtle)"),
    ("ntriples", None, "application/n-triples", "RDF_N_TRIPLES", "Hele grafen (N-Triples)"),
    ("jsonld", None, "application/ld+json", "JSON_LD", "Hele grafen (JSON-LD)"),
    ("rdfxml", None, "application/rdf+xml", "RDF_XML", "Hele grafen (RDF/XML)"),
    ("trig", None, "application/trig", "RDF_TRIG", "Hele grafen med navngitte grafer (TriG)"),
    ("nquads", None, "application/n-quads", "RDF_N_QUADS", "Hele grafen med navngitte grafer (N-Quads)"),
    ("ks-taxonomy", None, "text/turtle", "RDF_TURTLE", "Indikatorene i KS' SDG-taksonomi (Turtle)"),
    ("datacube", None, "text/turtle", "RDF_TURTLE", "Observasjonene som RDF Data Cube (Turtle)"),
    ("opensdg", None, "application/zip", "ZIP", "Data og metadata for Open SDG (zip)"),
    ("observations", "csv", "text/csv", "CSV", "Observasjoner per indikator og år (CSV)"),
    ("observations", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX",
     "Observasjoner per indikator og år (Excel)"),
    ("indicators", "csv", "text/csv", "CSV", "Indikatorer med klassifisering (CSV)"),
    ("indicators", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX",
     "Indikatorer med klassifisering (Excel)"),
)
CONFORMS_TO = {"datacube": URIRef("http://www.w3.org/TR/vocab-data-cube/"),
               "jsonld": URIRef("https://www.w3.org/TR/json-ld11/")}
# Titles of the standards the catalogue names (DCAT-AP: a dct:Standard has a dct:title).
STANDARD_TITLES = {
    "http://www.w3.org/TR/vocab-data-cube/": "The RDF Data Cube Vocabulary",
    "https://www.w3.org/TR/json-ld11/": "JSON-LD 1.1",
    str(SPARQL_PROTOCOL): "SPARQL 1.1 Protocol",
}
# Classes of the EU vocabulary values used (as the EU authority tables type them), so DCAT-AP's
# range checks hold without loading the tables.
LANGUAGE_NOB = URIRef("http://publications.europa.eu/resource/authority/language/NOB")
FREQUENCY_ANNUAL = URIRef("http://publications.europa.eu/resource/authority/frequency/ANNUAL")
SKOS_CONCEPT = URIRef("http://www.w3.org/2004/02/skos/core#Concept")


def _base(base_url: str | None) -> str:
    base = base_url or DEFAULT_BASE_URL
    return base if base.endswith("/") else base + "/"


def dcat_graph(graph: Graph, base_url: str | None = None) -> Graph:
    base = _base(base_url)
    out = Graph()
    catalog = resource("catalog", "sdggraph")
    dataset = resource("dataset", "sdggraph")
    service = resource("service", "sparql")
    contact = resource("contact", "asker")
    date = Literal(data_date(graph).isoformat(), datatype=XSD.date)
    name = label(graph, municipality(), "nb") or "Asker kommune"
    asker = describe_publisher(out, graph)

    out.add((contact, RDF.type, VCARD.Organization))
    out.add((contact, RDF.type, VCARD.Kind))  # stated: consumers need not know vCard's class tree
    out.add((contact, VCARD.fn, Literal(name, lang="nb")))
    out.add((contact, VCARD.hasURL, CONTACT_URL))
    out.add((contact, VCARD.hasEmail, CONTACT_EMAIL))
    out.add((LICENCE, RDF.type, DCTERMS.LicenseDocument))
    out.add((LANGUAGE_NOB, RDF.type, DCTERMS.LinguisticSystem))
    out.add((FREQUENCY_ANNUAL, RDF.type, DCTERMS.Frequency))
    out.add((EU_COUNTRY.NOR, RDF.type, DCTERMS.Location))
    for iri, title in STANDARD_TITLES.items():
        out.add((URIRef(iri), RDF.type, DCTERMS.Standard))
        out.add((URIRef(iri), DCTERMS.title, Literal(title, lang="en")))
    out.add((URIRef(base), RDF.type, FOAF.Document))

    def describe(node, title_nb, title_en, description_nb, description_en):
        out.add((node, DCTERMS.title, Literal(title_nb, lang="nb")))
        out.add((node, DCTERMS.title, Literal(title_en, lang="en")))
        out.add((node, DCTERMS.description, Literal(description_nb, lang="nb")))
        out.add((node, DCTERMS.description, Literal(description_en, lang="en")))
        out.add((node, DCTERMS.publisher, asker))
        out.add((node, DCAT.contactPoint, contact))

    out.add((catalog, RDF.type, DCAT.Catalog))
    describe(catalog, "sdggraph – Asker kommune", "sdggraph – Asker kommune",
             "Katalog over Asker kommunes kunnskapsgraf om styring etter FNs bærekraftsmål.",
             "Catalogue of Asker kommune's knowledge graph of steering by the UN Sustainable Development Goals.")
    out.add((catalog, DCTERMS.identifier, Literal(str(catalog))))
    out.add((catalog, DCAT.dataset, dataset))
    out.add((catalog, DCAT.service, service))
    out.add((catalog, DCTERMS.modified, date))
    out.add((catalog, DCTERMS.license, LICENCE))
    out.add((catalog, DCTERMS.language, LANGUAGE_NOB))
    out.add((catalog, FOAF.homepage, URIRef(base)))

    out.add((dataset, RDF.type, DCAT.Dataset))
    span, latest = year_span(graph), (editions(graph) or [None])[-1]
    count = len(set(graph.subjects(RDF.type, Ns.sg().Indicator)))
    describe(dataset, "Asker kommunes styring etter FNs bærekraftsmål",
             "Asker kommune's steering by the UN Sustainable Development Goals",
             "Kommuneplanens satsingsområder, hovedmål og delmål med kobling til FNs mål og delmål, de "
             f"{count} indikatorene i {latest.label_nb if latest else 'årsrapportene'} og tidligere utgaver med verdier "
             f"{span}, temaplaner og organisasjon, med kilde for hvert faktum.",
             "The master plan's focus areas, main goals and sub-goals linked to the UN goals and targets, the "
             f"{count} indicators of the {latest.label_en if latest else 'annual reports'} and earlier editions with values "
             f"{span}, thematic plans and organisation, with a source for every fact.")
    out.add((dataset, DCTERMS.identifier, Literal(str(dataset))))
    for theme in THEMES:
        out.add((dataset, DCAT.theme, EU_THEME[theme]))
        out.add((EU_THEME[theme], RDF.type, SKOS_CONCEPT))
    for keyword in ("bærekraftsmål", "indikatorer", "kommuneplan", "årsrapport", "Asker"):
        out.add((dataset, DCAT.keyword, Literal(keyword, lang="nb")))
    out.add((dataset, DCTERMS.spatial, EU_COUNTRY.NOR))  # Asker itself has no EU/geonames IRI here
    years = sorted({obs.year for record in indicators(graph) for obs in record.observations})
    if years:
        period = resource("period", f"{years[0]}-{years[-1]}")
        out.add((dataset, DCTERMS.temporal, period))
        out.add((period, RDF.type, DCTERMS.PeriodOfTime))
        out.add((period, DCAT.startDate, Literal(f"{years[0]}-01-01", datatype=XSD.date)))
        out.add((period, DCAT.endDate, Literal(f"{years[-1]}-12-31", datatype=XSD.date)))
    out.add((dataset, DCTERMS.accrualPeriodicity, FREQUENCY_ANNUAL))
    out.add((dataset, DCTERMS.modified, date))
    out.add((dataset, DCTERMS.language, LANGUAGE_NOB))
    out.add((dataset, DCAT.landingPage, URIRef(base)))
    ontology = URIRef(config.rebase(str(config.SG)).rstrip("#"))
    out.add((dataset, DCTERMS.conformsTo, ontology))
    out.add((ontology, RDF.type, DCTERMS.Standard))
    for lang in ("nb", "en"):
        title = label(graph, ontology, lang)
        if title and not title.startswith("ontology"):
            out.add((ontology, DCTERMS.title, Literal(title, lang=lang)))
    if not list(out.objects(ontology, DCTERMS.title)):
        out.add((ontology, DCTERMS.title, Literal("sdggraph-ontologien", lang="nb")))

    for name_, table, media, file_type, title in DISTRIBUTIONS:
        if name_ not in FORMATS:
            continue
        ident = f"{name_}-{table}" if table else name_
        distribution = resource("distribution", ident)
        url = URIRef(f"{base}export/{name_}" + (f"?format={table}" if table else ""))
        out.add((dataset, DCAT.distribution, distribution))
        out.add((distribution, RDF.type, DCAT.Distribution))
        out.add((distribution, DCTERMS.title, Literal(title, lang="nb")))
        out.add((distribution, DCTERMS.description, Literal(FORMATS[name_].description, lang="en")))
        out.add((distribution, DCAT.accessURL, url))
        out.add((distribution, DCAT.downloadURL, url))
        out.add((distribution, DCAT.mediaType, URIRef(IANA + media)))
        out.add((URIRef(IANA + media), RDF.type, DCTERMS.MediaType))
        out.add((distribution, DCTERMS.format, EU_FILE_TYPE[file_type]))
        out.add((EU_FILE_TYPE[file_type], RDF.type, DCTERMS.MediaTypeOrExtent))
        out.add((distribution, DCTERMS.license, LICENCE))
        out.add((distribution, DCTERMS.modified, date))
        if name_ in CONFORMS_TO:
            out.add((distribution, DCTERMS.conformsTo, CONFORMS_TO[name_]))

    out.add((service, RDF.type, DCAT.DataService))
    describe(service, "SPARQL-endepunkt for sdggraph", "SPARQL endpoint of sdggraph",
             "SPARQL 1.1-spørringer mot hele grafen (standardgrafen er unionen av de navngitte grafene).",
             "SPARQL 1.1 queries over the whole graph (the default graph is the union of the named graphs).")
    out.add((service, DCTERMS.identifier, Literal(str(service))))
    out.add((service, DCAT.endpointURL, URIRef(f"{base}sparql")))
    out.add((service, DCAT.endpointDescription, URIRef(f"{base}.well-known/void")))
    out.add((service, DCAT.servesDataset, dataset))
    out.add((service, DCTERMS.conformsTo, SPARQL_PROTOCOL))
    out.add((service, DCTERMS.license, LICENCE))
    return out


def validate(data: Graph) -> list[str]:
    """Violation messages of `data` against the DCAT-AP-NO profile and the DCAT-AP 3.0.1 range
    profile (empty: conforms)."""
    return check_profile(data, PROFILE_SHAPES)[0] + check_profile(data, RANGE_SHAPES)[0]


def export_dcat(build_dir=None, base_url: str | None = None, **_options) -> ExportResult:
    _, union = load(build_dir)
    graph = dcat_graph(union, base_url)
    violations = validate(graph)
    if violations:
        raise CheckFailed("DCAT-eksporten følger ikke profilene shapes/profiles/dcat-ap-no.ttl og dcat-ap-3-range.ttl:\n" + "\n".join(violations))
    return ExportResult("dcat", "asker-dcat.ttl", "text/turtle", data=serialize(graph, "turtle"),
                        counts={"triples": len(graph),
                                "distributions": len(set(graph.subjects(RDF.type, DCAT.Distribution))),
                                "datasets": len(set(graph.subjects(RDF.type, DCAT.Dataset)))})
