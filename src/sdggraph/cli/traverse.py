"""`sdggraph traverse path|neighbourhood|impact`: walk the built graph (see traverse.py).

Nodes are IRIs or prefixed names (indicator:HEL-01, sdg:13). Output: a readable listing
(text), JSON (nodes with labels and types, edges with predicates), or an SVG picture.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def cmd_traverse(args) -> int:
    from ..query import traverse

    g = traverse.graph(args.build_dir)
    if args.walk == "path":
        result = traverse.path(g, args.start, args.end)
    elif args.walk == "neighbourhood":
        result = traverse.neighbourhood(g, args.node, args.depth)
    else:
        result = traverse.impact(g, args.goal)
    if args.format == "json":
        text = json.dumps(result.to_json(g), ensure_ascii=False, indent=2) + "\n"
    elif args.format == "svg":
        text = traverse.to_svg(result, g)
    else:
        text = traverse.to_text(result, g)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"{len(result.depth)} nodes, {len(result.edges)} links written to {args.out}")
    else:
        sys.stdout.write(text)
    return 0


def register(subparsers, common) -> None:
    p = subparsers.add_parser("traverse", help="walk the graph: a path, a neighbourhood, or an FN goal's impact tree")
    walks = p.add_subparsers(dest="walk", required=True)

    def walk_options(q):
        q.add_argument("--format", choices=["text", "json", "svg"], default="text")
        q.add_argument("--out", type=Path, default=None, help="write to this file instead of standard output")
        q.set_defaults(func=cmd_traverse)

    q = walks.add_parser("path", parents=[common], help="a shortest path between two resources")
    q.add_argument("start", metavar="FROM", help="IRI or prefixed name, e.g. indicator:KLI-01")
    q.add_argument("end", metavar="TO", help="IRI or prefixed name, e.g. sdg:13")
    walk_options(q)
    q = walks.add_parser("neighbourhood", parents=[common], help="the resources within DEPTH links of a node")
    q.add_argument("node", help="IRI or prefixed name")
    q.add_argument("--depth", type=int, default=1, help="1–3 (default 1)")
    walk_options(q)
    q = walks.add_parser("impact", parents=[common], help="FN goal → targets → hovedmål/delmål → indicators → temaplaner → tjenesteområder")
    q.add_argument("goal", type=int, help="FN goal number, 1–17")
    walk_options(q)
