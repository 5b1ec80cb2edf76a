"""`datacube`: the indicator observations as a W3C RDF Data Cube (qb:) dataset.

Structure (one qb:DataStructureDefinition):
* dimensions: the indicator (`sg:ofIndicator`, coded: its qb:codeList is Asker's indicator scheme,
  the same skos:ConceptScheme the ks-taxonomy export publishes) and the reference period
  (`sg:year`, xsd:gYear, a sub-property of sdmx-dimension:refPeriod);
* measure: `sdmx-measure:obsValue`;
* attributes (required, attached to the observation): the unit (`sdmx-attribute:unitMeasure`), the
  SDMX observation status (`sdmx-attribute:obsStatus`) and sdggraph's finer status
  (`sg:observationStatus`: Målt / Ikke målt / Tall kommer).
A qb:SliceKey fixes the indicator, and each indicator's four years form a qb:Slice (a time series).

Status codes. SDMX' code list (sdmx-code:obsStatus, 2009) has one code for a missing value:
Målt → sdmx-code:obsStatus-A ("Normal value"); Ikke målt (the survey was not run that year, the
figure cannot exist) → sdmx-code:obsStatus-M ("Missing value"); Tall kommer (national statistics
not yet published) → also sdmx-code:obsStatus-M, because the 2009 list has no "not yet available"
code and obsStatus-P (provisional) would claim a figure exists. sg:observationStatus keeps the
difference, as the ontology's skos:closeMatch from both statuses to obsStatus-M says.

Missing measures. IC-14 ("All measures present") requires, in a cube without a measure dimension,
a value for every measure on every observation, and IC-12 counts every observation of the data set.
Dropping the 'Ikke målt'/'Tall kommer' observations would lose them (and the 100 × 4 grid);
moving them to a separate slice does not help (slices do not exempt observations from IC-14, and a
second data set would split one table in two). We follow SDMX' own convention for a missing
observation: the measure carries the explicit missing marker "NaN"^^xsd:double and the status
attribute says why (obsStatus-M plus the sg: status). IC-14 holds, every year of every indicator is
present, and a consumer selects figures with `FILTER(?status = sdmx-code:obsStatus-A)` (NaN also
never equals itself, so it cannot be mistaken for a figure). sdmx-measure:obsValue is declared
without an rdfs:range because figures are xsd:decimal/xsd:integer and the marker is xsd:double.

The export is already in the normal form of the Data Cube Recommendation (§10: types explicit,
qb:componentProperty stated, every dimension and attribute on the observation), so the integrity
constraints IC-1 … IC-21 can be run on it as written (tests/test_export_datacube.py does).
"""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

from .. import config
from ..compile.tables import OBSERVATIONS_DATASET
from . import ExportResult
from .common import (
    Ns,
    SDMX_ATTRIBUTE,
    SDMX_CODE,
    SDMX_CONCEPT,
    SDMX_DIMENSION,
    SDMX_MEASURE,
    data_date,
    editions,
    indicators,
    load,
    municipality,
    rebased,
    serialize,
    year_span,
)
from .datacube_comparison import comparison_cube
from .ks_taxonomy import scheme_iri

QB = config.QB
MISSING = Literal("NaN", datatype=XSD.double)


def dataset_iri() -> URIRef:
    return rebased(str(OBSERVATIONS_DATASET))


def sdmx_status(sg_status: URIRef) -> URIRef:
    return SDMX_CODE["obsStatus-A"] if sg_status == Ns.sg().Measured else SDMX_CODE["obsStatus-M"]


def _labels(out: Graph, source: Graph, node, props=(SKOS.prefLabel, RDFS.label)):
    for prop in props:
        for value in source.objects(node, prop):
            out.add((node, prop, value))


