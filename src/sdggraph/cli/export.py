"""`sdggraph export FORMAT [--out PATH] [--gzip] [--format csv|xlsx] [--base-url URL]`.

A thin shell over sdggraph.export.run_export. Without --out a single-file export goes to stdout
and a file set (opensdg) to a directory named after it; --out FILE.zip zips a file set. The
summary (counts, warnings) goes to stderr. Exit 1 when an export fails its profile check
(ks-taxonomy, dcat), 2 on errors (no build, unknown format).
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..export import FORMATS, run_export


def cmd_export(args) -> int:
    if args.list or not args.name:
        width = max(len(name) for name in FORMATS)
        for name, fmt in FORMATS.items():
            print(f"{name:<{width}}  {fmt.description}")
        return 0
    result = run_export(args.name, args.build_dir, table_format=args.table_format, base_url=args.base_url)
    if args.out is None and result.files is None:
        from ..export.common import gzip_bytes

        data = gzip_bytes(result.payload()) if args.gzip else result.payload()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        where = "stdout"
    else:
        out = args.out or Path(result.filename)
        where = result.write(out, compress=args.gzip)
    for note in result.notes:
        print(note, file=sys.stderr)
    print(f"{result.summary()} → {where}", file=sys.stderr)
    return 0


def register(subparsers, common) -> None:
    p = subparsers.add_parser(
        "export", parents=[common], help="export the built graph (dumps, KS taxonomy, Data Cube, Open SDG, DCAT, tables)",
        description="Export the built graph. Formats: " + ", ".join(FORMATS) + ".")
    p.add_argument("name", nargs="?", choices=list(FORMATS), metavar="FORMAT",
                   help="one of: " + ", ".join(FORMATS))
    p.add_argument("--out", type=Path, default=None,
                   help="file to write (a directory, or FILE.zip, for opensdg); default stdout")
    p.add_argument("--gzip", action="store_true", help="gzip the output")
    p.add_argument("--format", dest="table_format", choices=["csv", "xlsx"], default="csv",
                   help="table format for observations and indicators (default csv)")
    p.add_argument("--base-url", default=None,
                   help="public base URL of the service, for the DCAT access URLs (default http://localhost:8000/)")
    p.add_argument("--list", action="store_true", help="list the formats")
    p.set_defaults(func=cmd_export)
