"""`ks-taxonomy`: Asker's indicators as a SKOS concept scheme in the model of KS' national SDG
indicator taxonomy (the sets KS publishes on data.norge.no, e.g. Ungdata.ttl), validated against
shapes/profiles/ks-taxonomy.ttl before it is written.

Per indicator: `sdgo:Indicator, skos:Concept`; `skos:inScheme` Asker's scheme (publisher Asker
kommune, `dcterms:modified` = the data date, `uneskos:contains` every indicator);
`skos:prefLabel` (@nb, @en) and `dcterms:title` (@nb); `skos:notation`; `sdgo:isIndicatorOf` the
FN targets and `sdgo:hasGoal` the FN goals the indicator contributes to (inferred through its
delmål/hovedmål); `dcterms:subject` a KS development sector (SECTOR_BY_SUBGOAL/SECTOR_BY_INDICATOR
below); `dcterms:coverage` KS' City-level; `dcterms:accrualPeriodicity` the EU frequency IRI;
`dcterms:source` the data source (its web page where the data know it, else its sdggraph IRI with
labels); `dqv:hasQualityMeasurement` a KS quality class (quality_class below); KS' `#hasEvaluation`
the resultatkjede step and `#hasImpact` People/Planet/Prosperity (impacts below);
`skos:exactMatch`/`closeMatch` the national and UN indicators matched in the data.

How it differs from KS' own files, on purpose: correct `http://purl.org/dc/terms/` where KS binds
`dct:` to `http://purl.org/dc/`; sectors under `…/developmentsector/` (what KS' indicators point
to; KS' scheme file mints `…/developmetsector/`); frequency as EU IRIs; `sdgo:hasGoal` carries goals
only (targets go on `sdgo:isIndicatorOf`); labels tagged @nb (BCP 47 Bokmål); `dcterms:source` an
IRI; `dcterms:identifier` a literal; the unit as `sdmx-attribute:unitMeasure`.

Both ways: beside those correct terms the export also writes what KS' consumers read in KS' files
(KS_COMPAT below), so a query written against KS' files gets the same fields from ours: the title
on `http://purl.org/dc/title` (@no and @en, as KS tags them) and `http://purl.org/dc/identifier`
(the concept's IRI); the unit as `dcterms:type` text; the frequency also as KS' text (months:
"12", "24", "36", "48"; "Other"); `dcterms:source` also as a URL string; on the scheme
`http://purl.org/dc/{title,identifier,publisher,modified}` (the publisher as its IRI in Digdir's
organisation catalogue) and `adms:status`. The profile allows the `http://purl.org/dc/` terms only
beside their correct twin.
"""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, RDFS, SKOS, XSD, Namespace

from .. import config
from ..errors import CheckFailed
from . import ExportResult
from .common import (
    ADMS,
    DQV,
    KS_GEOGRAPHY,
    KS_QUALITY,
    KS_SECTOR,
    KS_TRIPLE_BOTTOM_LINE,
    SDMX_ATTRIBUTE,
    UNESKOS,
    VCARD,
    XKOS,
    Indicator,
    Ns,
    check_profile,
    data_date,
    describe_publisher,
    indicators,
    label,
    load,
    municipality,
    resource,
    serialize,
)

PROFILE_SHAPES = "profiles/ks-taxonomy.ttl"  # under shapes/
# The namespace KS' files bind dct: to (not a real Dublin Core namespace): written beside the
# correct dcterms: term for consumers that read KS' files as written.
KS_DC = Namespace("http://purl.org/dc/")
# KS' frequency text, in months as most of KS' indicators write it ("12" on 960 of 2 092).
KS_FREQUENCY_TEXT = {"ANNUAL": "12", "BIENNIAL": "24", "TRIENNIAL": "36", "QUADRENNIAL": "48"}
# adms:status of the scheme, from the EU dataset-status table KS uses (KS: DEVELOP).
SCHEME_STATUS = URIRef("http://publications.europa.eu/resource/authority/dataset-status/COMPLETED")
KS = config.KS
SDGO = config.SDGO

