"""Named questions known to be cheap answered in the server process, beside the worker pool.

A worker's round trip costs two wake-ups between processes and ~0.3 ms of pickling and Python on
each side: as much as a cheap named question takes to evaluate (~0.5 ms). Oxigraph's own server
answers in a thread of its own; so may we, for the questions where that is safe:

* only named questions (`queries/*.rq`: our own text, parameters bound as typed terms), never a
  client's SPARQL, whose cost is unknown (that goes to the workers, see executor);
* only a question (and kommune) that a worker answered within `budget` seconds in this version of
  the graph: the graph is immutable per version and the parameters are typed terms, so the last
  answer's cost stands for the next one's. That is checked, not trusted: every answer here is timed
  too (CPU time of the evaluating thread, as executor.run_job times it: under load the wall clock
  counts waits), and one past `budget` sends the question back to the workers until it is cheap
  again, and one past EXCLUDE_AFTER budgets, or past the timeout, for the rest of the version;
* at most `threads` at once (pyoxigraph releases the GIL while it evaluates, so they use the other
  core); with every thread busy the workers answer, so nothing ever queues here;
* a question whose last answer took at most `inline_budget` seconds (2 ms), asked alone (no other
  request in flight, and none from another connection just before: middleware.InFlight), is
  answered on the event loop itself: the hand-off to a thread and back costs two wake-ups
  (~0.15 ms, more on a VM), and nothing waits meanwhile but what arrives in those 2 ms. The 2 ms
  are the machine's where it was set (bench/README); a machine N× slower takes N× as long for the
  same question and for the hand-off it saves, so the budget is scaled by `machine_slowness()`
  (measured once, at start: on a machine 2–3× slower a fixed 2 ms sent the cheapest questions to
  the threads and halved the answers per second);
* `inline_under_load` (`serve --http-processes N` with N ≥ the cores): such a question is answered
  on the loop under load too. A thread of this process would only compete for a core that another
  server process keeps busy, and for this process's GIL: pyoxigraph takes it back two or three
  times per query, each time waiting for the loop (50 clients, two processes: ~1.5 ms of CPU per
  cheap answer in a thread, ~1.1 ms on the loop, 10–30% more answers a second). The loop's budget
  is then `loaded_inline_budget` (6 ms, scaled alike): a question of 1.5–4 ms (`revisjoner`,
  `finn-etter-navn`) cost 1.5 ms more CPU per answer in a thread than on the loop, and gave 1.5–1.8×
  the answers a second on the loop; a cheap ASK asked meanwhile waits for the questions ahead of
  it on that process (bench/attack.py row 8, two processes: bystander p99 91 ms with 2 ms, 155 ms
  with 10 ms). With one process the threads win: the loop alone would use one core of two;
* never with updates enabled (the writer worker owns the store: a read-only opener beside it is
  undefined behaviour).

What is given up for these: the worker's kill at the timeout and its memory cap. A question that
overruns is answered 503 at the timeout and its thread finishes in the background, holding one of
`threads` (daemon threads: they never delay the server's exit). The row and byte caps are the
workers' own (executor._run).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time

import pyoxigraph

from ..store.serving import open_for_queries
from .executor import Job, Outcome, run_job

log = logging.getLogger("sdggraph.server.inprocess")

# A named question's shape, parsed and planned on an empty store: what every answer costs before
# it reads the graph, and what a slower machine takes longer for in proportion.
REFERENCE_QUERY = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX ex: <https://example.org/>
SELECT ?item ?label ?year ?value WHERE {
  VALUES ?group { ex:g1 }
  ?item ex:inGroup ?group ; skos:prefLabel ?label .
  FILTER(LANG(?label) = "nb")
  ?observation ex:of ?item ; ex:year ?year .
  OPTIONAL { ?observation ex:value ?value }
  OPTIONAL { ?observation ex:unit/skos:prefLabel ?unit . FILTER(LANG(?unit) = "nb") }
  BIND(EXISTS { ?observation ex:revises ?earlier } AS ?revised)
}
ORDER BY ?year ?item"""
REFERENCE_SECONDS = 0.00009  # its CPU time (best of 30) on the machine the 2 ms were set on
SLOWNESS_RANGE = (0.25, 8.0)  # a measurement outside this says more about the moment than the machine


def machine_slowness(samples: int = 30) -> float:
    """How many times longer than the reference machine this one takes for REFERENCE_QUERY (best of
    `samples`: the best is the machine, the rest is what else ran), within SLOWNESS_RANGE."""
    empty = pyoxigraph.Store()
    best = float("inf")
    for _ in range(samples):
        started = time.thread_time()
        empty.query(REFERENCE_QUERY)
        best = min(best, time.thread_time() - started)
    low, high = SLOWNESS_RANGE
    return min(max(best / REFERENCE_SECONDS, low), high)


EXCLUDE_AFTER = 4  # budgets: an answer slower than this keeps the question with the workers for the version
MAX_KEYS = 4096  # kept costs (questions × kommuner × versions); older versions' are never asked again


