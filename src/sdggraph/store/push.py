"""`sdggraph push`: upload the built graph to a triple store so that it holds all new layers or
all previous ones, never a mix.

How (SPARQL 1.1 Graph Store Protocol and SPARQL 1.1 Update, nothing engine-specific):

1. Each layer is PUT into a staging graph of its own, `<base>graph/staging/<token>/<layer>`,
   where no query of remote mode looks (it names the layer graphs in the protocol).
2. The staged triple counts are read back and must equal what was sent.
3. One SPARQL Update request swaps them in: it removes the push marker of every target graph
   (store/marker.py), then `DROP SILENT GRAPH <target> ; MOVE <staging> TO <target>` per layer,
   and last writes the new marker (the build's hash per graph).
4. The targets' counts and marker are read back.

A store that applies one update request as one transaction (Oxigraph: a failing operation rolls
back the whole request; tested) gives all-or-nothing. A store that commits operation by
operation (Virtuoso: an operation that fails leaves the earlier ones applied; tested) can be
left half-swapped if it dies during step 3; the marker is removed first and written last, so
such a store carries no complete marker and remote mode refuses it until a push completes.
Whatever fails, the error says whether the store still holds the previous layers, holds the
new ones, or (only on a non-transactional store) may hold a mix. Staging graphs are dropped
when a push fails before the swap.

`graph` changes the targets: a layer's graph IRI pushes only that layer; any other IRI the
union of all layers into that one graph (blank nodes stay distinct per layer); `default` the
union into the store's default graph. Credentials go in headers only and never into messages.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit, urlunsplit

import httpx
import pyoxigraph

from .. import config
from ..errors import SdggraphError
from ..layout import LAYERS, MANIFEST_FILE, graph_iri, require_build
from . import AUTH_SCHEMES, TIMEOUT_S, marker
from .remote import RESULTS_ACCEPT, check_endpoint, iri_term, parse_response, redact, server_message

DEFAULT_GRAPH = "default"
NTRIPLES = "application/n-triples"

# What we know of engines' update requests (the Server header names the engine).
TRANSACTIONAL = {
    "oxigraph": (True, "Oxigraph applies one update request as one transaction"),
    "virtuoso": (False, "Virtuoso commits each operation of an update request on its own, so a failure "
                        "during the swap can leave some layers swapped"),
}


class PushFailed(SdggraphError):
    """A push that did not complete; the message says what the store holds now."""


@dataclass
class PushedGraph:
    graph: str  # IRI, or "default"
    layers: tuple[str, ...]
    triples: int
    status: int  # of the staging PUT
    reason: str


@dataclass
class PushReport:
    endpoint: str
    pushed: list[PushedGraph] = field(default_factory=list)
    build: str | None = None
    engine: str | None = None
    update_endpoint: str | None = None

    @property
    def atomic(self) -> bool | None:
        return TRANSACTIONAL.get(self.engine or "", (None, ""))[0]

    def atomicity(self) -> str:
        known, why = TRANSACTIONAL.get(self.engine or "", (None, ""))
        if known:
            return f"The swap was one transaction: {why}."
        if known is False:
            return (f"The swap was one request but not one transaction: {why}; the push marker is removed first "
                    f"and written last, so remote mode refuses such a store until a push completes.")
        return ("The swap was one request; whether this store applies it as one transaction is not known "
                "(the push marker is removed first and written last, so remote mode refuses a half-swapped store).")

    def lines(self) -> list[str]:
        out = [f"Pushed to {redact(self.endpoint)} (Graph Store Protocol PUT into staging graphs, swapped in "
               f"with one SPARQL Update request to {redact(self.update_endpoint or '?')}):"]
        width = max((len(item.graph) for item in self.pushed), default=0)
        layers_width = max((len("+".join(item.layers)) for item in self.pushed), default=0)
        for item in self.pushed:
            graph = item.graph if item.graph == DEFAULT_GRAPH else f"<{item.graph}>"
            out.append(f"  {graph:<{width + 2}}  {'+'.join(item.layers):<{layers_width}}  {item.triples:>7} triples  "
                       f"HTTP {item.status} {item.reason}")
        out.append(f"Total: {sum(item.triples for item in self.pushed)} triples in {len(self.pushed)} graph(s), "
                   f"build {marker.short(self.build)}")
        out.append(self.atomicity())
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
    """What goes where (see the module docstring for the meaning of `graph`)."""
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


# --- endpoints and authentication ------------------------------------------------------------

# Graph Store endpoint path → (SPARQL Update, SPARQL query) paths beside it, for engines we know.
SIBLINGS = {
    "/store": ("/update", "/query"),                                  # Oxigraph
    "/sparql-graph-crud-auth": ("/sparql-auth", "/sparql-auth"),      # Virtuoso, digest auth
    "/sparql-graph-crud": ("/sparql", "/sparql"),                     # Virtuoso, anonymous
    "/data": ("/update", "/query"),                                   # Fuseki (…/dataset/data)
}


def sibling_endpoints(store: str) -> tuple[str, str] | None:
    parts = urlsplit(store)
    for suffix, (update, query) in SIBLINGS.items():
        if parts.path.endswith(suffix):
            stem = parts.path[:-len(suffix)]
            return tuple(urlunsplit((parts.scheme, parts.netloc, stem + path, "", "")) for path in (update, query))
    return None


def endpoints(store: str, update: str | None = None, query: str | None = None) -> tuple[str, str]:
    """The SPARQL Update and query endpoints to use with the Graph Store endpoint `store`."""
    derived = sibling_endpoints(store)
    if derived is None and (update is None or query is None):
        raise SdggraphError(f"cannot tell the SPARQL Update and query endpoints that belong to {redact(store)}: "
                            f"give --update-endpoint and --query-endpoint (the swap is a SPARQL Update request)")
    update = update or derived[0]
    query = query or (update if update.endswith("/sparql-auth") else derived[1])
    return check_endpoint(update), check_endpoint(query)


class AnyAuth(httpx.Auth):
    """Like curl --anyauth: no credentials until the server asks, then the scheme it names
    (Digest before Basic), kept for the rest of the push."""

    requires_request_body = True

    def __init__(self, user: str, password: str):
        self.user, self.password = user, password
        self.chosen: httpx.Auth | None = None

    def auth_flow(self, request):
        if self.chosen is None:
            response = yield request
            if response.status_code != 401:
                return
            schemes = {value.split(None, 1)[0].lower()
                       for value in response.headers.get_list("www-authenticate") if value.strip()}
            if "digest" in schemes:
                self.chosen = httpx.DigestAuth(self.user, self.password)
            elif "basic" in schemes:
                self.chosen = httpx.BasicAuth(self.user, self.password)
            else:
                return
        yield from self.chosen.auth_flow(request)


def auth_headers(auth: str | None = None, token: str | None = None,
                 scheme: str = "auto") -> tuple[httpx.Auth | None, dict]:
    if auth and token:
        raise SdggraphError("give either --auth user:password or --token, not both")
    if scheme not in AUTH_SCHEMES:
        raise SdggraphError(f"--auth-scheme must be one of {', '.join(AUTH_SCHEMES)}")
    if auth:
        if ":" not in auth:
            raise SdggraphError("--auth must be user:password")
        user, password = auth.split(":", 1)
        if scheme == "basic":
            return httpx.BasicAuth(user, password), {}
        if scheme == "digest":
            return httpx.DigestAuth(user, password), {}
        return AnyAuth(user, password), {}
    if token:
        return None, {"Authorization": f"Bearer {token}"}
    return None, {}


# --- the push --------------------------------------------------------------------------------

class Phase:
    BEFORE, SWAP, AFTER = "before the swap", "during the swap", "after the swap"


class Session:
    """One push's HTTP client: counts on the query endpoint, the engine from the Server header."""

    def __init__(self, client: httpx.Client, headers: dict, query_url: str, update_url: str, timeout: float):
        self.client, self.headers, self.timeout = client, headers, timeout
        self.query_url, self.update_url = query_url, update_url
        self.engine: str | None = None

    def send(self, method: str, url: str, what: str, **options) -> httpx.Response:
        where = redact(url)
        try:
            response = self.client.request(method, url, headers={**self.headers, **options.pop("headers", {})},
                                           **options)
        except httpx.TimeoutException:
            raise Interrupted(f"{what}: {where} accepted the connection but did not answer within "
                              f"{self.timeout:g} s (--timeout)") from None
        except httpx.HTTPError as error:
            raise Interrupted(f"{what}: cannot reach {where}: {error}") from None
        server = response.headers.get("server", "").lower()
        for engine in TRANSACTIONAL:
            if engine in server:
                self.engine = engine
        if response.status_code >= 300:
            raise Refused(f"{what}: {where} answered HTTP {response.status_code} {response.reason_phrase}: "
                          f"{server_message(response)}")
        return response

    def select(self, sparql: str, what: str) -> list[list]:
        response = self.send("POST", self.query_url, what, data={"query": sparql},
                             headers={"Accept": RESULTS_ACCEPT})
        result = parse_response(self.query_url, response)
        if not isinstance(result, pyoxigraph.QuerySolutions):
            raise Refused(f"{what}: {redact(self.query_url)} did not answer a SELECT with results")
        header = [variable.value for variable in result.variables]
        return [[solution[name] for name in header] for solution in result]

    def count(self, graph: str, what: str) -> int:
        pattern = "?s ?p ?o" if graph == DEFAULT_GRAPH else f"GRAPH <{graph}> {{ ?s ?p ?o }}"
        rows = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}", what)
        return int(rows[0][0].value) if rows and rows[0][0] is not None else 0

    def marks(self, what: str) -> dict[str, marker.Mark]:
        return marker.marks_from_rows(self.select(marker.read_marks_query(in_graph=True), what))

    def update(self, sparql: str, what: str) -> httpx.Response:
        return self.send("POST", self.update_url, what, data={"update": sparql})


