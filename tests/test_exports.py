"""The graph dumps, the DCAT catalogue, the published JSON-LD context, and the export shells
(CLI and HTTP): every export re-parses with independent tools, matches the graph, and is
byte-identical from one run (and one hash seed) to the next."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile

import pyoxigraph
import pytest
from rdflib import BNode, Dataset, Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF

from sdggraph import cli
from sdggraph.export import FORMATS, run_export
from sdggraph.layout import LAYERS, graph_iri

SG = "https://w3id.org/sdggraph/ontology#"
DCAT = "http://www.w3.org/ns/dcat#"
DUMPS = {"turtle": ("turtle", pyoxigraph.RdfFormat.TURTLE),
         "ntriples": ("nt", pyoxigraph.RdfFormat.N_TRIPLES),
         "rdfxml": ("xml", pyoxigraph.RdfFormat.RDF_XML),
         "jsonld": ("json-ld", pyoxigraph.RdfFormat.JSON_LD)}
DATASET_DUMPS = {"trig": ("trig", pyoxigraph.RdfFormat.TRIG), "nquads": ("nquads", pyoxigraph.RdfFormat.N_QUADS)}


def same_graph(a: Graph, b: Graph) -> bool:
    """a and b are the same RDF graph: identical ground triples, isomorphic blank-node parts
    (the ontology's RDF lists); much faster than isomorphic() on the whole graph."""
    def split(graph):
        ground, blank = set(), Graph()
        for triple in graph:
            if any(isinstance(term, BNode) for term in triple):
                blank.add(triple)
            else:
                ground.add(triple)
        return ground, blank
    ground_a, blank_a = split(a)
    ground_b, blank_b = split(b)
    return ground_a == ground_b and isomorphic(blank_a, blank_b)


def counts(graph: Graph) -> tuple[int, int]:
    return (len(set(graph.subjects(RDF.type, URIRef(SG + "Indicator")))),
            len(set(graph.subjects(RDF.type, URIRef(SG + "IndicatorObservation")))))


@pytest.fixture(scope="module")
def layers(build_dir):
    from sdggraph.store.local import rdflib_dataset
    dataset = rdflib_dataset(build_dir)
    return {layer: dataset.graph(URIRef(graph_iri(layer))) for layer in LAYERS}


@pytest.mark.parametrize("name", DUMPS)
def test_dump_reparses_and_equals_the_graph(build_dir, built_graph, name):
    rdflib_format, oxigraph_format = DUMPS[name]
    data = run_export(name, build_dir).data
    parsed = Graph().parse(data=data, format=rdflib_format)
    assert same_graph(parsed, built_graph), f"{name} does not round-trip with rdflib"
    assert counts(parsed) == counts(built_graph) == (100, 400)
    quads = list(pyoxigraph.parse(data, format=oxigraph_format))
    assert len(quads) == len(built_graph)
    nt = pyoxigraph.serialize(quads, format=pyoxigraph.RdfFormat.N_TRIPLES)
    assert same_graph(Graph().parse(data=nt, format="nt"), built_graph), f"{name} differs read by pyoxigraph"


@pytest.mark.parametrize("name", DATASET_DUMPS)
def test_named_graph_dumps(build_dir, layers, name):
    rdflib_format, oxigraph_format = DATASET_DUMPS[name]
    data = run_export(name, build_dir).data
    dataset = Dataset()
    dataset.parse(data=data, format=rdflib_format)
    for layer in LAYERS:
        assert same_graph(dataset.graph(URIRef(graph_iri(layer))), layers[layer]), f"{layer} differs in {name}"
    quads = list(pyoxigraph.parse(data, format=oxigraph_format))
    by_graph = {}
    for quad in quads:
        by_graph[quad.graph_name.value] = by_graph.get(quad.graph_name.value, 0) + 1
    assert by_graph == {graph_iri(layer): len(layers[layer]) for layer in LAYERS}


def test_jsonld_with_pyld(build_dir, built_graph):
    from pyld import jsonld
    document = json.loads(run_export("jsonld", build_dir).data)
    nquads = jsonld.to_rdf(document, {"format": "application/n-quads"})
    assert same_graph(Graph().parse(data=nquads, format="nt"), built_graph)


def test_jsonld_uses_the_published_context(build_dir):
    from sdggraph.export.dumps import CONTEXT_FILE
    document = json.loads(run_export("jsonld", build_dir).data)
    published = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))
    assert document["@context"] == published["@context"]
    nodes = {node["@id"]: node for node in document["@graph"]}
    observation = nodes["obs:HEL-01-2021"]
    assert observation["ofIndicator"] == "indicator:HEL-01"
    assert observation["year"] == "2021"
    assert observation["unit"] == "unitcode:percent"


