"""Short forms of the attacks in issue 9 (bench/attack.py has the long forms): each fails if its
defence is removed. Rows: 1 quadratic guard, 2 results without a byte cap, 3/4 admission, 6
forged log lines, 7 the small ones; and SIGTERM under load."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from sdggraph.server import guard, logs
from sdggraph.server.app import create_app
from sdggraph.server.executor import Job
from sdggraph.server.heavy import Busy, HeavyWork
from sdggraph.server.settings import Settings

TOKEN = "operator-secret-token-0123456789"
EXPENSIVE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # never finishes
ASSERTED = "https://w3id.org/sdggraph/graph/asserted"
LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
 <!ENTITY lol "lol">
""" + "".join(f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n' for i in range(1, 10)) + """]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">
  <rdf:Description rdf:about="http://example.org/a"><ex:p>&lol9;</ex:p></rdf:Description>
</rdf:RDF>
"""


@pytest.fixture(scope="module")
def client(build_dir):
    app = create_app(Settings(build_dir=build_dir, timeout=4, workers=1, fast_workers=1,
                              max_result_bytes=64 * 1024 * 1024))
    with TestClient(app) as test_client:
        app.state.sparql.executor.wait_ready()
        yield test_client


# ---- row 1: checking a query is linear in its length, and bounded in time ----

def _best_of(runs: int, action) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


@pytest.mark.parametrize("unit", ["a.", "a-", "é."])
def test_guard_time_grows_linearly(unit):
    small, large = ("ASK { " + unit * (n // len(unit)) + " }" for n in (6_000, 24_000))
    ratio = _best_of(5, lambda: guard.inspect(large)) / _best_of(5, lambda: guard.inspect(small))
    assert ratio < 8, f"4x the text took {ratio:.1f}x the time (quadratic would be 16x)"


def test_guard_still_reads_prefixed_names_after_dots():
    kinds = [(token.kind, token.text) for token in guard.tokenize("?o.ex:a ex.b:c a.a.service")]
    assert ("pname", "ex:a") in kinds and ("pname", "ex.b:c") in kinds
    assert ("word", "service") in kinds


def test_guard_work_is_bounded_in_time():
    with pytest.raises(guard.GuardTimeout):
        guard.inspect("ASK { " + "a." * 50_000 + " }", deadline=time.monotonic())


# ---- row 7: nesting that would overflow a worker's stack is a clear 400 ----

@pytest.mark.parametrize("query", ["ASK " + "{" * 10000 + "}" * 10000,
                                   "ASK { FILTER(" + "(" * 10000 + "1" + ")" * 10000 + ") }",
                                   "ASK { ?s ?p " + "[ <urn:p> " * 10000 + "]" * 10000 + " }"])
def test_deep_nesting_is_refused_before_a_worker_sees_it(client, query):
    executor = client.app.state.sparql.executor
    workers = set(executor.worker_pids())
    response = client.post("/sparql", data={"query": query})
    assert response.status_code == 400
    assert "nested deeper than 256 levels" in response.text
    assert set(executor.worker_pids()) == workers  # no worker crashed


# ---- row 2: a byte cap on every result form; large answers are spooled, not held ----

def test_every_result_form_has_a_byte_cap(build_dir):
    app = create_app(Settings(build_dir=build_dir, timeout=10, workers=1, fast_workers=0, max_result_bytes=20_000))
    with TestClient(app) as small:
        for query, accept in (("CONSTRUCT WHERE { ?s ?p ?o }", "text/turtle"),
                              ("DESCRIBE ?s WHERE { ?s ?p ?o }", "application/n-triples"),
                              ("SELECT * WHERE { ?s ?p ?o }", "text/csv")):
            response = small.get("/sparql", params={"query": query}, headers={"accept": accept})
            assert response.status_code == 413, response.text
            assert "larger than the limit of 20000 bytes" in response.text
        assert small.get("/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 3"},
                         headers={"accept": "text/turtle"}).status_code == 200


def test_large_answers_go_through_a_spool_file_that_is_gone_afterwards(client):
    executor = client.app.state.sparql.executor
    outcome = executor.run(Job("CONSTRUCT WHERE { ?s ?p ?o }", graph_format="ntriples", max_bytes=64 * 1024 * 1024))
    assert outcome.status == "ok" and outcome.path is not None and outcome.body == b""
    assert os.path.dirname(outcome.path) == executor.spool_dir
    body = outcome.read_body()
    assert body.count(b"\n") == outcome.rows > 10_000
    assert not os.path.exists(outcome.path)
    response = client.get("/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
                          headers={"accept": "application/n-triples"})
    assert response.status_code == 200
    assert len(response.content) > 1024 * 1024  # (the caching middleware may re-frame it: no length check)
    assert response.content.count(b"\n") == outcome.rows
    assert os.listdir(executor.spool_dir) == []  # streamed from an unlinked file: nothing left on disk


# ---- rows 3 and 4: admission ----

def test_runaway_clients_do_not_delay_a_cheap_query(client):
    """3 clients loop a runaway COUNT; once its shape is known, a cheap ASK from another client
    gets the short lane at once; queue + run of every runaway stays within the timeout."""
    executor = client.app.state.sparql.executor
    executor.wait_ready()
    shape = guard.shape(guard.inspect(EXPENSIVE))
    stop = threading.Event()
    runaway_times, statuses = [], []

    def runaway():
        while not stop.is_set():
            started = time.monotonic()
            statuses.append(client.get("/sparql", params={"query": EXPENSIVE}).status_code)
            runaway_times.append(time.monotonic() - started)

    threads = [threading.Thread(target=runaway) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 30
        while not executor.is_heavy(shape) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert executor.is_heavy(shape)  # found out after its first slow run
        executor.wait_ready()  # the worker stopped at the short-lane budget is replaced
        latencies = []
        for _ in range(25):
            started = time.monotonic()
            response = client.get("/sparql", params={"query": "ASK {}"})
            latencies.append(time.monotonic() - started)
            assert response.status_code == 200 and response.json()["boolean"] is True
            time.sleep(0.1)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert max(latencies) < 2.0, latencies  # behind a runaway it would wait up to the 4 s timeout
    assert set(statuses) == {503}
    assert max(runaway_times) < 4 + 1.5, runaway_times  # waiting and running share one deadline
    executor.wait_ready()


def test_with_updates_enabled_a_runaway_holds_neither_the_writer_nor_a_cheap_query(build_dir, tmp_path):
    """With the update token set, one process may write the store: queries run in a read-only pool
    on a snapshot, so 3 clients looping a runaway COUNT delay neither an update nor a cheap ASK,
    and each update is seen by the very next query (until the readers have the new snapshot the
    writer answers it; the runaway waits for them)."""
    copy = tmp_path / "build"
    shutil.copytree(build_dir, copy)
    app = create_app(Settings(build_dir=copy, timeout=4, workers=1, fast_workers=1, update_token=TOKEN))
    headers = {"authorization": f"Bearer {TOKEN}", "content-type": "application/sparql-update"}
    with TestClient(app) as client:
        readers = app.state.sparql.readers
        readers.wait_ready()
        for text in ("ASK {}", "ASK { <http://example.org/s> ?p 0 }"):  # known quick: the writer may answer
            assert client.get("/sparql", params={"query": text}).status_code == 200
        shape = guard.shape(guard.inspect(EXPENSIVE))
        stop = threading.Event()

        def runaway():
            while not stop.is_set():
                client.get("/sparql", params={"query": EXPENSIVE})

        threads = [threading.Thread(target=runaway) for _ in range(3)]
        for thread in threads:
            thread.start()
        try:
            deadline = time.monotonic() + 30
            pools = (readers, app.state.sparql.executor)
            while not any(pool.is_heavy(shape) for pool in pools) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert any(pool.is_heavy(shape) for pool in pools)
            readers.wait_ready()
            times = []
            for number in range(6):
                started = time.monotonic()
                update = client.post("/sparql", headers=headers,
                                     content=f"INSERT DATA {{ GRAPH <{ASSERTED}> {{ <http://example.org/s{number}> "
                                             f"<http://example.org/p> {number} }} }}")
                seen = client.get("/sparql", params={"query": f"ASK {{ <http://example.org/s{number}> ?p {number} }}"})
                times.append(time.monotonic() - started)
                assert update.status_code == 200 and seen.json()["boolean"] is True
                for _ in range(3):
                    started = time.monotonic()
                    assert client.get("/sparql", params={"query": "ASK {}"}).status_code == 200
                    times.append(time.monotonic() - started)
                    time.sleep(0.1)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
    assert max(times) < 2.0, times  # behind a runaway in the one writer they waited up to the 4 s timeout


def test_a_full_queue_is_answered_503_with_retry_after_at_once(build_dir):
    app = create_app(Settings(build_dir=build_dir, timeout=4, workers=1, fast_workers=0, max_queue=0))
    with TestClient(app) as single:
        executor = single.app.state.sparql.executor
        executor.wait_ready()
        runner = threading.Thread(target=lambda: single.get("/sparql", params={"query": EXPENSIVE}))
        runner.start()
        while executor.busy < 1:
            time.sleep(0.01)
        started = time.monotonic()
        response = single.get("/sparql", params={"query": "ASK {}"})
        took = time.monotonic() - started
        runner.join()
    assert response.status_code == 503 and response.headers["retry-after"] == "1"
    assert "already waiting" in response.text
    assert took < 1.5  # refused at once, not after the timeout


def test_heavy_work_is_bounded_and_answers_503_with_retry_after():
    async def scenario():
        work = HeavyWork(slots=1, queue=1, wait=0.3)
        log = []

        async def compute(name, seconds):
            try:
                async with work.slot():
                    log.append(f"{name} runs")
                    await asyncio.sleep(seconds)
            except Busy as refused:
                log.append(f"{name} refused: {refused}")

        started = time.monotonic()
        # first takes the slot, second waits (the queue holds one) and times out, third is refused at once
        await asyncio.gather(compute("first", 0.6), compute("second", 0), compute("third", 0))
        await compute("fourth", 0)  # the slot is free again
        return log, time.monotonic() - started

    log, took = asyncio.run(scenario())
    assert log[:2] == ["first runs", "third refused: the server is computing 1 exports, reports or walks "
                                     "already; try again later"]
    assert log[2].startswith("second refused") and log[3] == "fourth runs"
    assert took < 1.5


def test_a_walk_takes_a_heavy_slot_and_a_file_already_made_takes_none(build_dir, monkeypatch):
    """Clients looping over exports are served from disk while walks (or computations) hold every
    slot: only computing is admitted, and past the queue it is answered 503 with Retry-After."""
    from sdggraph.query import traverse

    real, walking, answers = traverse.impact, threading.Event(), []

    def slow_impact(*args, **kwargs):
        walking.set()
        time.sleep(1.0)  # stands for a long walk
        return real(*args, **kwargs)

    monkeypatch.setattr(traverse, "impact", slow_impact)
    settings = Settings(build_dir=build_dir, workers=1, heavy_requests=1, max_queue=0, cache_mb=0)
    with TestClient(create_app(settings)) as test_client:
        assert test_client.get("/export/ks-taxonomy").status_code == 200  # made once, now on disk
        walk = threading.Thread(target=lambda: answers.append(test_client.get("/traverse/impact?goal=3")))
        walk.start()
        assert walking.wait(10)
        started = time.monotonic()
        second_walk = test_client.get("/traverse/impact?goal=13")
        on_disk = [test_client.get("/export/ks-taxonomy", headers={"cache-control": "no-cache"}) for _ in range(5)]
        took = time.monotonic() - started
        walk.join()
    assert second_walk.status_code == 503 and second_walk.headers["retry-after"] == "2"
    assert "try again later" in second_walk.text
    assert [answer.status_code for answer in on_disk] == [200] * 5 and took < 0.9
    assert answers[0].status_code == 200


# ---- row 6: logs cannot be forged ----

def test_request_log_escapes_what_the_request_carries(client, caplog):
    fake = "2026-01-01 00:00:00,000 INFO sdggraph.server.requests: GET /admin 200 0.1 ms ok"
    with caplog.at_level(logging.INFO, logger="sdggraph.server.requests"):
        client.get("/kommune/x%0d%0a" + fake.replace(" ", "%20"), headers={"user-agent": "evil\tagent\x7f"})
    [record] = [r for r in caplog.records if r.name == "sdggraph.server.requests"]
    line = record.getMessage()
    assert "\r" not in line and "\n" not in line and "\t" not in line and "\x7f" not in line
    assert "/kommune/x\\x0d\\x0a2026-01-01" in line and 'agent="evil\\x09agent\\x7f"' in line
    entry = json.loads(logs.JsonFormatter().format(record))
    assert entry["path"].startswith("/kommune/x\\x0d\\x0a") and entry["status"] == 404
    assert {"time", "method", "path", "status", "duration_ms", "outcome", "client"} <= set(entry)
    other = logging.LogRecord("x", logging.WARNING, __file__, 1, "bad %s", ("a\nb",), None)
    assert logs.TextFormatter().format(other).endswith("bad a\\x0ab")


def test_a_request_cannot_make_one_field_of_the_log_line_look_like_two(client, caplog):
    """Spaces separate the text line's fields and quotes close the agent: a path or agent that
    carries them would fake a status, a client or a field after the agent."""
    with caplog.at_level(logging.INFO, logger="sdggraph.server.requests"):
        client.get("/kommune/x%20200%200.1%20ms%20ok%20client=10.0.0.1%20agent=%22a%22%5Cx20",
                   headers={"user-agent": 'curl" client="10.0.0.2'})
    [record] = [r for r in caplog.records if r.name == "sdggraph.server.requests"]
    line = record.getMessage()
    assert line.startswith("GET /kommune/x\\x20200\\x200.1\\x20ms")
    assert line.split(" ")[2:7] == ["404", line.split(" ")[3], "ms", "not-found", "client=testclient"]
    assert line.count('"') == 2 and line.endswith('agent="curl\\x22 client=\\x2210.0.0.2"')
    assert "\\\\x20" in line  # the backslash the request sent stays doubled: no fake escape
    assert json.loads(logs.JsonFormatter().format(record))["path"].startswith("/kommune/x 200 0.1 ms")


# ---- row 7: the small ones ----

def test_two_accept_headers_are_combined(client):
    response = client.get("/sparql", params={"query": "ASK {}"},
                          headers=[("accept", "text/html"), ("accept", "text/csv")])
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")


@pytest.mark.parametrize("weight", ["nan", "NaN", "inf", "2", "-1", "0.5.1", "1.5"])
def test_an_invalid_q_counts_for_nothing(client, weight):
    response = client.get("/sparql", params={"query": "ASK {}"},
                          headers={"accept": f"text/csv;q={weight}, application/sparql-results+xml;q=0.1"})
    assert response.headers["content-type"].startswith("application/sparql-results+xml")


def test_invalid_utf8_in_a_get_query_is_a_400_as_in_a_post(client):
    response = client.get("/sparql?query=ASK%7B%7D%FF")
    assert response.status_code == 400 and "not valid UTF-8" in response.text


def test_update_errors_follow_sparql_update_semantics(build_dir, tmp_path):
    copy = tmp_path / "build"
    shutil.copytree(build_dir, copy)
    app = create_app(Settings(build_dir=copy, timeout=10, update_token=TOKEN))
    headers = {"authorization": f"Bearer {TOKEN}", "content-type": "application/sparql-update"}
    with TestClient(app) as updates:
        def update(text):
            return updates.post("/sparql", content=text.encode(), headers=headers)
        missing = update("DROP GRAPH <urn:missing>")
        assert missing.status_code == 404 and "does not exist" in missing.text
        assert update("CLEAR GRAPH <urn:missing>").status_code == 404
        assert update("DROP SILENT GRAPH <urn:missing>").status_code == 200
        existing = update(f"CREATE GRAPH <{ASSERTED}>")
        assert existing.status_code == 409 and "already exists" in existing.text
        assert update(f"CREATE SILENT GRAPH <{ASSERTED}>").status_code == 200


def test_billion_laughs_is_refused_at_once_wherever_rdfxml_is_read(tmp_path):
    from sdggraph.compile.sources import parse_rdf_file
    from sdggraph.errors import InputFileError, SdggraphError
    from sdggraph.store.remote import parse_response

    for name in ("laughs.rdf", "laughs.owl"):
        path = tmp_path / name
        path.write_text(LAUGHS)
        started = time.monotonic()
        with pytest.raises(InputFileError) as refused:
            parse_rdf_file(path)
        assert time.monotonic() - started < 1
        assert refused.value.line == 2 and "DTD" in str(refused.value) and name in str(refused.value)
    answer = httpx.Response(200, content=LAUGHS.encode(), headers={"content-type": "application/rdf+xml"})
    with pytest.raises(SdggraphError, match="DTD"):
        parse_response("http://127.0.0.1:9/query", answer)


def test_validate_refuses_an_oversized_file_before_reading_it(build_dir, tmp_path, capsys):
    from sdggraph.check.validate import validate
    from sdggraph.cli import main
    from sdggraph.errors import InputFileError

    big = tmp_path / "big.ttl"
    big.write_bytes(b"<urn:s> <urn:p> <urn:o> .\n" * 2000)
    started = time.monotonic()
    with pytest.raises(InputFileError, match="above the limit of 1000 bytes"):
        validate([big], build_dir=build_dir, max_bytes=1000)
    assert time.monotonic() - started < 1
    assert main(["validate", "--build-dir", str(build_dir), "--max-file-bytes", "1000", str(big)]) == 2
    assert "raise it with --max-file-bytes" in capsys.readouterr().err


# ---- SIGTERM under load; JSON logs from the real server ----

def test_sigterm_stops_the_server_and_its_workers_within_seconds(build_dir, tmp_path):
    from helpers import child_pids, free_port, wait_until_answering

    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "sdggraph.cli", "serve", "--port", str(port),
                                    "--workers", "1", "--timeout", "60", "--log-format", "json",
                                    "--build-dir", str(build_dir)], stdout=subprocess.DEVNULL, stderr=stderr)
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_until_answering(process, url + "/sparql?query=ASK%7B%7D", limit_s=120)
        except RuntimeError as error:
            pytest.fail(f"{error}; its log:\n{log.read_text()[-3000:]}")
        httpx.get(url + "/kommune/x%0d%0a2026-01-01%20INFO%20fake")
        body = ("ASK { " + "a." * 30_000 + " }").encode()
        load = [threading.Thread(target=lambda: httpx.post(url + "/sparql", content=body, timeout=60,
                                                           headers={"content-type": "application/sparql-query"}))
                for _ in range(4)]
        load += [threading.Thread(target=lambda: httpx.get(url + "/sparql", params={"query": EXPENSIVE},
                                                           timeout=60)) for _ in range(2)]
        for thread in load:
            thread.daemon = True
            thread.start()
        time.sleep(1.5)
        children = child_pids(process.pid)
        assert len(children) >= 2  # the query workers (a runaway query is running in one)
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
        took = time.monotonic() - started
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert took < 10, f"SIGTERM took {took:.1f} s"
    time.sleep(0.5)
    assert not [pid for pid in children if Path(f"/proc/{pid}").exists()
                and Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"]
    lines = log.read_text().splitlines()
    entries = [json.loads(line) for line in lines]  # every line is a JSON object
    paths = [entry.get("path", "") for entry in entries]
    assert "/kommune/x\\x0d\\x0a2026-01-01 INFO fake" in paths
    # The runaway queries still running when the grace period ended: answered 503, one line each,
    # and no traceback from the cancelled tasks.
    stopped = [entry for entry in entries if entry.get("outcome") == "stopped"]
    assert stopped and {entry["status"] for entry in stopped} == {503}, lines[-20:]
    assert not [entry for entry in entries if "error" in entry or "Exception in ASGI" in entry.get("message", "")]
