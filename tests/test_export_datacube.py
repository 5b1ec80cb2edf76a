"""The datacube export: a W3C RDF Data Cube that passes the Recommendation's integrity constraints,
whose aggregates are the aggregates of the figures (years without a figure are in their own data set),
and with an area dimension shared with other municipalities' cubes.

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
REF_AREA = "http://purl.org/linked-data/sdmx/2009/dimension#refArea"
ASKER_AREA = "https://w3id.org/sdggraph/ref-area/municipality-3203"
FIGURES = "https://w3id.org/sdggraph/kommune/3203/dataset/indicator-observations"
WITHOUT_FIGURE = "https://w3id.org/sdggraph/kommune/3203/dataset/indicator-observations-without-figure"
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
    """The ICs are not vacuous here: dropping a measure breaks IC-14, a duplicate breaks IC-12, and
    moving a year without figure into the figures' data set breaks IC-14 as well, a missing area IC-11."""
    obs = URIRef("https://w3id.org/sdggraph/kommune/3203/observation/HEL-01-2021")  # 97,3 %
    dropped = _tamper(cube, lambda g: g.remove((obs, URIRef(SDMX_MEASURE), None)))
    assert _nt_violations(dropped) == {"ic-13", "ic-14"}  # IC-13: the component is required
    missing = URIRef("https://w3id.org/sdggraph/kommune/3203/observation/HEL-01-2024")  # Tall kommer

    def move(g):
        g.remove((missing, URIRef(QB + "dataSet"), None))
        g.add((missing, URIRef(QB + "dataSet"), URIRef(FIGURES)))
    assert "ic-14" in _nt_violations(_tamper(cube, move))

    def drop_area(g):  # from the observation and its slice (normalisation pushes slice values down)
        for node in [obs, *g.subjects(URIRef(QB + "observation"), obs)]:
            g.remove((node, URIRef(REF_AREA), None))
    no_area = _tamper(cube, drop_area)
    assert "ic-11" in _nt_violations(no_area)

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
    observations = set(cube.subjects(RDF.type, URIRef(SG + "IndicatorObservation")))  # both indicator data sets
    in_graph = set(built_graph.subjects(RDF.type, URIRef(SG + "IndicatorObservation")))
    assert observations == in_graph
    assert len(observations) == 400
    slices = set(cube.subjects(RDF.type, URIRef(QB + "Slice")))
    per_indicator = Counter()
    for s in slices:
        per_indicator[cube.value(s, URIRef(SG + "ofIndicator"))] += len(list(cube.objects(s, URIRef(QB + "observation"))))
    assert len(per_indicator) == len(set(built_graph.subjects(RDF.type, URIRef(SG + "Indicator")))) == 100
    assert set(per_indicator.values()) == {4}  # the two data sets together hold every year
    for s in slices:
        dataset = next(cube.subjects(URIRef(QB + "slice"), s))
        assert all(cube.value(o, URIRef(QB + "dataSet")) == dataset for o in cube.objects(s, URIRef(QB + "observation")))
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
            assert cube.value(obs, URIRef(QB + "dataSet")) == URIRef(FIGURES)
        else:
            assert value is None  # no NaN or other marker that aggregates would take in
            assert cube.value(obs, URIRef(SDMX_STATUS)) == URIRef(SDMX_CODE + "obsStatus-M")
            assert cube.value(obs, URIRef(QB + "dataSet")) == URIRef(WITHOUT_FIGURE)
        assert cube.value(obs, URIRef(QB + "dataSet")) == built_graph.value(obs, URIRef(QB + "dataSet"))
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
    without_set = URIRef(f"{comparison_set}-without-figure")
    with_figure = set(cube.subjects(URIRef(QB + "dataSet"), comparison_set))
    without_figure = set(cube.subjects(URIRef(QB + "dataSet"), without_set))
    observations = with_figure | without_figure
    assert observations == set(built_graph.subjects(RDF.type, URIRef(SG + "ComparisonObservation")))
    assert len(observations) == 504 + 186 and len(without_figure) == 16  # «-» and empty cells
    assert all(cube.value(o, URIRef(SDMX_MEASURE)) is None for o in without_figure)  # no NaN
    assert all(cube.value(o, URIRef(QB + "dataSet")) == built_graph.value(o, URIRef(QB + "dataSet")) for o in observations)
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


