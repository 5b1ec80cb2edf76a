"""`datacube`: the indicator observations as a W3C RDF Data Cube (qb:), in two data sets.

* **Figures** (`…/dataset/indicator-observations`): the observations with a figure. Dimensions:
  the indicator (`sg:ofIndicator`, coded by Asker's indicator scheme, the same skos:ConceptScheme
  the ks-taxonomy export publishes), the reference period (`sg:year`, xsd:gYear, a sub-property of
  sdmx-dimension:refPeriod) and the area (`sdmx-dimension:refArea`); measure
  `sdmx-measure:obsValue`; required attributes unit (`sdmx-attribute:unitMeasure`) and SDMX status
  (`sdmx-attribute:obsStatus` = obsStatus-A).
* **Without figure** (`…/dataset/indicator-observations-without-figure`): the years the report marks
  «Ikke målt» or «Tall kommer». Same dimensions; the measure is sdggraph's status
  (`sg:observationStatus`: Ikke målt / Tall kommer); attributes unit and SDMX status (obsStatus-M).

Why two data sets. IC-14 ("All measures present") requires the measure on every observation of a
cube without a measure dimension, and a qb:measureType cube needs every measure for every
(indicator, year) (IC-17), which a missing figure cannot give. The earlier single cube wrote
"NaN"^^xsd:double for a missing figure, and `AVG(?v)` over an indicator became NaN for every
indicator with a gap. Now `?obs sdmx-measure:obsValue ?v` only ever binds figures, so an analyst's
AVG/SUM/MIN is the aggregate of the figures, and the 100 × 4 grid is still complete across the two
data sets (both also link to each other with dcterms:relation). The compiled graph puts each
observation in the same data set (compile/tables.py), so cube and graph agree under IC-1.

Area. `sdmx-dimension:refArea` takes the graph's shared reference area (`<base>ref-area/municipality-3203`
for Asker, from data/comparison/; common.describe_area copies it in as a concept of the code list
`<base>ref-area/scheme` with its kommunenummer and register entry), so cubes of several
municipalities, or comparison observations of other areas, combine on the same dimension.

Status codes. Målt → sdmx-code:obsStatus-A ("Normal value"); Ikke målt (the survey was not run
that year) and Tall kommer (national statistics not yet published) → sdmx-code:obsStatus-M
("Missing value"): the 2009 list has no "not yet available" code and obsStatus-P (provisional)
would claim a figure exists. sg:observationStatus keeps the difference.

The export is in the normal form of the Data Cube Recommendation (§10: types explicit,
qb:componentProperty stated, every dimension and attribute on the observation), so the integrity
constraints IC-1 … IC-21 run on it as written (tests/test_export_datacube.py does).
"""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