class Interrupted(SdggraphError):
    """No answer: the store may or may not have acted on the request."""


class Refused(SdggraphError):
    """The store answered with an error: it did not (fully) act on the request."""


def staging_graph(token: str, upload: Upload) -> str:
    name = "+".join(upload.layers) if upload.graph != DEFAULT_GRAPH or len(upload.layers) > 1 else "default"
    return config.rebase(config.DEFAULT_BASE_IRI + f"graph/staging/{token}/{name}")


def swap_request(uploads: list[Upload], staging: list[str], marks: list[marker.Mark]) -> str:
    """Remove the targets' marks, move each staged graph onto its target, write the new marks."""
    operations = marker.delete_marks([upload.graph for upload in uploads], marks[0].build)
    for upload, source in zip(uploads, staging):
        if upload.graph == DEFAULT_GRAPH:
            operations += ["DROP SILENT DEFAULT", f"MOVE <{source}> TO DEFAULT"]
        else:
            operations += [f"DROP SILENT GRAPH <{upload.graph}>", f"MOVE <{source}> TO <{upload.graph}>"]
    operations.append(marker.insert_marks(marks))
    return " ;\n".join(operations)


def push(endpoint: str, graph: str | None = None, auth: str | None = None, token: str | None = None,
         build_dir: Path | None = None, timeout: float = TIMEOUT_S,
         transport: httpx.BaseTransport | None = None, auth_scheme: str = "auto",
         update_endpoint: str | None = None, query_endpoint: str | None = None,
         progress: Callable[[str], None] | None = None) -> PushReport:
    """Stage, verify and swap the built graph into a Graph Store Protocol endpoint (e.g.
    http://host:7878/store); raises PushFailed saying what the store holds when it cannot."""
    check_endpoint(endpoint)
    build_dir = require_build(build_dir)
    if timeout <= 0:
        raise SdggraphError("--timeout must be a positive number of seconds")
    credentials, headers = auth_headers(auth, token, auth_scheme)
    update_url, query_url = endpoints(endpoint, update_endpoint, query_endpoint)
    uploads = plan(build_dir, graph)
    build = marker.build_hash_of(build_dir)
    report = PushReport(endpoint, build=build, update_endpoint=update_url)
    say = progress or (lambda line: None)
    token_ = secrets.token_hex(8)
    staging = [staging_graph(token_, upload) for upload in uploads]
    targets = ", ".join("the default graph" if upload.graph == DEFAULT_GRAPH else f"<{upload.graph}>"
                        for upload in uploads)
    say(f"Pushing build {marker.short(build)} to {redact(endpoint)}: {targets}")
    with httpx.Client(timeout=timeout, auth=credentials, transport=transport) as client:
        session = Session(client, headers, query_url, update_url, timeout)
        phase = Phase.BEFORE
        before: dict[str, marker.Mark] = {}
        sent: list[str] = []  # staging graphs a PUT went out for (they may exist on the store)
        try:
            before = session.marks("reading the push marker")
            for number, (upload, target) in enumerate(zip(uploads, staging), 1):
                started = time.monotonic()
                label = "+".join(upload.layers)
                sent.append(target)
                response = session.send("PUT", endpoint, f"staging {label}", params={"graph": target},
                                        content=upload.body, headers={"Content-Type": NTRIPLES})
                report.pushed.append(PushedGraph(upload.graph, upload.layers, upload.triples,
                                                 response.status_code, response.reason_phrase))
                say(f"  [{number}/{len(uploads)}] {label}: {upload.triples} triples staged "
                    f"(HTTP {response.status_code}, {time.monotonic() - started:.1f} s)")
            for upload, target in zip(uploads, staging):
                label = "+".join(upload.layers)
                found = session.count(target, f"counting staged {label}")
                if found != upload.triples:
                    raise Refused(f"the store holds {found} triples of the {upload.triples} staged for {label} "
                                  f"(it rejected or merged some)")
            say(f"  staged counts verified; swapping in with one SPARQL Update request to {redact(update_url)}")
            marks = [marker.Mark(upload.graph, build, marker.layer_hash(upload.body), upload.triples)
                     for upload in uploads]
            phase = Phase.SWAP
            started = time.monotonic()
            session.update(swap_request(uploads, staging, marks), "the swap")
            phase = Phase.AFTER
            say(f"  swapped in ({time.monotonic() - started:.1f} s); verifying")
            after = session.marks("reading the new push marker")
            for upload in uploads:
                found = session.count(upload.graph, "counting the swapped-in graphs")
                mark = after.get(upload.graph)
                if found != upload.triples or mark is None or mark.build != build:
                    raise Refused(f"after the swap {upload.graph} holds {found} triples (expected {upload.triples}) "
                                  f"and marker {marker.short(mark.build if mark else None)}")
        except (Interrupted, Refused) as error:
            report.engine = session.engine
            raise PushFailed(explain(error, phase, session, report, uploads, sent, before)) from None
        report.engine = session.engine
    say(f"  done: build {marker.short(build)} is on the store")
    return report