def test_context_file_is_in_sync_with_the_ontology():
    from sdggraph.compile.sources import input_files, parse_rdf_file
    from sdggraph.export.dumps import CONTEXT_FILE, build_context, context_text
    ontology = Graph()
    for path in input_files()["ontology"]:
        ontology += parse_rdf_file(path)
    assert CONTEXT_FILE.read_text(encoding="utf-8") == context_text(build_context(ontology)), \
        "src/sdggraph/web/context.jsonld is out of date: run python -m sdggraph.export.dumps --write-context"


def test_gzip(build_dir, tmp_path):
    plain, zipped = tmp_path / "g.nt", tmp_path / "g.nt.gz"
    assert cli.main(["export", "ntriples", "--out", str(plain), "--build-dir", str(build_dir)]) == 0
    assert cli.main(["export", "ntriples", "--gzip", "--out", str(zipped), "--build-dir", str(build_dir)]) == 0
    assert gzip.decompress(zipped.read_bytes()) == plain.read_bytes()
    assert zipped.stat().st_size < plain.stat().st_size / 5


HASH_SCRIPT = """
import hashlib, sys
from sdggraph.export import run_export
for name in sys.argv[1:]:
    result = run_export(name, table_format="xlsx" if name == "indicators" else "csv")
    print(name, hashlib.sha256(result.payload()).hexdigest())
"""
# The exports whose writers could depend on hash order (rdflib, sets of records, YAML, xlsx); the
# others are written by pyoxigraph from sorted N-Triples.
DETERMINISM = ["turtle", "jsonld", "datacube", "dcat", "opensdg", "indicators"]


def test_exports_are_deterministic_across_processes(build_dir):
    """Same bytes in another process with another hash seed (rdflib and set order vary with it)."""
    here = {name: hashlib.sha256(run_export(name, build_dir, table_format="xlsx" if name == "indicators"
                                            else "csv").payload()).hexdigest() for name in DETERMINISM}
    env = dict(os.environ, PYTHONHASHSEED="12345", SDGGRAPH_BUILD_DIR=str(build_dir))
    done = subprocess.run([sys.executable, "-c", HASH_SCRIPT, *DETERMINISM], env=env, capture_output=True,
                          text=True, check=True, timeout=300)
    there = dict(line.split() for line in done.stdout.splitlines())
    assert there == here


# ---- DCAT ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def dcat(build_dir) -> Graph:
    return Graph().parse(data=run_export("dcat", build_dir, base_url="https://sdg.example.org/asker").data,
                         format="turtle")


def test_dcat_catalogue(dcat):
    from sdggraph.export.dcat import DISTRIBUTIONS
    catalog = dcat.value(None, RDF.type, URIRef(DCAT + "Catalog"))
    dataset = dcat.value(catalog, URIRef(DCAT + "dataset"))
    assert (dataset, RDF.type, URIRef(DCAT + "Dataset")) in dcat
    distributions = set(dcat.objects(dataset, URIRef(DCAT + "distribution")))
    assert len(distributions) == len(DISTRIBUTIONS)
    urls = {str(dcat.value(d, URIRef(DCAT + "accessURL"))) for d in distributions}
    assert "https://sdg.example.org/asker/export/turtle" in urls
    assert "https://sdg.example.org/asker/export/observations?format=xlsx" in urls
    exported = {url.split("/export/")[1].split("?")[0] for url in urls}
    assert exported == set(FORMATS) - {"dcat"}
    for distribution in distributions:
        assert str(dcat.value(distribution, URIRef(DCAT + "mediaType"))).startswith("https://www.iana.org/assignments/media-types/")
    titles = {(str(t), t.language) for t in dcat.objects(dataset, URIRef("http://purl.org/dc/terms/title"))}
    assert {lang for _, lang in titles} == {"nb", "en"}
    themes = set(dcat.objects(dataset, URIRef(DCAT + "theme")))
    assert themes and all(str(t).startswith("http://publications.europa.eu/resource/authority/data-theme/") for t in themes)


