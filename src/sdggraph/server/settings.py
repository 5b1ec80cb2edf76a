"""Service settings: one dataclass, filled from `sdggraph serve` flags over SDGGRAPH_* environment variables.

| setting          | env var                     | default | meaning |
|------------------|-----------------------------|---------|---------|
| build_dir        | SDGGRAPH_BUILD_DIR          | build/  | what `sdggraph build` wrote (store, manifest) |
| timeout          | SDGGRAPH_QUERY_TIMEOUT      | 5       | seconds a query or update may run before it is stopped (503) |
| max_rows         | SDGGRAPH_MAX_ROWS           | 50000   | result rows (SELECT) or triples (CONSTRUCT/DESCRIBE) above which the answer is 413 (no truncation); a SELECT answer is also given up past 2 KB per allowed row |
| max_body_bytes   | SDGGRAPH_MAX_BODY_BYTES     | 1 MiB   | request bodies above this are refused with 413 |
| update_token     | SDGGRAPH_UPDATE_TOKEN       | unset   | secret that enables SPARQL Update (Authorization: Bearer …); unset = read-only |
| workers          | SDGGRAPH_WORKERS            | 2       | query worker processes (parallel queries; forced to 1 when updates are enabled) |
| worker_memory_mb | SDGGRAPH_WORKER_MEMORY_MB   | 2048    | address-space cap per worker process (0 = none), so one query cannot exhaust the host |
| max_result_bytes | SDGGRAPH_MAX_RESULT_BYTES   | 32 MiB  | answers (every form) above this are refused with 413; large answers are spooled to disk, not held in memory |
| fast_workers     | SDGGRAPH_FAST_WORKERS       | 1       | extra worker processes kept for short queries (a lane runaway queries cannot take) |
| fast_seconds     | SDGGRAPH_FAST_SECONDS       | 0.5     | a query running longer is "long": at most `workers` long queries run at once |
| max_queue        | SDGGRAPH_MAX_QUEUE          | 32      | requests that may wait for a worker (queries of a heavy shape are counted apart); more are answered 503 with Retry-After at once |
| heavy_requests   | SDGGRAPH_HEAVY_REQUESTS     | 2       | exports, reports and walks computed at once in the server process (files already made take no slot); more wait, up to max_queue |
| derived_limit    | SDGGRAPH_DERIVED_LIMIT      | 250000  | triples above which the service makes no exports, reports or walks (rdflib and networkx, in its own process: all of Asker's 38 k made it grow by ~150 MB, so ~1 GB at the limit; minutes and gigabytes at national scale) and answers them 503 saying which command makes them; pages then label from the store (0 = no limit) |
| log_format       | SDGGRAPH_LOG_FORMAT         | text    | `text` or `json` (JSON lines) |
| cache_mb         | SDGGRAPH_CACHE_MB           | 64      | bytes of GET answers kept in memory for repeat requests (0 = no result cache; ETags and 304 still work) |
| memory_store_mb  | SDGGRAPH_MEMORY_STORE_MB    | 32      | a store of at most this many MB on disk is copied into memory by each process that answers queries (2–3× faster questions, ~3× the disk size in RAM per process); larger ones, and the writer's, are read from disk (0 = always from disk) |
| inprocess_threads | SDGGRAPH_INPROCESS_THREADS | 2       | threads of the server process that answer named questions known to be cheap (0 = the workers answer all; see inprocess) |
| inprocess_seconds | SDGGRAPH_INPROCESS_SECONDS | 0.02    | a named question is cheap when a worker evaluated it within this many seconds in this version of the graph |
| http_processes   | SDGGRAPH_HTTP_PROCESSES     | 1       | server processes answering HTTP on one socket, each with its own workers, queue and cache (1 when updates are enabled; see server/processes) |
| request_seconds  | SDGGRAPH_REQUEST_SECONDS    | 15      | a client must send a request head within this many seconds (else 408, see server/connections), and its body within as many again |
| max_connections  | SDGGRAPH_MAX_CONNECTIONS    | 1024    | open connections per server process; past it the longest-idle one is closed (see server/connections) |
| warm_derived     | SDGGRAPH_WARM_DERIVED       | 1 (serve) | make the exports and reports in the background as the service starts and after each rebuild, not at their first request (see server/warm); off in an app made with `Settings()` (tests) |
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import layout
from ..errors import SdggraphError


def _env(name: str, convert, default):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return convert(raw.strip())
    except ValueError as error:
        raise SdggraphError(f"{name}={raw!r} is not valid: {error}") from error


def _flag(raw: str) -> bool:
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected 1 or 0")


@dataclass(frozen=True)
class Settings:
    build_dir: Path = field(default_factory=layout.build_dir)
    timeout: float = 5.0
    max_rows: int = 50_000
    max_body_bytes: int = 1_048_576
    update_token: str | None = None
    workers: int = 2
    worker_memory_mb: int = 2048
    max_result_bytes: int = 32 * 1024 * 1024
    fast_workers: int = 1
    fast_seconds: float = 0.5
    max_queue: int = 32
    heavy_requests: int = 2
    derived_limit: int = 250_000
    log_format: str = "text"
    cache_mb: int = 64
    memory_store_mb: float = 32
    inprocess_threads: int = 2
    inprocess_seconds: float = 0.02
    http_processes: int = 1
    request_seconds: float = 15.0
    max_connections: int = 1024
    warm_derived: bool = False  # `serve` (from_env) turns it on

    def __post_init__(self):
        if self.timeout <= 0:
            raise SdggraphError("the query timeout must be a positive number of seconds")
        if self.workers < 1:
            raise SdggraphError("at least one worker process is needed")
        if self.max_rows < 1 or self.max_body_bytes < 1 or self.max_result_bytes < 1:
            raise SdggraphError("max rows, max body bytes and max result bytes must be positive")
        if (self.fast_workers < 0 or self.fast_seconds <= 0 or self.max_queue < 0 or self.heavy_requests < 1
                or self.derived_limit < 0):
            raise SdggraphError("fast workers, max queue and the derived limit must be 0 or more, fast seconds "
                                "positive, heavy requests at least 1")
        if self.memory_store_mb < 0:
            raise SdggraphError("memory store MB must be 0 or more")
        if self.inprocess_threads < 0 or self.inprocess_seconds <= 0:
            raise SdggraphError("in-process threads must be 0 or more, in-process seconds positive")
        if self.request_seconds <= 0 or self.max_connections < 1:
            raise SdggraphError("request seconds must be positive and max connections at least 1")
        if self.http_processes < 1:
            raise SdggraphError("at least one HTTP process is needed")
        if self.http_processes > 1 and self.update_token is not None:
            # one writer owns the store: a second process would open it beside the writer
            raise SdggraphError("SPARQL Update needs a single HTTP process: leave --http-processes at 1")
        if self.log_format not in ("text", "json"):
            raise SdggraphError(f"log format must be text or json, not {self.log_format!r}")
        if self.update_token is not None and len(self.update_token) < 16:
            # A short token would be guessable by anyone who can reach the endpoint.
            raise SdggraphError("the update token must be at least 16 characters long")
        object.__setattr__(self, "build_dir", Path(self.build_dir))

    @property
    def updates_enabled(self) -> bool:
        return self.update_token is not None

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        """Settings from SDGGRAPH_* variables; keyword arguments that are not None win (CLI flags)."""
        values = {
            "build_dir": layout.build_dir(),
            "timeout": _env("SDGGRAPH_QUERY_TIMEOUT", float, cls.timeout),
            "max_rows": _env("SDGGRAPH_MAX_ROWS", int, cls.max_rows),
            "max_body_bytes": _env("SDGGRAPH_MAX_BODY_BYTES", int, cls.max_body_bytes),
            "update_token": os.environ.get("SDGGRAPH_UPDATE_TOKEN") or None,
            "workers": _env("SDGGRAPH_WORKERS", int, cls.workers),
            "worker_memory_mb": _env("SDGGRAPH_WORKER_MEMORY_MB", int, cls.worker_memory_mb),
            "max_result_bytes": _env("SDGGRAPH_MAX_RESULT_BYTES", int, cls.max_result_bytes),
            "fast_workers": _env("SDGGRAPH_FAST_WORKERS", int, cls.fast_workers),
            "fast_seconds": _env("SDGGRAPH_FAST_SECONDS", float, cls.fast_seconds),
            "max_queue": _env("SDGGRAPH_MAX_QUEUE", int, cls.max_queue),
            "heavy_requests": _env("SDGGRAPH_HEAVY_REQUESTS", int, cls.heavy_requests),
            "derived_limit": _env("SDGGRAPH_DERIVED_LIMIT", int, cls.derived_limit),
            "log_format": _env("SDGGRAPH_LOG_FORMAT", str, cls.log_format),
            "cache_mb": _env("SDGGRAPH_CACHE_MB", int, cls.cache_mb),
            "memory_store_mb": _env("SDGGRAPH_MEMORY_STORE_MB", float, cls.memory_store_mb),
            "inprocess_threads": _env("SDGGRAPH_INPROCESS_THREADS", int, cls.inprocess_threads),
            "inprocess_seconds": _env("SDGGRAPH_INPROCESS_SECONDS", float, cls.inprocess_seconds),
            "http_processes": _env("SDGGRAPH_HTTP_PROCESSES", int, cls.http_processes),
            "request_seconds": _env("SDGGRAPH_REQUEST_SECONDS", float, cls.request_seconds),
            "max_connections": _env("SDGGRAPH_MAX_CONNECTIONS", int, cls.max_connections),
            "warm_derived": _env("SDGGRAPH_WARM_DERIVED", _flag, True),
        }
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)

    def with_changes(self, **changes) -> "Settings":
        return replace(self, **changes)
