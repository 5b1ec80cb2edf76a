"""Run SPARQL in a pool of worker processes, so a runaway query can be stopped.

Why processes: pyoxigraph evaluates a query in Rust and offers no way to cancel it, and
Python threads cannot be killed. A query that must be stopped at the timeout therefore runs
in a process of its own that can be killed. Processes also let queries use all cores, which
one Python process (one GIL holder at a time when iterating results) would not.

How it works:

* `QueryExecutor(store_path, workers=N)` starts N worker processes (spawn, not fork: the
  server has threads). Each opens the build's pyoxigraph store read-only once and then
  serves jobs from a pipe: it runs the query, has pyoxigraph write the result in the
  requested format, enforces the row cap (413 above it; see `_select`), and sends back bytes.
  Serializing in the worker keeps the HTTP process free.
* A request takes an idle worker from a queue (waiting at most `timeout`, else 503 busy),
  sends the job and waits at most `timeout` seconds for the answer. If none comes, the
  worker is killed (SIGKILL) and a fresh one is started in the background; the request is
  answered 503. The other workers are not involved, so other clients are not delayed,
  except that with all N workers busy a request waits for one to become free.
* The wait happens in a thread of the web server's thread pool (the route awaits it with
  `run_in_threadpool`), so the event loop keeps serving other requests meanwhile.
* A worker that dies (killed, crashed, or out of memory under its address-space cap) is
  replaced the same way. A new build swapped into build/ (new store directory) is noticed
  at the next request: workers on the old store are replaced as they come back idle.
* Updates: RocksDB allows one writer, and a read-only opener next to a writer is undefined
  behaviour (pyoxigraph's docs; it corrupts reads in practice). So when updates are enabled
  the pool has exactly one worker, which opens the store read-write and runs queries and
  updates one at a time. An update is one transaction: a worker killed at the timeout leaves
  the store as it was.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
import queue
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph

from . import serialize

log = logging.getLogger("sdggraph.server.executor")

STARTUP_TIMEOUT = 60.0


@dataclass
class Job:
    """One query or update for a worker (picklable)."""

    text: str
    kind: str = "query"  # "query" or "update"
    base_iri: str | None = None
    default_graph: list[str] | None = None  # None: the query's FROM, or the union (see `union`)
    named_graphs: list[str] | None = None
    union: bool = True  # the default graph is the union of the named graphs
    tabular_format: str | None = "json"  # for SELECT/ASK; None: not acceptable (406)
    graph_format: str | None = "turtle"  # for CONSTRUCT/DESCRIBE; None: not acceptable (406)
    max_rows: int = 50_000
    substitutions: dict = field(default_factory=dict)  # variable name -> pyoxigraph term


@dataclass
class Outcome:
    """What a job gave: status 'ok' with format and body, or an error status with a message."""

    status: str  # ok, syntax, not-acceptable, too-many-rows, timeout, busy, crashed, store-error
    message: str = ""
    format: str | None = None
    body: bytes = b""
    result_kind: str | None = None  # boolean, solutions, triples, update
    rows: int | None = None


# ---- the worker process ----

RESULT_FORMATS = {"json": pyoxigraph.QueryResultsFormat.JSON, "xml": pyoxigraph.QueryResultsFormat.XML,
                  "csv": pyoxigraph.QueryResultsFormat.CSV, "tsv": pyoxigraph.QueryResultsFormat.TSV}


def _limit_memory(megabytes: int) -> None:
    if megabytes:
        import resource
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _run(store, job: Job, prefixes: dict) -> Outcome:
    if job.kind == "update":
        store.update(job.text, base_iri=job.base_iri)
        return Outcome("ok", result_kind="update")
    if job.kind == "snapshot":  # job.text: a new directory for the store and its N-Quads, as of now
        target = Path(job.text)
        store.backup(str(target / "oxigraph"))  # hard links where it can: cheap
        store.dump(str(target / "dataset.nq"), format=pyoxigraph.RdfFormat.N_QUADS)
        return Outcome("ok", result_kind="snapshot")
    options = {}
    if job.default_graph is not None:
        options["default_graph"] = [pyoxigraph.NamedNode(iri) for iri in job.default_graph]
    if job.named_graphs is not None:
        options["named_graphs"] = [pyoxigraph.NamedNode(iri) for iri in job.named_graphs]
    if job.union and job.default_graph is None:
        options["use_default_graph_as_union"] = True
    if job.substitutions:
        options["substitutions"] = {pyoxigraph.Variable(name): term for name, term in job.substitutions.items()}
    result = store.query(job.text, base_iri=job.base_iri, **options)
    if isinstance(result, pyoxigraph.QueryBoolean):
        if job.tabular_format is None:
            return Outcome("not-acceptable", "ASK results can be given as json, xml, csv or tsv", result_kind="boolean")
        body = result.serialize(format=RESULT_FORMATS[job.tabular_format])
        return Outcome("ok", format=job.tabular_format, body=body, result_kind="boolean", rows=1)
    is_select = isinstance(result, pyoxigraph.QuerySolutions)
    fmt = job.tabular_format if is_select else job.graph_format
    kind = "solutions" if is_select else "triples"
    if fmt is None:
        offered = "json, xml, csv or tsv" if is_select else "turtle, ntriples, jsonld or rdfxml"
        return Outcome("not-acceptable", f"{'SELECT' if is_select else 'CONSTRUCT/DESCRIBE'} results can be "
                       f"given as {offered}", result_kind=kind)
    if is_select:
        return _select(job, result, fmt)
    rows = list(itertools.islice(result, job.max_rows + 1))
    if len(rows) > job.max_rows:
        return _too_many(job, kind)
    return Outcome("ok", format=fmt, body=serialize.triples(rows, fmt, prefixes), result_kind=kind, rows=len(rows))


# A row takes at least this many bytes in each format ("{}," in JSON, "<result/>" in XML, a line
# end in CSV/TSV), so output no longer than max_rows * MIN_ROW_BYTES has at most max_rows rows.
MIN_ROW_BYTES = {"json": 2, "xml": 9, "csv": 1, "tsv": 1}
# Output is given up past this many bytes per allowed row (a runaway result stops early).
MAX_BYTES_PER_ROW = 2048

_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_CSV_QUOTED = re.compile(rb'"(?:[^"]|"")*"')


def count_rows(body: bytes, fmt: str) -> int:
    """Rows in pyoxigraph's serialization of a SELECT result (strings cannot fake a separator)."""
    if fmt == "json":
        skeleton = _JSON_STRING.sub(b'""', body)  # braces inside strings no longer count
        bindings = skeleton[skeleton.rindex(b"["):]  # results.bindings: the last array (rows hold none)
        return 0 if bindings.startswith(b"[]") else bindings.count(b"},{") + 1
    if fmt == "xml":
        return body.count(b"<result>") + body.count(b"<result/>")  # '<' in text is always escaped
    if fmt == "tsv":
        return body.count(b"\n") - 1  # newlines inside values are escaped as \n
    if fmt == "csv":
        return _CSV_QUOTED.sub(b"", body).count(b"\n") - 1
    raise ValueError(fmt)


