"""The integrity checks that are queries: every queries/*-violation.rq must return no rows."""

from __future__ import annotations

from pathlib import Path

from ..query.named import discover, run_named


def failed_checks(build_dir: Path | None = None) -> list[tuple[str, list[str], list[list[str]]]]:
    """Every *-violation question that returned rows, as (name, header, rows)."""
    failures = []
    for query in discover().values():
        if query.is_check:
            header, rows = run_named(query.name, {}, build_dir)
            if rows:
                failures.append((query.name, header, rows))
    return failures
