"""`sdggraph report coverage|distribution`: the coverage-gap report and the indicator-set check.

`report coverage` writes the report as HTML, Markdown, CSV or JSON (stdout, or --out PATH;
progress on stderr). `report distribution` prints the graph's distribution of the indicator set
beside the report's published figures and exits 1 when a stated figure is not reproduced.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import CheckFailed, SdggraphError


def progress(message: str) -> None:
    print(f"sdggraph report: {message} …", file=sys.stderr, flush=True)


def write(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8", newline="")
    except OSError as error:
        raise SdggraphError(f"cannot write {out}: {error}") from error
    print(f"sdggraph report: skrev {out}", file=sys.stderr)


def cmd_coverage(args) -> int:
    from ..report.coverage import coverage_report
    from ..report.render import render

    report = coverage_report(progress, build_dir=args.build_dir)
    progress(f"skriver {args.format}")
    write(render(report, args.format), args.out)
    return 0


def distribution_table(records: list[dict]) -> tuple[list[str], list[list[str]]]:
    from ..report.render import graph_text, match_text, stated_text

    header = ["dimensjon", "kategori", "rapporten", "grafen", "samsvar"]
    return header, [[r["dimension_label"], r["category_label"], stated_text(r), graph_text(r), match_text(r)]
                    for r in records]


def cmd_distribution(args) -> int:
    import json

    from ..query.results import format_rows
    from ..report.coverage import distribution, distribution_mismatches

    records = distribution(args.build_dir)
    if args.format == "json":
        sys.stdout.write(json.dumps(records, ensure_ascii=False, indent=2) + "\n")
    else:
        header, rows = distribution_table(records)
        sys.stdout.write(format_rows(header, rows, args.format, max_width=70))
    wrong = distribution_mismatches(records)
    if wrong:
        raise CheckFailed("klassifiseringen gjengir ikke rapportens fordeling: " + "; ".join(
            f"{r['dimension_label']} «{r['category_label']}»: rapporten {r['stated_count'] if r['stated_kind'] == 'count' else str(r['stated_percent']) + ' %'}, "
            f"grafen {r['graph_count']} ({r['graph_percent']:g} %)" for r in wrong))
    return 0


def register(subparsers, common) -> None:
    p = subparsers.add_parser("report", help="coverage-gap report; the indicator set against the report's distribution")
    sub = p.add_subparsers(dest="report", required=True)

    c = sub.add_parser("coverage", parents=[common], help="where the steering system has holes (HTML, Markdown, CSV or JSON)",
                       description="The coverage-gap report: FN goals × Asker's goals with indicator counts, delmål "
                                   "without indicators, indicators without a figure for the latest year, threshold "
                                   "misses, the indicator set against the report's distribution, temaplaner and "
                                   "tjenesteområder. CSV is a long table: section,row,field,value (see "
                                   "sdggraph.coverage_render).")
    c.add_argument("--format", choices=["html", "md", "csv", "json"], default="html")
    c.add_argument("--out", type=Path, default=None, help="write to this file instead of stdout")
    c.set_defaults(func=cmd_coverage)

    d = sub.add_parser("distribution", parents=[common], help="the graph's classification beside the report's published distribution",
                       description="Print the indicator set's distribution (samfunnsfloke, resultatkjede, age group, "
                                   "data basis, frequency, satsingsområde) in the graph beside the report's figures. "
                                   "Exit 1 when a stated figure differs.")
    d.add_argument("--format", choices=["table", "csv", "json"], default="table")
    d.set_defaults(func=cmd_distribution)