def test_avg_is_the_mean_of_the_figures(cube_bytes, built_graph):
    """An analyst's AVG over an indicator's observations is the mean of its figures, for every
    indicator (none is NaN), on pyoxigraph and on rdflib."""
    expected = {}
    for obs in built_graph.subjects(RDF.type, URIRef(SG + "IndicatorObservation")):
        value = built_graph.value(obs, URIRef(SG + "value"))
        if value is not None:
            expected.setdefault(str(built_graph.value(obs, URIRef(SG + "ofIndicator"))), []).append(float(value))
    query = f"""SELECT ?indicator (AVG(?v) AS ?avg) (COUNT(?v) AS ?n) WHERE {{
        ?obs <{SG}ofIndicator> ?indicator ; <{SDMX_MEASURE}> ?v }} GROUP BY ?indicator"""
    store = pyoxigraph.Store()
    store.load(cube_bytes, format=pyoxigraph.RdfFormat.TURTLE)
    got = {row["indicator"].value: (float(row["avg"].value), int(row["n"].value)) for row in store.query(query)}
    assert len(expected) > 50 and set(got) == set(expected)
    for indicator, values in expected.items():
        avg, n = got[indicator]
        assert not math.isnan(avg) and n == len(values)
        assert math.isclose(avg, sum(values) / len(values), rel_tol=1e-9), indicator
    rdflib_rows = Graph().parse(data=cube_bytes, format="turtle").query(query)
    assert all(not math.isnan(float(row.avg)) for row in rdflib_rows)


def test_avg_over_a_comparison_measure_is_the_mean_of_its_figures(cube_bytes, built_graph):
    """The same for the comparison tables: a measure with empty or «-» cells averages its figures."""
    expected = {}
    for obs in built_graph.subjects(RDF.type, URIRef(SG + "ComparisonObservation")):
        value = built_graph.value(obs, URIRef(SG + "value"))
        measure = str(built_graph.value(obs, URIRef(SG + "ofMeasure")))
        expected.setdefault(measure, [])
        if value is not None:
            expected[measure].append(float(value))
    gappy = {m for m in expected if len(expected[m]) < sum(1 for o in built_graph.subjects(URIRef(SG + "ofMeasure"), URIRef(m)))}
    assert gappy, "no measure has a cell without a figure: the test would prove nothing"
    store = pyoxigraph.Store()
    store.load(cube_bytes, format=pyoxigraph.RdfFormat.TURTLE)
    got = {row["m"].value: float(row["avg"].value) for row in store.query(f"""
        SELECT ?m (AVG(?v) AS ?avg) WHERE {{ ?obs <{SG}ofMeasure> ?m ; <{SDMX_MEASURE}> ?v }} GROUP BY ?m""")}
    for measure in gappy:
        values = expected[measure]
        assert math.isclose(got[measure], sum(values) / len(values), rel_tol=1e-9), measure


def test_area_dimension(cube):
    area = URIRef(ASKER_AREA)
    indicator_observations = set(cube.subjects(RDF.type, URIRef(SG + "IndicatorObservation")))
    assert indicator_observations and all(cube.value(o, URIRef(REF_AREA)) == area for o in indicator_observations)
    assert str(cube.value(area, URIRef("http://www.w3.org/2004/02/skos/core#notation"))) == "3203"
    assert "3203" in str(cube.value(area, URIRef(SG + "registerEntry")))  # the national register's entry
    code_list = cube.value(URIRef(REF_AREA), URIRef(QB + "codeList"))
    assert (area, URIRef("http://www.w3.org/2004/02/skos/core#inScheme"), code_list) in cube
    for dsd in cube.subjects(RDF.type, URIRef(QB + "DataStructureDefinition")):
        dims = {cube.value(c, URIRef(QB + "dimension")) for c in cube.objects(dsd, URIRef(QB + "component"))}
        assert URIRef(REF_AREA) in dims


def test_area_is_shared_with_other_municipalities(cube):
    """Other municipalities' areas are minted the same way and sit in the same code list, so cubes
    combine on refArea (the comparison tables already put Bærum beside Asker)."""
    from sdggraph.compile.comparison import area_iri

    assert area_iri("3203") == URIRef(ASKER_AREA)
    baerum = area_iri("3201")
    code_list = cube.value(URIRef(REF_AREA), URIRef(QB + "codeList"))
    assert set(cube.objects(URIRef(REF_AREA), URIRef(QB + "codeList"))) == {code_list}
    assert (baerum, URIRef("http://www.w3.org/2004/02/skos/core#inScheme"), code_list) in cube
    assert any(cube.value(o, URIRef(REF_AREA)) == baerum for o in cube.subjects(RDF.type, URIRef(QB + "Observation")))
