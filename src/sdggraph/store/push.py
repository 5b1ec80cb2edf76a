"""`sdggraph push`: upload the built graph to a triple store with the SPARQL 1.1 Graph Store
HTTP Protocol (https://www.w3.org/TR/sparql11-http-rdf-update/).

Replace semantics: one HTTP PUT per graph, so pushing again gives the same store, and triples
deleted from data/ disappear remotely too. By default each layer (asserted, reference,
inferred) goes to its own named graph, with the IRIs the build recorded in manifest.json.
`graph` changes that:

* the IRI of one of the layer graphs: push only that layer (e.g. refresh the inferred graph);
* any other IRI: push the union of all layers into that one graph (a national store that
  keeps one graph per municipality); blank nodes stay distinct per layer;
* `default`: push the union into the store's default graph (`?default`).

The layers are PUT one after another; a failure stops the push (exit 2) and leaves the graphs
already replaced as they are — push again once the store answers. Credentials go in headers
only and never into messages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pyoxigraph

from ..errors import SdggraphError
from ..layout import LAYERS, MANIFEST_FILE, graph_iri, require_build
from .remote import check_endpoint, iri_term, redact, server_message

DEFAULT_GRAPH = "default"
NTRIPLES = "application/n-triples"
TIMEOUT_S = 300.0


@dataclass
class PushedGraph:
    graph: str  # IRI, or "default"
    layers: tuple[str, ...]
    triples: int
    status: int
    reason: str


@dataclass
class PushReport:
    endpoint: str
    pushed: list[PushedGraph] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"Pushed to {redact(self.endpoint)} (SPARQL 1.1 Graph Store Protocol, PUT):"]
        width = max((len(item.graph) for item in self.pushed), default=0)
        layers_width = max((len("+".join(item.layers)) for item in self.pushed), default=0)
        for item in self.pushed:
            graph = item.graph if item.graph == DEFAULT_GRAPH else f"<{item.graph}>"
            out.append(f"  {graph:<{width + 2}}  {'+'.join(item.layers):<{layers_width}}  {item.triples:>7} triples  "
                       f"HTTP {item.status} {item.reason}")
        out.append(f"Total: {sum(item.triples for item in self.pushed)} triples in {len(self.pushed)} graph(s)")
        return out


@dataclass
class Upload:
    graph: str
    layers: tuple[str, ...]
    body: bytes
    triples: int


def layer_graphs(build_dir: Path) -> dict[str, str]:
    """Graph IRI per layer as built (the manifest), falling back to the configured base."""
    manifest = build_dir / MANIFEST_FILE
    graphs = {}
    if manifest.is_file():
        graphs = {layer: info["iri"] for layer, info in json.loads(manifest.read_text("utf-8"))["graphs"].items()}
    return {layer: graphs.get(layer) or graph_iri(layer) for layer in LAYERS}


def union_ntriples(build_dir: Path) -> tuple[bytes, int]:
    """All layers as one N-Triples document, duplicates removed, blank nodes kept apart per layer."""
    triples = set()
    for layer in LAYERS:
        def own(term, layer=layer):
            return pyoxigraph.BlankNode(f"{layer}{term.value}") if isinstance(term, pyoxigraph.BlankNode) else term
        for quad in pyoxigraph.parse(path=str(build_dir / f"{layer}.nt"), format=pyoxigraph.RdfFormat.N_TRIPLES):
            triples.add(pyoxigraph.Triple(own(quad.subject), quad.predicate, own(quad.object)))
    body = pyoxigraph.serialize(sorted(triples, key=str), format=pyoxigraph.RdfFormat.N_TRIPLES)
    return body, len(triples)


def count_lines(data: bytes) -> int:
    return sum(1 for line in data.splitlines() if line.strip() and not line.lstrip().startswith(b"#"))


def plan(build_dir: Path, graph: str | None = None) -> list[Upload]:
    """What to PUT where (see the module docstring for the meaning of `graph`)."""
    layers = layer_graphs(build_dir)
    if graph is None:
        uploads = []
        for layer in LAYERS:
            body = (build_dir / f"{layer}.nt").read_bytes()
            uploads.append(Upload(layers[layer], (layer,), body, count_lines(body)))
        return uploads
    if graph != DEFAULT_GRAPH:
        iri_term(graph)  # an absolute IRI, or an error
    for layer, iri in layers.items():
        if graph == iri:
            body = (build_dir / f"{layer}.nt").read_bytes()
            return [Upload(iri, (layer,), body, count_lines(body))]
    body, triples = union_ntriples(build_dir)
    return [Upload(graph, LAYERS, body, triples)]


def auth_headers(auth: str | None = None, token: str | None = None) -> tuple[httpx.Auth | None, dict]:
    if auth and token:
        raise SdggraphError("give either --auth user:password or --token, not both")
    if auth:
        if ":" not in auth:
            raise SdggraphError("--auth must be user:password")
        user, password = auth.split(":", 1)
        return httpx.BasicAuth(user, password), {}
    if token:
        return None, {"Authorization": f"Bearer {token}"}
    return None, {}


def push(endpoint: str, graph: str | None = None, auth: str | None = None, token: str | None = None,
         build_dir: Path | None = None, timeout: float = TIMEOUT_S,
         transport: httpx.BaseTransport | None = None) -> PushReport:
    """PUT the built graph to a Graph Store Protocol endpoint (e.g. http://host:7878/store)."""
    check_endpoint(endpoint)
    build_dir = require_build(build_dir)
    basic, headers = auth_headers(auth, token)
    report = PushReport(endpoint)
    where = redact(endpoint)
    with httpx.Client(timeout=timeout, auth=basic, transport=transport) as client:
        for upload in plan(build_dir, graph):
            params = {"default": ""} if upload.graph == DEFAULT_GRAPH else {"graph": upload.graph}
            target = "the default graph" if upload.graph == DEFAULT_GRAPH else f"graph <{upload.graph}>"
            try:
                response = client.put(endpoint, params=params, content=upload.body,
                                      headers={**headers, "Content-Type": NTRIPLES})
            except httpx.TimeoutException:
                raise SdggraphError(f"push of {target} to {where}: no answer within {timeout:g} s"
                                    + already(report)) from None
            except httpx.HTTPError as error:
                raise SdggraphError(f"push of {target}: cannot reach {where}: {error}" + already(report)) from None
            if response.status_code >= 300:
                raise SdggraphError(f"push of {target} to {where} failed: HTTP {response.status_code} "
                                    f"{response.reason_phrase}: {server_message(response)}" + already(report))
            report.pushed.append(PushedGraph(upload.graph, upload.layers, upload.triples,
                                             response.status_code, response.reason_phrase))
    return report


def already(report: PushReport) -> str:
    if not report.pushed:
        return ""
    return " (already replaced: " + ", ".join(item.graph for item in report.pushed) + ")"
