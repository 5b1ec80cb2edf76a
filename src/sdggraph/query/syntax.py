"""Oxigraph's SPARQL parser errors as a short message a person can act on.

Oxigraph says `error at 4:2: expected one of BNODE, BOUND, …, ['A' ..= 'Z' | '\\u{00C0}'..…], [_]`:
the position is right, but the list of expected tokens is the grammar's, Unicode ranges included.
`readable(query, message)` keeps the position as line and column, a few of the expected keywords
and punctuation (character classes dropped), and shows the line with a caret under the column:

    SPARQL syntax error at line 5, column 1: expected one of "&&", ")", "*", "+", "-", "/", "@", "^^" …
      }
      ^
"""

from __future__ import annotations

import re

POSITION = re.compile(r"^error at (\d+):(\d+): ?(.*)$", re.DOTALL)
CHAR_CLASS = re.compile(r"\[(?:'[^']*'|[^\]'])*\]")  # ['A' ..= 'Z' | …] and [_]
MAX_EXPECTED = 8
WORDS = {"IRI parsing failed": "a valid IRI"}


ITEM = re.compile(r'"[^"]*"|[A-Za-z][\w ]*\w|[A-Za-z]')


def _expected(text: str) -> list[str]:
    text = CHAR_CLASS.sub("", text.replace("\n", " "))
    text = re.sub(r"^expected( one of)?\s*", "", text.strip())
    items = []
    for item in ITEM.findall(text):
        item = WORDS.get(item, item)
        if item not in items:
            items.append(item)
    return items


def readable(query: str, message: str) -> str:
    """The message for a parser error from pyoxigraph (SyntaxError text); unknown forms pass through."""
    match = POSITION.match(message.strip())
    if not match:
        return f"SPARQL syntax error: {message.strip()}"
    line, column, detail = int(match.group(1)), int(match.group(2)), match.group(3)
    lines = query.splitlines()
    line_text = lines[line - 1] if 0 < line <= len(lines) else ""
    expected = _expected(detail) if detail.startswith("expected") else []
    if expected:
        shown = ", ".join(expected[:MAX_EXPECTED]) + (" …" if len(expected) > MAX_EXPECTED else "")
        what = f"expected {'one of ' if len(expected) > 1 else ''}{shown}"
    elif detail.startswith("expected"):
        what = "unexpected text (or the end of the query)"
    else:
        what = " ".join(detail.split())
    if line > len(lines):
        what += " (at the end of the query)"
    out = f"SPARQL syntax error at line {line}, column {column}: {what}"
    if line_text:
        caret = " " * (min(column, len(line_text) + 1) - 1) + "^"
        out += f"\n  {line_text}\n  {caret}"
    return out
