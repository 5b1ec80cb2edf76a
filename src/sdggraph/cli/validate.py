"""`sdggraph validate [EXTRA_FILES...]`: check the built graph (and files being edited) with the SHACL shapes.

Exit 0 when there is no sh:Violation, 1 when there is one, 2 on error (a broken file, no build).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..errors import CheckFailed


def cmd_validate(args) -> int:
    from ..check.validate import format_text, validate

    result = validate(args.extra_files, args.severity, args.build_dir, reference=args.reference or None)
    if args.format == "json":
        text = json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n"
    elif args.format == "turtle":
        text = result.report_turtle()
    else:
        text = format_text(result)
    sys.stdout.write(text)
    if not result.passes:
        counts = result.counts()
        checks = f"; {len(result.failed_checks)} integritetssjekker fant rader" if result.failed_checks else ""
        raise CheckFailed(f"validering feilet: {counts['violation']} brudd (sh:Violation){checks}")
    return 0


def register(subparsers, common) -> None:
    p = subparsers.add_parser(
        "validate", parents=[common], help="check the built graph (plus files you are editing) with the SHACL shapes in shapes/",
        description="Validate the built graph, plus any extra RDF files you are editing, with the SHACL shapes in "
                    "shapes/*.ttl after OWL-RL inference. Exit 0: no violation; 1: violations; 2: error.")
    p.add_argument("extra_files", nargs="*", type=Path, metavar="EXTRA_FILE",
                   help="RDF files to check together with the built graph (an edited data/ file replaces its built version)")
    p.add_argument("--format", choices=["text", "turtle", "json"], default="text")
    p.add_argument("--severity", choices=["violation", "warning", "info"], default="info",
                   help="show results of this severity or worse (default: info, i.e. all)")
    p.add_argument("--reference", action="store_true",
                   help="infer with owlrl and validate with pySHACL (the reference engines) instead of the fast path")
    p.set_defaults(func=cmd_validate)