class InProcessRunner:
    """`try_run(job, key)`: the answer from a thread of this process, or None (ask the workers)."""

    def __init__(self, store_path: str, prefixes: dict, threads: int = 2, budget: float = 0.02,
                 timeout: float = 5.0, inline_budget: float = 0.002, inline_under_load: bool = False,
                 slowness: float | None = None, memory_store_mb: float = 0,
                 loaded_inline_budget: float = 0.006):
        self.store_path = store_path
        self.memory_store_mb = memory_store_mb  # store/serving.open_for_queries
        self.prefixes = prefixes
        self.threads = threads
        self.budget = budget
        # the inline budgets are the reference machine's; slowness None: this machine's, measured
        self.slowness = machine_slowness() if slowness is None else slowness
        self.inline_under_load = inline_under_load
        # the event loop's budget: under load only when a server process has a core of its own
        self.inline_budget = min((loaded_inline_budget if inline_under_load else inline_budget) * self.slowness,
                                 budget)
        self.timeout = timeout
        self.answered = 0  # answers given here (the tests and the bench read it)
        self.answered_inline = 0  # of which on the event loop
        self._lock = threading.Lock()
        self._running = 0
        self._costs: dict[tuple, float] = {}  # key -> seconds of its last answer
        self._excluded: set[tuple] = set()
        self._store: tuple[str, pyoxigraph.Store] | None = None  # (build, store opened for it)
        self._opening: str | None = None  # the build whose store a thread is opening
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._started = 0

    def note(self, key: tuple, seconds: float | None) -> None:
        """How long a worker took to evaluate the question `key` (version, name, graphs)."""
        if seconds is None:
            return
        with self._lock:
            if len(self._costs) >= MAX_KEYS:
                self._costs.clear()
                self._excluded.clear()
            self._costs[key] = seconds

    def admits(self, key: tuple) -> bool:
        cost = self._costs.get(key)
        return (cost is not None and cost <= self.budget and key not in self._excluded
                and self._running < self.threads)

    async def try_run(self, job: Job, key: tuple, build: str, alone: bool = False) -> Outcome | None:
        """The answer, or None when the question is not known cheap here or every thread is busy.
        `alone`: no other request is in flight (a question cheap enough is answered on the loop; with
        inline_under_load, whether alone or not)."""
        cost = self._costs.get(key)
        on_loop = alone or self.inline_under_load
        if on_loop and cost is not None and cost <= self.inline_budget and key not in self._excluded:
            store = self._open(build)
            if store is not None:
                self.answered_inline += 1
                return self._answer(store, job, key)
        with self._lock:
            if not self.admits(key):
                return None
            self._running += 1
        store = self._open(build)
        if store is None:
            self._release()
            return None
        loop = asyncio.get_running_loop()
        answer = loop.create_future()
        self._ensure_threads()
        self._jobs.put((store, job, key, loop, answer))
        try:
            return await asyncio.wait_for(asyncio.shield(answer), self.timeout)
        except asyncio.TimeoutError:
            with self._lock:
                self._excluded.add(key)
            log.warning("named question %s overran the timeout in the server process; the workers answer "
                        "it from now on", key[1:2])
            return Outcome("timeout", f"the query took longer than {self.timeout:g} s")

    def open(self, build: str) -> pyoxigraph.Store | None:
        """The store of `build`, opened now (a copy in memory takes ~0.3 s for Asker: at start, or
        in a thread of its own, never on the event loop); None when it cannot be opened."""
        opened = self._store
        if opened is None or opened[0] != build:
            try:
                store = open_for_queries(self.store_path, self.memory_store_mb)
            except OSError as error:  # e.g. the store is being swapped: the workers will tell
                log.warning("could not open the store in the server process: %s", error)
                return None
            opened = self._store = (build, store)
        return opened[1]

    def _open(self, build: str) -> pyoxigraph.Store | None:
        """The store of `build` when it is open; else None (the workers answer) while a thread opens it."""
        opened = self._store
        if opened is not None and opened[0] == build:
            return opened[1]
        with self._lock:
            if self._opening == build:
                return None
            self._opening = build
        threading.Thread(target=self._open_in_thread, args=(build,), name="sdggraph-inprocess-open",
                         daemon=True).start()
        return None

    def _open_in_thread(self, build: str) -> None:
        if self.open(build) is not None:
            with self._lock:  # opened: should an older build's slower opening overwrite it, open it again
                if self._opening == build:
                    self._opening = None

    def _ensure_threads(self) -> None:
        if self._started < self.threads:
            with self._lock:
                while self._started < self.threads:
                    threading.Thread(target=self._serve, name=f"sdggraph-inprocess-{self._started}",
                                     daemon=True).start()
                    self._started += 1

    def _serve(self) -> None:
        while True:
            store, job, key, loop, answer = self._jobs.get()
            outcome = self._answer(store, job, key)
            self._release()
            try:
                loop.call_soon_threadsafe(_settle, answer, outcome)
            except RuntimeError:  # the loop has closed (shutdown)
                pass

    def _answer(self, store, job: Job, key: tuple) -> Outcome:
        """Run the job and keep its CPU time (run_job; an overrun excludes the question for the version)."""
        started = time.thread_time()
        try:
            outcome = run_job(store, job, self.prefixes)
        except BaseException as error:  # as a worker reports it
            outcome = Outcome("store-error", f"{type(error).__name__}: {error}")
        seconds = time.thread_time() - started
        with self._lock:
            self.answered += 1
            self._costs[key] = seconds
            if seconds > EXCLUDE_AFTER * self.budget:
                self._excluded.add(key)
        return outcome

    def _release(self) -> None:
        with self._lock:
            self._running -= 1


def _settle(answer: asyncio.Future, outcome: Outcome) -> None:
    if not answer.done():
        answer.set_result(outcome)
