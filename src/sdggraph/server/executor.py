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
* `run` waits in a thread of the web server's thread pool (the route awaits it with
  `run_in_threadpool`), so the event loop keeps serving other requests meanwhile. `run_async`
  (the named questions) waits in the event loop itself: for a worker in a queue of futures that a
  freed worker resolves, and for a short job's answer on the pipe; the two kinds of waiters share
  one max_queue and are woken alike. Named questions a worker showed cheap are answered in the
  server process instead (see inprocess; `run_job` is both's).
* A worker that dies (killed, crashed, or out of memory under its address-space cap) is
  replaced the same way. A new build swapped into build/ (new store directory) is noticed
  at the next request: workers on the old store are replaced as they come back idle.
* Admission (so a cheap query never waits behind expensive ones): one deadline covers waiting
  and running (queue + run <= timeout); at most `max_queue` requests wait, more get 503 at once
  with Retry-After. The pool has `workers + fast_workers` processes, but at most `workers` jobs
  may run longer than `fast_seconds` ("long" jobs): a job past that budget continues only if a
  long slot is free, else it is stopped (503, try again). So `fast_workers` processes are always
  idle or about to be, for short queries. A query whose shape (its tokens with names, numbers,
  strings and IRIs blanked) ran long before waits for a long slot before it takes a process, so
  clients looping a runaway query never occupy the short lane.
* Results: a byte cap on every form (`max_result_bytes`, 413 above it); answers above
  INLINE_BYTES are written by the worker to a spool file, which the route streams and which is
  unlinked when opened, so the server process never holds a large answer whole.
* Updates: RocksDB allows one writer, and a read-only opener next to a writer is undefined
  behaviour (pyoxigraph's docs; it corrupts reads in practice). So when updates are enabled
  this pool has exactly one worker, which opens the store read-write and runs updates (and the
  snapshots views read) one at a time; queries go to a second, read-only pool on the current
  snapshot (service.query_pool, `use_store`). An update is one transaction: a worker killed
  at the timeout leaves the store as it was.
"""

from __future__ import annotations

import collections
import concurrent.futures
import itertools
import logging
import multiprocessing
import os
import queue
import re
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph

from ..store.serving import open_for_queries
from . import serialize
from .processes import die_with_parent

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
    max_bytes: int = 32 * 1024 * 1024  # answers above this are refused (413)
    shape: str | None = None  # cost class (guard.shape): shapes that ran long wait for a long slot


@dataclass
class Outcome:
    """What a job gave: status 'ok' with format and body, or an error status with a message."""

    status: str  # ok, syntax, not-acceptable, too-many-rows, timeout, busy, crashed, store-error
    message: str = ""
    format: str | None = None
    body: bytes = b""
    result_kind: str | None = None  # boolean, solutions, triples, update
    rows: int | None = None
    path: str | None = None  # the answer is in this spool file instead of body (see read_body)
    seconds: float | None = None  # CPU seconds the evaluating thread spent (run_job)

    def read_body(self) -> bytes:
        """The answer's bytes (reading and removing a spool file): for callers that need it whole."""
        if self.path is None:
            return self.body
        with open_spooled(self.path) as handle:
            return handle.read()


def open_spooled(path: str):
    """Open a spool file and unlink it at once: it disappears when the reader closes it, whatever happens."""
    handle = open(path, "rb")
    try:
        os.unlink(path)
    except OSError:
        pass
    return handle


# ---- the worker process ----

RESULT_FORMATS = {"json": pyoxigraph.QueryResultsFormat.JSON, "xml": pyoxigraph.QueryResultsFormat.XML,
                  "csv": pyoxigraph.QueryResultsFormat.CSV, "tsv": pyoxigraph.QueryResultsFormat.TSV}


def limit_memory(megabytes: int) -> None:
    if megabytes:
        import resource
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


INLINE_BYTES = 1024 * 1024  # answers up to this go back through the pipe; larger ones through a spool file
_GRAPH_STATE = re.compile(r"The graph (<[^>]*>) (does not exist|already exists)")


def _update(store, job: Job) -> Outcome:
    try:
        store.update(job.text, base_iri=job.base_iri)
    except RuntimeError as error:  # evaluation failed: SPARQL Update says the operation fails (4xx)
        state = _GRAPH_STATE.search(str(error))
        if state and state.group(2) == "does not exist":
            return Outcome("graph-missing", f"the graph {state.group(1)} does not exist (use SILENT to ignore that)")
        if state:
            return Outcome("graph-exists", f"the graph {state.group(1)} already exists (use SILENT to ignore that)")
        return Outcome("update-failed", f"the update failed: {error}")
    return Outcome("ok", result_kind="update")


def _spool(outcome: Outcome, spool_dir: str | None) -> Outcome:
    if spool_dir and len(outcome.body) > INLINE_BYTES:
        descriptor, path = tempfile.mkstemp(dir=spool_dir, prefix="answer-")
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(outcome.body)
        outcome.body, outcome.path = b"", path
    return outcome


def _too_large(job: Job, kind: str) -> Outcome:
    return Outcome("too-large", f"the answer is larger than the limit of {job.max_bytes} bytes "
                   "(SDGGRAPH_MAX_RESULT_BYTES); add a LIMIT or a narrower pattern", result_kind=kind)


def _run(store, job: Job, prefixes: dict) -> Outcome:
    if job.kind == "update":
        return _update(store, job)
    if job.kind == "snapshot":  # job.text: a new directory for the store as of now
        # hard links where it can: ~10 ms; its N-Quads are dumped from it by the caller (300 ms
        # here would keep the writer from updates and the quick queries it answers meanwhile)
        store.backup(str(Path(job.text) / "oxigraph"))
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
    buffer = _BoundedBuffer(job.max_bytes)
    try:
        serialize.triples(rows, fmt, prefixes, output=buffer)
    except Exception:  # pyoxigraph may wrap the sink's exception in its own
        if buffer.full:
            return _too_large(job, kind)
        raise
    return Outcome("ok", format=fmt, body=b"".join(buffer.parts), result_kind=kind, rows=len(rows))


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
        self.parts, self.size, self.limit, self.full = [], 0, limit, False

    def write(self, data) -> int:
        self.size += len(data)
        if self.size > self.limit:
            self.full = True
            raise _Full()
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass


def _select(job: Job, result, fmt: str) -> Outcome:
    """SELECT results, written by pyoxigraph (in Rust), with the row cap.

    Output short enough that it cannot hold more than max_rows rows is sent as it is; longer
    output has its rows counted; output past max_rows * MAX_BYTES_PER_ROW bytes is given up."""
    by_rows = job.max_rows * MAX_BYTES_PER_ROW
    buffer = _BoundedBuffer(min(by_rows, job.max_bytes))
    try:
        result.serialize(buffer, format=RESULT_FORMATS[fmt])
    except Exception:  # _Full, possibly wrapped by pyoxigraph
        if not buffer.full:
            raise
        if job.max_bytes < by_rows:
            return _too_large(job, "solutions")
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


def run_job(store, job: Job, prefixes: dict) -> Outcome:
    """A job's outcome, errors included, and the CPU time of the thread that evaluated it (a worker's,
    or one of the server process's for cheap named questions, see inprocess). CPU time, not wall
    time: pyoxigraph evaluates in the calling thread, and under load wall time counts the waits for a
    core and for the GIL, which would make every question look dear exactly when it is asked most."""
    started = time.thread_time()
    try:
        outcome = _run(store, job, prefixes)
    except SyntaxError as error:
        outcome = Outcome("syntax", str(error))
    except MemoryError:
        outcome = Outcome("crashed", "the query needed more memory than a worker may use")
    except Exception as error:  # OSError from the store, or an evaluation error
        outcome = Outcome("store-error", f"{type(error).__name__}: {error}")
    outcome.seconds = time.thread_time() - started
    return outcome


_starter_lock = threading.Lock()
_starter: tuple[int, queue.SimpleQueue] | None = None  # (pid, requests to its starter thread)


def start_process(process) -> None:
    """process.start() in this process's worker-starting thread, which lives as long as the process.

    A worker started by a request's pool thread (the replacement of one stopped at the timeout)
    was SIGKILLed mid-query when that thread ended, idle, seconds later (its PR_SET_PDEATHSIG):
    a 500 for a named question under load (bench/attack.py row 8)."""
    global _starter
    with _starter_lock:
        if _starter is None or _starter[0] != os.getpid():  # none yet, or forked: threads do not survive fork
            _starter = (os.getpid(), queue.SimpleQueue())
            threading.Thread(target=_serve_starts, args=(_starter[1],), daemon=True,
                             name="sdggraph-worker-starter").start()
        requests = _starter[1]
    done = concurrent.futures.Future()
    requests.put((process, done))
    done.result()


def _serve_starts(requests: queue.SimpleQueue) -> None:
    while True:
        process, done = requests.get()
        try:
            process.start()
        except BaseException as error:  # noqa: BLE001 (raised in the caller's thread)
            done.set_exception(error)
        else:
            done.set_result(None)


TRIM_ABOVE = 256 << 20  # bytes of RSS above which a worker hands freed heap back after a job


def _memory_trimmer():
    """A function that returns the worker's resident memory above TRIM_ABOVE to the system, or None.

    glibc keeps the heap a query freed: one question over 11 M quads (revisjoner, national_scale.py)
    left a worker at 1.08 GB, 145 MB after malloc_trim(0). Checked after the answer is sent, so the
    request does not wait for it."""
    try:
        import ctypes

        trim = ctypes.CDLL("libc.so.6").malloc_trim
        page = os.sysconf("SC_PAGE_SIZE")
    except (OSError, AttributeError, ValueError):
        return None

    def release() -> None:
        try:
            with open("/proc/self/statm", "rb") as statm:
                resident = int(statm.read().split()[1]) * page
        except (OSError, ValueError, IndexError):
            return
        if resident > TRIM_ABOVE:
            trim(0)
    return release


def _worker_main(conn, store_path: str, writable: bool, prefixes: dict, memory_mb: int,
                 spool_dir: str | None, parent: int, memory_store_mb: float) -> None:
    die_with_parent(parent, signal.SIGKILL)  # even mid-query
    try:
        limit_memory(memory_mb)
        store = pyoxigraph.Store(store_path) if writable else open_for_queries(store_path, memory_store_mb)
    except BaseException as error:  # tell the parent why, instead of dying silently
        conn.send(("failed", f"{type(error).__name__}: {error}"))
        return
    conn.send(("ready", os.getpid()))
    release_memory = _memory_trimmer()
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):  # the server went away
            return
        if job is None:
            return
        outcome = run_job(store, job, prefixes)
        try:
            outcome = _spool(outcome, spool_dir)
        except OSError as error:  # the spool directory is full or gone
            outcome = Outcome("store-error", f"{type(error).__name__}: {error}")
        try:
            conn.send(outcome)
        except (EOFError, OSError):
            return
        del outcome, job  # before the trim: a large answer's bytes are freed too
        if release_memory is not None:
            release_memory()


# ---- the pool, in the server process ----

def _resolve(future) -> None:
    if not future.done():
        future.set_result(None)


HEAVY_SHAPES = 4096  # shapes remembered as long-running (oldest forgotten first)


class _Worker:
    _ids = itertools.count(1)

    def __init__(self, context, store_path: str, writable: bool, prefixes: dict, memory_mb: int, generation: int,
                 spool_dir: str | None = None, memory_store_mb: float = 0):
        self.id = next(self._ids)
        self.generation = generation
        self.store_path = store_path  # the store it has open (a snapshot it reads must stay on disk)
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, name=f"sdggraph-query-worker-{self.id}",
                                       args=(child, store_path, writable, prefixes, memory_mb, spool_dir,
                                             os.getpid(), memory_store_mb),
                                       daemon=True)
        start_process(self.process)
        child.close()
        self._kill_lock = threading.Lock()
        self.long = False  # the current job holds a long slot

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

    def death(self) -> str:
        """Why the worker died, for the client: memory cap, a crash, or a kill."""
        self.process.join(timeout=1)
        code = self.process.exitcode
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            if name == "SIGKILL":
                return "the worker that ran the query was killed (out of memory?)"
            return f"the query crashed the worker that ran it ({name})"
        return f"the worker that ran the query exited (code {code})"