def _rows_at_most(body: bytes, fmt: str) -> int:
    """A quick upper bound of count_rows (separators inside strings may add to it, never remove)."""
    if fmt == "json":
        return body.count(b"},{") + 1
    return body.count(b"\n") if fmt in ("csv", "tsv") else count_rows(body, fmt)


class _Full(Exception):
    pass


class _BoundedBuffer:
    """A binary sink for pyoxigraph's writer that gives up past `limit` bytes."""

    def __init__(self, limit: int):
        self.parts, self.size, self.limit = [], 0, limit

    def write(self, data) -> int:
        self.size += len(data)
        if self.size > self.limit:
            raise _Full()
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass


def _select(job: Job, result, fmt: str) -> Outcome:
    """SELECT results, written by pyoxigraph (in Rust), with the row cap.

    Output short enough that it cannot hold more than max_rows rows is sent as it is; longer
    output has its rows counted; output past max_rows * MAX_BYTES_PER_ROW bytes is given up."""
    buffer = _BoundedBuffer(job.max_rows * MAX_BYTES_PER_ROW)
    try:
        result.serialize(buffer, format=RESULT_FORMATS[fmt])
    except _Full:
        return Outcome("too-many-rows", f"the result is larger than {buffer.limit} bytes; add a LIMIT or a "
                       "narrower pattern", result_kind="solutions")
    body = b"".join(buffer.parts)
    if len(body) > job.max_rows * MIN_ROW_BYTES[fmt] and _rows_at_most(body, fmt) > job.max_rows \
            and count_rows(body, fmt) > job.max_rows:
        return _too_many(job, "solutions")
    return Outcome("ok", format=fmt, body=body, result_kind="solutions")


