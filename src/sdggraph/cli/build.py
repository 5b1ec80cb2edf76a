"""`sdggraph build`: compile ontology/ and data/ into a build directory."""

from __future__ import annotations

from pathlib import Path


def cmd_build(args) -> int:
    from ..compile.build import build

    report = build(args.out or args.build_dir, allow_shrink=args.allow_shrink, reference=args.reference or None)
    print("\n".join(report.lines()))
    return 0


def register(subparsers, common) -> None:
    p = subparsers.add_parser("build", parents=[common],
                              help="compile ontology/ and data/ into build/ (with OWL-RL inference)")
    p.add_argument("--out", type=Path, default=None, help="build directory (default: build/; same as --build-dir)")
    p.add_argument("--allow-shrink", action="store_true",
                   help="accept a build that lost more than 10 %% of a layer's triples or a class's resources "
                        "against the previous build (an intended removal)")
    p.add_argument("--reference", action="store_true",
                   help="infer and check with the reference engines (owlrl, pySHACL) instead of the fast path")
    p.set_defaults(func=cmd_build)
