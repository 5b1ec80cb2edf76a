"""Named questions known to be cheap answered in the server process (server/inprocess): the same
bytes as a worker's, only after a worker showed them cheap in this version of the graph, never
queued, back to the workers when one overruns, and never beside the writer."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time

import pytest
from fastapi.testclient import TestClient

from sdggraph.layout import STORE_DIR
from sdggraph.query import named
from sdggraph.server.app import create_app
from sdggraph.server.executor import Job, QueryExecutor
from sdggraph.server.inprocess import InProcessRunner
from sdggraph.server.middleware import InFlight
from sdggraph.server.settings import Settings

CHEAP = "SELECT ?s WHERE { ?s a <https://w3id.org/sdggraph/ontology#SubGoal> } ORDER BY ?s"
SLOW = ("SELECT (COUNT(*) AS ?n) WHERE { ?a a <https://w3id.org/sdggraph/ontology#Indicator> . "
        "?b a <https://w3id.org/sdggraph/ontology#Indicator> . ?c a <https://w3id.org/sdggraph/ontology#SubGoal> }")
KEY = ("v1", "question", None)


@pytest.fixture
def runner(build_dir):
    return opened(InProcessRunner(str(build_dir / STORE_DIR), {}, threads=1, budget=0.5, timeout=5))


def opened(runner: InProcessRunner) -> InProcessRunner:
    """The runner with the store of "build-1" open, as the service opens its build's at start."""
    assert runner.open("build-1") is not None
    return runner


def test_answers_with_the_bytes_a_worker_gives_once_a_worker_showed_it_cheap(build_dir, runner):
    pool = QueryExecutor(build_dir / STORE_DIR, workers=1, fast_workers=0, timeout=5)
    pool.start(wait=True)
    try:
        for name, query in named.discover().items():
            text = query.with_values({}, named.defaults_in(query, build_dir))
            by_worker = pool.run(Job(text, tabular_format="json"))
            key = ("v1", name, None)
            assert asyncio.run(runner.try_run(Job(text, tabular_format="json"), key, "build-1")) is None, \
                "answered here before any worker timed it"
            runner.note(key, by_worker.seconds)
            here = asyncio.run(runner.try_run(Job(text, tabular_format="json"), key, "build-1"))
            assert here is not None, name
            assert (here.status, here.body) == (by_worker.status, by_worker.body), name
    finally:
        pool.close()


def test_a_question_a_worker_found_slow_stays_with_the_workers(runner):
    runner.note(KEY, 0.6)  # above the budget of 0.5 s
    assert asyncio.run(runner.try_run(Job(CHEAP), KEY, "build-1")) is None
    runner.note(KEY, 0.01)  # cheap again in a later run
    assert asyncio.run(runner.try_run(Job(CHEAP), KEY, "build-1")).status == "ok"


def test_an_answer_here_that_overran_sends_the_question_back_to_the_workers(build_dir):
    runner = opened(InProcessRunner(str(build_dir / STORE_DIR), {}, threads=1, budget=1e-6, timeout=5))
    runner.note(KEY, 0.0)
    assert asyncio.run(runner.try_run(Job(SLOW), KEY, "build-1")).status == "ok"  # took > 4 budgets
    runner.note(KEY, 0.0)  # even a worker's cheap run does not bring it back in this version
    assert asyncio.run(runner.try_run(Job(SLOW), KEY, "build-1")) is None


def test_past_the_timeout_the_answer_is_503_and_its_thread_is_not_lent_again(build_dir):
    runner = opened(InProcessRunner(str(build_dir / STORE_DIR), {}, threads=1, budget=10, timeout=0.001))
    runner.note(KEY, 0.0)
    started = time.monotonic()
    outcome = asyncio.run(runner.try_run(Job(SLOW), KEY, "build-1"))
    assert outcome.status == "timeout" and time.monotonic() - started < 1
    other = ("v1", "other", None)
    runner.note(other, 0.0)
    assert not runner.admits(KEY)  # excluded for the version
    deadline = time.monotonic() + 30
    while runner._running and time.monotonic() < deadline:  # the overrunning thread finishes
        assert not runner.admits(other), "a thread still running was lent again"
        time.sleep(0.01)
    assert runner.admits(other)


def test_with_every_thread_busy_it_declines_at_once(build_dir):
    runner = opened(InProcessRunner(str(build_dir / STORE_DIR), {}, threads=1, budget=10, timeout=5))
    runner.note(KEY, 0.0)
    other = ("v1", "other", None)
    runner.note(other, 0.0)

    async def both():
        first = asyncio.ensure_future(runner.try_run(Job(SLOW), KEY, "build-1"))
        await asyncio.sleep(0.01)  # the first holds the only thread
        second = await runner.try_run(Job(CHEAP), other, "build-1")
        return second, await first

    second, first = asyncio.run(both())
    assert second is None and first.status == "ok"