def _too_many(job: Job, kind: str) -> Outcome:
    unit = "rows" if kind == "solutions" else "triples"
    return Outcome("too-many-rows", f"the result has more than {job.max_rows} {unit}; add a LIMIT or a "
                   "narrower pattern", result_kind=kind)


def _worker_main(conn, store_path: str, writable: bool, prefixes: dict, memory_mb: int) -> None:
    try:
        _limit_memory(memory_mb)
        store = pyoxigraph.Store(store_path) if writable else pyoxigraph.Store.read_only(store_path)
    except BaseException as error:  # tell the parent why, instead of dying silently
        conn.send(("failed", f"{type(error).__name__}: {error}"))
        return
    conn.send(("ready", os.getpid()))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):  # the server went away
            return
        if job is None:
            return
        try:
            outcome = _run(store, job, prefixes)
        except SyntaxError as error:
            outcome = Outcome("syntax", str(error))
        except MemoryError:
            outcome = Outcome("crashed", "the query needed more memory than a worker may use")
        except Exception as error:  # OSError from the store, or an evaluation error
            outcome = Outcome("store-error", f"{type(error).__name__}: {error}")
        try:
            conn.send(outcome)
        except (EOFError, OSError):
            return


# ---- the pool, in the server process ----

class _Worker:
    _ids = itertools.count(1)

    def __init__(self, context, store_path: str, writable: bool, prefixes: dict, memory_mb: int, generation: int):
        self.id = next(self._ids)
        self.generation = generation
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, name=f"sdggraph-query-worker-{self.id}",
                                       args=(child, store_path, writable, prefixes, memory_mb), daemon=True)
        self.process.start()
        child.close()
        self._kill_lock = threading.Lock()

    def kill(self) -> None:
        # Called from the pool's close(), a retiring thread and a start-up thread, possibly at once:
        # closing the pipe twice concurrently raises EBADF, so only the first caller closes it.
        with self._kill_lock:
            if self.process.is_alive():
                self.process.kill()
            self.process.join(timeout=5)
            try:
                self.conn.close()
            except OSError:
                pass


