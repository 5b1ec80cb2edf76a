"""query/syntax.py: Oxigraph's parser errors as line, column, a few expected tokens and a caret."""

from __future__ import annotations

import pyoxigraph
import pytest

from sdggraph.query.syntax import readable


def oxigraph_message(query: str) -> str:
    with pytest.raises(SyntaxError) as caught:
        pyoxigraph.Store().query(query)
    return str(caught.value)


def test_unicode_ranges_and_grammar_classes_are_dropped():
    query = "SELECT * WHERE { ?s ?p ?o"
    raw = oxigraph_message(query)
    assert "\\u{" in raw  # what the parser says: the grammar's character classes
    message = readable(query, raw)
    first = message.splitlines()[0]
    assert first.startswith("SPARQL syntax error at line 1, column ")
    assert '"}"' in first and '"."' in first
    assert "\\u{" not in message and "[" not in first and "..=" not in message


def test_the_line_is_shown_with_a_caret_under_the_column():
    query = "SELECT ?x\nWHERE {\n  ?x ?y ?z .\n  FILTER(?x = 1\n}"
    message = readable(query, oxigraph_message(query))
    lines = message.splitlines()
    assert lines[0].startswith("SPARQL syntax error at line 5, column ")
    assert lines[1] == "  }" and lines[2].strip() == "^"


def test_long_expected_lists_are_cut():
    query = 'SELECT * WHERE {\n ?s ?p ?o .\n FILTER(?x = "a)\n}'
    first = readable(query, oxigraph_message(query)).splitlines()[0]
    assert first.endswith("…") and first.count(",") <= 8


def test_other_messages_pass_through():
    assert readable("ASK {}", "something else") == "SPARQL syntax error: something else"
