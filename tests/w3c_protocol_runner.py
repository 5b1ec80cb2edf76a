"""Run the W3C SPARQL 1.1 Protocol and Service Description tests against the sdggraph app.

Reads ../shared/reference/w3c-sparql11-protocol/{protocol,service-description}/manifest.ttl
with rdflib, issues each test's HTTP requests (in order) against the app through FastAPI's
TestClient, checks each response (status class, result format, ASK value) and reports one
row per test: PASS, FAIL or SKIP with the reason.

The service never fetches graphs, so the protocol tests run on a test-only build whose named
graphs are the graphs the tests name: data1-3.rdf loaded from the manifest's ut:graphData
files, and data0.rdf (named in default-graph-uri by several tests, with no data given)
as an empty graph. The same app code serves them as serves Asker's graph; only the build differs.

Modes: query tests run against the read-only app (the default configuration). Tests that
send SPARQL Update run against a second app on a throwaway copy of the test build with
updates enabled; the runner adds the operator's `Authorization: Bearer <token>` header, the
one change to the manifest's requests. With include_updates=False, the tests whose update
must succeed are skipped as not applicable to a read-only service, and the bad_update_*
tests run against the read-only app (which must refuse them too).

Run it directly for the table: python tests/w3c_protocol_runner.py [path/to/w3c-sparql11-protocol]
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SUITE = REPO_ROOT.parent / "shared" / "reference" / "w3c-sparql11-protocol"
ENDPOINT_PATH = "/sparql"
UPDATE_TOKEN = "w3c-runner-token-0123456789"

TABULAR_TYPES = {"application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                 "text/tab-separated-values"}
BOOLEAN_TYPES = {"application/sparql-results+json", "application/sparql-results+xml"}
RDF_TYPES = {"application/rdf+xml": "xml", "text/turtle": "turtle", "application/n-triples": "nt",
             "text/html": "rdfa", "application/xhtml+xml": "rdfa"}  # RDF/XML, Turtle, N-Triples, RDFa


@dataclass
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    expected_status: set[int]  # status classes: 2, 3, 4, 5
    expected_format: str | None
    expected_boolean: bool | None

    @property
    def is_update(self) -> bool:
        content_type = self.headers.get("content-type", "")
        params = dict(parse_qsl(urlsplit(self.path).query))
        form = dict(parse_qsl(self.body.decode("utf-8", "replace"))) if self.body else {}
        return "sparql-update" in content_type or "update" in params or "update" in form


@dataclass
class ProtocolTest:
    id: str
    name: str
    requests: list[HttpRequest]
    graph_data: dict[str, Path] = field(default_factory=dict)  # graph IRI -> data file

    @property
    def sends_update(self) -> bool:
        # bad_update_wrong_media_type sends its update as text/plain: the test's name says what it is
        return "update" in self.id or any(request.is_update for request in self.requests)

    @property
    def needs_updates(self) -> bool:
        """An update the test expects to succeed: only a service with updates enabled can pass it."""
        return any(request.is_update and 2 in request.expected_status for request in self.requests)


@dataclass
class Result:
    suite: str
    id: str
    name: str
    mode: str
    verdict: str  # PASS, FAIL, SKIP
    detail: str = ""


# ---- reading the manifests ----

def _entries(graph: Graph) -> list[URIRef]:
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    return list(Collection(graph, graph.value(manifest, MF.entries)))


def _local(iri) -> str:
    return str(iri).rsplit("#", 1)[-1]


def read_protocol_manifest(path: Path) -> list[ProtocolTest]:
    graph = Graph().parse(path, format="turtle", publicID=path.as_uri())
    tests = []
    for entry in _entries(graph):
        action = graph.value(entry, MF.action)
        requests = []
        for node in Collection(graph, graph.value(action, HT.requests)):
            headers = {}
            header_list = graph.value(node, HT.headers)
            if header_list is not None:
                for header in Collection(graph, header_list):
                    headers[str(graph.value(header, HT.fieldName)).lower()] = str(graph.value(header, HT.fieldValue))
            body_node = graph.value(node, HT.body)
            body = None
            if body_node is not None:
                encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
                body = str(graph.value(body_node, CNT.chars)).encode(encoding)
            response = graph.value(node, HT.resp)
            statuses = {int(_local(code)[len("StatusCode")]) for code in graph.objects(response, MF.expectedStatus)}
            expected_format = graph.value(response, MF.expectedFormat)
            expected_boolean = graph.value(response, MF.expectedBoolean)
            requests.append(HttpRequest(str(graph.value(node, HT.methodName)), str(graph.value(node, HT.absolutePath)),
                                        headers, body, statuses,
                                        str(expected_format) if expected_format is not None else None,
                                        expected_boolean.toPython() if isinstance(expected_boolean, Literal) else None))
        graph_data = {}
        for data in graph.objects(entry, UT.graphData):
            file_iri = graph.value(data, UT.graph)
            graph_data[str(graph.value(data, RDFS.label))] = Path(urlsplit(str(file_iri)).path)
        tests.append(ProtocolTest(_local(entry), str(graph.value(entry, MF.name)), requests, graph_data))
    return tests


# ---- a test-only build the app can serve ----

def graphs_named(tests: list[ProtocolTest]) -> dict[str, Path | None]:
    """Every graph the tests load or name in default-graph-uri / named-graph-uri (None: no data given)."""
    graphs: dict[str, Path | None] = {}
    for test in tests:
        for request in test.requests:
            for key, value in parse_qsl(urlsplit(request.path).query):
                if key in ("default-graph-uri", "named-graph-uri", "using-graph-uri", "using-named-graph-uri"):
                    graphs.setdefault(value, None)
        for iri, path in test.graph_data.items():
            graphs[iri] = path
    return graphs


def make_test_build(directory: Path, graphs: dict[str, Path | None]) -> Path:
    """A build directory (store, dataset.nq, manifest.json) whose named graphs are the given ones."""
    import pyoxigraph

    from sdggraph.compile.build import DATASET_FILE, MANIFEST_FILE, STORE_DIR

    directory.mkdir(parents=True, exist_ok=True)
    store = pyoxigraph.Store(str(directory / STORE_DIR))
    entries = {}
    for index, (iri, path) in enumerate(sorted(graphs.items(), key=lambda item: item[0])):
        name = pyoxigraph.NamedNode(iri)
        triples = list(pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.N_TRIPLES)) if path else []
        store.add_graph(name)
        store.extend(pyoxigraph.Quad(t.subject, t.predicate, t.object, name) for t in triples)
        entries[f"graph{index}"] = {"iri": iri, "triples": len(triples)}
    store.flush()
    store.dump(str(directory / DATASET_FILE), format=pyoxigraph.RdfFormat.N_QUADS)
    del store
    (directory / MANIFEST_FILE).write_text(json.dumps({"base_iri": "http://example.org/w3c-tests/",
                                                       "graphs": entries}, indent=2), encoding="utf-8")
    return directory


# ---- checking responses ----

def _media_type(response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def _boolean_of(response) -> bool | None:
    media_type = _media_type(response)
    if media_type == "application/sparql-results+json":
        return response.json().get("boolean")
    if media_type == "application/sparql-results+xml":
        import xml.etree.ElementTree as ElementTree
        element = ElementTree.fromstring(response.content).find("{http://www.w3.org/2005/sparql-results#}boolean")
        return None if element is None else element.text.strip() == "true"
    return None


def check_response(request: HttpRequest, response) -> str | None:
    """None if the response is what the manifest expects, else what is wrong."""
    if response.status_code // 100 not in request.expected_status:
        expected = "/".join(f"{code}xx" for code in sorted(request.expected_status))
        return f"status {response.status_code}, expected {expected}: {response.text[:160]!r}"
    media_type = _media_type(response)
    if request.expected_format == "boolean":
        if media_type not in BOOLEAN_TYPES:
            return f"content type {media_type!r} is not a SPARQL boolean result format"
        value = _boolean_of(response)
        if value is None:
            return "no boolean in the result"
        if request.expected_boolean is not None and value != request.expected_boolean:
            return f"ASK gave {value}, expected {request.expected_boolean}"
    elif request.expected_format == "tabular":
        if media_type not in TABULAR_TYPES:
            return f"content type {media_type!r} is not one of XML, JSON, CSV, TSV results"
        if media_type == "application/sparql-results+json" and "results" not in response.json():
            return "JSON without results"
    elif request.expected_format == "RDF":
        if media_type not in RDF_TYPES:
            return f"content type {media_type!r} is not one of RDF/XML, Turtle, N-Triples, RDFa"
        try:
            Graph().parse(data=response.content, format=RDF_TYPES[media_type])
        except Exception as error:  # any parser error means the body is not what it claims
            return f"the {media_type} body does not parse: {error}"
    return None


# ---- running ----

def _client(build: Path, updates: bool):
    from fastapi.testclient import TestClient

    from sdggraph.server.app import create_app
    from sdggraph.server.settings import Settings

    settings = Settings(build_dir=build, timeout=10, workers=2,
                        update_token=UPDATE_TOKEN if updates else None)
    return TestClient(create_app(settings))


def _send(client, request: HttpRequest, token: str | None):
    path = request.path
    if path.startswith("/sparql/"):  # the manifest says: replace /sparql/ with the endpoint's path
        path = ENDPOINT_PATH + path[len("/sparql/"):]
    headers = dict(request.headers)
    if token:
        headers["authorization"] = f"Bearer {token}"
    return client.request(request.method, path, headers=headers, content=request.body)


def _summary(response) -> str:
    if response.status_code < 400:
        return f"{response.status_code} {_media_type(response)}"
    return f"{response.status_code} {response.text.strip().splitlines()[0][:90]}" if response.text.strip() else \
        str(response.status_code)


def run_test(client, test: ProtocolTest, token: str | None) -> tuple[str, str]:
    """PASS or FAIL, and what the responses were (status and content type, or the error message)."""
    seen = []
    for number, request in enumerate(test.requests, 1):
        response = _send(client, request, token)
        problem = check_response(request, response)
        if problem:
            where = f"request {number}: " if len(test.requests) > 1 else ""
            return "FAIL", where + problem
        seen.append(_summary(response))
    return "PASS", "; ".join(seen)


def run_protocol_suite(suite_dir: Path = DEFAULT_SUITE, work_dir: Path | None = None,
                       include_updates: bool = True) -> list[Result]:
    tests = read_protocol_manifest(suite_dir / "protocol" / "manifest.ttl")
    work_dir = Path(work_dir or tempfile.mkdtemp(prefix="w3c-protocol-"))
    graphs = graphs_named(tests)
    missing = {iri: path for iri, path in graphs.items() if path is not None and not path.is_file()}
    read_only_build = make_test_build(work_dir / "read-only", graphs)
    results = []
    # With updates enabled, every test that sends an update runs against the updatable app;
    # without, the bad_update_* tests still apply (a read-only service must refuse them too).
    in_update_mode = [test for test in tests if test.sends_update] if include_updates else []
    with _client(read_only_build, updates=False) as client:
        client.app.state.sparql.executor.wait_ready()
        for test in tests:
            if test in in_update_mode:
                continue
            if test.needs_updates:
                results.append(Result("protocol", test.id, test.name, "read-only", "SKIP",
                                      "SPARQL Update: not applicable to a read-only query service"))
                continue
            if any(iri in missing for iri in test.graph_data):
                results.append(Result("protocol", test.id, test.name, "read-only", "SKIP", "graph data file missing"))
                continue
            verdict, detail = run_test(client, test, None)
            results.append(Result("protocol", test.id, test.name, "read-only", verdict, detail))
    if in_update_mode:
        update_build = work_dir / "updatable"
        shutil.copytree(read_only_build, update_build)
        with _client(update_build, updates=True) as client:
            client.app.state.sparql.executor.wait_ready()
            for test in in_update_mode:
                verdict, detail = run_test(client, test, UPDATE_TOKEN)
                results.append(Result("protocol", test.id, test.name, "update (token)", verdict, detail))
    order = {test.id: index for index, test in enumerate(tests)}
    return sorted(results, key=lambda result: order[result.id])


# ---- the service description tests (described in prose in their manifest) ----

SD_CLASSES = {SD[name] for name in ("Service", "Feature", "Language", "Function", "Aggregate", "EntailmentRegime",
                                     "EntailmentProfile", "GraphCollection", "Dataset", "Graph", "NamedGraph")}
SD_INSTANCES = {SD.SPARQL10Query: SD.Language, SD.SPARQL11Query: SD.Language, SD.SPARQL11Update: SD.Language,
                SD.DereferencesURIs: SD.Feature, SD.UnionDefaultGraph: SD.Feature, SD.RequiresDataset: SD.Feature,
                SD.EmptyGraphs: SD.Feature, SD.BasicFederatedQuery: SD.Feature}
# property: (domain, range); None = rdfs:Resource. From the SPARQL 1.1 Service Description vocabulary (§3.4).
SD_PROPERTIES = {
    SD.endpoint: (SD.Service, None), SD.feature: (SD.Service, SD.Feature),
    SD.defaultEntailmentRegime: (SD.Service, SD.EntailmentRegime),
    SD.entailmentRegime: (SD.NamedGraph, SD.EntailmentRegime),
    SD.defaultSupportedEntailmentProfile: (SD.Service, SD.EntailmentProfile),
    SD.supportedEntailmentProfile: (SD.NamedGraph, SD.EntailmentProfile),
    SD.extensionFunction: (SD.Service, SD.Function), SD.extensionAggregate: (SD.Service, SD.Aggregate),
    SD.languageExtension: (SD.Service, SD.Feature), SD.supportedLanguage: (SD.Service, SD.Language),
    SD.propertyFeature: (SD.Service, RDF.Property), SD.defaultDataset: (SD.Service, SD.Dataset),
    SD.availableGraphs: (SD.Service, SD.GraphCollection), SD.resultFormat: (SD.Service, None),
    SD.inputFormat: (SD.Service, None), SD.defaultGraph: (SD.Dataset, SD.Graph),
    SD.namedGraph: (SD.GraphCollection, SD.NamedGraph), SD.name: (SD.NamedGraph, None),
    SD.graph: (SD.NamedGraph, SD.Graph),
}
SUBCLASSES = {SD.Dataset: {SD.GraphCollection}}
IRI_VALUED = {SD.endpoint, SD.name, SD.resultFormat, SD.inputFormat, SD.supportedLanguage, SD.feature}
SD_ACCEPT = "text/turtle, application/rdf+xml;q=0.9, application/n-triples;q=0.8, application/ld+json;q=0.7"


def _types(graph: Graph, node) -> set:
    types = set(graph.objects(node, RDF.type)) | ({SD_INSTANCES[node]} if node in SD_INSTANCES else set())
    for cls in list(types):
        types |= SUBCLASSES.get(cls, set())
    return types


def schema_problems(graph: Graph) -> list[str]:
    """Where the description does not conform to the SD vocabulary: unknown sd: terms, missing or
    wrong types on the subjects and objects of sd: properties, literals where IRIs belong."""
    problems = []
    for subject, predicate, obj in graph:
        for term in (predicate, obj) if predicate == RDF.type else (predicate,):
            if isinstance(term, URIRef) and str(term).startswith(str(SD)) and \
                    term not in SD_PROPERTIES and term not in SD_CLASSES and term not in SD_INSTANCES:
                problems.append(f"unknown term {term}")
        if predicate not in SD_PROPERTIES:
            continue
        domain, range_ = SD_PROPERTIES[predicate]
        if domain not in _types(graph, subject):
            problems.append(f"subject of sd:{_local(predicate)} is not typed sd:{_local(domain)}")
        if predicate in IRI_VALUED and not isinstance(obj, URIRef):
            problems.append(f"sd:{_local(predicate)} has a non-IRI value {obj!r}")
        if range_ is not None and range_ not in _types(graph, obj):
            problems.append(f"object of sd:{_local(predicate)} is not typed {_local(range_)}")
    if not any(graph.subjects(RDF.type, SD.Service)):
        problems.append("no sd:Service")
    return sorted(set(problems))


def run_service_description_suite(suite_dir: Path = DEFAULT_SUITE, build: Path | None = None,
                                  work_dir: Path | None = None) -> list[Result]:
    graph = Graph().parse(suite_dir / "service-description" / "manifest.ttl", format="turtle")
    entries = _entries(graph)
    names = {_local(entry): str(graph.value(entry, MF.name)) for entry in entries}
    if build is None:
        work_dir = Path(work_dir or tempfile.mkdtemp(prefix="w3c-sd-"))
        build = make_test_build(work_dir / "sd", {"http://example.org/graph": None})
    verdicts = {}
    with _client(build, updates=False) as client:
        endpoint = str(client.base_url.join(ENDPOINT_PATH))
        response = client.get(ENDPOINT_PATH, headers={"accept": SD_ACCEPT})
        description = None
        media_type = _media_type(response)
        if response.status_code != 200 or media_type not in RDF_TYPES:
            verdicts["returns-rdf"] = ("FAIL", f"status {response.status_code}, content type {media_type!r}")
        else:
            try:
                description = Graph().parse(data=response.content, format=RDF_TYPES[media_type])
                verdicts["returns-rdf"] = ("PASS", f"{media_type}, {len(description)} triples")
            except Exception as error:  # the body is not the RDF it claims to be
                verdicts["returns-rdf"] = ("FAIL", f"does not parse: {error}")
        if description is None:
            verdicts["has-endpoint-triple"] = ("FAIL", "no description")
            verdicts["conforms-to-schema"] = ("FAIL", "no description")
        else:
            has = (None, SD.endpoint, URIRef(endpoint)) in description
            verdicts["has-endpoint-triple"] = ("PASS", f"sd:endpoint <{endpoint}>") if has else \
                ("FAIL", f"no sd:endpoint <{endpoint}>")
            problems = schema_problems(description)
            verdicts["conforms-to-schema"] = ("FAIL", "; ".join(problems)) if problems else ("PASS", "")
    return [Result("service-description", name, names[name], "read-only", *verdicts.get(name, ("SKIP", "unknown test")))
            for name in names]


def run_all(suite_dir: Path = DEFAULT_SUITE, work_dir: Path | None = None, include_updates: bool = True,
            sd_build: Path | None = None) -> list[Result]:
    work_dir = Path(work_dir or tempfile.mkdtemp(prefix="w3c-"))
    return (run_protocol_suite(suite_dir, work_dir / "protocol", include_updates)
            + run_service_description_suite(suite_dir, sd_build, work_dir / "sd"))


def table(results: list[Result]) -> str:
    rows = [("suite", "test", "mode", "result", "detail")]
    rows += [(r.suite, r.id, r.mode, r.verdict, r.detail) for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths)) + ("  " + row[4] if row[4] else "")
             for row in rows]
    counts = {verdict: sum(1 for r in results if r.verdict == verdict) for verdict in ("PASS", "FAIL", "SKIP")}
    lines.append(f"{counts['PASS']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped")
    return "\n".join(lines)


if __name__ == "__main__":
    suite = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SUITE
    results = run_all(suite)
    print(table(results))
    sys.exit(1 if any(result.verdict == "FAIL" for result in results) else 0)
