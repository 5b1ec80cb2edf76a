"""The benchmark's own measuring parts (bench/bench_named_queries.py), against its floor server on
loopback: what it counts and how it reads answers. Its figures are not asserted (a benchmark, not
a timed test); what is checked is that every request it sends is answered and counted once."""

from __future__ import annotations

import importlib.util
import sys

import pytest


@pytest.fixture(scope="module")
def bench(repo_root):
    spec = importlib.util.spec_from_file_location("bench_named_queries", repo_root / "bench" / "bench_named_queries.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def floor_server(bench):
    port = bench.free_port()
    url = f"http://127.0.0.1:{port}/"
    server = bench.Server("floor", [sys.executable, bench.__file__, "--serve-floor", str(port)], url, None)
    server.start()
    try:
        yield url, server.process.pid
    finally:
        server.stop()


class CountingAsker:
    """floor_asker, counting what it sent."""

    def __init__(self, bench, url):
        self.ask, self.sent = bench.floor_asker(url), 0

    def __call__(self, client, query):
        self.sent += 1
        return self.ask(client, query)


def test_lean_client_reads_the_answer_and_keeps_the_connection(bench, floor_server):
    url, _ = floor_server
    with bench.LeanClient(timeout=10) as client:
        first = client.get(url)
        socket_used = client.sock
        second = client.get(url, headers={"Accept": bench.RESULTS_JSON})
        assert client.sock is socket_used  # keep-alive: one socket for both
    assert (first.status_code, first.content) == (200, bench.FLOOR_BODY)
    assert second.headers["content-length"] == str(len(bench.FLOOR_BODY))


def test_back_to_back_and_floor_give_a_median_of_answered_requests(bench, floor_server):
    url, _ = floor_server
    asker = CountingAsker(bench, url)
    with bench.LeanClient(timeout=10) as client:
        median = bench.back_to_back(client, lambda c: asker(c, None), 25)
    assert asker.sent == 25 and median > 0
    figures = bench.floor(url, requests=5)
    assert set(figures) == {"lean", "httpx"} and all(value > 0 for value in figures.values())


def test_interleaved_throughput_asks_every_request_of_every_label_once(bench, floor_server):
    url, pid = floor_server
    askers = {"one": CountingAsker(bench, url), "two": CountingAsker(bench, url)}
    figures = bench.interleaved_throughput({label: (asker, pid) for label, asker in askers.items()},
                                           query=None, requests=30, concurrency=4, slices=3)
    for label, asker in askers.items():
        assert asker.sent == 30 + 4  # the requests, and one per connection before the first burst
        assert figures[label]["refused"] == {}
        assert figures[label]["per_s"] > 0
        assert figures[label]["cpu"]["server_ms"] >= 0 and figures[label]["cpu"]["client_ms"] >= 0


def test_row_count_reads_solutions_booleans_and_revalidations(bench):
    answer = b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":"a"}},{}]}}'
    assert bench.row_count(bench.LeanResponse(200, {}, answer)) == 2
    assert bench.row_count(bench.LeanResponse(200, {}, bench.FLOOR_BODY)) is None  # ASK
    assert bench.row_count(bench.LeanResponse(304, {}, b"")) is None
    with pytest.raises(RuntimeError, match="HTTP 503"):
        bench.row_count(bench.LeanResponse(503, {}, b"busy"))
