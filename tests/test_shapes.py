"""Each SHACL shape in shapes/*.ttl against a conforming and a non-conforming fixture.

The fixtures (tests/fixtures/shapes/<Shape>.conforming.ttl / .nonconforming.ttl) are small Turtle
data files in the manner of pySHACL's DASH tests. They are validated with every shape, after
OWL-RL inference, with the ontology passed as ont_graph (sdggraph.check.validate.validate_graph); the
test looks at the results of the shape under test and asserts the exact sh:sourceShape,
sh:focusNode, sh:resultPath and sh:resultSeverity in the raw pySHACL report graph.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, SH, SKOS

from sdggraph.check.validate import HINT, SHAPE, validate_graph

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "shapes"
SHAPES_DIR = Path(__file__).resolve().parents[1] / "shapes"

SG = Namespace("https://w3id.org/sdggraph/ontology#")
K = "https://w3id.org/sdggraph/kommune/3203/"
SDG = Namespace("http://metadata.un.org/sdg/")
REF_AREA = Namespace("https://w3id.org/sdggraph/ref-area/")
PROV_DERIVED = URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")
V, W, I = SH.Violation, SH.Warning, SH.Info


def k(kind: str, ident: str) -> URIRef:
    return URIRef(f"{K}{kind}/{ident}")


def inverse(prop):
    return ("^", prop)


# shape -> the results its non-conforming fixture must give: (focus node, result path, severity).
EXPECTED = {
    # Integrity (sh:Violation)
    "SubGoalBelongsToOneMainGoal": [(k("sub-goal", "TST-1"), SG.belongsToMainGoal, V),
                                    (k("sub-goal", "TST-2"), SG.belongsToMainGoal, V)],
    "MainGoalBelongsToOneFocusArea": [(k("main-goal", "TSTT"), SG.belongsToFocusArea, V)],
    "IndicatorMeasuresOneSubGoal": [(k("indicator", "TST-01"), SG.measures, V)],
    "IndicatorHasNbLabel": [(k("indicator", "TST-01"), SKOS.prefLabel, V)],
    "NoResourceHasTwoNbLabels": [(k("sub-goal", "TST-1"), SKOS.prefLabel, V)],
    "IndicatorHasUnit": [(k("indicator", "TST-01"), SG.unit, V)],
    "IndicatorOneObservationPerYear": [(k("indicator", "TST-02"), SG.hasObservation, V)],
    "IndicatorObservedInEveryReportingYear": [(k("indicator", "TST-01"), SG.hasObservation, V),
                                              (k("indicator", "TST-02"), SG.hasObservation, V),
                                              (k("indicator", "TST-03"), SG.hasObservation, V)],
    "ObservationOfOneIndicator": [(k("observation", "TST-01-2021"), SG.ofIndicator, V)],
    "ObservationHasOneYear": [(k("observation", "TST-01-2021"), SG.year, V),
                              (k("observation", "TST-01-2022"), SG.year, V)],
    "ObservationHasOneStatus": [(k("observation", "TST-01-2021"), SG.observationStatus, V)],
    "ObservationValueDatatype": [(k("observation", "TST-01-2021"), SG.value, V)],
    "ObservationValueInUnitRange": [(k("observation", "TST-01-2021"), SG.value, V)],
    "MeasuredObservationHasValue": [(k("observation", "TST-01-2021"), SG.value, V)],
    "UnmeasuredObservationHasNoValue": [(k("observation", "TST-01-2021"), SG.value, V)],
    "ThematicPlanHasServiceArea": [(k("thematic-plan", "test"), SG.responsibleServiceArea, V)],
    "ThematicPlanHasCommittee": [(k("thematic-plan", "test"), SG.responsibleCommittee, V)],
    "ThematicPlanHasAdoptionDate": [(k("thematic-plan", "test"), SG.adoptionDate, V),
                                    (k("thematic-plan", "test2"), SG.adoptionDate, V),
                                    (k("thematic-plan", "test3"), SG.adoptionDate, V)],
    "ThematicPlanMandateDecisionDate": [(k("thematic-plan", "test"), SG.mandateDecisionDate, V),
                                        (k("thematic-plan", "test2"), SG.mandateDecisionDate, V)],
    "ThematicPlanMandateDatePrecision": [(k("thematic-plan", "test"), SG.mandateDecisionDatePrecision, V),
                                         (k("thematic-plan", "test2"), SG.mandateDecisionDatePrecision, V)],
    "FnGoalExists": [(k("fn-link", "TST--18"), SG.fnGoal, V)],
    "FnTargetExists": [(k("fn-link", "TST-1--3.99"), SG.fnTarget, V)],
    "CuratedResourceHasProvenance": [(k("focus-area", "TST"), PROV_DERIVED, V),
                                     (k("org", "hovedutvalg-for-test"), PROV_DERIVED, V)],
    "ProvenancePointsAtSource": [(k("sub-goal", "TST-1"), PROV_DERIVED, V)],
    # Coverage (sh:Warning / sh:Info)
    "SubGoalWithoutIndicator": [(k("sub-goal", "TST-1"), SG.measuredBy, W)],
    "SubGoalWithoutIndicatorExplained": [(k("sub-goal", "TST-2"), SG.measuredBy, I)],
    "IndicatorWithoutLatestFigure": [(k("indicator", "TST-02"), SG.hasObservation, I),
                                     (k("indicator", "TST-03"), SG.hasObservation, I),
                                     (k("indicator", "TST-04"), SG.hasObservation, I)],
    "MainGoalWithoutFnGoal": [(k("main-goal", "TST"), SG.refersToFnGoal, W)],
    "MainGoalAskerOwn": [(k("main-goal", "TST"), SG.refersToFnGoal, I)],
    "PrioritisedFnGoalWithoutIndicator": [(SDG["17"], inverse(SG.contributesToFnGoal), W)],
    "FnGoalTouchedWithoutIndicator": [(SDG["12"], inverse(SG.contributesToFnGoal), W)],
    "FnTargetTouchedWithoutIndicator": [(SDG["12.8"], inverse(SG.contributesToFnTarget), I)],
    "ChallengeWithoutIndicatorsInFocusArea": [(k("challenge", "klima-og-natur"), None, I)],
    "ThematicPlanWithoutSubGoal": [(k("thematic-plan", "test"), SG.servesSubGoal, W)],
    "ServiceAreaWithoutThematicPlan": [(k("org", "medborgerskap"), SG.responsibleForPlan, W)],
    # Comparison tables (data/comparison/): integrity, then coverage
    "ObservationHasOneArea": [(k("comparison-observation", "TST-01-9999-2024"), SG.refArea, V)],
    "ComparisonObservationOfOneMeasure": [(k("comparison-observation", "TST-01-9999-2024"), SG.ofMeasure, V)],
    "ComparisonObservationHasOneStatus": [(k("comparison-observation", "TST-01-9999-2024"), SG.observationStatus, V)],
    "ComparisonMeasureOneObservationPerAreaAndYear": [(k("comparison-measure", "TST-01"), SG.hasComparisonObservation, V)],
    "UncertainCellHasNote": [(k("comparison-observation", "TST-01-9999-2024"), SKOS.note, V)],
    "ReferenceAreaHasCode": [(REF_AREA["municipality-9998"], SKOS.notation, V)],
    "ReferenceAreaHasNbAndEnLabel": [(REF_AREA["municipality-9999"], SKOS.prefLabel, V)],
    "CuratedAreaCodeHasNote": [(REF_AREA["municipality-9999"], SKOS.note, V)],
    "KostraKeyFigureReportedByServiceArea": [(k("comparison-measure", "TST-01"), SG.reportedBy, V)],
    "PlanTargetHasMeasure": [(k("plan-target", "TST-1"), SG.targetMeasure, V)],
    "KostraFigureWithoutGroupValue": [(k("comparison-measure", "TST-01"), SG.hasComparisonObservation, I)],
}

# Values the SPARQL shapes report (sh:value), where the value says what is wrong.
EXPECTED_VALUES = {
    "IndicatorOneObservationPerYear": {Literal("2021", datatype=URIRef("http://www.w3.org/2001/XMLSchema#gYear"))},
    "IndicatorObservedInEveryReportingYear": {Literal("2022", datatype=URIRef("http://www.w3.org/2001/XMLSchema#gYear")),
                                              Literal("2023", datatype=URIRef("http://www.w3.org/2001/XMLSchema#gYear"))},
    "IndicatorWithoutLatestFigure": {SG.NotMeasured, SG.NotYetPublished, k("indicator", "TST-04")},
    "SubGoalWithoutIndicatorExplained": {SG.IndicatorUnderDevelopment},
    "ChallengeWithoutIndicatorsInFocusArea": {k("focus-area", "TST")},
    "FnGoalExists": {SDG["18"]},
    "MainGoalAskerOwn": {k("fn-link", "TST--AK")},
    "ProvenancePointsAtSource": {k("source", "ar2024-tset")},
    "ReferenceAreaHasNbAndEnLabel": {REF_AREA["municipality-9999"]},
    "KostraFigureWithoutGroupValue": {REF_AREA["kostra-group-EKG99"]},
    "ComparisonMeasureOneObservationPerAreaAndYear": {REF_AREA["municipality-9999"]},
}

# Shapes with no target of their own, used through sh:node by FnGoalExists / FnTargetExists.
HELPER_SHAPES = {"UnGoal", "UnTarget"}


@pytest.fixture(scope="module")
def shapes_and_ontology():
    from sdggraph.check.validate import shapes_graph
    from sdggraph.compile.sources import ontology_graph

    return shapes_graph(), ontology_graph()


def fixture_path(shape: str, kind: str) -> Path:
    return FIXTURES / f"{shape}.{kind}.ttl"


def raw_results(report: Graph, shape: URIRef) -> list[tuple]:
    """(focus, path, severity, value) of the shape's top-level results, read from the report graph."""
    out = []
    for result in report.objects(None, SH.result):
        if report.value(result, SH.sourceShape) != shape:
            continue
        path = report.value(result, SH.resultPath)
        if isinstance(path, BNode):
            path = inverse(report.value(path, SH.inversePath))
        out.append((report.value(result, SH.focusNode), path, report.value(result, SH.resultSeverity),
                    report.value(result, SH.value)))
    return out


