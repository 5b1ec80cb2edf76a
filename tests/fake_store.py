"""An in-memory triple store behind an httpx transport, for push tests that need to see or break
single requests (authentication headers, a failure at the n-th request) without a server.

It speaks the three protocols push uses, backed by a pyoxigraph Store: Graph Store Protocol PUT
(`?graph=`), SPARQL query (POST form `query`, JSON results) and SPARQL Update (POST form
`update`, one transaction per request as in Oxigraph). Real engines are tested elsewhere.
"""

from __future__ import annotations

from urllib.parse import parse_qs

import httpx
import pyoxigraph


class FakeStore:
    def __init__(self, require: str | None = None, server: str = "FakeStore/1"):
        self.store = pyoxigraph.Store()
        self.requests: list[httpx.Request] = []
        self.require = require        # an Authorization header value every request must carry
        self.server = server          # the Server header (push reads the engine from it)
        self.fail: dict[int, int] = {}  # request number (1-based) → HTTP status to answer instead

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def graphs(self) -> dict[str, int]:
        return {graph.value: len(list(self.store.quads_for_pattern(None, None, None, graph)))
                for graph in self.store.named_graphs()}

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        headers = {"Server": self.server}
        if self.require and request.headers.get("authorization") != self.require:
            return httpx.Response(401, text="denied for this user", headers=headers)
        if len(self.requests) in self.fail:
            return httpx.Response(self.fail[len(self.requests)], text="injected failure", headers=headers)
        if request.method == "PUT":
            graph = pyoxigraph.NamedNode(request.url.params["graph"])
            existed = graph in set(self.store.named_graphs())
            quads = [pyoxigraph.Quad(t.subject, t.predicate, t.object, graph)
                     for t in pyoxigraph.parse(request.content, pyoxigraph.RdfFormat.N_TRIPLES)]
            self.store.remove_graph(graph) if existed else None
            self.store.extend(quads)
            self.store.add_graph(graph)
            return httpx.Response(204 if existed else 201, headers=headers)
        form = {key: values[0] for key, values in parse_qs(request.content.decode()).items()}
        try:
            if "update" in form:
                self.store.update(form["update"])
                return httpx.Response(204, headers=headers)
            result = self.store.query(form["query"])
            body = result.serialize(format=pyoxigraph.QueryResultsFormat.JSON)
        except (SyntaxError, OSError, ValueError) as error:
            return httpx.Response(400, text=str(error), headers=headers)
        return httpx.Response(200, content=body, headers={**headers, "Content-Type": "application/sparql-results+json"})