def test_dcat_temporal_and_service(dcat):
    dataset = dcat.value(None, RDF.type, URIRef(DCAT + "Dataset"))
    period = dcat.value(dataset, URIRef("http://purl.org/dc/terms/temporal"))
    assert str(dcat.value(period, URIRef(DCAT + "startDate"))) == "2021-01-01"
    assert str(dcat.value(period, URIRef(DCAT + "endDate"))) == "2024-12-31"
    service = dcat.value(None, RDF.type, URIRef(DCAT + "DataService"))
    assert str(dcat.value(service, URIRef(DCAT + "endpointURL"))) == "https://sdg.example.org/asker/sparql"
    assert dcat.value(service, URIRef(DCAT + "servesDataset")) == dataset
    assert str(dcat.value(service, URIRef("http://purl.org/dc/terms/conformsTo"))) == \
        "https://www.w3.org/TR/sparql11-protocol/"


def test_dcat_profile_catches_a_missing_mandatory_property(dcat):
    from sdggraph.export.dcat import validate
    assert validate(dcat) == []
    broken = Graph()
    broken += dcat
    dataset = broken.value(None, RDF.type, URIRef(DCAT + "Dataset"))
    broken.remove((dataset, URIRef(DCAT + "theme"), None))
    assert any("tema" in message for message in validate(broken))


# ---- CLI and HTTP shells ---------------------------------------------------------------------------

def test_cli_list_and_unknown(capsys):
    assert cli.main(["export", "--list"]) == 0
    assert "ks-taxonomy" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["export", "no-such-format"])
    assert exit_info.value.code == 2


def test_cli_missing_build_is_exit_2(tmp_path):
    assert cli.main(["export", "turtle", "--build-dir", str(tmp_path / "none")]) == 2


@pytest.fixture(scope="module")
def client(build_dir):
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from sdggraph.server.export_routes import router
    from sdggraph.server.settings import Settings
    app = FastAPI()
    app.state.settings = Settings(build_dir=build_dir)
    app.include_router(router)
    return TestClient(app)


def test_http_export_equals_cli(client, build_dir):
    response = client.get("/export/turtle")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/turtle")
    assert response.content == run_export("turtle", build_dir).data


def test_http_gzip_tables_and_zip(client, build_dir):
    response = client.get("/export/observations", params={"format": "xlsx", "gzip": "true"})
    assert response.headers["content-type"] == "application/gzip"
    assert gzip.decompress(response.content) == run_export("observations", build_dir, table_format="xlsx").data
    response = client.get("/export/opensdg")
    assert response.headers["content-type"] == "application/zip"
    assert "README.md" in zipfile.ZipFile(io.BytesIO(response.content)).namelist()


def test_http_dcat_uses_the_request_base(client):
    graph = Graph().parse(data=client.get("/export/dcat").content, format="turtle")
    service = graph.value(None, RDF.type, URIRef(DCAT + "DataService"))
    assert str(graph.value(service, URIRef(DCAT + "endpointURL"))) == "http://testserver/sparql"


def test_http_errors_and_context(client):
    from sdggraph.export.dumps import CONTEXT_FILE
    assert client.get("/export/nope").status_code == 404
    assert client.get("/export/observations", params={"format": "ods"}).status_code == 400
    assert [item["format"] for item in client.get("/export").json()] == list(FORMATS)
    response = client.get("/context.jsonld")
    assert response.headers["content-type"].startswith("application/ld+json")
    assert response.json() == json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))
