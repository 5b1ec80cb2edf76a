"""Above settings.derived_limit (national scale) the service makes no exports, reports or walks in
its own process (rdflib and networkx: minutes and gigabytes there): each is answered 503 naming the
command that makes it, while SPARQL, the named questions and the pages answer as before, the pages
labelled from the store as the traversal graph labels them."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from sdggraph.server.app import create_app
from sdggraph.server.settings import Settings

BROWSER = {"accept": "text/html"}
PAGES = ["/kommune/3203/indicator/HEL-01", "/kommune/3203/sub-goal/KLI-1", "/kommune/3203/indicator/OKO-01",
         "/kommune/3203/observation/OKO-01-2024"]


@pytest.fixture(scope="module")
def limited(build_dir):
    with TestClient(create_app(Settings(build_dir=build_dir, workers=1, derived_limit=1000))) as client:
        yield client


@pytest.mark.parametrize("url, command", [
    ("/export/turtle", "sdggraph export turtle"),
    ("/export/ks-taxonomy", "sdggraph export ks-taxonomy"),
    ("/report/coverage", "sdggraph report coverage --format html"),
    ("/report/distribution?format=csv", "sdggraph report distribution"),
    ("/traverse/impact?goal=3", "sdggraph traverse impact"),
])
def test_above_the_limit_derived_views_say_which_command_makes_them(limited, url, command):
    answer = limited.get(url)
    assert answer.status_code == 503, answer.text
    assert f"`{command}`" in answer.text and "SDGGRAPH_DERIVED_LIMIT" in answer.text
    assert "1,000 " in answer.text  # the limit, and the graph's size beside it


def test_above_the_limit_sparql_and_the_named_questions_answer(limited):
    assert limited.get("/sparql", params={"query": "ASK {}"}).status_code == 200
    assert limited.get("/queries/indikatorer-uten-tall").status_code == 200


def test_pages_are_labelled_from_the_store_as_from_the_traversal_graph(limited, build_dir):
    with TestClient(create_app(Settings(build_dir=build_dir, workers=1, derived_limit=0))) as unlimited:
        for url in PAGES:
            from_graph = unlimited.get(url, headers=BROWSER)
            assert from_graph.status_code == 200
            assert limited.get(url, headers=BROWSER).text == from_graph.text, url
