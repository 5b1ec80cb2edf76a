"""`sdggraph push`: the CLI shell over sdggraph.store.push."""

from __future__ import annotations

import os
import sys

ENV_AUTH = "SDGGRAPH_PUSH_AUTH"    # user:password, kept off the command line (and out of `ps`)
ENV_TOKEN = "SDGGRAPH_PUSH_TOKEN"


def cmd_push(args) -> int:
    from ..store.push import push

    auth = args.auth or (None if args.token else os.environ.get(ENV_AUTH))
    token = args.token or (None if args.auth else os.environ.get(ENV_TOKEN))
    report = push(args.endpoint, graph=args.graph, auth=auth, token=token, build_dir=args.build_dir,
                  timeout=args.timeout, auth_scheme=args.auth_scheme, update_endpoint=args.update_endpoint,
                  query_endpoint=args.query_endpoint, progress=lambda line: print(line, file=sys.stderr, flush=True))
    print("\n".join(report.lines()))
    return 0


def register(subparsers, common) -> None:
    from ..store import AUTH_SCHEMES, TIMEOUT_S

    p = subparsers.add_parser(
        "push", parents=[common], help="upload the built graph to a triple store: all layers or none",
        description="Upload each layer (asserted, reference, inferred) into a staging graph with the SPARQL 1.1 "
                    "Graph Store Protocol, check the counts, and swap them in with one SPARQL Update request. "
                    "E.g. --endpoint http://127.0.0.1:7878/store (Oxigraph) or "
                    "http://127.0.0.1:8890/sparql-graph-crud-auth (Virtuoso, with --auth dba:PASSWORD).")
    p.add_argument("--endpoint", required=True, metavar="URL", help="the Graph Store Protocol endpoint")
    p.add_argument("--update-endpoint", metavar="URL",
                   help="the SPARQL Update endpoint for the swap (default: derived from --endpoint for Oxigraph "
                        "…/store → …/update, Virtuoso …/sparql-graph-crud-auth → …/sparql-auth, Fuseki …/data → …/update)")
    p.add_argument("--query-endpoint", metavar="URL",
                   help="the SPARQL query endpoint used to verify counts (default: derived like --update-endpoint)")
    p.add_argument("--graph", metavar="IRI",
                   help="a layer's graph IRI: push only that layer; another IRI: push the union of all layers "
                        "into that graph; 'default': the union into the store's default graph")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--auth", metavar="USER:PASSWORD", help=f"HTTP credentials (or ${ENV_AUTH})")
    who.add_argument("--token", metavar="TOKEN", help=f"HTTP Bearer token (or ${ENV_TOKEN})")
    p.add_argument("--auth-scheme", choices=AUTH_SCHEMES, default="auto",
                   help="how --auth is sent: auto (the scheme the server asks for on 401, e.g. Digest for "
                        "Virtuoso), basic, digest (default: auto)")
    p.add_argument("--timeout", type=float, default=TIMEOUT_S, metavar="SECONDS",
                   help=f"give up on a request the store does not answer within SECONDS (default: {TIMEOUT_S:g})")
    p.set_defaults(func=cmd_push)
