"""Graph traversal (traverse.py): the networkx graph derived from the build, paths,
neighbourhoods, the impact tree of an FN goal, its JSON and SVG, the routes and the CLI."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET

import pytest

from sdggraph import layout
from sdggraph.cli import main
from sdggraph.errors import SdggraphError
from sdggraph.query import traverse

KOMMUNE = "https://w3id.org/sdggraph/kommune/3203/"
SG = "https://w3id.org/sdggraph/ontology#"
SDG = "http://metadata.un.org/sdg/"
SVG_NS = "{http://www.w3.org/2000/svg}"


def table(kind):
    rows = []
    for path in sorted(layout.data_dir().rglob(f"*.{kind}.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            rows.extend(csv.DictReader(handle))
    return rows


@pytest.fixture(scope="module")
def g(build_dir):
    return traverse.graph(build_dir)


def assert_real_edges(g, result):
    """Every edge of a result is a triple of the graph, and joins nodes of the result."""
    for source, target, predicate in result.edges:
        assert g.has_edge(source, target, predicate), (source, predicate, target)
        assert source in result.depth and target in result.depth


def test_the_graph_is_derived_once_per_build(build_dir, g):
    assert traverse.graph(build_dir) is g


def test_literals_and_types_become_attributes(g):
    oko = KOMMUNE + "indicator/OKO-01"
    assert g.nodes[oko]["label"] == "Disposisjonsfond som andel av brutto driftsinntekter (> 10 %)"  # the nb label
    assert g.nodes[oko]["notation"] == "OKO-01"
    assert g.nodes[oko]["types"] == [SG + "Indicator"]
    assert g.nodes[SDG + "13"]["label"].startswith("Handle umiddelbart")  # official Norwegian goal title
    predicates = {key for _, _, key in g.edges(keys=True)}
    assert "http://www.w3.org/1999/02/22-rdf-syntax-ns#type" not in predicates
    assert SG + "measures" in predicates and SG + "contributesToFnGoal" in predicates  # asserted and inferred
    assert not any(node.startswith("_:") or node.startswith('"') for node in g)
    assert g.edges[oko, KOMMUNE + "sub-goal/OKO-1", SG + "measures"]["inferred"] is False
    assert g.edges[KOMMUNE + "sub-goal/OKO-1", oko, SG + "measuredBy"]["inferred"] is True


def test_un_indicator_leaves_are_left_out_unless_matched(g):
    un_indicators = [n for n in g if SDG + "C" in n]
    matched = {row["target_iri"] for row in table("matches") if row["target_iri"].startswith(SDG)}
    assert set(un_indicators) == matched & set(un_indicators)
    assert matched <= set(g)  # every matched UN indicator is still there
    assert SDG + "C010101" not in g or SDG + "C010101" in matched


def test_path_from_an_indicator_to_its_fn_goal(g):
    for indicator, goal in (("KLI-01", "13"), ("HEL-01", "3"), ("SAM-01", "17")):
        result = traverse.path(g, f"indicator:{indicator}", f"sdg:{goal}")
        nodes = sorted(result.depth, key=result.depth.get)
        assert nodes[0] == KOMMUNE + f"indicator/{indicator}" and nodes[-1] == SDG + goal
        assert_real_edges(g, result)
        assert len(result.edges) == len(nodes) - 1


def test_path_across_the_steering_chain(g):
    result = traverse.path(g, KOMMUNE + "indicator/KLI-01", KOMMUNE + "org/samfunnstjenester")
    assert_real_edges(g, result)
    predicates = [p for _, _, p in result.edges]
    # indicator → delmål → temaplan → tjenesteområde, not through provenance or units
    assert predicates == [SG + "measures", SG + "servesSubGoal", SG + "responsibleServiceArea"]


def test_path_errors(g):
    with pytest.raises(traverse.NodeNotFound):
        traverse.path(g, "indicator:NOPE-99", "sdg:13")
    with pytest.raises(traverse.NodeNotFound):
        traverse.path(g, "https://example.org/nothing", "sdg:13")


def test_neighbourhood(g):
    oko = KOMMUNE + "indicator/OKO-01"
    result = traverse.neighbourhood(g, "indicator:OKO-01", 1)
    assert result.depth[oko] == 0
    assert {KOMMUNE + "sub-goal/OKO-1", KOMMUNE + "observation/OKO-01-2024", KOMMUNE + "indicator/OKO-01-threshold",
            KOMMUNE + "focus-area/OKO"} <= set(result.depth)
    assert set(result.depth.values()) == {0, 1}
    assert_real_edges(g, result)
    deeper = traverse.neighbourhood(g, "indicator:OKO-01", 2)
    assert set(result.depth) < set(deeper.depth) and max(deeper.depth.values()) == 2
    assert len(deeper.depth) <= traverse.MAX_NODES
    # a unit is shown, but the walk does not go on through it to every indicator in percent
    unit = KOMMUNE + "unit/percent"
    assert unit in deeper.depth and KOMMUNE + "indicator/HEL-01" not in deeper.depth
    with pytest.raises(SdggraphError):
        traverse.neighbourhood(g, "indicator:OKO-01", 0)
    with pytest.raises(SdggraphError):
        traverse.neighbourhood(g, "indicator:OKO-01", 4)


def test_impact_of_goal_13(g):
    result = traverse.impact(g, 13)
    assert_real_edges(g, result)
    kli_indicators = {KOMMUNE + "indicator/" + row["indicator_id"] for row in table("indicators")
                      if row["subgoal_id"].startswith("KLI-")}
    assert len(kli_indicators) == 13 and kli_indicators <= set(result.depth)
    assert {result.depth[i] for i in kli_indicators} == {4}
    assert result.depth[SDG + "13"] == 0 and result.depth[SDG + "13.1"] == 1
    assert result.depth[KOMMUNE + "main-goal/KLI"] == 2 and result.depth[KOMMUNE + "sub-goal/KLI-2"] == 3
    service_areas = [n for n in result.depth if SG + "ServiceArea" in g.nodes[n]["all_types"]]
    assert service_areas and all(result.depth[n] == 6 for n in service_areas)
    # From the temaplan table of the report (data/thematic-plans):
    assert KOMMUNE + "thematic-plan/handling-mot-klimaendringene" in result.depth
    assert KOMMUNE + "org/samfunnstjenester" in service_areas
    # only indicators that contribute to goal 13 (the ontology's inference agrees with the walk)
    contributing = {s for s, _, p in g.in_edges(SDG + "13", keys=True) if p == SG + "contributesToFnGoal"}
    assert {n for n, d in result.depth.items() if d == 4} == contributing


def test_impact_errors(g):
    for goal in (0, 18, "x"):
        with pytest.raises(traverse.NodeNotFound):
            traverse.impact(g, goal)


def test_json_shape(g):
    data = traverse.impact(g, 13).to_json(g)
    assert set(data) >= {"title", "nodes", "edges", "columns"}
    node = next(n for n in data["nodes"] if n["id"] == KOMMUNE + "indicator/KLI-01")
    assert node["label"].startswith("Mengde direkte klimagassutslipp") and node["types"] == [SG + "Indicator"]
    assert node["typeLabels"] == ["Indikator"] and node["depth"] == 4
    edge = next(e for e in data["edges"] if e["source"] == KOMMUNE + "indicator/KLI-01")
    assert edge == {"source": KOMMUNE + "indicator/KLI-01", "target": KOMMUNE + "sub-goal/KLI-2",
                    "predicate": SG + "measures", "predicateLabel": "måler", "inferred": False}
    json.dumps(data)


def test_svg_is_xml_with_a_link_per_node(g):
    result = traverse.impact(g, 13)
    svg = traverse.to_svg(result, g, href=lambda iri: "/local?" + iri.rsplit("/", 1)[1])
    root = ET.fromstring(svg)
    assert root.tag == SVG_NS + "svg"
    links = root.findall(f".//{SVG_NS}a")
    assert len(links) == len(result.depth)
    assert all(link.get("href").startswith("/local?") for link in links)
    texts = "".join(root.itertext())
    assert "Tjenesteområder" in texts and "KLI-01" in texts


# ---- routes and CLI ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def client(build_dir):
    from fastapi.testclient import TestClient

    from sdggraph.server.app import create_app
    from sdggraph.server.settings import Settings

    with TestClient(create_app(Settings(build_dir=build_dir, workers=1))) as client:
        yield client


def test_the_app_derives_the_graph_as_it_starts(build_dir):
    from fastapi.testclient import TestClient

    from sdggraph.server.app import create_app
    from sdggraph.server.settings import Settings

    traverse._graph.cache_clear()
    app = create_app(Settings(build_dir=build_dir, workers=1))
    assert traverse._graph.cache_info().currsize == 0
    with TestClient(app) as client:
        assert traverse._graph.cache_info().currsize == 1  # before any request
        client.get("/traverse/impact?goal=13")
        client.get("/traverse/impact?goal=3")
        assert traverse._graph.cache_info().misses == 1


def test_routes_answer_json_svg_and_html(client):
    data = client.get("/traverse/impact", params={"goal": 13}).json()
    assert KOMMUNE + "indicator/KLI-01" in {n["id"] for n in data["nodes"]}
    svg = client.get("/traverse/impact?goal=13", headers={"Accept": "image/svg+xml"})
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert ET.fromstring(svg.text).tag == SVG_NS + "svg"
    assert 'href="/kommune/3203/indicator/KLI-01"' in svg.text  # nodes link to their local pages
    assert client.get("/traverse/impact?goal=13&format=svg").text == svg.text
    html = client.get("/traverse/impact?goal=13", headers={"Accept": "text/html"})
    assert html.headers["content-type"].startswith("text/html") and "<svg" in html.text
    path = client.get("/traverse/path", params={"from": KOMMUNE + "indicator/KLI-01", "to": SDG + "13"}).json()
    assert [e["predicate"] for e in path["edges"]] == [SG + "contributesToFnGoal"]
    near = client.get("/traverse/neighbourhood", params={"node": "indicator:OKO-01", "depth": 1}).json()
    assert KOMMUNE + "sub-goal/OKO-1" in {n["id"] for n in near["nodes"]}


@pytest.mark.parametrize("url, status", [
    ("/traverse/impact?goal=99", 404), ("/traverse/impact?goal=x", 400), ("/traverse/impact", 400),
    ("/traverse/path?from=indicator:KLI-01", 400), ("/traverse/path?from=indicator:NOPE&to=sdg:13", 404),
    ("/traverse/neighbourhood?node=indicator:OKO-01&depth=7", 400),
    ("/traverse/impact?goal=13&format=png", 406),
])
def test_route_errors(client, url, status):
    assert client.get(url).status_code == status


def test_cli(build_dir, tmp_path, capsys):
    assert main(["traverse", "impact", "13", "--build-dir", str(build_dir)]) == 0
    out = capsys.readouterr().out
    assert "[Tjenesteområder]" in out and "Samfunnstjenester" in out
    assert main(["traverse", "path", "indicator:KLI-01", "sdg:13", "--format", "json",
                 "--build-dir", str(build_dir)]) == 0
    assert json.loads(capsys.readouterr().out)["edges"][0]["predicate"] == SG + "contributesToFnGoal"
    target = tmp_path / "near.svg"
    assert main(["traverse", "neighbourhood", "indicator:OKO-01", "--depth", "2", "--format", "svg",
                 "--out", str(target), "--build-dir", str(build_dir)]) == 0
    assert ET.parse(target).getroot().tag == SVG_NS + "svg"
    assert main(["traverse", "impact", "42", "--build-dir", str(build_dir)]) == 2
    assert main(["traverse", "path", "indicator:KLI-01", "nowhere:x", "--build-dir", str(build_dir)]) == 2