# KS development sector per delmål: the sector of the services the delmål is about.
SECTOR_BY_SUBGOAL = {
    "SAM-1": "Health_and_social_services_and_welfare",  # inclusion, belonging
    "SAM-2": "Governance_and_citizen_engagement",       # local democracy
    "SAM-3": "Governance_and_citizen_engagement",       # partnership with civil society
    "BYS-1": "Built_environment",                        # housing, land use and transport planning
    "BYS-2": "Built_environment",                        # housing
    "BYS-3": "Water_and_waste",
    "BYS-4": "Safety_and_preparedness",
    "BYS-5": "Natural_environment",
    "BYS-6": "Natural_environment",
    "KLI-1": "Natural_environment",
    "KLI-2": "Natural_environment",
    "HEL-1": "Health_and_social_services_and_welfare",
    "HEL-2": "Health_and_social_services_and_welfare",
    "HEL-3": "Health_and_social_services_and_welfare",
    "HEL-4": "Health_and_social_services_and_welfare",
    "UTD-1": "Childhood_and_education",
    "UTD-2": "Childhood_and_education",
    "UTD-3": "Childhood_and_education",
    "UTD-4": "Childhood_and_education",
    "INN-1": "Industry",                                 # innovation funding, business
    "INN-2": "Digitalisation",
    "INN-3": "Economy",                                  # attractive business sector, value creation
    "OKO-1": "Economy",
    "OKO-2": "Economy",
    "MED-1": "Work_and_employment",
    "MED-2": "Work_and_employment",
    "MED-3": "Work_and_employment",
    "MED-4": "Work_and_employment",
}
# Indicators whose subject is plainly another sector than their delmål's (the sectors KS gives the
# national indicators matched to them agree, where there is a match).
SECTOR_BY_INDICATOR = {
    "SAM-01": "Governance_and_citizen_engagement",  # voluntary work (civil society)
    "SAM-02": "Culture",                            # leisure offers for young people
    "SAM-05": "Economy",                            # persistent low income
    "SAM-06": "Culture",                            # organised leisure activities
    "SAM-07": "Childhood_and_education",            # young people's local environment
    "SAM-08": "Work_and_employment",                # introduction programme → work or education
    "BYS-03": "Work_and_employment",                # job coverage
    "BYS-04": "Transport",                          # cycle network
    "BYS-05": "Transport",                          # public transport
    "BYS-06": "Transport",                          # public transport
    "BYS-19": "Water_and_waste",                    # construction waste
    "KLI-02": "Energy",
    "KLI-04": "Transport",
    "KLI-05": "Water_and_waste",
    "KLI-06": "Water_and_waste",
    "KLI-07": "Water_and_waste",
    "KLI-08": "Built_environment",                  # construction sites
    "KLI-09": "Built_environment",                  # building materials
    "KLI-10": "Energy",
    "KLI-11": "Transport",                          # municipal vehicles
    "KLI-12": "Transport",                          # road traffic emissions
    "KLI-13": "Water_and_waste",                    # reuse
    "HEL-09": "Work_and_employment",                # seniors in work
    "UTD-16": "Work_and_employment",                # young people not in work or education
    "UTD-17": "Work_and_employment",                # employed with trade certificate
    "INN-03": "Digitalisation",                     # smart water meters
    "INN-09": "Work_and_employment",                # job growth
    "OKO-04": "Built_environment",                  # building maintenance
}
# Triple bottom line: the satsingsområde's own bottom line, plus the samfunnsfloke's.
IMPACT_BY_AREA = {"SAM": "People", "BYS": "People", "KLI": "Planet", "HEL": "People", "UTD": "People",
                  "INN": "Prosperity", "OKO": "Prosperity", "MED": "People"}
IMPACT_BY_CHALLENGE = {"klima-og-natur": "Planet", "ungt-utenforskap": "People", "demografiutfordringer": "People"}


def sector(record: Indicator) -> URIRef | None:
    name = SECTOR_BY_INDICATOR.get(record.ident) or SECTOR_BY_SUBGOAL.get(record.sub_goal_ident)
    return KS_SECTOR[name] if name else None


def impacts(record: Indicator) -> list[URIRef]:
    names = set()
    if record.area_ident in IMPACT_BY_AREA:
        names.add(IMPACT_BY_AREA[record.area_ident])
    for challenge in record.challenges:
        slug = str(challenge).rstrip("/").rsplit("/", 1)[-1]
        if slug in IMPACT_BY_CHALLENGE:
            names.add(IMPACT_BY_CHALLENGE[slug])
    return [KS_TRIPLE_BOTTOM_LINE[name] for name in sorted(names)]