class QueryExecutor:
    def __init__(self, store_path: Path | str, workers: int = 2, timeout: float = 5.0, writable: bool = False,
                 prefixes: dict | None = None, memory_mb: int = 0):
        self.store_path = str(store_path)
        self.size = 1 if writable else workers
        self.timeout = timeout
        self.writable = writable
        self.prefixes = prefixes or {}
        self.memory_mb = memory_mb
        self._context = multiprocessing.get_context("spawn")
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._workers: set[_Worker] = set()
        self._busy = 0
        self._lock = threading.Lock()
        self._started = False
        self._closed = False
        self.startup_error: str | None = None
        self._generation = 0
        self._store_identity = self._identity()

    # -- lifecycle --

    def start(self, wait: bool = False) -> "QueryExecutor":
        with self._lock:
            if not self._started and not self._closed:
                self._started = True
                for _ in range(self.size):
                    self._spawn()
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT) -> None:
        """Block until every worker has opened the store (tests and start-up use this)."""
        deadline = time.monotonic() + timeout
        while self._idle.qsize() + self._busy < self.size and time.monotonic() < deadline:
            if self.startup_error:
                raise RuntimeError(self.startup_error)
            time.sleep(0.02)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._workers)
            self._workers.clear()
        for worker in workers:
            try:
                worker.conn.send(None)
            except (OSError, ValueError):
                pass
            worker.kill()

    @property
    def busy(self) -> int:
        return self._busy

    @property
    def alive(self) -> int:
        with self._lock:
            return sum(1 for worker in self._workers if worker.process.is_alive())

    def worker_pids(self) -> list[int]:
        with self._lock:
            return [worker.process.pid for worker in self._workers if worker.process.is_alive()]

    def _spawn(self) -> None:
        """Start a worker; a helper thread puts it in the idle queue once its store is open."""
        worker = _Worker(self._context, self.store_path, self.writable, self.prefixes, self.memory_mb,
                         self._generation)
        self._workers.add(worker)
        threading.Thread(target=self._await_ready, args=(worker,), daemon=True,
                         name=f"sdggraph-worker-start-{worker.id}").start()

    def _await_ready(self, worker: _Worker) -> None:
        message = None
        try:
            if worker.conn.poll(STARTUP_TIMEOUT):
                message = worker.conn.recv()
        except (EOFError, OSError):
            message = None
        if message and message[0] == "ready":
            self._idle.put(worker)
            return
        if self._closed:  # closed while the worker was starting: nothing went wrong
            worker.kill()
            return
        reason = message[1] if message else "the worker process did not start"
        self.startup_error = f"the query worker could not open the store {self.store_path}: {reason}"
        log.error(self.startup_error)
        with self._lock:
            self._workers.discard(worker)
        worker.kill()

    def _retire(self, worker: _Worker) -> None:
        """Kill a worker and start its replacement (unless the pool is closing)."""
        with self._lock:
            self._workers.discard(worker)
            replace = not self._closed
            if replace:
                self._spawn()
        threading.Thread(target=worker.kill, daemon=True).start()

    def _identity(self):
        try:
            status = os.stat(self.store_path)
            return status.st_dev, status.st_ino
        except OSError:
            return None

    def _check_store(self) -> None:
        """A new build swapped in a new store directory: retire workers on the old one."""
        identity = self._identity()
        if identity != self._store_identity:
            with self._lock:
                if identity != self._store_identity:
                    log.info("the store at %s changed: query workers will reopen it", self.store_path)
                    self._store_identity = identity
                    self._generation += 1

    # -- running jobs --

    def run(self, job: Job, timeout: float | None = None) -> Outcome:
        """Run a job; blocks the calling thread (call it from a thread pool in async code)."""
        if self._closed:
            return Outcome("busy", "the query service is shutting down")
        self.start()
        timeout = self.timeout if timeout is None else timeout
        self._check_store()
        worker = self._checkout(timeout)
        if worker is None:
            if self.startup_error:
                return Outcome("store-error", self.startup_error)
            return Outcome("busy", f"all {self.size} query workers stayed busy for {timeout:g} s; try again later")
        with self._lock:
            self._busy += 1
        try:
            try:
                worker.conn.send(job)
                if not worker.conn.poll(timeout):
                    log.warning("query exceeded %g s: stopping worker %s", timeout, worker.id)
                    self._retire(worker)
                    return Outcome("timeout", f"the query ran longer than the {timeout:g} s limit and was stopped")
                outcome = worker.conn.recv()
            except (EOFError, OSError, BrokenPipeError):
                log.warning("query worker %s died", worker.id)
                self._retire(worker)
                return Outcome("crashed", "the query stopped the worker that ran it (too much memory?)")
            self._checkin(worker)
            return outcome
        finally:
            with self._lock:
                self._busy -= 1

    def _checkout(self, timeout: float) -> _Worker | None:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                worker = self._idle.get(timeout=remaining)
            except queue.Empty:
                return None
            if worker.generation == self._generation and worker.process.is_alive():
                return worker
            self._retire(worker)  # on an old store, or dead while idle

    def _checkin(self, worker: _Worker) -> None:
        if worker.generation != self._generation:
            self._retire(worker)
        else:
            self._idle.put(worker)
