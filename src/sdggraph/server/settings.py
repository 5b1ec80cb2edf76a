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
| cache_mb         | SDGGRAPH_CACHE_MB           | 64      | bytes of GET answers kept in memory for repeat requests (0 = no result cache; ETags and 304 still work) |
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


@dataclass(frozen=True)
class Settings:
    build_dir: Path = field(default_factory=layout.build_dir)
    timeout: float = 5.0
    max_rows: int = 50_000
    max_body_bytes: int = 1_048_576
    update_token: str | None = None
    workers: int = 2
    worker_memory_mb: int = 2048
    cache_mb: int = 64

    def __post_init__(self):
        if self.timeout <= 0:
            raise SdggraphError("the query timeout must be a positive number of seconds")
        if self.workers < 1:
            raise SdggraphError("at least one worker process is needed")
        if self.max_rows < 1 or self.max_body_bytes < 1:
            raise SdggraphError("max rows and max body bytes must be positive")
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
            "cache_mb": _env("SDGGRAPH_CACHE_MB", int, cls.cache_mb),
        }
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)

    def with_changes(self, **changes) -> "Settings":
        return replace(self, **changes)
