"""The SPARQL service an app holds (app.state.sparql): settings, the worker pool, the dataset's graphs.

Other routers may run SPARQL through it to get the same timeout and row cap as /sparql:
`request.app.state.sparql.run(Job(text, substitutions={...}, tabular_format="json"))`.

Every view answers from `current_build()` and is keyed by `version()`: the build (its manifest's
hash) and a generation counter bumped by every successful SPARQL Update. Read-only, the current
build is the build directory itself. With updates enabled the writer worker owns the store (a
read-only opener beside it is undefined behaviour), so views read a snapshot of the store as of
the current generation (`derived/<version>/snapshot/`, a build directory of its own, made by the
worker on first use); an update makes the next view take a new one, and a rebuild swaps in a
new manifest, so all views switch together. Queries too: with updates enabled the writer runs only
updates and snapshots, and queries run in a read-only pool on the current generation's snapshot
(`query_pool`), with the same short lane and admission as a read-only service; a runaway query
then never holds the one process updates need, nor keeps a cheap query waiting.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import hashlib
import json
import logging
import os
import secrets
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .. import config
from ..layout import DATASET_FILE, MANIFEST_FILE, SNAPSHOT_DIR, STORE_DIR, derived_root, require_build
from ..store.dataset import DatasetInfo, read_dataset_info
from .derive_child import DeriveChild
from .derived import Derived
from .executor import Job, Outcome, QueryExecutor
from .heavy import HeavyWork
from .inprocess import InProcessRunner
from .middleware import InFlight
from .protocol import Context
from .settings import Settings

log = logging.getLogger("sdggraph.server.service")


@dataclass(frozen=True)
class Version:
    """What every view of the graph is keyed by: build, update generation, and when it was made."""

    build: str  # hash of manifest.json
    generation: int
    epoch: str  # per server run when updates are enabled: the store may differ from the last run's
    made: float  # Unix time: the build's manifest, or the last update

    @property
    def tag(self) -> str:
        return f"{self.build}-{self.generation}" + (f"-{self.epoch}" if self.epoch else "")


# The version a request was answered from: one stat per request, and every part of one answer
# (its ETag, its body) from one version. A ContextVar: each request is a task of its own.
_PINNED_VERSION: contextvars.ContextVar = contextvars.ContextVar("sdggraph_pinned_version", default=None)


class SparqlService:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.build_dir = Path(require_build(settings.build_dir))
        prefixes = {prefix: config.rebase(namespace) for prefix, namespace in config.PREFIXES.items()}
        self.executor = self._new_pool(self.build_dir / STORE_DIR, settings.updates_enabled, prefixes)
        self.closing = False
        self.readers: QueryExecutor | None = None  # updates enabled: queries' pool, on a snapshot (start)
        self._readers_tag: str | None = None  # the version whose snapshot the readers have open
        self._switching = False
        self._switch_cond = threading.Condition()  # guards the two above; notified when either changes
        # cheap named questions in threads of this process; never beside the writer (see inprocess)
        self.inprocess = None if settings.updates_enabled or not settings.inprocess_threads else InProcessRunner(
            str(self.build_dir / STORE_DIR), prefixes, threads=settings.inprocess_threads,
            budget=settings.inprocess_seconds, timeout=settings.timeout,
            inline_under_load=settings.http_processes >= usable_cores(), memory_store_mb=settings.memory_store_mb)
        self.in_flight = InFlight()  # requests being answered (counted by the app's RequestLog)
        self._manifest_path = str(self.build_dir / MANIFEST_FILE)  # stat per request: no pathlib there
        self._store_path = str(self.build_dir / STORE_DIR)
        self._info: tuple[int, DatasetInfo] | None = None
        self._lock = threading.Lock()
        self.derived = Derived(HeavyWork(settings.heavy_requests, settings.max_queue, settings.timeout),
                               DeriveChild(memory_mb=settings.worker_memory_mb))
        self._manifest: tuple[tuple, str, float] | None = None  # (stat identity, hash, mtime)
        self._generation = 0
        self._updated_at: float | None = None
        self._epoch = secrets.token_hex(4) if settings.updates_enabled else ""
        self._update_lock = threading.Lock()  # an update and the taking of a snapshot never overlap
        self._snapshot_lock = threading.Lock()
        self._defaults: dict[tuple, dict[str, str]] = {}  # (version tag, names, graphs) -> values

    def _new_pool(self, store_path: Path, writable: bool, prefixes: dict) -> QueryExecutor:
        settings = self.settings
        return QueryExecutor(store_path, workers=settings.workers, timeout=settings.timeout, writable=writable,
                             prefixes=prefixes, memory_mb=settings.worker_memory_mb,
                             fast_workers=settings.fast_workers, fast_seconds=settings.fast_seconds,
                             max_queue=settings.max_queue, memory_store_mb=settings.memory_store_mb)

    # -- what the views are keyed by --

    def version(self, fresh: bool = False) -> Version:
        """The current version; a stat of manifest.json per call (a rebuild is seen at once), or the
        one this request was pinned to (`pinned_version`) unless `fresh`."""
        if not fresh:
            pinned = _PINNED_VERSION.get()
            if pinned is not None and pinned[0] is self:
                return pinned[1]
        try:
            status = os.stat(self._manifest_path)
            store = os.stat(self._store_path)  # a store swapped in alone is a new build too
        except OSError:
            return Version("missing", self._generation, self._epoch, 0.0)
        identity = (status.st_ino, status.st_mtime_ns, status.st_size, store.st_dev, store.st_ino)
        cached = self._manifest
        if cached is None or cached[0] != identity:
            digest = hashlib.sha256(Path(self._manifest_path).read_bytes() + repr(identity[3:]).encode()).hexdigest()[:16]
            cached = self._manifest = (identity, digest, max(status.st_mtime, store.st_mtime))
        made = max(cached[2], self._updated_at or 0.0)
        # a store directory swapped in under the same manifest is a new version too
        self.executor._check_store((store.st_dev, store.st_ino))
        build = cached[1] if not self.executor._generation else f"{cached[1]}.{self.executor._generation}"
        return Version(build, self._generation, self._epoch, made)

    @contextlib.contextmanager
    def pinned_version(self):
        """Within this block (this request's task), `version()` is the one it yields."""
        version = self.version(fresh=True)
        token = _PINNED_VERSION.set((self, version))
        try:
            yield version
        finally:
            _PINNED_VERSION.reset(token)

    def derived_dir(self, version: Version | None = None) -> Path:
        """Where the derived files of a version go (created on demand)."""
        version = version or self.version()
        return derived_root(require_build(self.build_dir)) / version.tag

    def current_build(self) -> Path:
        """The build directory every view reads: the build, or (updates enabled) a snapshot of the
        store as of the current generation."""
        if not self.settings.updates_enabled:
            return require_build(self.build_dir)
        version = self.version()
        target = self.derived_dir(version) / SNAPSHOT_DIR
        if (target / MANIFEST_FILE).is_file():
            return target
        with self._snapshot_lock:
            if not (target / MANIFEST_FILE).is_file():
                self._take_snapshot(target, version)
                self._prune_snapshots(keep=target.parent)
        return target

    def _take_snapshot(self, target: Path, version: Version) -> None:
        staging = target.with_name(f".{SNAPSHOT_DIR}-{os.getpid()}-tmp")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        try:
            with self._update_lock:
                outcome = self.executor.run(Job(str(staging), "snapshot"), timeout=max(self.settings.timeout, 60.0))
            if outcome.status != "ok":
                raise RuntimeError(f"could not take a snapshot of the store: {outcome.message or outcome.status}")
            import pyoxigraph  # the checkpoint has no writer: reading it here is safe (GIL released)

            checkpoint = pyoxigraph.Store.read_only(str(staging / STORE_DIR))
            checkpoint.dump(str(staging / DATASET_FILE), format=pyoxigraph.RdfFormat.N_QUADS)
            del checkpoint
            manifest = json.loads((self.build_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
            counts = _count_graphs(staging / DATASET_FILE)
            for entry in manifest.get("graphs", {}).values():
                entry["triples"] = counts.get(entry["iri"], 0)
            manifest["generation"] = version.generation
            manifest["made"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(version.made))
            (staging / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                                 encoding="utf-8")
            os.replace(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        log.info("snapshot of the store for views: %s", target)

    def _prune_snapshots(self, keep: Path) -> None:
        """Only the current generation and the one before stay on disk (requests may still read
        it), and any a reader worker still has open (it is finishing a query there); those go at
        a later prune."""
        root = keep.parent
        in_use = {str(Path(path).parent) for path in self.readers.paths_in_use()} if self.readers else set()
        older = sorted((p for p in root.iterdir() if p.is_dir() and p != keep and (p / SNAPSHOT_DIR).is_dir()),
                       key=lambda p: p.stat().st_mtime)
        for stale in older[:-1]:
            if str(stale / SNAPSHOT_DIR) not in in_use:
                shutil.rmtree(stale, ignore_errors=True)

    def run_update(self, answer):
        """Run answer() (an update's protocol.answer) and bump the generation when it succeeded."""
        with self._update_lock:
            reply = answer()
            if reply.status == 200:
                self._updated_at = time.time()
                self._generation += 1
        return reply

    def computed_defaults(self, names: tuple[str, ...], graphs: list[str] | None = None) -> dict[str, str]:
        """The named questions' computed defaults (named.COMPUTED_DEFAULTS) in the graph the views
        read (`graphs`: one kommune's, see DatasetInfo.default_graph_of), computed once per version:
        they change only with the graph, and cost a query each."""
        if not names:
            return {}
        key = self._defaults_key(names, graphs)
        tag = key[0]
        values = self._defaults.get(key)
        if values is None:  # (known_defaults peeks at this without computing)
            from ..query import named as named_queries
            from ..store.local import select_local

            build = self.current_build()
            values = named_queries.compute_defaults(
                names, lambda sparql: select_local(sparql, build_dir=build, default_graph=graphs))
            if self.version().tag == tag:  # not kept if the graph changed meanwhile
                with self._lock:
                    if len(self._defaults) >= 1024:  # old versions' values: never asked again
                        self._defaults.clear()
                    self._defaults[key] = values
        return dict(values)

    def known_defaults(self, names: tuple[str, ...], graphs: list[str] | None = None) -> dict[str, str] | None:
        """computed_defaults if already computed for this version, else None (an event loop asks
        this first, and computes in a thread)."""
        if not names:
            return {}
        values = self._defaults.get(self._defaults_key(names, graphs))
        return None if values is None else dict(values)

    def _defaults_key(self, names: tuple[str, ...], graphs: list[str] | None) -> tuple:
        return self.version().tag, names, tuple(graphs) if graphs is not None else None

    def dataset_info(self) -> DatasetInfo:
        """The graphs and counts of manifest.json, re-read when a new build replaced it (the
        version's build is the manifest's hash)."""
        stamp = self.version().build
        if stamp == "missing":
            os.stat(self._manifest_path)  # FileNotFoundError, as reading it would
        with self._lock:
            if self._info is None or self._info[0] != stamp:
                self._info = (stamp, read_dataset_info(self.build_dir))
            return self._info[1]

    def context(self, endpoint_url: str) -> Context:
        return Context(self.settings, self.executor, self.dataset_info().graph_iris, endpoint_url)

    def query_pool(self, shape: str | None = None) -> QueryExecutor:
        """The pool queries run in: the build's, or (updates enabled) the read-only one once it has
        the snapshot of this version (blocking: call it in a thread). Until then (~1 s after an
        update, while the readers switch in the background) a query of a shape known to finish
        quickly is answered by the writer, so the query right after an update sees it at once;
        any other waits for the readers, so that no runaway holds the process updates need."""
        if self.readers is None:
            return self.executor
        tag = self.version().tag
        light = self.readers.is_light(shape) or self.executor.is_light(shape)
        if self._readers_tag == tag:
            return self.readers if self.readers.opened_current() or not light else self.executor
        self._start_switch()
        if light:
            return self.executor
        deadline = time.monotonic() + self.settings.timeout
        with self._switch_cond:
            # readers on this version, or on the newest (an update came meanwhile): both have it
            while self._readers_tag not in (tag, self.version(fresh=True).tag):
                remaining = deadline - time.monotonic()
                if remaining <= 0:  # the readers did not switch: the writer answers
                    return self.executor
                if not self._switching:
                    self._start_switch()
                self._switch_cond.wait(min(remaining, 0.5))
        return self.readers

    def _ready_pool(self) -> QueryExecutor | None:
        """query_pool when it would not block, else None."""
        if self.readers is None:
            return self.executor
        return self.readers if self._readers_tag == self.version().tag and self.readers.opened_current() else None

    def _start_switch(self) -> None:
        with self._switch_cond:
            if self._switching:
                return
            self._switching = True
        threading.Thread(target=self._switch_readers, daemon=True, name="sdggraph-readers-switch").start()

    def _switch_readers(self) -> None:
        """Point the readers at the current version's snapshot (taken if no view has yet); again
        while updates keep coming. From then on the readers hand out only workers on it."""
        try:
            while (version := self.version(fresh=True)).tag != self._readers_tag:
                # current_build may be of a later version than `version` (an update between): the
                # readers are then labelled older than they are, never newer
                self.readers.use_store(self.current_build() / STORE_DIR)
                with self._switch_cond:
                    self._readers_tag = version.tag
                    self._switch_cond.notify_all()
        except Exception:  # noqa: BLE001 (the writer keeps answering; the next query tries again)
            log.exception("could not switch the read-only query workers to the new snapshot")
        finally:
            with self._switch_cond:
                self._switching = False
                self._switch_cond.notify_all()

    def _pool_for(self, job: Job) -> tuple[QueryExecutor, float | None]:
        """query_pool and what is left of the timeout after waiting for it (waiting and running
        share one deadline, as in the executor); None: all of it."""
        started = time.monotonic()
        pool = self.query_pool(job.shape)
        waited = time.monotonic() - started
        return pool, (None if waited < 0.001 else max(self.settings.timeout - waited, 0.001))

    def execute(self, job: Job, context: Context):
        """protocol.execute of a query in `query_pool` (blocking: call it in a thread)."""
        from . import protocol

        pool, timeout = self._pool_for(job)
        return protocol.execute(job, dataclasses.replace(context, executor=pool), timeout)

    def run(self, job: Job) -> Outcome:
        """Run a job in the pool (blocking); the caller has checked the text (see guard)."""
        pool, timeout = self._pool_for(job)
        outcome = pool.run(self._capped(job), timeout)
        if outcome.path is not None:  # callers here want bytes (named questions: small answers)
            outcome.body, outcome.path = outcome.read_body(), None
        return outcome

    async def run_async(self, job: Job) -> Outcome:
        """`run` from the event loop (executor.run_async)."""
        from starlette.concurrency import run_in_threadpool

        pool, timeout = self._ready_pool(), None
        if pool is None:
            pool, timeout = await run_in_threadpool(self._pool_for, job)
        outcome = await pool.run_async(self._capped(job), timeout)
        if outcome.path is not None:
            outcome.body, outcome.path = await run_in_threadpool(outcome.read_body), None
        return outcome

    async def run_named(self, job: Job, name: str, alone: bool = False) -> Outcome:
        """A named question's job: in this process when it is known cheap in this version of the
        graph (inprocess), else `run_async`, whose timing makes it known. `alone`: the request
        came with no other (middleware.InFlight), so a cheap enough one may run on the loop."""
        job = self._capped(job)
        if self.inprocess is None:
            return await self.run_async(job)
        version = self.version()
        key = (version.tag, name, tuple(job.default_graph) if job.default_graph is not None else None)
        outcome = await self.inprocess.try_run(job, key, version.build, alone=alone and self.in_flight.count <= 1)
        if outcome is None:
            outcome = await self.run_async(job)
            if outcome.status == "ok":
                self.inprocess.note(key, outcome.seconds)
        return outcome

    def _capped(self, job: Job) -> Job:
        job.max_rows = min(job.max_rows, self.settings.max_rows)
        job.max_bytes = min(job.max_bytes, self.settings.max_result_bytes)
        return job

    def start(self) -> None:
        self.executor.start()
        if self.settings.updates_enabled:  # the readers open a snapshot, never the writer's store
            self.readers = self._new_pool(self.current_build() / STORE_DIR, False,
                                          self.executor.prefixes).start(wait=True)
            self._switch_readers()
        if self.inprocess is not None:
            self.inprocess.open(self.version().build)  # later builds: in a thread, see inprocess._open
            log.info("cheap named questions: on the event loop up to %.1f ms of CPU (%s; this machine %.1f× the "
                     "reference's time, see inprocess.machine_slowness), in %d threads up to %g ms",
                     self.inprocess.inline_budget * 1000,
                     "under load too" if self.inprocess.inline_under_load else "when asked alone",
                     self.inprocess.slowness, self.inprocess.threads, self.inprocess.budget * 1000)

    def close(self) -> None:
        self.closing = True  # (server/warm stops making files ahead of requests)
        self.derived.close()
        if self.readers is not None:
            self.readers.close()
        self.executor.close()


def usable_cores() -> int:
    """CPUs this process may run on (its affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _count_graphs(nquads: Path) -> dict[str, int]:
    """Triples per named graph of an N-Quads dump (the default graph under "")."""
    import pyoxigraph

    counts: dict[str, int] = {}
    for quad in pyoxigraph.parse(path=str(nquads), format=pyoxigraph.RdfFormat.N_QUADS):
        key = quad.graph_name.value if isinstance(quad.graph_name, pyoxigraph.NamedNode) else ""
        counts[key] = counts.get(key, 0) + 1
    return counts