from .. import config
from ..compile.comparison import area_iri
from ..compile.tables import OBSERVATIONS_DATASET, OBSERVATIONS_WITHOUT_FIGURE_DATASET
from . import ExportResult
from .common import (
    SDMX_ATTRIBUTE,
    SDMX_CODE,
    SDMX_CONCEPT,
    SDMX_DIMENSION,
    SDMX_MEASURE,
    Ns,
    area_scheme,
    cube_structure,
    data_date,
    describe_area,
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


def dataset_iri() -> URIRef:
    """The data set of the observations with a figure."""
    return rebased(str(OBSERVATIONS_DATASET))


def status_dataset_iri() -> URIRef:
    """The data set of the observations without a figure (Ikke målt / Tall kommer)."""
    return rebased(str(OBSERVATIONS_WITHOUT_FIGURE_DATASET))


def sdmx_status(sg_status: URIRef) -> URIRef:
    return SDMX_CODE["obsStatus-A"] if sg_status == Ns.sg().Measured else SDMX_CODE["obsStatus-M"]


def _labels(out: Graph, source: Graph, node, props=(SKOS.prefLabel, RDFS.label)):
    for prop in props:
        for value in source.objects(node, prop):
            out.add((node, prop, value))


def _structure(out: Graph, dsd: URIRef, measure: URIRef, attributes: list[tuple[str, URIRef]]) -> URIRef:
    """A DSD with the shared dimensions (indicator, year, area), one measure and required
    attributes, and its slice key (one time series per indicator and area); returns the key."""
    sg = Ns.sg()
    cube_structure(out, dsd, [("indicator", sg.ofIndicator), ("year", sg.year), ("area", SDMX_DIMENSION.refArea)],
                   measure, attributes)
    slice_key = URIRef(f"{dsd}/slice-by-indicator")
    out.add((dsd, QB.sliceKey, slice_key))
    out.add((slice_key, RDF.type, QB.SliceKey))
    out.add((slice_key, QB.componentProperty, sg.ofIndicator))
    out.add((slice_key, QB.componentProperty, SDMX_DIMENSION.refArea))
    out.add((slice_key, RDFS.label, Literal("én tidsserie per indikator og område", lang="nb")))
    out.add((slice_key, RDFS.label, Literal("one time series per indicator and area", lang="en")))
    return slice_key


def cube_graph(graph: Graph) -> Graph:
    sg = Ns.sg()
    out = Graph()
    figures, without = dataset_iri(), status_dataset_iri()
    scheme = scheme_iri()
    date = data_date(graph)
    asker = municipality()
    area = describe_area(out, graph, area_of_asker())
    span, latest = year_span(graph), (editions(graph) or [None])[-1]
    report_nb = f"{latest.label_nb} og tidligere utgaver" if latest else "årsrapportene"
    report_en = f"{latest.label_en} and earlier editions" if latest else "annual reports"
    titles = {
        figures: (f"Asker kommunes indikatorer for bærekraftsmålene {span}: tall",
                  f"Asker kommune's indicators for the Sustainable Development Goals {span}: figures",
                  f"Årlige tall for indikatorene i Asker kommunes {report_nb}. År uten tall står i "
                  "datasettet «uten tall».",
                  f"Yearly figures of the indicators of Asker kommune's {report_en}. Years without a "
                  "figure are in the data set 'without figure'."),
        without: (f"Asker kommunes indikatorer for bærekraftsmålene {span}: år uten tall",
                  f"Asker kommune's indicators for the Sustainable Development Goals {span}: years without figure",
                  f"Indikatorår som {report_nb} markerer «Ikke målt» eller «Tall kommer»; målet er statusen.",
                  f"Indicator years the {report_en} mark 'not measured' or 'figures to come'; the "
                  "measure is the status."),
    }
    keys = {
        figures: _structure(out, URIRef(f"{figures}/structure"), SDMX_MEASURE.obsValue,
                            [("unit", SDMX_ATTRIBUTE.unitMeasure), ("obs-status", SDMX_ATTRIBUTE.obsStatus)]),
        without: _structure(out, URIRef(f"{without}/structure"), sg.observationStatus,
                            [("unit", SDMX_ATTRIBUTE.unitMeasure), ("obs-status", SDMX_ATTRIBUTE.obsStatus)]),
    }
    for dataset, (title_nb, title_en, description_nb, description_en) in titles.items():
        out.add((dataset, RDF.type, QB.DataSet))
        out.add((dataset, QB.structure, URIRef(f"{dataset}/structure")))
        out.add((dataset, DCTERMS.title, Literal(title_nb, lang="nb")))
        out.add((dataset, DCTERMS.title, Literal(title_en, lang="en")))
        out.add((dataset, RDFS.label, Literal(title_nb, lang="nb")))
        out.add((dataset, DCTERMS.description, Literal(description_nb, lang="nb")))
        out.add((dataset, DCTERMS.description, Literal(description_en, lang="en")))
        out.add((dataset, DCTERMS.publisher, asker))
        out.add((dataset, DCTERMS.modified, Literal(date.isoformat(), datatype=XSD.date)))
        out.add((dataset, DCTERMS.spatial, area))
    out.add((figures, DCTERMS.relation, without))
    out.add((without, DCTERMS.relation, figures))

    # Component properties, self-described so no dereferencing is needed.
    out.add((sg.ofIndicator, RDF.type, QB.CodedProperty))
    out.add((sg.ofIndicator, RDFS.range, sg.Indicator))
    out.add((sg.ofIndicator, QB.codeList, scheme))
    out.add((sg.year, RDFS.range, XSD.gYear))
    out.add((sg.year, RDFS.subPropertyOf, SDMX_DIMENSION.refPeriod))
    out.add((sg.year, QB.concept, SDMX_CONCEPT.refPeriod))
    out.add((SDMX_DIMENSION.refArea, RDF.type, QB.CodedProperty))
    out.add((SDMX_DIMENSION.refArea, RDFS.range, SKOS.Concept))
    out.add((SDMX_DIMENSION.refArea, QB.codeList, area_scheme()))
    out.add((SDMX_DIMENSION.refArea, QB.concept, SDMX_CONCEPT.refArea))
    out.add((SDMX_DIMENSION.refArea, RDFS.label, Literal("Reference Area", lang="en")))
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
        for obs in record.observations:
            dataset = figures if obs.value is not None else without
            series = URIRef(f"{dataset}/slice/{config.KOMMUNENUMMER}/{record.ident}")
            out.add((dataset, QB.slice, series))
            out.add((series, RDF.type, QB.Slice))
            out.add((series, QB.sliceStructure, keys[dataset]))
            out.add((series, sg.ofIndicator, indicator))
            out.add((series, SDMX_DIMENSION.refArea, area))
            out.add((series, QB.observation, obs.iri))
            out.add((obs.iri, RDF.type, QB.Observation))
            out.add((obs.iri, RDF.type, sg.IndicatorObservation))
            out.add((obs.iri, QB.dataSet, dataset))
            out.add((obs.iri, sg.ofIndicator, indicator))
            out.add((obs.iri, sg.year, Literal(str(obs.year), datatype=XSD.gYear)))
            out.add((obs.iri, SDMX_DIMENSION.refArea, area))
            if obs.value is not None:
                out.add((obs.iri, SDMX_MEASURE.obsValue, obs.value))
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
    out += comparison_cube(graph)  # the comparison tables: a further data set on the same area dimension
    return out


def area_of_asker() -> URIRef:
    """Asker as the reference area its observations carry (sg:refArea, data/comparison/areas.ttl)."""
    return rebased(str(area_iri(config.KOMMUNENUMMER)))


def one_unit(graph: Graph, obs: URIRef, fallback):
    values = sorted(graph.objects(obs, Ns.sg().unit))
    return values[0] if values else fallback


def export_datacube(build_dir=None, **_options) -> ExportResult:
    _, union = load(build_dir)
    graph = cube_graph(union)
    observations = set(graph.subjects(RDF.type, QB.Observation))
    measured = sum(1 for obs in observations if graph.value(obs, SDMX_ATTRIBUTE.obsStatus) == SDMX_CODE["obsStatus-A"])
    series = {graph.value(s, Ns.sg().ofIndicator) for s in graph.subjects(RDF.type, QB.Slice)}
    return ExportResult("datacube", "asker-datacube.ttl", "text/turtle", data=serialize(graph, "turtle"),
                        counts={"triples": len(graph), "observations": len(observations), "with figure": measured,
                                "without figure": len(observations) - measured, "indicators": len(series)})

