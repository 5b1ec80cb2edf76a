"""The report's comparison tables (issue 13) as two further qb:DataSets in the `datacube` export.

Structure (in the normal form the indicator cube uses), split the same way as the indicator cube:
* **Figures** (`…/dataset/comparison-observations`): dimensions the measure (`sg:ofMeasure`, coded:
  the scheme of comparison measures), the reference area (`sdmx-dimension:refArea`, coded: the scheme
  of reference areas, whose members carry their official codes, so the cube combines with other
  municipalities' cubes on the same area IRIs) and the reference period (`sg:year`); measure
  `sdmx-measure:obsValue`; attributes unit, SDMX status (obsStatus-A) and sdggraph's status.
* **Without figure** (`…/dataset/comparison-observations-without-figure`): the cells printed «-» or
  left empty. Same dimensions; the measure is sdggraph's status (Ikke tilgjengelig (-) / Tom celle);
  attributes unit and SDMX status (obsStatus-M). No NaN, so `AVG(?v)` over a measure is the mean of
  its figures.
Provisional figures (e.g. KOSTRA's «foreløpige tall») keep obsStatus-A like every figure and carry
`sg:provisional true` beside it.
"""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from .. import config
from ..compile.comparison import COMPARISON_DATASET, COMPARISON_WITHOUT_FIGURE_DATASET
from .common import (
    SDMX_ATTRIBUTE,
    SDMX_CODE,
    SDMX_CONCEPT,
    SDMX_DIMENSION,
    SDMX_MEASURE,
    Ns,
    area_scheme,
    cube_structure,
    editions,
    municipality,
    rebased,
)

QB = config.QB