def run(shape: str, kind: str, shapes_and_ontology):
    shapes, ontology = shapes_and_ontology
    data = Graph().parse(fixture_path(shape, kind), format="turtle")
    return validate_graph(data, ontology=ontology, shapes=shapes)


@pytest.mark.parametrize("shape", sorted(EXPECTED))
def test_conforming_fixture(shape, shapes_and_ontology):
    result = run(shape, "conforming", shapes_and_ontology)
    assert raw_results(result.report_graph, URIRef(SHAPE + shape)) == []


@pytest.mark.parametrize("shape", sorted(EXPECTED))
def test_nonconforming_fixture(shape, shapes_and_ontology):
    result = run(shape, "nonconforming", shapes_and_ontology)
    found = raw_results(result.report_graph, URIRef(SHAPE + shape))
    assert Counter(r[:3] for r in found) == Counter(EXPECTED[shape])
    if shape in EXPECTED_VALUES:
        assert {r[3] for r in found} == EXPECTED_VALUES[shape]
    for r in result.by_shape(SHAPE + shape):
        # A message an analyst understands, in Norwegian and English, and a hint.
        assert r.message and r.message_en and r.message != r.message_en
        assert "{?" not in r.message and "{$" not in r.message
        assert r.hint and r.hint_en


def test_messages_fill_in_the_facts(shapes_and_ontology):
    result = run("ObservationValueInUnitRange", "nonconforming", shapes_and_ontology)
    [finding] = result.by_shape(SHAPE + "ObservationValueInUnitRange")
    assert finding.message == "Verdien 140.0 ligger utenfor det rimelige området for enheten «prosent» (0–100)."
    assert finding.message_en == 'The value 140.0 lies outside the plausible range of the unit "prosent" (0–100).'
    result = run("IndicatorWithoutLatestFigure", "nonconforming", shapes_and_ontology)
    messages = {r.focus_node.rsplit("/", 1)[-1]: r.message for r in result.by_shape(SHAPE + "IndicatorWithoutLatestFigure")}
    assert messages == {"TST-02": "Indikatoren har ikke tall for 2024: Ikke målt.",
                        "TST-03": "Indikatoren har ikke tall for 2024: Tall kommer.",
                        "TST-04": "Indikatoren har ikke tall for 2024: ingen observasjon."}