def quality_class(record: Indicator) -> URIRef | None:
    """KS' quality class: public statistics are Class 1 (as KS rates the national sets they come
    from); the municipality's own registers and surveys are Class 2 when run every year and Class 3
    when less often (harder to compare over time and with other municipalities)."""
    if record.data_basis is None:
        return None
    sg = Ns.sg()
    if record.data_basis == sg.PublicStatistics:
        return KS_QUALITY.Class_1
    annual = record.frequency is not None and str(record.frequency).endswith("/ANNUAL")
    return KS_QUALITY.Class_2 if annual else KS_QUALITY.Class_3


def scheme_iri() -> URIRef:
    return resource("scheme", "indicators")


def source_of(graph: Graph, record: Indicator) -> URIRef | None:
    if record.data_source is None:
        return None
    page = next(iter(sorted(graph.objects(record.data_source, FOAF.homepage))), None)
    return page if isinstance(page, URIRef) else record.data_source


def ks_graph(graph: Graph) -> Graph:
    """The KS-profile graph of every indicator in `graph`."""
    out = Graph()
    scheme = scheme_iri()
    asker = municipality()
    records = indicators(graph)

    out.add((scheme, RDF.type, SKOS.ConceptScheme))
    out.add((scheme, DCTERMS.title, Literal("Asker kommunes indikatorer for bærekraftsmålene", lang="nb")))
    out.add((scheme, DCTERMS.title, Literal("Asker kommune's indicators for the Sustainable Development Goals", lang="en")))
    out.add((scheme, SKOS.prefLabel, Literal("Asker kommunes indikatorer for bærekraftsmålene", lang="nb")))
    out.add((scheme, DCTERMS.publisher, asker))
    out.add((scheme, DCTERMS.modified, Literal(data_date(graph).isoformat(), datatype=XSD.date)))
    out.add((scheme, XKOS.numberOfLevels, Literal(1)))
    # What KS' consumers read on a scheme (KS_DC, adms:status), beside the correct terms.
    out.add((scheme, KS_DC.title, Literal("Asker kommunes indikatorer for bærekraftsmålene", lang="no")))
    out.add((scheme, KS_DC.title, Literal("Asker kommune's indicators for the Sustainable Development Goals", lang="en")))
    out.add((scheme, DCTERMS.identifier, Literal(str(scheme))))
    out.add((scheme, KS_DC.identifier, scheme))
    out.add((scheme, KS_DC.publisher, describe_publisher(out, graph)))
    out.add((scheme, KS_DC.modified, Literal(data_date(graph).isoformat(), datatype=XSD.date)))
    out.add((scheme, ADMS.status, SCHEME_STATUS))
    out.add((asker, RDF.type, VCARD.Organization))
    out.add((asker, RDF.type, FOAF.Agent))
    out.add((asker, VCARD["hasOrganizationName"], Literal(label(graph, asker, "nb") or "Asker kommune", lang="nb")))
    out.add((asker, FOAF.name, Literal(label(graph, asker, "nb") or "Asker kommune", lang="nb")))
    for prop in (KS.hasEvaluation, KS.hasImpact):  # declared as KS declares them
        out.add((prop, RDF.type, RDF.Property))
        out.add((prop, RDFS.subPropertyOf, SKOS.related))
    out.add((KS.hasEvaluation, RDFS.label, Literal("has evaluation", lang="en")))
    out.add((KS.hasImpact, RDFS.label, Literal("has impact", lang="en")))

    sources = set()
    for record in records:
        concept = record.iri
        out.add((scheme, UNESKOS.contains, concept))
        out.add((concept, RDF.type, SDGO.Indicator))
        out.add((concept, RDF.type, SKOS.Concept))
        out.add((concept, SKOS.inScheme, scheme))
        out.add((concept, XKOS.depth, Literal(1)))
        out.add((concept, SKOS.notation, Literal(record.ident)))
        out.add((concept, DCTERMS.identifier, Literal(record.ident)))
        out.add((concept, SKOS.prefLabel, Literal(record.label_nb, lang="nb")))
        out.add((concept, DCTERMS.title, Literal(record.label_nb, lang="nb")))
        if record.label_en and record.label_en != record.label_nb:
            out.add((concept, SKOS.prefLabel, Literal(record.label_en, lang="en")))
        for goal in record.fn_goals:
            out.add((concept, SDGO.hasGoal, goal))
        for target in record.fn_targets:
            out.add((concept, SDGO.isIndicatorOf, target))
        if sector(record) is not None:
            out.add((concept, DCTERMS.subject, sector(record)))
        out.add((concept, DCTERMS.coverage, KS_GEOGRAPHY["City-level"]))
        if record.frequency is not None:
            out.add((concept, DCTERMS.accrualPeriodicity, record.frequency))
        source = source_of(graph, record)
        if source is not None:
            out.add((concept, DCTERMS.source, source))
            if source == record.data_source:
                sources.add(source)
        if quality_class(record) is not None:
            out.add((concept, DQV.hasQualityMeasurement, quality_class(record)))
        if record.result_chain is not None:
            out.add((concept, KS.hasEvaluation, record.result_chain))
        for impact in impacts(record):
            out.add((concept, KS.hasImpact, impact))
        for match in record.exact_matches:
            out.add((concept, SKOS.exactMatch, match))
        for match in record.close_matches:
            out.add((concept, SKOS.closeMatch, match))
        if record.unit is not None:
            out.add((concept, SDMX_ATTRIBUTE.unitMeasure, record.unit))
        add_ks_compat(out, graph, record, source)
    for source in sources:  # our own data-source IRIs do not resolve yet: carry their labels
        for lang in ("nb", "en"):
            for value in graph.objects(source, SKOS.prefLabel):
                if isinstance(value, Literal) and value.language == lang:
                    out.add((source, SKOS.prefLabel, value))
    for unit in {record.unit for record in records if record.unit is not None}:
        for value in graph.objects(unit, SKOS.prefLabel):
            out.add((unit, SKOS.prefLabel, value))
    return out


