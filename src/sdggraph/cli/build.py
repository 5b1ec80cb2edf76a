"""`sdggraph build`: compile ontology/ and data/ into a build directory."""

from __future__ import annotations

from pathlib import Path


def cmd_build(args) -> int:
    from ..compile.build import build

    report = build(args.out or args.build_dir)
    print("\n".join(report.lines()))
    return 0


def register(subparsers, common) -> None:
    p = subparsers.add_parser("build", parents=[common],
                              help="compile ontology/ and data/ into build/ (with OWL-RL inference)")
    p.add_argument("--out", type=Path, default=None, help="build directory (default: build/; same as --build-dir)")
    p.set_defaults(func=cmd_build)