class QueryExecutor:
    def __init__(self, store_path: Path | str, workers: int = 2, timeout: float = 5.0, writable: bool = False,
                 prefixes: dict | None = None, memory_mb: int = 0, fast_workers: int = 1, fast_seconds: float = 0.5,
                 max_queue: int = 32, memory_store_mb: float = 0):
        self.store_path = str(store_path)
        self.memory_store_mb = memory_store_mb  # store/serving.open_for_queries
        # One writer only (see above): no short lane when updates are enabled.
        self.long_slots = 1 if writable else workers
        self.size = 1 if writable else workers + fast_workers
        self.timeout = timeout
        self.writable = writable
        self.prefixes = prefixes or {}
        self.memory_mb = memory_mb
        self.fast_seconds = fast_seconds
        self.max_queue = max_queue
        self._context = multiprocessing.get_context("spawn")
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []
        self._workers: set[_Worker] = set()
        self._busy = 0
        self._long = 0  # jobs running past fast_seconds (at most long_slots)
        self._waiting = 0  # short or unknown queries waiting (in threads or in event loops)
        self._loop_waiters: collections.deque = collections.deque()  # (loop, future) of run_async, first first
        self._waiting_heavy = 0  # queries of a heavy shape waiting (for a long slot)
        self._heavy: dict[str, None] = {}  # shapes that ran long, oldest first
        self._light: dict[str, None] = {}  # shapes that ran quick, oldest first
        self._started = False
        self._closed = False
        self.startup_error: str | None = None
        self._generation = 0
        self._opened_generation = -1  # the newest generation a worker has opened
        self._store_identity = self._identity()
        self.spool_dir: str | None = None

    # -- lifecycle --

    def start(self, wait: bool = False) -> "QueryExecutor":
        with self._cond:
            if not self._started and not self._closed:
                self._started = True
                self.spool_dir = tempfile.mkdtemp(prefix="sdggraph-spool-")
                for _ in range(self.size):
                    self._spawn()
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT) -> None:
        """Block until every worker has opened the store (tests and start-up use this)."""
        deadline = time.monotonic() + timeout
        while len(self._idle) + self._busy < self.size and time.monotonic() < deadline:
            if self.startup_error:
                raise RuntimeError(self.startup_error)
            time.sleep(0.02)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            workers = list(self._workers)
            self._workers.clear()
            self._idle.clear()
            self._cond.notify_all()
        for worker in workers:  # kill at once: a worker in a runaway query would never read a stop message
            worker.kill()
        if self.spool_dir:
            shutil.rmtree(self.spool_dir, ignore_errors=True)

    @property
    def busy(self) -> int:
        return self._busy

    @property
    def alive(self) -> int:
        with self._cond:
            return sum(1 for worker in self._workers if worker.process.is_alive())

    def worker_pids(self) -> list[int]:
        with self._cond:
            return [worker.process.pid for worker in self._workers if worker.process.is_alive()]

    def _spawn(self) -> None:
        """Start a worker (lock held); a helper thread makes it idle once its store is open."""
        worker = _Worker(self._context, self.store_path, self.writable, self.prefixes, self.memory_mb,
                         self._generation, self.spool_dir, self.memory_store_mb)
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
            with self._cond:
                if not self._closed:
                    self._opened_generation = max(self._opened_generation, worker.generation)
                    self._idle.append(worker)
                    self._cond.notify_all()
                    self._wake_loop_waiter()
                    return
        if self._closed:  # closed while the worker was starting: nothing went wrong
            worker.kill()
            return
        reason = message[1] if message else "the worker process did not start"
        self.startup_error = f"the query worker could not open the store {self.store_path}: {reason}"
        log.error(self.startup_error)
        with self._cond:
            self._workers.discard(worker)
            self._cond.notify_all()
        worker.kill()

    def _retire(self, worker: _Worker) -> None:
        """Kill a worker and start its replacement (unless the pool is closing)."""
        with self._cond:
            self._workers.discard(worker)
            if not self._closed:
                self._spawn()
        threading.Thread(target=worker.kill, daemon=True).start()

    def _identity(self):
        try:
            status = os.stat(self.store_path)
            return status.st_dev, status.st_ino
        except OSError:
            return None

    def _check_store(self, identity: tuple | None = None) -> None:
        """A new build swapped in a new store directory: retire workers on the old one (`identity`:
        the store directory's (st_dev, st_ino) if the caller has just stat'ed it)."""
        identity = identity or self._identity()
        if identity != self._store_identity:
            with self._cond:
                if identity != self._store_identity:
                    log.info("the store at %s changed: query workers will reopen it", self.store_path)
                    self._store_identity = identity
                    self._generation += 1

    def use_store(self, store_path: Path | str) -> None:
        """Answer from another store directory from now on (updates enabled: the snapshot of a new
        generation): idle workers on the old one are retired before any is handed out again."""
        store_path = str(store_path)
        if store_path != self.store_path:
            with self._cond:
                if store_path != self.store_path:
                    self.store_path = store_path
                    self._store_identity = self._identity()
                    self._generation += 1
                    if self._started:
                        self._sweep_idle()  # their replacements start now, not at the next request

    def paths_in_use(self) -> set[str]:
        """The store directories the live workers have open (a busy one on an older snapshot
        finishes its job on it before it is retired)."""
        with self._cond:
            return {worker.store_path for worker in self._workers if worker.process.is_alive()}

    def opened_current(self) -> bool:
        """Whether a worker has opened the current store (after `use_store` its replacements are
        starting: a job handed to the pool now waits for one, within its deadline)."""
        return self._opened_generation == self._generation

    # -- running jobs --

    def is_heavy(self, shape: str | None) -> bool:
        return shape is not None and shape in self._heavy

    def is_light(self, shape: str | None) -> bool:
        """Whether the shape's last run here finished within `fast_seconds`."""
        return shape is not None and shape in self._light

    def _note(self, shape: str | None, heavy: bool) -> None:
        if shape is None:
            return
        with self._cond:
            self._heavy.pop(shape, None)
            self._light.pop(shape, None)
            kept = self._heavy if heavy else self._light
            kept[shape] = None
            if len(kept) > HEAVY_SHAPES:
                del kept[next(iter(kept))]

    def run(self, job: Job, timeout: float | None = None) -> Outcome:
        """Run a job; blocks the calling thread (call it from a thread pool in async code, or use
        run_async).

        Waiting for a worker and running share one deadline of `timeout` seconds."""
        begun = self._begin(timeout)
        if isinstance(begun, Outcome):
            return begun
        deadline, timeout = begun
        worker, refusal = self._checkout(deadline, job.shape, timeout)
        if worker is None:
            return refusal
        return self._attend(worker, job, deadline, timeout)

    async def run_async(self, job: Job, timeout: float | None = None) -> Outcome:
        """`run` for the event loop: a job that is not of a heavy shape waits for a worker, and a
        short one for its answer, in the event loop (no thread: the hop to one and back cost ~0.2 ms
        a request, and with 50 clients the waiting threads' hand-offs took more of the server's CPU
        than the requests). A job that runs past `fast_seconds`, and heavy ones, continue in a thread
        as in `run`."""
        from starlette.concurrency import run_in_threadpool

        begun = self._begin(timeout)
        if isinstance(begun, Outcome):
            return begun
        deadline, timeout = begun
        if self.is_heavy(job.shape):  # they queue for a long slot apart (see _checkout)
            return await run_in_threadpool(self.run, job, timeout)
        worker, refusal = await self._checkout_in_loop(deadline, job.shape, timeout)
        if worker is None:
            return refusal
        try:
            worker.conn.send(job)
        except (EOFError, OSError):
            return self._attend(worker, job, deadline, timeout, sent=True)  # finds it dead
        if not worker.long:
            try:
                answered = await self._answer_in(worker, min(time.monotonic() + self.fast_seconds, deadline))
            except BaseException:  # cancelled (the client left): a thread sees the job through
                threading.Thread(target=self._attend, args=(worker, job, deadline, timeout, True), daemon=True).start()
                raise
            if answered:  # the answer is in the pipe: reading it does not block
                return self._attend(worker, job, deadline, timeout, sent=True)
        return await run_in_threadpool(self._attend, worker, job, deadline, timeout, True)

    @staticmethod
    async def _answer_in(worker: _Worker, until: float) -> bool:
        """Whether the worker's answer is in its pipe by `until` (monotonic), awaited in the event loop."""
        import asyncio

        loop = asyncio.get_running_loop()
        descriptor = worker.conn.fileno()
        while True:
            if worker.conn.poll(0):
                return True
            remaining = until - time.monotonic()
            if remaining <= 0:
                return False
            readable = loop.create_future()
            loop.add_reader(descriptor, _resolve, readable)
            try:
                await asyncio.wait_for(readable, remaining)
            except asyncio.TimeoutError:
                pass
            finally:
                loop.remove_reader(descriptor)
                os.set_blocking(descriptor, True)  # uvloop's add_reader made it non-blocking: run and _attend block on it
            # readiness is a hint, not a promise of data: the loop looks again

    async def _checkout_in_loop(self, deadline: float, shape: str | None,
                                timeout: float) -> tuple[_Worker | None, Outcome | None]:
        """_checkout for run_async: an idle worker, else a place in the queue (the same max_queue and
        deadline) awaited on a future that _wake resolves when a worker is freed.

        First come, first served: a newcomer does not take a worker while others wait in the loop,
        and a waiter that was woken but found the worker taken (by a thread's `run`) keeps its place
        at the head. Letting newcomers overtake made some of 50 clients wait past the timeout (503)
        while the mean wait was under a second."""
        import asyncio

        with self._cond:
            others_wait = bool(self._loop_waiters)
        if not others_wait:
            worker, refusal = self._checkout(deadline, shape, timeout, wait=False)
            if worker is not None or refusal is not None:
                return worker, refusal
        with self._cond:
            if self._waiting >= self.max_queue:
                return None, Outcome("busy", f"{self._waiting} requests are already waiting for a query worker; "
                                     "try again later")
            self._waiting += 1
        loop = asyncio.get_running_loop()
        entry = None
        woken = False
        try:
            while True:
                entry = (loop, loop.create_future())
                with self._cond:
                    if woken:
                        self._loop_waiters.appendleft(entry)  # woken, then overtaken by a thread: still first
                    else:
                        self._loop_waiters.append(entry)
                    first = self._loop_waiters[0] is entry
                    if not first and self._idle:  # a worker is free for the head of the queue
                        self._wake_loop_waiter()
                if first:
                    worker, refusal = self._checkout(deadline, shape, timeout, wait=False)  # freed meanwhile?
                    if worker is not None or refusal is not None:
                        return worker, refusal
                remaining = deadline - time.monotonic()
                if remaining > 0:
                    try:
                        await asyncio.wait_for(asyncio.shield(entry[1]), remaining)
                    except asyncio.TimeoutError:
                        pass
                if not entry[1].done():
                    return None, Outcome("busy", f"the query workers stayed busy with other queries for "
                                         f"{timeout:g} s; try again later")
                entry, woken = None, True  # its wake is used by the next pass, not handed on
        finally:
            with self._cond:
                self._waiting -= 1
            if entry is not None:
                self._drop_waiter(entry)

    def _drop_waiter(self, entry) -> None:
        """Take a run_async waiter out of the queue; a wake it was given and did not use goes to the next."""
        with self._cond:
            try:
                self._loop_waiters.remove(entry)
            except ValueError:  # already woken
                if self._idle:
                    self._wake_loop_waiter()

    def _wake_loop_waiter(self) -> None:
        """Wake the first run_async waiter (lock held)."""
        if self._loop_waiters:
            loop, future = self._loop_waiters.popleft()
            try:
                loop.call_soon_threadsafe(_resolve, future)
            except RuntimeError:  # its loop is closed: it waits no more
                pass

    def _begin(self, timeout: float | None) -> tuple[float, float] | Outcome:
        """(deadline, timeout) of a job starting now, or why it cannot start."""
        if self._closed:
            return Outcome("busy", "the query service is shutting down")
        self.start()
        timeout = self.timeout if timeout is None else timeout
        self._check_store()
        return time.monotonic() + timeout, timeout

    def _attend(self, worker: _Worker, job: Job, deadline: float, timeout: float, sent: bool = False) -> Outcome:
        """Send the job (unless `sent`) to a checked-out worker and wait for its answer within the
        deadline: past `fast_seconds` it needs a long slot, past the deadline the worker is stopped.
        The worker goes back to the pool, or is replaced."""
        long_job, started = worker.long, time.monotonic()
        try:
            try:
                if not sent:
                    worker.conn.send(job)
                if not long_job:
                    budget = min(self.fast_seconds, deadline - time.monotonic())
                    if not worker.conn.poll(max(budget, 0)) and time.monotonic() < deadline:
                        long_job = self._take_long_slot()
                        self._note(job.shape, True)
                        if not long_job:
                            log.warning("query past %g s with every long slot taken: stopping worker %s",
                                        self.fast_seconds, worker.id)
                            self._retire(worker)
                            return Outcome("busy", f"the query needs more than {self.fast_seconds:g} s and "
                                           f"{self.long_slots} long queries are already running; try again later")
                if not worker.conn.poll(max(deadline - time.monotonic(), 0)):
                    log.warning("query exceeded %g s: stopping worker %s", timeout, worker.id)
                    self._note(job.shape, True)
                    self._retire(worker)
                    return Outcome("timeout", f"the query ran longer than the {timeout:g} s limit and was stopped")
                outcome = worker.conn.recv()
            except (EOFError, OSError, BrokenPipeError):
                reason = worker.death()
                log.warning("query worker %s died: %s", worker.id, reason)
                self._retire(worker)
                return Outcome("crashed", reason)
            if time.monotonic() - started < self.fast_seconds:
                self._note(job.shape, False)  # quick this time: its shape is not heavy (any more)
            self._checkin(worker)
            return outcome
        finally:
            with self._cond:
                self._busy -= 1
                if long_job:
                    self._long -= 1
                self._wake()

    def _may_start_long(self) -> bool:
        """A heavy job may take an idle worker if a long slot is free and the idle workers left
        still keep the short lane (fast_workers, less those running short jobs now): workers
        being replaced are not idle, so without this rule heavy jobs would take the lane's last one."""
        short_running = self._busy - self._long
        return self._long < self.long_slots and len(self._idle) - 1 >= self.size - self.long_slots - short_running

    def _take_long_slot(self) -> bool:
        with self._cond:
            if self._long < self.long_slots:
                self._long += 1
                return True
            return False

    def _checkout(self, deadline: float, shape: str | None, timeout: float,
                  wait: bool = True) -> tuple[_Worker | None, Outcome | None]:
        """An idle worker (and for a heavy job a long slot), or why not; without `wait`, (None, None)
        when none may be taken at once."""
        waiting, heavy = False, False
        with self._cond:
            try:
                while True:
                    if self._closed:
                        return None, Outcome("busy", "the query service is shutting down")
                    if not heavy and self.is_heavy(shape):  # found heavy meanwhile: it queues as heavy now
                        heavy = True
                        if waiting:
                            self._waiting -= 1
                            self._waiting_heavy += 1
                    self._sweep_idle()
                    while self._idle and (not heavy or self._may_start_long()):
                        # Most recently used first: its CPU caches and store pages are warm (taking
                        # them in turn made a 1.3 ms query take 2.2 ms in a worker with 3 of them).
                        worker = self._idle.pop()
                        if heavy:
                            self._long += 1
                        self._busy += 1
                        worker.long = heavy
                        return worker, None
                    if self.startup_error and not self._workers:
                        return None, Outcome("store-error", self.startup_error)
                    if not wait:
                        return None, None
                    if not waiting:  # heavy and other queries queue apart: heavy ones cannot fill the queue
                        count = self._waiting_heavy if heavy else self._waiting
                        if count >= self.max_queue:
                            return None, Outcome("busy", f"{count} requests are already waiting for a "
                                                 "query worker; try again later")
                        waiting = True
                        if heavy:
                            self._waiting_heavy += 1
                        else:
                            self._waiting += 1
                    if self._idle and self._waiting:  # woken for a worker it may not use: pass it on
                        self._cond.notify()
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        what = "long-running queries" if heavy else "queries"
                        return None, Outcome("busy", f"the query workers stayed busy with other {what} for "
                                             f"{timeout:g} s; try again later")
                    self._cond.wait(remaining)
            finally:
                if waiting and heavy:
                    self._waiting_heavy -= 1
                elif waiting:
                    self._waiting -= 1

    def _wake(self) -> None:
        """After a worker or a slot is freed (lock held): wake every waiter only if one waits for a
        long slot (it may not be able to use what was freed); otherwise one waiter, since any short
        one can use an idle worker. Waking all ~40 waiting threads per job cost the server process
        0.5 ms of CPU per job with 40 clients."""
        if self._waiting_heavy:
            self._cond.notify_all()
        elif self._waiting:
            self._cond.notify()
        self._wake_loop_waiter()

    def _sweep_idle(self) -> None:
        """Retire idle workers on an old store or dead while idle (lock held; RLock: re-entered), so
        that none is left behind at the bottom of the idle stack."""
        stale = [worker for worker in self._idle
                 if worker.generation != self._generation or not worker.process.is_alive()]
        for worker in stale:
            self._idle.remove(worker)
            self._retire(worker)

    def _checkin(self, worker: _Worker) -> None:
        if worker.generation != self._generation:
            self._retire(worker)
        else:
            with self._cond:
                self._idle.append(worker)
                self._wake()
