"""Keep the endpoint from fetching anything a query names.

pyoxigraph has an HTTP client: `SERVICE <…>` and `LOAD <…>` would make the server fetch URLs
(and `LOAD <file:…>` read local files), and pyoxigraph has no switch to turn that off. So
every query and update is inspected before it is run, and refused with a clear 400 if it
contains SERVICE (any form), LOAD (any form), or FROM / FROM NAMED / USING / USING NAMED of a
graph that is not one of this dataset's own graphs.

pyoxigraph exposes no parsed query, and rdflib's parser is too slow for every request, so the
inspection uses a SPARQL tokenizer that follows the grammar's terminals: strings (all four
quote styles, with escapes), IRIs (with the \\u escapes the parser resolves), comments,
variables, prefixed names, blank node labels and language tags are whole tokens, so a keyword
inside any of them is never mistaken for the keyword itself, and a keyword outside them is
always seen. Keywords are case-insensitive; pyoxigraph does not resolve \\u escapes outside
strings and IRIs, so an escaped keyword is a syntax error there, not a bypass. A text the
tokenizer cannot read (an unterminated string) is refused rather than passed on. Tokenizing is
linear in the text (see _NAME_RUN), and nesting deeper than MAX_NESTING is refused here, before a
parser could overflow its stack on it.

The same tokens give the query form (for content negotiation before running the query), tell
a query from an update, and let `using-graph-uri` / `using-named-graph-uri` be applied to an
update by inserting USING clauses (pyoxigraph's update API has no dataset options).
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import urljoin

QUERY_FORMS = {"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"}
UPDATE_KEYWORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}

_PN_CHARS_BASE = "A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D" \
                 "\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\U00010000-\U000EFFFF"
_PN_CHARS = _PN_CHARS_BASE + "_0-9\u00B7\u0300-\u036F\u203F-\u2040\\-"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"

_TOKENS = [  # (kind, pattern); tried in this order at each position
    ("ws", r"[\x20\t\r\n]+"),
    ("comment", r"#[^\r\n]*"),
    ("iri", r"<(?:[^<>\"{}|^`\\\x00-\x20]|" + _UCHAR + r")*>"),
    ("string", r"'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''"),
    ("string", r'"""(?:(?:"|"")?(?:[^"\\]|\\.))*"""'),
    ("string", r"'(?:[^'\\\n\r]|\\.)*'"),
    ("string", r'"(?:[^"\\\n\r]|\\.)*"'),
    ("var", "[?$][" + _PN_CHARS + "]*"),
    ("bnode", "_:[" + _PN_CHARS + ".]*"),
    ("pname", "(?:[" + _PN_CHARS_BASE + "](?:[" + _PN_CHARS + ".]*[" + _PN_CHARS + "])?)?:"
              "(?:[" + _PN_CHARS + ":.]|%[0-9A-Fa-f]{2}|\\\\[_~.\\-!$&'()*+,;=/?#@%])*"),
    ("langtag", r"@[A-Za-z]+(?:-[A-Za-z0-9]+)*"),
    ("number", r"[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?"),
    ("word", r"[A-Za-z_][A-Za-z0-9_]*"),
    ("unterminated", r"'''|\"\"\"|'|\""),
]


def _alternation(skip: str = "") -> re.Pattern:
    return re.compile("|".join(f"(?P<{kind}_{index}>{'(?s:' + pattern + ')' if kind == 'string' else pattern})"
                               for index, (kind, pattern) in enumerate(_TOKENS) if kind != skip))


# One alternation, tried in the order above, so each token costs one regex match in C.
_MASTER = _alternation()
# The same without prefixed names, for positions inside a name run already known to hold none.
_MASTER_NO_PNAME = _alternation(skip="pname")
# A run of the characters a prefix may hold. A prefixed name can only start at the start of such
# a run and only if the run is followed by ':' (':' is not in the run), so once a run is seen
# without one, no position inside it needs the pname pattern again: that keeps tokenizing linear
# (trying it at each of n positions of "a.a.a…" would rescan the run each time: quadratic).
_NAME_RUN = re.compile("[" + _PN_CHARS_BASE + "][" + _PN_CHARS + ".]*")
_NAME_START = re.compile("[" + _PN_CHARS_BASE + "]")
_KIND = {f"{kind}_{index}": kind for index, (kind, _) in enumerate(_TOKENS)}

# Deeper nesting of { ( [ than this is refused: the parser recurses per level, and thousands of
# levels overflow a worker's stack. Real queries stay far below it.
MAX_NESTING = 256


_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


class GuardError(ValueError):
    """The text is refused (400); the message says why."""


class GuardTimeout(GuardError):
    """Checking the text took longer than allowed (the work per request is bounded)."""


class Token(NamedTuple):  # a tuple: made once per token, so it must be cheap
    kind: str
    text: str
    start: int
    end: int

    @property
    def keyword(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


def tokenize(text: str, deadline: float | None = None) -> list[Token]:
    """Significant tokens (no whitespace or comments); raises GuardError on an unterminated string,
    GuardTimeout when time.monotonic() passes `deadline`."""
    tokens, position, length = [], 0, len(text)
    no_pname_before = 0  # end of the last name run seen without a prefixed name in it
    while position < length:
        if deadline is not None and len(tokens) & 1023 == 1023 and time.monotonic() > deadline:
            raise GuardTimeout("the query text is too long to check within the time limit; send a shorter one")
        if position < no_pname_before:
            match = _MASTER_NO_PNAME.match(text, position)
        else:
            match = _MASTER.match(text, position)
            if (match is None or not match.lastgroup.startswith("pname")) and _NAME_START.match(text, position):
                no_pname_before = _NAME_RUN.match(text, position).end()
        kind = _KIND[match.lastgroup] if match else "punct"
        if kind == "unterminated":
            line = text.count("\n", 0, position) + 1
            raise GuardError(f"SPARQL syntax error: unterminated string starting on line {line}")
        end = match.end() if match else position + 1
        if kind == "pname" and text[end - 1] == "." and not text[end - 2:end] == "\\.":
            end = position + len(match.group().rstrip("."))  # a local name never ends with '.'
        if kind not in ("ws", "comment"):
            tokens.append(Token(kind, text[position:end], position, end))
        position = end
    return tokens


def _unescape_iri(text: str) -> str:
    return re.sub(_UCHAR, lambda m: chr(int(m.group()[2:], 16)), text)


def _unescape_local(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


@dataclass
class Inspection:
    """What the guard learnt about a query or update."""

    kind: str | None = None  # "query" or "update" (None: neither keyword found; the parser will say)
    form: str | None = None  # SELECT, CONSTRUCT, DESCRIBE, ASK for a query
    from_graphs: list[tuple[str, bool]] = field(default_factory=list)  # (IRI, named) of FROM [NAMED]
    using_graphs: list[tuple[str, bool]] = field(default_factory=list)  # (IRI, named) of USING [NAMED]
    with_graphs: list[str] = field(default_factory=list)
    service: bool = False
    load: bool = False
    tokens: list[Token] = field(default_factory=list)


def inspect(text: str, base_iri: str | None = None, deadline: float | None = None) -> Inspection:
    """Tokenize a query or update and collect what the safety rules need (see tokenize for deadline)."""
    tokens = tokenize(text, deadline)
    found = Inspection(tokens=tokens)
    prefixes: dict[str, str] = {}
    base = base_iri

    def resolve(token: Token) -> str | None:
        if token.kind == "iri":
            iri = _unescape_iri(token.text[1:-1])
            return urljoin(base, iri) if base and not _ABSOLUTE.match(iri) else iri
        if token.kind == "pname":
            prefix, _, local = token.text.partition(":")
            if prefix not in prefixes:
                raise GuardError(f"SPARQL syntax error: prefix {prefix}: is not declared")
            return prefixes[prefix] + _unescape_local(local)
        return None

    expect_operation = True  # at the start of the text or after ';' at depth 0
    depth = nesting = 0  # depth: { and ( (for ';' at the top); nesting: also [
    for index, token in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        keyword = token.keyword
        if token.kind == "punct" and token.text in "{([":
            depth += token.text != "["
            nesting += 1
            if nesting > MAX_NESTING:
                line = text.count("\n", 0, token.start) + 1
                raise GuardError(f"SPARQL syntax error: brackets nested deeper than {MAX_NESTING} levels "
                                 f"(line {line}); simplify the query")
        elif token.kind == "punct" and token.text in "})]":
            depth -= token.text != "]"
            nesting -= 1
        elif token.text == ";" and depth == 0:
            expect_operation = True
        if keyword == "SERVICE":
            found.service = True
        elif keyword == "LOAD":
            found.load = True
        elif keyword == "BASE" and following and following.kind == "iri":
            base = resolve(following)
            continue
        elif keyword == "PREFIX" and following and following.kind == "pname" and following.text.endswith(":"):
            after = tokens[index + 2] if index + 2 < len(tokens) else None
            if after and after.kind == "iri":
                prefixes[following.text[:-1]] = resolve(after)
            continue
        elif keyword in ("FROM", "USING"):
            named = bool(following and following.keyword == "NAMED")
            target = tokens[index + 2] if named and index + 2 < len(tokens) else following
            iri = resolve(target) if target else None
            if iri is None:
                raise GuardError(f"SPARQL syntax error: {keyword} must be followed by a graph IRI")
            (found.from_graphs if keyword == "FROM" else found.using_graphs).append((iri, named))
        elif keyword == "WITH" and following:
            iri = resolve(following)
            if iri:
                found.with_graphs.append(iri)
        if expect_operation and keyword and keyword not in ("BASE", "PREFIX", "VERSION"):
            expect_operation = False
            if keyword in QUERY_FORMS and found.kind is None:
                found.kind, found.form = "query", keyword
            elif keyword in UPDATE_KEYWORDS and found.kind in (None, "update"):
                found.kind = "update"
    return found


_BLANKED = {"var": "?", "iri": "<>", "string": '""', "number": "0", "pname": "p:", "bnode": "_:", "langtag": "@"}


def shape(found: Inspection) -> str:
    """The query's cost class: its tokens with names, IRIs, strings and numbers blanked, hashed.

    Queries of one shape tend to cost alike, so a client looping a runaway query under new
    variable names or constants is still recognised (executor: heavy shapes wait for a long slot)."""
    text = " ".join(_BLANKED.get(token.kind) or token.text.upper() for token in found.tokens)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


def _graph_list(graphs) -> str:
    return ", ".join(f"<{iri}>" for iri in sorted(graphs))


def check(found: Inspection, allowed_graphs: set[str]) -> None:
    """Refuse (GuardError) anything that would make the server fetch or read outside its store."""
    if found.service:
        raise GuardError("SERVICE is not allowed: this endpoint never queries other endpoints "
                         "(federated queries are disabled).")
    if found.load:
        raise GuardError("LOAD is not allowed: this endpoint never fetches documents from the web "
                         "or reads files.")
    for keyword, graphs in (("FROM", found.from_graphs), ("USING", found.using_graphs)):
        for iri, named in graphs:
            if iri not in allowed_graphs:
                clause = f"{keyword} NAMED" if named else keyword
                raise GuardError(f"{clause} <{iri}> is not one of this dataset's graphs "
                                 f"({_graph_list(allowed_graphs)}); the endpoint never fetches graphs "
                                 "from the web or the file system.")


def check_protocol_graphs(parameter: str, graphs: list[str], allowed_graphs: set[str]) -> None:
    for iri in graphs:
        if iri not in allowed_graphs:
            raise GuardError(f"{parameter}={iri} is not one of this dataset's graphs "
                             f"({_graph_list(allowed_graphs)}); the endpoint never fetches graphs "
                             "from the web or the file system.")


def add_using(text: str, found: Inspection, using: list[str], using_named: list[str]) -> str:
    """Apply the protocol's using-graph-uri / using-named-graph-uri to every DELETE/INSERT … WHERE."""
    clause = "".join(f" USING <{iri}>" for iri in using) + "".join(f" USING NAMED <{iri}>" for iri in using_named)
    insert_at, depth, in_modify, at_start = [], 0, False, True
    tokens = found.tokens
    for index, token in enumerate(tokens):
        keyword = token.keyword
        if token.kind == "punct" and token.text in "{(":
            depth += 1
        elif token.kind == "punct" and token.text in "})":
            depth -= 1
        elif token.kind == "punct" and token.text == ";" and depth == 0:
            in_modify, at_start = False, True
            continue
        if depth == 0 and at_start and keyword and keyword not in ("BASE", "PREFIX"):
            following = tokens[index + 1].keyword if index + 1 < len(tokens) else ""
            # Modify ::= WITH? (DELETE … | INSERT …) WHERE; DELETE/INSERT DATA and DELETE WHERE take no dataset
            in_modify = keyword == "WITH" or (keyword in ("DELETE", "INSERT") and following not in ("DATA", "WHERE"))
            at_start = False
        elif depth == 0 and in_modify and keyword == "WHERE":
            insert_at.append(token.start)
            in_modify = False
    pieces, previous = [], 0  # joined once: slicing per insertion would be quadratic in the text
    for position in insert_at:
        pieces += [text[previous:position], clause.lstrip(), " "]
        previous = position
    return "".join(pieces) + text[previous:]
