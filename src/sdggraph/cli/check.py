"""`sdggraph check`: run the integrity rules on the built graph: every queries/*-violation.rq
must return no rows, and no SHACL shape of severity Violation may fail (the same rules
`sdggraph validate` and the build's gate apply; on a remote endpoint only the queries run).

Exit 0 when all pass, 1 listing what does not, 2 on error (no build).
"""

from __future__ import annotations

import os

from ..errors import CheckFailed


def cmd_check(args) -> int:
    from ..check.violations import check_names, failed_checks, format_failures

    checks = check_names()
    violations = []
    remote = bool(os.environ.get("SDGGRAPH_SPARQL_ENDPOINT"))
    if remote:
        failures = failed_checks(args.build_dir)
    else:  # the shapes and the queries together, as the build's gate ran them (kept in the build)
        from ..check.validate import validate

        result = validate(severity="violation", build_dir=args.build_dir)
        failures, violations = result.failed_checks, result.results
    if failures or violations:
        parts = []
        if failures:
            parts.append(f"{len(failures)} of {len(checks)} integrity checks found problems:")
            parts.extend(format_failures(failures, args.format))
        if violations:
            parts.append(f"{'' if not failures else chr(10)}SHACL: {len(violations)} violation"
                         f"{'s' if len(violations) != 1 else ''} (sdggraph validate shows them with hints):")
            parts.extend(f"  {r.focus_node}{f' [{r.location}]' if r.location else ''}: {r.message}" for r in violations)
        raise CheckFailed("\n".join(parts))
    shacl = "" if remote else " and no SHACL violation"
    print(f"All {len(checks)} integrity checks passed{shacl}: {', '.join(checks)}")
    return 0


def register(subparsers, common) -> None:
    p = subparsers.add_parser("check", parents=[common], help="run the integrity rules (queries/*-violation.rq and the "
                                                              "SHACL Violation shapes); exit 1 if any fails")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table", help="how to print offending rows")
    p.set_defaults(func=cmd_check)