def cube_graph(graph: Graph) -> Graph:
    sg = Ns.sg()
    out = Graph()
    dataset = dataset_iri()
    dsd = URIRef(f"{dataset}/structure")
    slice_key = URIRef(f"{dataset}/structure/slice-by-indicator")
    scheme = scheme_iri()
    date = data_date(graph)

    out.add((dataset, RDF.type, QB.DataSet))
    out.add((dataset, QB.structure, dsd))
    span, latest = year_span(graph), (editions(graph) or [None])[-1]
    count = len(set(graph.subjects(RDF.type, Ns.sg().Indicator)))
    title_nb = f"Asker kommunes indikatorer for bærekraftsmålene {span}".rstrip()
    out.add((dataset, DCTERMS.title, Literal(title_nb, lang="nb")))
    out.add((dataset, DCTERMS.title, Literal(f"Asker kommune's indicators for the Sustainable Development Goals {span}".rstrip(), lang="en")))
    out.add((dataset, RDFS.label, Literal(title_nb, lang="nb")))
    out.add((dataset, DCTERMS.description, Literal(
        f"Årlige verdier for de {count} indikatorene i Asker kommunes {latest.label_nb if latest else 'årsrapporter'} "
        "og tidligere utgaver, med status «Ikke målt» eller «Tall kommer» der det ikke finnes et tall.", lang="nb")))
    out.add((dataset, DCTERMS.description, Literal(
        f"Yearly values of the {count} indicators of Asker kommune's {latest.label_en if latest else 'annual reports'} "
        "and earlier editions, with the status 'not measured' or 'figures to come' where there is no figure.", lang="en")))
    out.add((dataset, DCTERMS.publisher, municipality()))
    out.add((dataset, DCTERMS.modified, Literal(date.isoformat(), datatype=XSD.date)))

    out.add((dsd, RDF.type, QB.DataStructureDefinition))
    components = [
        ("indicator", "dimension", sg.ofIndicator, 1, True),
        ("year", "dimension", sg.year, 2, True),
        ("value", "measure", SDMX_MEASURE.obsValue, 3, True),
        ("unit", "attribute", SDMX_ATTRIBUTE.unitMeasure, 4, True),
        ("obs-status", "attribute", SDMX_ATTRIBUTE.obsStatus, 5, True),
        ("status", "attribute", sg.observationStatus, 6, True),
    ]
    kinds = {"dimension": (QB.dimension, QB.DimensionProperty), "measure": (QB.measure, QB.MeasureProperty),
             "attribute": (QB.attribute, QB.AttributeProperty)}
    for name, kind, prop, order, required in components:
        spec = URIRef(f"{dsd}/{name}")
        link, prop_class = kinds[kind]
        out.add((dsd, QB.component, spec))
        out.add((spec, RDF.type, QB.ComponentSpecification))
        out.add((spec, link, prop))
        out.add((spec, QB.componentProperty, prop))  # normalised form (§10.1)
        out.add((spec, QB.order, Literal(order)))
        out.add((spec, QB.componentRequired, Literal(required)))
        out.add((prop, RDF.type, prop_class))
        out.add((prop, RDF.type, RDF.Property))
    out.add((dsd, QB.sliceKey, slice_key))
    out.add((slice_key, RDF.type, QB.SliceKey))
    out.add((slice_key, QB.componentProperty, sg.ofIndicator))
    out.add((slice_key, RDFS.label, Literal("én tidsserie per indikator", lang="nb")))
    out.add((slice_key, RDFS.label, Literal("one time series per indicator", lang="en")))

    # Component properties, self-described so no dereferencing is needed.
    out.add((sg.ofIndicator, RDF.type, QB.CodedProperty))
    out.add((sg.ofIndicator, RDFS.range, sg.Indicator))
    out.add((sg.ofIndicator, QB.codeList, scheme))
    out.add((sg.year, RDFS.range, XSD.gYear))
    out.add((sg.year, RDFS.subPropertyOf, SDMX_DIMENSION.refPeriod))
    out.add((sg.year, QB.concept, SDMX_CONCEPT.refPeriod))
    out.add((SDMX_MEASURE.obsValue, QB.concept, SDMX_CONCEPT.obsValue))
    out.add((SDMX_ATTRIBUTE.unitMeasure, QB.concept, SDMX_CONCEPT.unitMeasure))
    out.add((SDMX_ATTRIBUTE.obsStatus, RDF.type, QB.CodedProperty))
    out.add((SDMX_ATTRIBUTE.obsStatus, QB.concept, SDMX_CONCEPT.obsStatus))
    out.add((SDMX_ATTRIBUTE.obsStatus, QB.codeList, SDMX_CODE.obsStatus))
    out.add((sg.observationStatus, RDFS.range, sg.ObservationStatus))
    for prop in (sg.ofIndicator, sg.year, sg.observationStatus):
        _labels(out, graph, prop, (RDFS.label,))
    out.add((SDMX_MEASURE.obsValue, RDFS.label, Literal("Observation value", lang="en")))
    out.add((SDMX_ATTRIBUTE.unitMeasure, RDFS.label, Literal("Unit of Measure", lang="en")))
    out.add((SDMX_ATTRIBUTE.obsStatus, RDFS.label, Literal("Observation Status", lang="en")))

    # Code lists: the SDMX status codes used, sdggraph's statuses, Asker's indicator scheme.
    out.add((SDMX_CODE.obsStatus, RDF.type, SKOS.ConceptScheme))
    for code, text in (("obsStatus-A", "Normal value"), ("obsStatus-M", "Missing value")):
        out.add((SDMX_CODE[code], RDF.type, SKOS.Concept))
        out.add((SDMX_CODE[code], SKOS.inScheme, SDMX_CODE.obsStatus))
        out.add((SDMX_CODE[code], SKOS.notation, Literal(code.rsplit("-", 1)[-1])))
        out.add((SDMX_CODE[code], SKOS.prefLabel, Literal(text, lang="en")))
    for status in (sg.Measured, sg.NotMeasured, sg.NotYetPublished):
        out.add((status, RDF.type, sg.ObservationStatus))
        out.add((status, RDF.type, SKOS.Concept))
        out.add((status, SKOS.closeMatch, sdmx_status(status)))
        _labels(out, graph, status, (SKOS.prefLabel, SKOS.notation))
    out.add((scheme, RDF.type, SKOS.ConceptScheme))
    out.add((scheme, SKOS.prefLabel, Literal("Asker kommunes indikatorer for bærekraftsmålene", lang="nb")))

    records = indicators(graph)
    units = set()
    for record in records:
        indicator = record.iri
        out.add((indicator, RDF.type, SKOS.Concept))
        out.add((indicator, RDF.type, sg.Indicator))
        out.add((indicator, SKOS.inScheme, scheme))
        out.add((indicator, SKOS.notation, Literal(record.ident)))
        out.add((indicator, SKOS.prefLabel, Literal(record.label_nb, lang="nb")))
        if record.label_en and record.label_en != record.label_nb:
            out.add((indicator, SKOS.prefLabel, Literal(record.label_en, lang="en")))
        series = URIRef(f"{dataset}/slice/{record.ident}")
        out.add((dataset, QB.slice, series))
        out.add((series, RDF.type, QB.Slice))
        out.add((series, QB.sliceStructure, slice_key))
        out.add((series, sg.ofIndicator, indicator))
        for obs in record.observations:
            out.add((series, QB.observation, obs.iri))
            out.add((obs.iri, RDF.type, QB.Observation))
            out.add((obs.iri, RDF.type, sg.IndicatorObservation))
            out.add((obs.iri, QB.dataSet, dataset))
            out.add((obs.iri, sg.ofIndicator, indicator))
            out.add((obs.iri, sg.year, Literal(str(obs.year), datatype=XSD.gYear)))
            out.add((obs.iri, SDMX_MEASURE.obsValue, obs.value if obs.value is not None else MISSING))
            out.add((obs.iri, sg.observationStatus, obs.status))
            out.add((obs.iri, SDMX_ATTRIBUTE.obsStatus, sdmx_status(obs.status)))
            if obs.printed:
                out.add((obs.iri, sg.printedValue, Literal(obs.printed)))
            unit = one_unit(graph, obs.iri, record.unit)
            if unit is not None:
                out.add((obs.iri, SDMX_ATTRIBUTE.unitMeasure, unit))
                units.add(unit)
    for unit in units:
        _labels(out, graph, unit, (SKOS.prefLabel, SKOS.notation, SKOS.exactMatch))
    out += comparison_cube(graph)  # issue 13: the comparison tables, a second data set with sdmx-dimension:refArea
    return out


def one_unit(graph: Graph, obs: URIRef, fallback):
    values = sorted(graph.objects(obs, Ns.sg().unit))
    return values[0] if values else fallback


def export_datacube(build_dir=None, **_options) -> ExportResult:
    _, union = load(build_dir)
    graph = cube_graph(union)
    observations = set(graph.subjects(RDF.type, QB.Observation))
    measured = sum(1 for obs in observations if graph.value(obs, SDMX_ATTRIBUTE.obsStatus) == SDMX_CODE["obsStatus-A"])
    slices = set(graph.subjects(RDF.type, QB.Slice))
    return ExportResult("datacube", "asker-datacube.ttl", "text/turtle", data=serialize(graph, "turtle"),
                        counts={"triples": len(graph), "observations": len(observations), "measured": measured,
                                "indicators": len(slices)})