def comparison_cube(graph: Graph) -> Graph:
    sg = Ns.sg()
    out = Graph()
    figures, without = rebased(str(COMPARISON_DATASET)), rebased(str(COMPARISON_WITHOUT_FIGURE_DATASET))
    measures_scheme = rebased(config.resource("scheme", "comparison-measures"))
    areas_scheme = area_scheme()  # the one code list of the area dimension, shared with the indicator cube
    observations = sorted(graph.subjects(RDF.type, sg.ComparisonObservation))
    if not observations:
        return out

    latest = (editions(graph) or [None])[-1]  # the edition whose tables these are (from the data)
    report_nb = f"sammenligningstabellene i {latest.label_nb}" if latest else "årsrapportens sammenligningstabeller"
    report_en = f"the comparison tables of {latest.label_en}" if latest else "the comparison tables of the annual report"
    titles = {figures: (f"Asker ved siden av andre områder: {report_nb}, tall",
                        f"Asker beside other areas: {report_en}, figures"),
              without: (f"Asker ved siden av andre områder: {report_nb}, celler uten tall",
                        f"Asker beside other areas: {report_en}, cells without a figure")}
    dimensions = [("measure", sg.ofMeasure), ("area", SDMX_DIMENSION.refArea), ("year", sg.year)]
    cube_structure(out, URIRef(f"{figures}/structure"), dimensions, SDMX_MEASURE.obsValue,
                   [("unit", SDMX_ATTRIBUTE.unitMeasure), ("obs-status", SDMX_ATTRIBUTE.obsStatus),
                    ("status", sg.observationStatus)])
    cube_structure(out, URIRef(f"{without}/structure"), dimensions, sg.observationStatus,
                   [("unit", SDMX_ATTRIBUTE.unitMeasure), ("obs-status", SDMX_ATTRIBUTE.obsStatus)])
    for dataset, (title_nb, title_en) in titles.items():
        out.add((dataset, RDF.type, QB.DataSet))
        out.add((dataset, QB.structure, URIRef(f"{dataset}/structure")))
        for lang, title in (("nb", title_nb), ("en", title_en)):
            out.add((dataset, DCTERMS.title, Literal(title, lang=lang)))
            out.add((dataset, RDFS.label, Literal(title, lang=lang)))
        out.add((dataset, DCTERMS.description, Literal(
            "Befolkning, boligproduksjon og sysselsetting (Asker, nabokommuner, fylker, Norge) og KOSTRA-tallene i "
            "tjenesteområdenes kapitler, slik årsrapportens tabeller trykker dem.", lang="nb")))
        out.add((dataset, DCTERMS.publisher, municipality()))
    out.add((figures, DCTERMS.relation, without))
    out.add((without, DCTERMS.relation, figures))

    for prop, range_, scheme in ((sg.ofMeasure, sg.ComparisonMeasure, measures_scheme),
                                 (SDMX_DIMENSION.refArea, sg.ReferenceArea, areas_scheme)):
        out.add((prop, RDF.type, QB.CodedProperty))
        out.add((prop, RDFS.range, range_))
        out.add((prop, QB.codeList, scheme))
        out.add((scheme, RDF.type, SKOS.ConceptScheme))
    out.add((SDMX_DIMENSION.refArea, QB.concept, SDMX_CONCEPT.refArea))
    out.add((SDMX_DIMENSION.refArea, RDFS.label, Literal("Reference Area", lang="en")))
    out.add((measures_scheme, SKOS.prefLabel, Literal("Årsrapportens sammenligningsstørrelser", lang="nb")))
    out.add((areas_scheme, SKOS.prefLabel, Literal("Områder", lang="nb")))
    for prop in (sg.ofMeasure,):
        for value in graph.objects(prop, RDFS.label):
            out.add((prop, RDFS.label, value))
    for status in (sg.NotAvailable, sg.NotPrinted, sg.Measured):
        out.add((status, RDF.type, sg.ObservationStatus))
        out.add((status, RDF.type, SKOS.Concept))
        out.add((status, SKOS.closeMatch, SDMX_CODE["obsStatus-A" if status == sg.Measured else "obsStatus-M"]))
        for prop in (SKOS.prefLabel, SKOS.notation):
            for value in graph.objects(status, prop):
                out.add((status, prop, value))

    units, measures, areas = set(), set(), set()
    for obs in observations:
        measure, area = graph.value(obs, sg.ofMeasure), graph.value(obs, sg.refArea)
        status, value = graph.value(obs, sg.observationStatus), graph.value(obs, sg.value)
        measures.add(measure)
        areas.add(area)
        out.add((obs, RDF.type, QB.Observation))
        out.add((obs, RDF.type, sg.ComparisonObservation))
        out.add((obs, QB.dataSet, figures if value is not None else without))
        out.add((obs, sg.ofMeasure, measure))
        out.add((obs, SDMX_DIMENSION.refArea, area))
        out.add((obs, sg.year, graph.value(obs, sg.year)))
        if value is not None:
            out.add((obs, SDMX_MEASURE.obsValue, value))
        out.add((obs, sg.observationStatus, status))
        out.add((obs, SDMX_ATTRIBUTE.obsStatus, SDMX_CODE["obsStatus-A" if status == sg.Measured else "obsStatus-M"]))
        for prop in (sg.printedValue, sg.provisional):
            for term in graph.objects(obs, prop):
                out.add((obs, prop, term))
        unit = graph.value(obs, sg.unit)
        if unit is not None:
            out.add((obs, SDMX_ATTRIBUTE.unitMeasure, unit))
            units.add(unit)
    for measure in measures:
        out.add((measure, RDF.type, SKOS.Concept))
        out.add((measure, SKOS.inScheme, measures_scheme))
        for prop in (SKOS.prefLabel, SKOS.notation):
            for term in graph.objects(measure, prop):
                out.add((measure, prop, term))
    for area in areas:
        out.add((area, RDF.type, SKOS.Concept))
        out.add((area, SKOS.inScheme, areas_scheme))
        for prop in (SKOS.prefLabel, SKOS.notation, SKOS.exactMatch):
            for term in graph.objects(area, prop):
                out.add((area, prop, term))
    for unit in units:
        for prop in (SKOS.prefLabel, SKOS.notation, SKOS.exactMatch):
            for term in graph.objects(unit, prop):
                out.add((unit, prop, term))
    return out
