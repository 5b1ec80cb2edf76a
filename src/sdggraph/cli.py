"""The `sdggraph` command: a thin shell over the package's functions.

Exit codes: 0 ok, 1 a check failed (validation found a Violation, a *-violation query
returned rows), 2 error (bad input file, bad query, missing build).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import __version__
from .errors import CheckFailed, SdggraphError

EXIT_OK, EXIT_CHECK_FAILED, EXIT_ERROR = 0, 1, 2


def cmd_build(args) -> int:
    from .build import build
    report = build(args.out)
    print("\n".join(report.lines()))
    return EXIT_OK


def cmd_query(args) -> int:
    from .results import format_rows, to_rows
    from .store import query
    if args.list:
        from .named_queries import listing
        sys.stdout.write(format_rows(*listing(), args.format, max_width=100))
        return EXIT_OK
    if args.name:
        from .named_queries import run_named
        header, rows = run_named(args.name, dict(args.param or []), args.build_dir)
    else:
        if not args.sparql:
            raise SdggraphError("give a SPARQL query, or --name NAME")
        text = Path(args.sparql[1:]).read_text(encoding="utf-8") if args.sparql.startswith("@") else args.sparql
        endpoint = os.environ.get("SDGGRAPH_SPARQL_ENDPOINT")
        try:
            if endpoint:  # remote mode: the remote's rows, not build/'s
                from .remote import remote_query
                result = remote_query(endpoint, text)
            else:
                result = query(text, args.build_dir)
        except SyntaxError as error:
            raise SdggraphError(f"SPARQL syntax error: {error}") from error
        header, rows = to_rows(result)
    sys.stdout.write(format_rows(header, rows, args.format))
    return EXIT_OK


def parse_param(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise argparse.ArgumentTypeError("parameters are NAME=VALUE")
    name, value = text.split("=", 1)
    return name, value


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

    p = sub.add_parser("build", help="compile ontology/ and data/ into build/ (with OWL-RL inference)")
    p.add_argument("--out", type=Path, default=None, help="build directory (default: build/)")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("query", help="run SPARQL (or a named question) over the built graph")
    p.add_argument("sparql", nargs="?", help="the query text, or @FILE")
    p.add_argument("--name", help="a named question from queries/ (see `sdggraph query --list`)")
    p.add_argument("--list", action="store_true", help="list the named questions with their parameters")
    p.add_argument("--param", action="append", type=parse_param, metavar="NAME=VALUE")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.add_argument("--build-dir", type=Path, default=None)
    p.set_defaults(func=cmd_query)

    for register in extra_commands():
        register(sub)
    return root


def extra_commands():
    """Sub-commands contributed by other modules (serve, validate, report, export, traverse, push)."""
    import importlib
    registrars = []
    for module_name in ("serve_cli", "validate_cli", "report_cli", "export_cli", "traverse_cli", "push_cli", "check_cli"):
        try:
            module = importlib.import_module(f"sdggraph.{module_name}")
        except ModuleNotFoundError as error:
            if error.name != f"sdggraph.{module_name}":
                raise
            continue
        registrars.append(module.register)
    return registrars


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # Remote mode goes through the environment so that store.select (named questions, reports)
    # sees it wherever it is called; restored afterwards for in-process callers (tests).
    remote = {"SDGGRAPH_SPARQL_ENDPOINT": args.sparql_endpoint,
              "SDGGRAPH_SPARQL_GRAPHS": " ".join(args.sparql_graph or []) or None}
    saved = {name: os.environ.get(name) for name in remote}
    for name, value in remote.items():
        if value:
            os.environ[name] = value
    try:
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


if __name__ == "__main__":
    sys.exit(main())