def ks_frequency_text(frequency) -> str:
    code = str(frequency).rsplit("/", 1)[-1]
    return KS_FREQUENCY_TEXT.get(code, "Other")


def add_ks_compat(out: Graph, graph: Graph, record: Indicator, source) -> None:
    """The fields KS' consumers read on an indicator, as KS' files write them."""
    concept = record.iri
    out.add((concept, KS_DC.title, Literal(record.label_nb, lang="no")))  # KS tags Norwegian @no
    if record.label_en and record.label_en != record.label_nb:
        out.add((concept, KS_DC.title, Literal(record.label_en, lang="en")))
    out.add((concept, KS_DC.identifier, concept))
    if record.unit is not None:
        out.add((concept, DCTERMS.type, Literal(label(graph, record.unit, "nb"))))
    if record.frequency is not None:
        out.add((concept, DCTERMS.accrualPeriodicity, Literal(ks_frequency_text(record.frequency))))
    if source is not None:
        out.add((concept, DCTERMS.source, Literal(str(source))))


def validate(data: Graph) -> tuple[bool, list[str], list[str]]:
    """(conforms, violation messages, warning messages) of `data` against the KS profile."""
    violations, warnings = check_profile(data, PROFILE_SHAPES)
    return not violations, violations, warnings


def export_ks_taxonomy(build_dir=None, **_options) -> ExportResult:
    _, union = load(build_dir)
    graph = ks_graph(union)
    conforms, violations, warnings = validate(graph)
    if not conforms:
        shown = violations[:50]
        more = f"\n… og {len(violations) - len(shown)} til" if len(violations) > len(shown) else ""
        raise CheckFailed("KS-taksonomieksporten følger ikke profilen shapes/profiles/ks-taxonomy.ttl:\n"
                          + "\n".join(shown) + more)
    concepts = set(graph.subjects(RDF.type, SDGO.Indicator))
    return ExportResult("ks-taxonomy", "asker-ks-taxonomy.ttl", "text/turtle", data=serialize(graph, "turtle"),
                        counts={"triples": len(graph), "indicators": len(concepts)},
                        notes=[f"advarsel: {w}" for w in warnings])
