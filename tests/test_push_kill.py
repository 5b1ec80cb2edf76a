"""Push that cannot leave a mixed store: the store is killed (SIGKILL) at several moments of a
push, restarted on the same database, and must hold the previous layers or the new ones — never
a mix — with the CLI's message saying which; on Virtuoso, whose update requests are not
transactional, a store left half-swapped must at least be refused by a remote `check`.

The previous state is a synthetic three-layer build (one triple per layer, labelled synthetic)
pushed first, so old and new layers are told apart by their triple counts.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import httpx
import pytest

from sdggraph import cli
from sdggraph.layout import DATASET_FILE, LAYERS, STORE_DIR, graph_iri
from sdggraph.store import marker
from sdggraph.store import push as store_push
from sdggraph.store.local import query as local_query

PUSH_TIMEOUT = "30"


def synthetic_previous_build(directory: Path) -> Path:
    """A tiny stand-in for an earlier build (synthetic test data, never in data/)."""
    directory.mkdir(parents=True)
    for layer in LAYERS:
        (directory / f"{layer}.nt").write_text(
            f'<https://example.org/synthetic/{layer}> <http://www.w3.org/2000/01/rdf-schema#comment> '
            f'"synthetic previous {layer} layer (test fixture)" .\n', encoding="utf-8")
    (directory / STORE_DIR).mkdir()
    (directory / DATASET_FILE).write_text("")
    return directory


class Killer(httpx.BaseTransport):
    """Forwards push's requests and SIGKILLs the store when `moment` says so: at once (the
    request then meets a dead store) or `delay` seconds after forwarding it (mid-request)."""

    def __init__(self, process, moment, delay: float | None = None):
        self.inner = httpx.HTTPTransport()
        self.process, self.moment, self.delay = process, moment, delay
        self.seen: list[str] = []
        self.staged: list[str] = []
        self.fired = None

    @staticmethod
    def kind(request: httpx.Request) -> str:
        if request.method == "PUT":
            return "put"
        body = request.content
        if body.startswith(b"update="):
            return "swap" if b"MOVE" in body else "update"
        return "query"

    def kill(self):
        self.process.kill()

    def handle_request(self, request):
        kind = self.kind(request)
        if kind == "put" and request.url.params["graph"] not in self.staged:
            self.staged.append(request.url.params["graph"])
        self.seen.append(kind)
        if self.fired is None and self.moment(self):
            self.fired = kind
            if self.delay is None:
                self.kill()
                self.process.wait(timeout=30)
            else:
                threading.Timer(self.delay, self.kill).start()
        return self.inner.handle_request(request)


MOMENTS = {
    # name: (when to kill, delay, what the message must say)
    "after the first staged layer": (lambda k: k.seen[-1] == "put" and len(k.staged) == 2, None, "before the swap"),
    "before the count check": (lambda k: k.seen[-1] == "query" and len(k.staged) == 3, None, "before the swap"),
    "during the swap": (lambda k: k.seen[-1] == "swap", 0.2, "swap"),
    "after the swap": (lambda k: "swap" in k.seen[:-1], None, "after the swap"),
}
ENGINE_MOMENTS = [("oxigraph", name) for name in MOMENTS] + \
    [("virtuoso", "after the first staged layer"), ("virtuoso", "during the swap")]


def running(engine: str, directory: Path):
    if engine == "oxigraph":
        from oxigraph_server import oxigraph_binary, running_oxigraph
        if oxigraph_binary() is None:
            pytest.skip("the oxigraph server is not installed")
        return running_oxigraph(directory)
    from virtuoso_server import install_virtuoso, running_virtuoso
    reason = install_virtuoso()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return running_virtuoso(directory)


def layer_counts(server) -> dict[str, int]:
    counts = {}
    for layer in LAYERS:
        response = httpx.post(server.query_url, data={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph_iri(layer)}> "
                                                                 f"{{ ?s ?p ?o }} }}"},
                              headers={"Accept": "application/sparql-results+json"}, timeout=60)
        response.raise_for_status()
        counts[layer] = int(response.json()["results"]["bindings"][0]["n"]["value"])
    return counts


@pytest.mark.slow
@pytest.mark.parametrize("engine,moment", ENGINE_MOMENTS, ids=[f"{e}-{m}" for e, m in ENGINE_MOMENTS])
def test_a_push_killed_midway_leaves_old_or_new_layers_never_a_mix(engine, moment, build_dir, tmp_path,
                                                                   monkeypatch, capsys):
    previous = synthetic_previous_build(tmp_path / "previous-build")
    old_counts = {layer: 1 for layer in LAYERS}
    new_counts = {layer: int(next(iter(local_query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph_iri(layer)}> "
                                                     f"{{ ?s ?p ?o }} }}", build_dir)))["n"].value) for layer in LAYERS}
    old_build, new_build = marker.build_hash_of(previous), marker.build_hash_of(build_dir)
    when, delay, said = MOMENTS[moment]
    database = tmp_path / "db"
    with running(engine, database) as server:
        auth = ["--auth", server.credentials] if server.credentials else []
        assert cli.main(["push", "--endpoint", server.store_url, *auth, "--build-dir", str(previous)]) == 0
        killer = Killer(server.process, when, delay)
        real_push = store_push.push
        monkeypatch.setattr(store_push, "push", lambda *args, **options: real_push(*args, transport=killer, **options))
        code = cli.main(["push", "--endpoint", server.store_url, *auth, "--timeout", PUSH_TIMEOUT,
                         "--build-dir", str(build_dir)])
        monkeypatch.setattr(store_push, "push", real_push)
        err = capsys.readouterr().err
        server.process.wait(timeout=30)
        assert killer.fired, "the store was never killed: the moment did not come"
    assert code == 2, err
    assert "push failed" in err and said in err, err

    with running(engine, database) as server:  # the same database after the crash
        counts = layer_counts(server)
        check = cli.main(["--sparql-endpoint", server.query_url, "check"])
        check_err = capsys.readouterr().err
    if counts == old_counts:
        state, build = "previous", old_build
    elif counts == new_counts:
        state, build = "new", new_build
    else:
        state, build = "mixed", None
    if "before the swap" in said:
        assert state == "previous" and "still holds the previous layers" in err, err
    if said == "after the swap":
        assert state == "new" and "holds the new layers" in err, err
    if state == "mixed":
        # only a store that commits operation by operation (Virtuoso) can get here; the push said
        # so, and the marker was removed first, so a remote check refuses the store
        assert engine == "virtuoso" and "may hold a mix" in err, err
        assert check == 1 and ("may hold a mix" in check_err or "push marker" in check_err), check_err
        return
    if engine == "oxigraph":
        assert check == 0, check_err  # one transaction: a whole build, with its marker
    if check == 0:
        assert f"from build {marker.short(build)}" in check_err, check_err  # the marker names the build there
    else:  # Virtuoso stopped after removing the marker: refused until a push completes
        assert "may hold a mix" in check_err or "push marker" in check_err, check_err


class BreakSwap(httpx.BaseTransport):
    """Forwards push's requests, but puts an operation that fails into the swap request after the
    first layer's MOVE: the engine's own handling of a failing request decides what remains."""

    def __init__(self):
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request):
        from urllib.parse import parse_qs, urlencode

        if request.method == "POST" and request.content.startswith(b"update=") and b"MOVE" in request.content:
            form = {key: values[0] for key, values in parse_qs(request.content.decode()).items()}
            operations = form["update"].split(" ;\n")
            first_move = next(i for i, op in enumerate(operations) if op.startswith("MOVE"))
            operations.insert(first_move + 1, "DROP GRAPH <https://example.org/graph/does-not-exist>")
            body = urlencode({"update": " ;\n".join(operations)}).encode()
            headers = [(k, v) for k, v in request.headers.items() if k.lower() != "content-length"]
            request = httpx.Request(request.method, request.url, headers=headers, content=body)
        return self.inner.handle_request(request)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["oxigraph", "virtuoso"])
def test_a_swap_that_fails_halfway_is_all_or_nothing_or_refused(engine, build_dir, tmp_path, monkeypatch, capsys):
    """Oxigraph rolls the failed swap back: the previous layers, and a check that passes on them.
    Virtuoso keeps the operations before the failure: a real mix, which the push reports and a
    remote check refuses (the marker was removed first)."""
    previous = synthetic_previous_build(tmp_path / "previous-build")
    with running(engine, tmp_path / "db") as server:
        auth = ["--auth", server.credentials] if server.credentials else []
        assert cli.main(["push", "--endpoint", server.store_url, *auth, "--build-dir", str(previous)]) == 0
        real_push = store_push.push
        monkeypatch.setattr(store_push, "push", lambda *args, **options: real_push(*args, transport=BreakSwap(), **options))
        assert cli.main(["push", "--endpoint", server.store_url, *auth, "--build-dir", str(build_dir)]) == 2
        monkeypatch.setattr(store_push, "push", real_push)
        err = capsys.readouterr().err
        counts = layer_counts(server)
        check = cli.main(["--sparql-endpoint", server.query_url, "check"])
        check_err = capsys.readouterr().err
    assert "push failed during the swap" in err and "does-not-exist" in err
    if engine == "oxigraph":
        assert counts == {layer: 1 for layer in LAYERS}
        assert "still holds the previous layers" in err
        assert check == 0 and f"from build {marker.short(marker.build_hash_of(previous))}" in check_err
    else:
        assert counts["asserted"] > 1 and counts["reference"] == counts["inferred"] == 1  # the mix, for real
        assert "may hold a mix" in err and "push again" in err
        assert check == 1 and "may hold a mix" in check_err and "did not finish" in check_err
        assert "push again" in check_err
