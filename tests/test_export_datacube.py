"""The datacube export: a W3C RDF Data Cube that passes the Recommendation's integrity constraints.

The constraints are the SPARQL ASK queries of the Data Cube Recommendation §11.1, kept in
tests/fixtures/qb-ic/ (a query that answers true has found a violation). They run on pyoxigraph
after the §10.2 normalisation (which must add nothing: the export is written normalised), and all
but IC-12 also on rdflib. IC-12 runs on pyoxigraph only: rdflib 7.6 answers the Recommendation's
IC-12 query true on this cube (it does not compare the xsd:gYear dimension values, so every pair of
observations of one indicator looks equal); uniqueness of (indicator, year) is also checked here
directly.

Not applicable to this cube (they pass vacuously, and the tests assert why): IC-15, IC-16, IC-17
(the cube has no qb:measureType measure dimension), IC-19b (the indicator code list is a
skos:ConceptScheme, not a skos:Collection), IC-20, IC-21 (no qb:HierarchicalCodeList).
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pyoxigraph
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from sdggraph.export import run_export

QB_IC = Path(__file__).resolve().parent / "fixtures" / "qb-ic"
QB = "http://purl.org/linked-data/cube#"
SG = "https://w3id.org/sdggraph/ontology#"
SDMX_MEASURE = "http://purl.org/linked-data/sdmx/2009/measure#obsValue"
SDMX_STATUS = "http://purl.org/linked-data/sdmx/2009/attribute#obsStatus"
SDMX_CODE = "http://purl.org/linked-data/sdmx/2009/code#"
NOT_APPLICABLE = {"ic-15", "ic-16", "ic-17", "ic-19b", "ic-20", "ic-21"}
IC_FILES = sorted(QB_IC.glob("ic-*.rq"))


@pytest.fixture(scope="module")
def cube_bytes(build_dir) -> bytes:
    return run_export("datacube", build_dir).data


@pytest.fixture(scope="module")
def cube(cube_bytes) -> Graph:
    return Graph().parse(data=cube_bytes, format="turtle")


def ic_query(path: Path) -> str:
    # IC-20/21 are templates over the list's qb:parentChildProperty; there is no hierarchical list
    # here (test_no_hierarchical_code_lists), so any property instantiates them.
    return path.read_text(encoding="utf-8").replace("$p", "http://www.w3.org/2004/02/skos/core#narrower")


def normalised_store(data: bytes) -> pyoxigraph.Store:
    store = pyoxigraph.Store()
    store.load(data, format=pyoxigraph.RdfFormat.TURTLE)
    for name in ("normalize-1.ru", "normalize-2.ru"):
        store.update((QB_IC / name).read_text(encoding="utf-8"))
    return store


def violations(data: bytes) -> set[str]:
    store = normalised_store(data)
    return {path.stem for path in IC_FILES if bool(store.query(ic_query(path)))}


def test_all_integrity_constraints_are_there():
    assert [p.stem for p in IC_FILES] == [f"ic-{n:02d}" for n in range(1, 19)] + ["ic-19a", "ic-19b", "ic-20", "ic-21"]


def test_export_is_already_normalised(cube_bytes):
    plain = pyoxigraph.Store()
    plain.load(cube_bytes, format=pyoxigraph.RdfFormat.TURTLE)
    assert len(normalised_store(cube_bytes)) == len(plain)


@pytest.mark.parametrize("path", IC_FILES, ids=lambda p: p.stem)
def test_integrity_constraint_pyoxigraph(cube_bytes, path):
    store = normalised_store(cube_bytes)
    assert not bool(store.query(ic_query(path))), f"{path.stem} violated"


@pytest.mark.parametrize("path", [p for p in IC_FILES if p.stem != "ic-12"], ids=lambda p: p.stem)
def test_integrity_constraint_rdflib(cube, path):
    assert not cube.query(ic_query(path)).askAnswer, f"{path.stem} violated"


def _tamper(cube: Graph, edit) -> bytes:
    copy = Graph()
    copy += cube
    edit(copy)
    return copy.serialize(format="nt", encoding="utf-8")


def _nt_violations(data: bytes) -> set[str]:
    store = pyoxigraph.Store()
    store.load(data, format=pyoxigraph.RdfFormat.N_TRIPLES)
    for name in ("normalize-1.ru", "normalize-2.ru"):
        store.update((QB_IC / name).read_text(encoding="utf-8"))
    return {path.stem for path in IC_FILES if bool(store.query(ic_query(path)))}


def test_constraints_catch_a_missing_value_and_a_duplicate(cube):
    """The ICs are not vacuous here: dropping a measure breaks IC-14 (and IC-13, the measure's
    component is required), a duplicate breaks IC-12."""
    obs = URIRef("https://w3id.org/sdggraph/kommune/3203/observation/HEL-01-2021")
    dropped = _tamper(cube, lambda g: g.remove((obs, URIRef(SDMX_MEASURE), None)))
    assert _nt_violations(dropped) == {"ic-13", "ic-14"}

    def duplicate(g):
        twin = URIRef(str(obs) + "-twin")
        for p, o in list(g.predicate_objects(obs)):
            g.add((twin, p, o))
    assert "ic-12" in _nt_violations(_tamper(cube, duplicate))


def test_not_applicable_constraints(cube):
    assert not list(cube.subjects(URIRef(QB + "componentProperty"), URIRef(QB + "measureType")))
    assert not list(cube.subjects(RDF.type, URIRef(QB + "HierarchicalCodeList")))
    assert not list(cube.subjects(RDF.type, URIRef("http://www.w3.org/2004/02/skos/core#Collection")))
    applicable = {p.stem for p in IC_FILES} - NOT_APPLICABLE
    assert len(applicable) == 16


def test_counts_match_the_graph(cube, built_graph):
    indicator_set = URIRef("https://w3id.org/sdggraph/kommune/3203/dataset/indicator-observations")
    observations = set(cube.subjects(URIRef(QB + "dataSet"), indicator_set))
    in_graph = set(built_graph.subjects(RDF.type, URIRef(SG + "IndicatorObservation")))
    assert observations == in_graph
    assert len(observations) == 400
    slices = set(cube.subjects(RDF.type, URIRef(QB + "Slice")))
    assert len(slices) == len(set(built_graph.subjects(RDF.type, URIRef(SG + "Indicator")))) == 100
    assert all(len(list(cube.objects(s, URIRef(QB + "observation")))) == 4 for s in slices)
    keys = Counter((cube.value(o, URIRef(SG + "ofIndicator")), str(cube.value(o, URIRef(SG + "year"))))
                   for o in observations)
    assert max(keys.values()) == 1


def test_values_and_status_codes(cube, built_graph):
    measured = URIRef(SG + "Measured")
    for obs in built_graph.subjects(RDF.type, URIRef(SG + "IndicatorObservation")):
        status = built_graph.value(obs, URIRef(SG + "observationStatus"))
        value = cube.value(obs, URIRef(SDMX_MEASURE))
        assert cube.value(obs, URIRef(SG + "observationStatus")) == status
        if status == measured:
            assert value == built_graph.value(obs, URIRef(SG + "value"))
            assert cube.value(obs, URIRef(SDMX_STATUS)) == URIRef(SDMX_CODE + "obsStatus-A")
        else:
            assert value.datatype == XSD.double and math.isnan(float(value))
            assert cube.value(obs, URIRef(SDMX_STATUS)) == URIRef(SDMX_CODE + "obsStatus-M")
        assert cube.value(obs, URIRef("http://purl.org/linked-data/sdmx/2009/attribute#unitMeasure")) is not None


def test_figures_are_selectable_by_status(cube_bytes, built_graph):
    store = pyoxigraph.Store()
    store.load(cube_bytes, format=pyoxigraph.RdfFormat.TURTLE)
    rows = list(store.query(f"""
        SELECT (COUNT(?v) AS ?n) WHERE {{
            ?o <{SDMX_STATUS}> <{SDMX_CODE}obsStatus-A> ; <{SDMX_MEASURE}> ?v . FILTER(?v = ?v) }}"""))
    expected = len(set(built_graph.subjects(URIRef(SG + "observationStatus"), URIRef(SG + "Measured"))))
    assert int(rows[0]["n"].value) == expected


def test_dimension_code_list_is_the_indicator_scheme(cube):
    code_list = cube.value(URIRef(SG + "ofIndicator"), URIRef(QB + "codeList"))
    assert code_list == URIRef("https://w3id.org/sdggraph/kommune/3203/scheme/indicators")
    members = set(cube.subjects(URIRef("http://www.w3.org/2004/02/skos/core#inScheme"), code_list))
    assert len(members) == 100
    assert Literal("2021", datatype=XSD.gYear) in set(cube.objects(None, URIRef(SG + "year")))


def test_comparison_cells_are_a_second_data_set_by_area(cube, built_graph):
    """Issue 13: the comparison tables' cells, grouped by sdmx-dimension:refArea, re-loaded from the cube."""
    comparison_set = URIRef("https://w3id.org/sdggraph/kommune/3203/dataset/comparison-observations")
    observations = set(cube.subjects(URIRef(QB + "dataSet"), comparison_set))
    assert observations == set(built_graph.subjects(RDF.type, URIRef(SG + "ComparisonObservation")))
    assert len(observations) == 504 + 186
    ref_area = URIRef("http://purl.org/linked-data/sdmx/2009/dimension#refArea")
    per_area = Counter(str(cube.value(o, ref_area)).rsplit("/", 1)[1] for o in observations)
    assert per_area["kostra-group-EKG12"] == 84 and per_area["municipality-3205"] == 84 + 2
    assert per_area["county-30"] == 3 and per_area["country-NO"] == 3
    keys = Counter((cube.value(o, URIRef(SG + "ofMeasure")), cube.value(o, ref_area), cube.value(o, URIRef(SG + "year")))
                   for o in observations)
    assert max(keys.values()) == 1
    cell = URIRef("https://w3id.org/sdggraph/kommune/3203/comparison-observation/VEL-03-EKG12-2024")
    assert cube.value(cell, URIRef(SDMX_MEASURE)) == Literal("2053", datatype=XSD.decimal)


def test_cube_reparses_with_pyoxigraph(cube_bytes, cube):
    quads = list(pyoxigraph.parse(cube_bytes, format=pyoxigraph.RdfFormat.TURTLE))
    assert len(quads) == len(cube)
