"""The SPARQL service an app holds (app.state.sparql): settings, the worker pool, the dataset's graphs.

Other routers may run SPARQL through it to get the same timeout and row cap as /sparql:
`request.app.state.sparql.run(Job(text, substitutions={...}, tabular_format="json"))`.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from .. import config
from ..layout import MANIFEST_FILE, STORE_DIR, require_build
from .description import DatasetInfo, read_dataset_info
from .executor import Job, Outcome, QueryExecutor
from .protocol import Context
from .settings import Settings


class SparqlService:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.build_dir = Path(require_build(settings.build_dir))
        prefixes = {prefix: config.rebase(namespace) for prefix, namespace in config.PREFIXES.items()}
        self.executor = QueryExecutor(self.build_dir / STORE_DIR, workers=settings.workers,
                                      timeout=settings.timeout, writable=settings.updates_enabled,
                                      prefixes=prefixes, memory_mb=settings.worker_memory_mb,
                                      fast_workers=settings.fast_workers, fast_seconds=settings.fast_seconds,
                                      max_queue=settings.max_queue)
        self._info: tuple[int, DatasetInfo] | None = None
        self._lock = threading.Lock()

    def dataset_info(self) -> DatasetInfo:
        """The graphs and counts of manifest.json, re-read when a new build replaced it."""
        path = self.build_dir / MANIFEST_FILE
        stamp = os.stat(path).st_mtime_ns
        with self._lock:
            if self._info is None or self._info[0] != stamp:
                self._info = (stamp, read_dataset_info(self.build_dir))
            return self._info[1]

    def context(self, endpoint_url: str) -> Context:
        return Context(self.settings, self.executor, self.dataset_info().graph_iris, endpoint_url)

    def run(self, job: Job) -> Outcome:
        """Run a job in the pool (blocking); the caller has checked the text (see guard)."""
        if job.max_rows > self.settings.max_rows:
            job.max_rows = self.settings.max_rows
        job.max_bytes = min(job.max_bytes, self.settings.max_result_bytes)
        outcome = self.executor.run(job)
        if outcome.path is not None:  # callers here want bytes (named questions: small answers)
            outcome.body, outcome.path = outcome.read_body(), None
        return outcome

    def start(self) -> None:
        self.executor.start()

    def close(self) -> None:
        self.executor.close()
