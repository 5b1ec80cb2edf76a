"""The report's comparison tables (issue 13) as a second qb:DataSet in the `datacube` export.

Structure (its own qb:DataStructureDefinition, in the normal form the indicator cube uses):
* dimensions: the measure (`sg:ofMeasure`, coded: the code list is the scheme of comparison
  measures), the reference area (`sdmx-dimension:refArea`, coded: the scheme of reference areas,
  whose members carry their official codes, so the cube combines with other municipalities' cubes
  on the same area IRIs) and the reference period (`sg:year`);
* measure: `sdmx-measure:obsValue`, "NaN"^^xsd:double where the table has no figure (as in the
  indicator cube, IC-14);
* attributes: unit, SDMX observation status (obsStatus-A for a figure, obsStatus-M for «-» and an
  empty cell) and sdggraph's finer status (Målt / Ikke tilgjengelig (-) / Tom celle).
The KOSTRA 2024 figures are provisional («foreløpige tall publisert 15. mars 2025»): they keep
obsStatus-A like every figure and carry `sg:provisional true` beside it.
"""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

from .. import config
from ..compile.comparison import COMPARISON_DATASET
from .common import (SDMX_ATTRIBUTE, SDMX_CODE, SDMX_CONCEPT, SDMX_DIMENSION, SDMX_MEASURE, Ns, area_scheme,
                     municipality, rebased)

QB = config.QB
MISSING = Literal("NaN", datatype=XSD.double)


def comparison_cube(graph: Graph) -> Graph:
    sg = Ns.sg()
    out = Graph()
    dataset = rebased(str(COMPARISON_DATASET))
    dsd = URIRef(f"{dataset}/structure")
    measures_scheme = rebased(config.resource("scheme", "comparison-measures"))
    areas_scheme = area_scheme()  # the one code list of the area dimension, shared with the indicator cube
    observations = sorted(graph.subjects(RDF.type, sg.ComparisonObservation))
    if not observations:
        return out

    out.add((dataset, RDF.type, QB.DataSet))
    out.add((dataset, QB.structure, dsd))
    for lang, title in (("nb", "Asker ved siden av andre områder: årsrapportens sammenligningstabeller 2024"),
                        ("en", "Asker beside other areas: the comparison tables of the annual report 2024")):
        out.add((dataset, DCTERMS.title, Literal(title, lang=lang)))
        out.add((dataset, RDFS.label, Literal(title, lang=lang)))
    out.add((dataset, DCTERMS.description, Literal(
        "Befolkning, boligproduksjon og sysselsetting (Asker, nabokommuner, fylker, Norge) og KOSTRA-tallene i "
        "tjenesteområdenes kapitler (Asker 2023 og 2024, Bærum, Drammen, Lillestrøm og KOSTRA-gruppe 12 for 2024).",
        lang="nb")))
    out.add((dataset, DCTERMS.publisher, municipality()))

    out.add((dsd, RDF.type, QB.DataStructureDefinition))
    components = [("measure", "dimension", sg.ofMeasure, 1), ("area", "dimension", SDMX_DIMENSION.refArea, 2),
                  ("year", "dimension", sg.year, 3), ("value", "measure", SDMX_MEASURE.obsValue, 4),
                  ("unit", "attribute", SDMX_ATTRIBUTE.unitMeasure, 5),
                  ("obs-status", "attribute", SDMX_ATTRIBUTE.obsStatus, 6),
                  ("status", "attribute", sg.observationStatus, 7)]
    kinds = {"dimension": (QB.dimension, QB.DimensionProperty), "measure": (QB.measure, QB.MeasureProperty),
             "attribute": (QB.attribute, QB.AttributeProperty)}
    for name, kind, prop, order in components:
        spec = URIRef(f"{dsd}/{name}")
        link, prop_class = kinds[kind]
        out.add((dsd, QB.component, spec))
        out.add((spec, RDF.type, QB.ComponentSpecification))
        out.add((spec, link, prop))
        out.add((spec, QB.componentProperty, prop))
        out.add((spec, QB.order, Literal(order)))
        out.add((spec, QB.componentRequired, Literal(True)))
        out.add((prop, RDF.type, prop_class))
        out.add((prop, RDF.type, RDF.Property))
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
        out.add((obs, QB.dataSet, dataset))
        out.add((obs, sg.ofMeasure, measure))
        out.add((obs, SDMX_DIMENSION.refArea, area))
        out.add((obs, sg.year, graph.value(obs, sg.year)))
        out.add((obs, SDMX_MEASURE.obsValue, value if value is not None else MISSING))
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