def test_every_shape_has_fixtures_and_expectations(shapes_and_ontology):
    shapes, _ = shapes_and_ontology
    declared = {str(s)[len(SHAPE):] for kind in (SH.NodeShape, SH.PropertyShape)
                for s in shapes.subjects(RDF.type, kind) if str(s).startswith(SHAPE)}
    assert declared - HELPER_SHAPES == set(EXPECTED)
    for shape in EXPECTED:
        assert fixture_path(shape, "conforming").is_file() and fixture_path(shape, "nonconforming").is_file()


def test_shapes_are_described(shapes_and_ontology):
    """Stable IRIs with nb/en names; severity by file: integrity = Violation, coverage = Warning/Info."""
    from sdggraph.check.validate import pick_language

    shapes, _ = shapes_and_ontology
    files = {name: Graph().parse(SHAPES_DIR / f"{name}.ttl") for name in ("integrity", "coverage")}
    for name, graph in files.items():
        for shape in {s for s in graph.subjects(RDF.type, None) if str(s).startswith(SHAPE)
                      and ((s, RDF.type, SH.NodeShape) in graph or (s, RDF.type, SH.PropertyShape) in graph)}:
            for prop in (SH.name, URIRef("http://www.w3.org/2000/01/rdf-schema#label")):
                assert {lit.language for lit in graph.objects(shape, prop)} == {"nb", "en"}, (shape, prop)
            if shape.split("#")[1] in HELPER_SHAPES:
                continue
            severity = graph.value(shape, SH.severity)
            assert severity == SH.Violation if name == "integrity" else severity in (SH.Warning, SH.Info), shape
            assert pick_language(graph.objects(shape, HINT), "nb"), shape
            messages = list(graph.objects(shape, SH.message)) + [
                m for c in graph.objects(shape, SH.sparql) for m in graph.objects(c, SH.message)]
            assert {m.language for m in messages} == {"nb", "en"}, shape
