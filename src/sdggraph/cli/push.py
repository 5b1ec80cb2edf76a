"""`sdggraph push`: the CLI shell over sdggraph.store.push."""

from __future__ import annotations

import os

ENV_AUTH = "SDGGRAPH_PUSH_AUTH"    # user:password, kept off the command line (and out of `ps`)
ENV_TOKEN = "SDGGRAPH_PUSH_TOKEN"


def cmd_push(args) -> int:
    from ..store.push import push

    auth = args.auth or (None if args.token else os.environ.get(ENV_AUTH))
    token = args.token or (None if args.auth else os.environ.get(ENV_TOKEN))
    report = push(args.endpoint, graph=args.graph, auth=auth, token=token, build_dir=args.build_dir)
    print("\n".join(report.lines()))
    return 0


def register(subparsers, common) -> None:
    p = subparsers.add_parser(
        "push", parents=[common], help="upload the built graph to a triple store (SPARQL 1.1 Graph Store Protocol, PUT)",
        description="Replace, with HTTP PUT, one named graph per layer (asserted, reference, inferred) "
                    "on a Graph Store Protocol endpoint, e.g. http://127.0.0.1:7878/store for Oxigraph.")
    p.add_argument("--endpoint", required=True, metavar="URL", help="the Graph Store Protocol endpoint")
    p.add_argument("--graph", metavar="IRI",
                   help="a layer's graph IRI: push only that layer; another IRI: push the union of all layers "
                        "into that graph; 'default': the union into the store's default graph")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--auth", metavar="USER:PASSWORD", help=f"HTTP Basic credentials (or ${ENV_AUTH})")
    who.add_argument("--token", metavar="TOKEN", help=f"HTTP Bearer token (or ${ENV_TOKEN})")
    p.set_defaults(func=cmd_push)
