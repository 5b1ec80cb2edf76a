"""The `sdggraph` command: a thin shell over the package's functions, one module per sub-command.

Exit codes: 0 ok, 1 a check failed (validation found a Violation, a *-violation query
returned rows), 2 error (bad input file, bad query, missing build).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .. import __version__
from ..errors import CheckFailed, SdggraphError
from . import build, check, export, push, query, report, serve, traverse, validate

EXIT_OK, EXIT_CHECK_FAILED, EXIT_ERROR = 0, 1, 2
COMMANDS = (build, query, check, validate, report, traverse, export, push, serve)
REMOTE_COMMANDS = ("query", "check", "report")  # the commands that read a remote endpoint


def verify_remote(args) -> None:
    """Before reading a remote store: its layers must come from one push (store/marker.py).
    A mixed store fails `check` (exit 1) and is an error for the other commands (exit 2)."""
    from ..store.marker import MixedStore, verify_remote_dataset

    try:
        verified = verify_remote_dataset(strict=args.command == "check")
    except MixedStore as mixed:
        if args.command == "check":
            raise CheckFailed(f"check failed: {mixed}") from None
        raise
    if verified is not None and (verified.build is not None or args.command == "check"):
        print(verified.line(), file=sys.stderr)
    elif verified is not None and verified.graphs:
        print(f"note: {verified.line()}; nothing shows the graphs come from one build", file=sys.stderr)


def common_options() -> argparse.ArgumentParser:
    """The options every sub-command takes."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--build-dir", type=Path, default=None,
                        help="the build directory to read or write (default: ./build, or $SDGGRAPH_BUILD_DIR)")
    common.add_argument("--data", type=Path, default=None, metavar="DIR",
                        help="the data folder to build and check (default: the bundled Asker data, or $SDGGRAPH_DATA)")
    return common


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="sdggraph", description=__doc__.splitlines()[0],
                                   epilog="Exit codes: 0 ok, 1 check failed, 2 error.")
    root.add_argument("--version", action="version", version=f"sdggraph {__version__}")
    root.add_argument("--sparql-endpoint", metavar="URL",
                      help="remote mode: run queries, named questions and reports on this SPARQL endpoint "
                           "(e.g. http://127.0.0.1:7878/query) instead of build/")
    root.add_argument("--sparql-graph", metavar="IRI", action="append",
                      help="remote mode: the graphs whose union is queried (repeatable; default: the three layer "
                           "graphs `sdggraph push` writes; 'server': the endpoint's own default graph)")
    sub = root.add_subparsers(dest="command", required=True)
    common = common_options()
    for command in COMMANDS:
        command.register(sub, common)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # Remote mode and --data go through the environment so that every function sees them wherever
    # it is called (store.select, layout.data_dir); restored afterwards for in-process callers (tests).
    remote = {"SDGGRAPH_SPARQL_ENDPOINT": args.sparql_endpoint,
              "SDGGRAPH_SPARQL_GRAPHS": " ".join(args.sparql_graph or []) or None,
              "SDGGRAPH_DATA": str(args.data) if getattr(args, "data", None) else None}
    saved = {name: os.environ.get(name) for name in remote}
    for name, value in remote.items():
        if value:
            os.environ[name] = value
    try:
        if args.sparql_endpoint and args.command in REMOTE_COMMANDS:
            verify_remote(args)
        return args.func(args)
    except CheckFailed as failure:
        if str(failure):
            print(failure, file=sys.stderr)
        return EXIT_CHECK_FAILED
    except SdggraphError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_ERROR
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
