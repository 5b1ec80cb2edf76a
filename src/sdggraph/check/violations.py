"""The integrity checks that are queries: every queries/*-violation.rq must return no rows.

The integrity rules are the SHACL shapes of severity Violation and these queries together;
`sdggraph check`, `sdggraph validate` and the build's gate all run both (`integrity`), so the
three agree on what is an error.
"""

from __future__ import annotations

from pathlib import Path

from ..query.named import discover, run_named


def failed_checks(build_dir: Path | None = None) -> list[tuple[str, list[str], list[list[str]]]]:
    """Every *-violation question that returned rows on the build, as (name, header, rows)."""
    failures = []
    for query in discover().values():
        if query.is_check:
            header, rows = run_named(query.name, {}, build_dir)
            if rows:
                failures.append((query.name, header, rows))
    return failures


def failed_checks_on(store) -> list[tuple[str, list[str], list[list[str]]]]:
    """The same on any pyoxigraph store (e.g. a graph with the files a user is editing)."""
    from ..query.results import term_text

    failures = []
    for query in discover().values():
        if query.is_check:
            solutions = store.query(query.sparql, use_default_graph_as_union=True)
            header = [variable.value for variable in solutions.variables]
            rows = [[term_text(row[name]) for name in header] for row in solutions]
            if rows:
                failures.append((query.name, header, rows))
    return failures


def check_names() -> list[str]:
    return [query.name for query in discover().values() if query.is_check]


def format_failures(failures, fmt: str = "table") -> list[str]:
    from ..query.results import format_rows

    parts = []
    for name, header, rows in failures:
        parts.append(f"\n{name} — {len(rows)} row{'s' if len(rows) != 1 else ''}:")
        parts.append(format_rows(header, rows, fmt).rstrip("\n"))
    return parts
