"""`sdggraph check`: run every integrity check (queries/*-violation.rq) on the built graph.

Exit 0 when all return no rows, 1 listing the rows of those that do, 2 on error (no build).
"""

from __future__ import annotations

from ..errors import CheckFailed


def cmd_check(args) -> int:
    from ..check.violations import failed_checks
    from ..query.named import discover
    from ..query.results import format_rows

    checks = [query.name for query in discover().values() if query.is_check]
    failures = failed_checks(args.build_dir)
    if failures:
        parts = [f"{len(failures)} of {len(checks)} integrity checks found problems:"]
        for name, header, rows in failures:
            parts.append(f"\n{name} — {len(rows)} row{'s' if len(rows) != 1 else ''}:")
            parts.append(format_rows(header, rows, args.format).rstrip("\n"))
        raise CheckFailed("\n".join(parts))
    print(f"All {len(checks)} integrity checks passed: {', '.join(checks)}")
    return 0


def register(subparsers, common) -> None:
    p = subparsers.add_parser("check", parents=[common], help="run the integrity checks (queries/*-violation.rq); exit 1 if any finds rows")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table", help="how to print offending rows")
    p.set_defaults(func=cmd_check)