def test_a_new_build_is_read_from_a_store_opened_for_it_in_a_thread_meanwhile_the_workers_answer(runner):
    runner.note(KEY, 0.0)
    first = runner._store
    assert asyncio.run(runner.try_run(Job(CHEAP), KEY, "build-1")).status == "ok"
    assert runner._store is first
    assert asyncio.run(runner.try_run(Job(CHEAP), KEY, "build-2")) is None  # opening: not on the loop
    wait_until(lambda: runner._store[0] == "build-2")
    assert runner._store[1] is not first[1]
    assert asyncio.run(runner.try_run(Job(CHEAP), KEY, "build-2")).status == "ok"


def wait_until(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert condition()


def test_an_older_builds_opening_that_ends_last_is_opened_over_again(runner):
    runner.note(KEY, 0.0)
    assert asyncio.run(runner.try_run(Job(CHEAP), KEY, "build-3")) is None  # opens in a thread
    wait_until(lambda: runner._store[0] == "build-3" and runner._opening is None)
    runner.open("build-2")  # an older build's opening, slower, ends last
    assert asyncio.run(runner.try_run(Job(CHEAP), KEY, "build-3")) is None  # opened again
    wait_until(lambda: runner._store[0] == "build-3")
    assert asyncio.run(runner.try_run(Job(CHEAP), KEY, "build-3")).status == "ok"


def test_the_service_answers_a_named_question_here_from_its_second_cold_request(build_dir):
    settings = Settings(build_dir=build_dir, workers=1, fast_workers=0)
    with TestClient(create_app(settings)) as client:
        runner = client.app.state.sparql.inprocess
        url = "/queries/delmal-uten-indikator?format=sparql-json"
        first = client.get(url, headers={"Cache-Control": "no-cache"})
        assert runner.answered == 0  # a worker answered, and timed it
        second = client.get(url, headers={"Cache-Control": "no-cache"})
        assert runner.answered == 1
        assert first.status_code == second.status_code == 200 and first.content == second.content
        assert first.headers["etag"] == second.headers["etag"]


def test_never_beside_the_writer(build_dir):
    settings = Settings(build_dir=build_dir, workers=1, update_token="x" * 32)
    assert create_app(settings).state.sparql.inprocess is None  # (not started: the store stays untouched)
    assert create_app(Settings(build_dir=build_dir, inprocess_threads=0)).state.sparql.inprocess is None


def test_asked_alone_a_question_cheap_enough_is_answered_on_the_event_loop(build_dir):
    runner = opened(InProcessRunner(str(build_dir / STORE_DIR), {}, threads=1, budget=0.5, timeout=5,
                                    inline_budget=0.1, slowness=1.0))
    runner.note(KEY, 0.01)
    on_loop = threading.get_ident()
    answered_in = []
    real = runner._answer

    def noting(*args):
        answered_in.append(threading.get_ident())
        return real(*args)
    runner._answer = noting
    for alone in (True, False):  # with another request in flight, a thread answers
        assert asyncio.run(runner.try_run(Job(CHEAP), KEY, "build-1", alone=alone)).status == "ok"
    runner.note(KEY, 0.2)  # no longer cheap enough for the loop
    assert asyncio.run(runner.try_run(Job(CHEAP), KEY, "build-1", alone=True)).status == "ok"
    assert answered_in[0] == on_loop and answered_in[1] != on_loop and answered_in[2] != on_loop
    assert runner.answered_inline == 1 and runner.answered == 3


def test_with_a_server_process_per_core_a_cheap_question_is_answered_on_the_loop_under_load_too(build_dir,
                                                                                                 monkeypatch):
    runner = opened(InProcessRunner(str(build_dir / STORE_DIR), {}, threads=1, budget=0.5, timeout=5,
                                    loaded_inline_budget=0.1, slowness=1.0, inline_under_load=True))
    runner.note(KEY, 0.01)
    assert asyncio.run(runner.try_run(Job(CHEAP), KEY, "build-1", alone=False)).status == "ok"
    assert runner.answered_inline == 1
    runner.note(KEY, 0.2)  # dearer than the loop's budget: a thread, under load or not
    assert asyncio.run(runner.try_run(Job(CHEAP), KEY, "build-1", alone=False)).status == "ok"
    assert runner.answered_inline == 1 and runner.answered == 2
    # the service turns it on when its HTTP processes take every core, and only then
    monkeypatch.setattr("sdggraph.server.service.usable_cores", lambda: 2)
    for processes, expected in ((1, False), (2, True), (3, True)):
        service = create_app(Settings(build_dir=build_dir, http_processes=processes)).state.sparql
        assert service.inprocess.inline_under_load is expected


def test_with_a_server_process_per_core_the_loop_takes_dearer_questions_than_alone(build_dir):
    """Under load a thread costs more CPU than the loop (bench/README): there the loop's budget is
    `loaded_inline_budget` (6 ms), not the 2 ms a question asked alone gets in one process."""
    store = str(build_dir / STORE_DIR)
    one_process = InProcessRunner(store, {}, slowness=1.0)
    per_core = InProcessRunner(store, {}, slowness=1.0, inline_under_load=True)
    assert one_process.inline_budget == pytest.approx(0.002) and per_core.inline_budget == pytest.approx(0.006)
    assert InProcessRunner(store, {}, slowness=2.0, inline_under_load=True).inline_budget == pytest.approx(0.012)
    for runner in (opened(one_process), opened(per_core)):
        runner.note(KEY, 0.004)  # revisjoner-sized
        assert asyncio.run(runner.try_run(Job(CHEAP), KEY, "build-1", alone=True)).status == "ok"
    assert one_process.answered_inline == 0 and per_core.answered_inline == 1


def test_requests_in_flight_are_counted_for_the_service(build_dir):
    settings = Settings(build_dir=build_dir, workers=1, fast_workers=0)
    with TestClient(create_app(settings)) as client:
        service = client.app.state.sparql
        seen = []
        real = service.inprocess.try_run

        async def noting(job, key, build, alone=False):
            seen.append((service.in_flight.count, alone))
            return await real(job, key, build, alone)
        service.inprocess.try_run = noting
        client.get("/queries/delmal-uten-indikator", headers={"Cache-Control": "no-cache"})
        assert seen == [(1, True)] and service.in_flight.count == 0


def test_a_request_is_alone_only_without_company_from_other_connections(monkeypatch):
    """An event loop that answers each request without yielding reads the next only after it: 50
    clients at once then never show two in flight. Their connections alternate, without a pause."""
    clock = [100.0]
    monkeypatch.setattr("sdggraph.server.middleware.time.monotonic", lambda: clock[0])
    flight = InFlight()
    one, other = ("127.0.0.1", 5001), ("127.0.0.1", 5002)
    assert flight.begin(one)  # the first request
    flight.end()
    assert flight.begin(one), "the same connection again"
    flight.end()
    clock[0] += 0.0001
    assert not flight.begin(other), "another connection right after: a busy loop"
    flight.end()
    clock[0] += 0.1
    assert flight.begin(one), "another connection after a pause"
    assert not flight.begin(other), "a second one in flight"
    flight.end()
    flight.end()
    assert flight.count == 0


def test_a_questions_cost_is_the_cpu_time_of_its_thread_not_the_wall_clock(build_dir, monkeypatch):
    """Under load the wall clock counts the waits for a core and for the GIL: every cheap question
    would look dear exactly when it is asked most, and go to the dearer workers."""
    import pyoxigraph

    from sdggraph.server import executor

    store = pyoxigraph.Store.read_only(str(build_dir / STORE_DIR))
    cpu, wall = itertools.count(1.0, 0.001), itertools.count(50.0, 40.0)  # each read: 1 ms CPU, 40 s wall
    monkeypatch.setattr(executor.time, "thread_time", lambda: next(cpu))
    monkeypatch.setattr(executor.time, "monotonic", lambda: next(wall))
    outcome = executor.run_job(store, Job(CHEAP, tabular_format="json"), {})
    assert outcome.status == "ok" and outcome.seconds == pytest.approx(0.001)


def test_the_loop_budget_is_scaled_by_how_slow_this_machine_is(build_dir, monkeypatch):
    """2 ms on the reference machine is 6 ms on one three times slower: the same questions go to the loop."""
    store = str(build_dir / STORE_DIR)
    assert InProcessRunner(store, {}, budget=0.02, inline_budget=0.002, slowness=3.0).inline_budget == pytest.approx(0.006)
    assert InProcessRunner(store, {}, budget=0.004, inline_budget=0.002, slowness=3.0).inline_budget == 0.004, \
        "never past the budget of the server process"
    measured = InProcessRunner(store, {}, inline_budget=0.002)
    assert measured.inline_budget == pytest.approx(0.002 * measured.slowness)
    import sdggraph.server.inprocess as inprocess
    low, high = inprocess.SLOWNESS_RANGE
    assert low <= inprocess.machine_slowness(samples=3) <= high
    monkeypatch.setattr(inprocess, "REFERENCE_SECONDS", 1e-12)  # "this machine is a million times slower"
    assert inprocess.machine_slowness(samples=3) == high
    monkeypatch.setattr(inprocess, "REFERENCE_SECONDS", 1e3)
    assert inprocess.machine_slowness(samples=3) == low
