"""Turn pyoxigraph query results into rows and print them as a table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json

import pyoxigraph


def term_text(term) -> str:
    if term is None:
        return ""
    if isinstance(term, pyoxigraph.NamedNode):
        return term.value
    if isinstance(term, pyoxigraph.Literal):
        return term.value
    if isinstance(term, pyoxigraph.BlankNode):
        return "_:" + term.value
    return str(term)


def to_rows(result) -> tuple[list[str], list[list[str]]]:
    """(header, rows) for SELECT; ASK gives one 'boolean' column; CONSTRUCT gives s/p/o."""
    if isinstance(result, pyoxigraph.QueryBoolean):
        return ["boolean"], [["true" if bool(result) else "false"]]
    if isinstance(result, pyoxigraph.QuerySolutions):
        header = [v.value for v in result.variables]
        return header, [[term_text(solution[name]) for name in header] for solution in result]
    return ["subject", "predicate", "object"], [[term_text(t.subject), term_text(t.predicate), term_text(t.object)]
                                                for t in result]


def format_rows(header: list[str], rows: list[list[str]], fmt: str = "table", max_width: int = 60) -> str:
    if fmt == "json":
        return json.dumps([dict(zip(header, row)) for row in rows], ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        return buffer.getvalue()
    def cut(text):
        return text if len(text) <= max_width else text[: max_width - 1] + "…"
    cells = [[cut(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(header)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in cells]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"
