"""Tests of the UN SDG reference layer, data/reference/un-sdg.ttl.

They read only that file; the determinism test also runs scripts/build_un_layer.py
against ../shared when it is present.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, SKOS

REPO_ROOT = Path(__file__).parents[1]
TTL = REPO_ROOT / "data" / "reference" / "un-sdg.ttl"
SCRIPT = REPO_ROOT / "scripts" / "build_un_layer.py"
SHARED = REPO_ROOT.parent / "shared"

SDG = Namespace("http://metadata.un.org/sdg/")
SDGO = Namespace("http://metadata.un.org/sdg/ontology#")
SG = Namespace("https://w3id.org/sdggraph/ontology#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
PROV = Namespace("http://www.w3.org/ns/prov#")
DATASET = URIRef("https://w3id.org/sdggraph/graph/reference")

# The UN SKOS file (2020 framework) has 232 indicator entries (sdg:C…), 9 of them
# repeated indicators listed under 2-3 targets, giving 244 target-indicator links.
N_INDICATOR_ENTRIES = 232
N_INDICATOR_LINKS = 244

# Goals: sdg:3; targets: sdg:3.4, sdg:3.a; indicator entries: sdg:C030401,
# sdg:C010a01 (C + 2-digit goal + 2-char target + 2-digit number; goal "20" = repeated).
IRI_RE = re.compile(r"^http://metadata\.un\.org/sdg/(\d{1,2}|\d{1,2}\.[0-9a-z]{1,2}|C\d{3}[0-9a-z]\d{2})$")

BOOKLET_3_4 = ("Innen 2030 redusere prematur dødelighet forårsaket av ikke-smittsomme sykdommer med en tredel "
               "gjennom forebygging og behandling, og fremme mental helse og livskvalitet")
BOOKLET_3_8 = ("Oppnå allmenn dekning av helsetjenester, herunder beskyttelse mot økonomisk risiko, og allmenn "
               "tilgang til grunnleggende og gode helsetjenester samt trygge, virksomme og nødvendige medisiner "
               "og vaksiner av god kvalitet og til en overkommelig pris")


@pytest.fixture(scope="module")
def g() -> Graph:
    graph = Graph()
    graph.parse(TTL, format="turtle")
    return graph


def of_type(g: Graph, cls: URIRef) -> set[URIRef]:
    return set(g.subjects(RDF.type, cls))


def labels(g: Graph, s: URIRef, prop: URIRef, lang: str) -> list[str]:
    return [str(o) for o in g.objects(s, prop) if isinstance(o, Literal) and o.language == lang]


def compact(g: Graph, s: URIRef) -> list[str]:
    return [str(o) for o in g.objects(s, SKOS.notation) if o.datatype == SDGO.SDGCodeCompact]


def test_counts(g):
    assert len(of_type(g, SDGO.Goal)) == 17
    assert len(of_type(g, SDGO.Target)) == 169
    assert len(of_type(g, SDGO.Indicator)) == N_INDICATOR_ENTRIES
    assert len(set(g.subject_objects(SDGO.isIndicatorOf))) == N_INDICATOR_LINKS


def test_every_concept_is_skos_concept_in_the_un_scheme(g):
    scheme = URIRef("http://metadata.un.org/sdg")
    assert (scheme, RDF.type, SKOS.ConceptScheme) in g
    concepts = of_type(g, SDGO.Goal) | of_type(g, SDGO.Target) | of_type(g, SDGO.Indicator)
    assert concepts == of_type(g, SKOS.Concept)
    for c in concepts:
        assert list(g.objects(c, SKOS.inScheme)) == [scheme], c
    assert set(g.objects(scheme, SKOS.hasTopConcept)) == of_type(g, SDGO.Goal)


def test_iris(g):
    concepts = of_type(g, SKOS.Concept)
    bad = sorted(str(c) for c in concepts if not IRI_RE.match(str(c)))
    assert not bad
    assert SDG["3"] in of_type(g, SDGO.Goal)
    assert SDG["3.a"] in of_type(g, SDGO.Target)
    assert SDG["C030401"] in of_type(g, SDGO.Indicator)
    assert SDG["C010a01"] in of_type(g, SDGO.Indicator)


def test_no_blank_nodes(g):
    assert not [t for t in g if any(isinstance(x, BNode) for x in t)]


def test_notations_keep_the_un_datatypes(g):
    assert compact(g, SDG["3"]) == ["3"]
    assert Literal("03", datatype=SDGO.SDGCode) in set(g.objects(SDG["3"], SKOS.notation))
    assert Literal("C030401", datatype=SDGO.SDGCodePerm) in set(g.objects(SDG["C030401"], SKOS.notation))
    for s in of_type(g, SKOS.Concept):
        nots = list(g.objects(s, SKOS.notation))
        assert nots and all(o.datatype in (SDGO.SDGCode, SDGO.SDGCodeCompact, SDGO.SDGCodePerm) for o in nots), s


def test_every_target_has_one_goal_with_its_prefix(g):
    for t in of_type(g, SDGO.Target):
        goals = list(g.objects(t, SDGO.isTargetOf))
        assert len(goals) == 1, t
        (goal,) = goals
        assert goal in of_type(g, SDGO.Goal)
        (t_code,) = compact(g, t)
        (g_code,) = compact(g, goal)
        assert t_code.split(".")[0] == g_code, (t, goal)
        assert t_code == str(t).rsplit("/", 1)[1]
    assert list(g.objects(SDG["3.a"], SDGO.isTargetOf)) == [SDG["3"]]


def test_hierarchy_both_ways(g):
    has_t = set(g.subject_objects(SDGO.hasTarget))
    is_t = {(o, s) for s, o in g.subject_objects(SDGO.isTargetOf)}
    assert has_t == is_t and len(has_t) == 169
    has_i = set(g.subject_objects(SDGO.hasIndicator))
    is_i = {(o, s) for s, o in g.subject_objects(SDGO.isIndicatorOf)}
    assert has_i == is_i and len(has_i) == N_INDICATOR_LINKS
    narrower = set(g.subject_objects(SKOS.narrower))
    broader = {(o, s) for s, o in g.subject_objects(SKOS.broader)}
    assert narrower == broader == has_t | has_i
    for i in of_type(g, SDGO.Indicator):
        targets = set(g.objects(i, SDGO.isIndicatorOf))
        assert targets and targets <= of_type(g, SDGO.Target), i
    assert set(g.objects(SDG["C200303"], SDGO.isIndicatorOf)) == {SDG["1.5"], SDG["11.5"], SDG["13.1"]}


def test_goal_labels(g):
    for goal in of_type(g, SDGO.Goal):
        assert len(labels(g, goal, SKOS.prefLabel, "nb")) == 1, goal
        assert len(labels(g, goal, SKOS.prefLabel, "en")) == 1, goal
        assert len(labels(g, goal, SKOS.altLabel, "en")) == 1, goal
        assert len(labels(g, goal, SKOS.altLabel, "nb")) == 1, goal
    assert labels(g, SDG["13"], SKOS.prefLabel, "nb") == [
        "Handle umiddelbart for å bekjempe klimaendringene og konsekvensene av dem"]
    assert labels(g, SDG["13"], SKOS.altLabel, "nb") == ["Stoppe klimaendringene"]
    assert labels(g, SDG["3"], SKOS.prefLabel, "nb") == ["Sikre god helse og fremme livskvalitet for alle, uansett alder"]
    assert labels(g, SDG["3"], SKOS.altLabel, "en") == ["Good health and well-being"]


def test_every_concept_has_one_english_preflabel(g):
    for s in of_type(g, SKOS.Concept):
        assert len(labels(g, s, SKOS.prefLabel, "en")) == 1, s
    assert labels(g, SDG["12.3"], SKOS.prefLabel, "en")[0].startswith("By 2030, halve per capita")
    assert labels(g, SDG["14.6"], SKOS.prefLabel, "en")[0].endswith("fisheries subsidies negotiation")


def test_only_english_and_norwegian_labels(g):
    langs = {o.language for o in g.objects() if isinstance(o, Literal) and o.language}
    assert langs <= {"en", "nb"}


def test_norwegian_target_labels(g):
    for t in of_type(g, SDGO.Target):
        nb = labels(g, t, SKOS.prefLabel, "nb")
        if t in (SDG["3.4"], SDG["3.8"]):
            assert len(nb) == 1, t
            assert not labels(g, t, SG.unofficialTranslation, "nb")
        else:
            assert nb == [], t
    assert labels(g, SDG["3.4"], SKOS.prefLabel, "nb") == [BOOKLET_3_4]
    assert labels(g, SDG["3.8"], SKOS.prefLabel, "nb") == [BOOKLET_3_8]


def test_unofficial_translations(g):
    unofficial = {s for s, o in g.subject_objects(SG.unofficialTranslation)}
    assert unofficial <= of_type(g, SDGO.Target)
    # 3.4/3.8 have the official wording; 1.a and 10.3 only repeat 1.5 and 10.2 in the source.
    assert len(unofficial) == 169 - 4
    for missing in ("3.4", "3.8", "1.a", "10.3"):
        assert SDG[missing] not in unofficial
    assert labels(g, SDG["10.2"], SG.unofficialTranslation, "nb")
    texts = [str(o) for o in g.objects(None, SG.unofficialTranslation)]
    assert len(texts) == len(set(texts)), "a Norwegian target text is repeated"


def test_dataset_node(g):
    assert (DATASET, RDF.type, PROV.Entity) in g
    sources = set(g.objects(DATASET, DCTERMS.source))
    assert URIRef("http://metadata.un.org/sdg") in sources
    assert URIRef("https://github.com/open-sdg/sdg-translations") in sources
    assert sources == set(g.objects(DATASET, PROV.wasDerivedFrom))
    assert any("MIT" in str(o) for o in g.objects(DATASET, DCTERMS.rights))


def test_header_says_generated():
    head = TTL.read_text(encoding="utf-8")[:2000]
    assert head.startswith("# GENERATED FILE")
    assert "scripts/build_un_layer.py" in head
    assert "MIT" in head


def test_script_is_deterministic(tmp_path, shared_dir):
    outs = []
    for n in (1, 2):
        out = tmp_path / f"un-sdg-{n}.ttl"
        subprocess.run([sys.executable, str(SCRIPT), "--shared", str(shared_dir), "--out", str(out)],
                       check=True, capture_output=True, text=True)
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    assert outs[0] == TTL.read_bytes(), "data/reference/un-sdg.ttl is stale: rerun scripts/build_un_layer.py"