def explain(error: Exception, phase: str, session: Session, report: PushReport, uploads: list[Upload],
            staging: list[str], before: dict[str, marker.Mark]) -> str:
    """What the store holds after a failed push, found out by asking it when it still answers."""
    targets = [upload.graph for upload in uploads]
    previous = "the previous layers" if len(uploads) > 1 else "the previous graph"
    new = "the new layers" if len(uploads) > 1 else "the new graph"
    if phase == Phase.BEFORE:
        return f"push failed before the swap ({error}): the store still holds {previous}" + \
            cleanup(session, staging)
    if phase == Phase.AFTER:
        return (f"push failed after the swap ({error}): the store confirmed the swap request, so it holds {new} "
                f"(build {marker.short(report.build)})")
    # During the swap: ask the store what it holds now, if it answers.
    try:
        now = session.marks("reading the push marker after the failed swap")
    except SdggraphError:
        now = None
    if now is not None:
        def build_of(marks, graph):
            mark = marks.get(graph)
            return (mark.build, mark.swapping) if mark else (None, None)
        if all(build_of(now, graph) == (report.build, None) for graph in targets):
            return (f"push failed during the swap ({error}), but the swap took effect: the store holds {new} "
                    f"(build {marker.short(report.build)}, its push marker says so)")
        unchanged = all(build_of(now, graph) == build_of(before, graph) for graph in targets)
        if unchanged and (report.atomic or all(graph in now for graph in targets)):
            return f"push failed during the swap ({error}): the store still holds {previous}" + \
                cleanup(session, staging)
        return (f"push failed during the swap ({error}): the store did not finish the swap and may hold a mix of "
                f"previous and new layers ({report.atomicity()}); remote mode refuses it until a push completes: "
                f"push again")
    known, why = TRANSACTIONAL.get(session.engine or "", (None, ""))
    if known:
        return (f"push failed during the swap ({error}): the store did not confirm the swap. {why}, so it holds "
                f"either all {previous} or all {new}; `sdggraph --sparql-endpoint {redact(session.query_url)} check` "
                f"tells which by the push marker (this build is {marker.short(report.build)})")
    return (f"push failed during the swap ({error}): the store did not confirm the swap and "
            f"{'is not transactional' if known is False else 'is not known to be transactional'}, so it may hold a "
            f"mix of previous and new layers; remote mode refuses such a store (no complete push marker) until a "
            f"push completes: push again")


def cleanup(session: Session, staging: list[str]) -> str:
    """Drop the staging graphs; say which remain when the store does not answer."""
    if not staging:
        return ""
    try:
        session.update(" ;\n".join(f"DROP SILENT GRAPH <{graph}>" for graph in staging), "removing staging graphs")
    except SdggraphError:
        return ("; its staging graphs " + ", ".join(f"<{graph}>" for graph in staging) +
                " may remain (no query of remote mode reads them; DROP them when the store answers)")
    return "; the staging graphs were removed"
