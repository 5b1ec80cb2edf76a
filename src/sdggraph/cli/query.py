"""`sdggraph query`: SPARQL, or a named question, over the built graph (or a remote endpoint)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..errors import SdggraphError


def cmd_query(args) -> int:
    from ..query.results import format_rows, to_rows
    from ..store.local import query

    if args.list:
        from ..query.named import listing
        sys.stdout.write(format_rows(*listing(), args.format, max_width=100))
        return 0
    if args.name:
        from ..query.named import run_named
        header, rows = run_named(args.name, dict(args.param or []), args.build_dir, args.kommune)
    else:
        if not args.sparql:
            raise SdggraphError("give a SPARQL query, or --name NAME")
        text = Path(args.sparql[1:]).read_text(encoding="utf-8") if args.sparql.startswith("@") else args.sparql
        endpoint = os.environ.get("SDGGRAPH_SPARQL_ENDPOINT")
        try:
            if endpoint:  # remote mode: the remote's rows, not build/'s
                from ..store.remote import remote_query
                result = remote_query(endpoint, text)
            else:
                result = query(text, args.build_dir)
        except SyntaxError as error:
            from ..query.syntax import readable
            raise SdggraphError(readable(text, str(error))) from error
        header, rows = to_rows(result)
    sys.stdout.write(format_rows(header, rows, args.format))
    return 0


def parse_param(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise argparse.ArgumentTypeError("parameters are NAME=VALUE")
    name, value = text.split("=", 1)
    return name, value


def register(subparsers, common) -> None:
    p = subparsers.add_parser("query", parents=[common], help="run SPARQL (or a named question) over the built graph")
    p.add_argument("sparql", nargs="?", help="the query text, or @FILE")
    p.add_argument("--name", help="a named question from queries/ (see `sdggraph query --list`)")
    p.add_argument("--list", action="store_true", help="list the named questions with their parameters")
    p.add_argument("--param", action="append", type=parse_param, metavar="NAME=VALUE")
    p.add_argument("--kommune", metavar="NNNN", help="with --name: ask about this kommune of a dataset that holds "
                   "several (its graphs and the shared ones; default: the home kommune)")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.set_defaults(func=cmd_query)
