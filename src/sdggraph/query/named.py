"""Named questions: the SPARQL files in queries/, their headers, and safe parameter binding.

Each `queries/<name>.rq` opens with a comment block in this form (one item per line, any order;
other comment lines are free text; the header ends at the first line that is not a comment):

    # question-nb: <the question in Norwegian>
    # question-en: <the question in English>
    # param: <name> = <default> [(<choice> | <choice> ...)] [/<regex>/] -> ?<variable> as <kind>

`<kind>` is either `IRI <prefix>:{value}` (an IRI made from a prefix of config.PREFIXES and the
value, e.g. `IRI sdg:{value}`) or a datatype: `xsd:gYear`, `xsd:integer`, `xsd:decimal`,
`xsd:string` (a typed literal). A value must be one of the choices when they are given, else match
the regex (the whole value) when one is given, else the kind's lexical form (for IRIs a slug of
letters, digits, `.`, `_` and `-`). `→` may be written for `->`. Example:

    # param: floke = ungt-utenforskap (ungt-utenforskap | demografiutfordringer | klima-og-natur) -> ?challenge as IRI challenge:{value}

Values are never spliced into the query text: each becomes a typed pyoxigraph term that
store.select passes as a substitution. pyoxigraph substitutes only projected variables, so every
parameter's variable is in its query's SELECT. Clients without substitutions (other SPARQL
servers, the web page's editor) get `with_values()`: the terms as a VALUES block first in the
top-level WHERE group (remote.inject_values, which escapes them).

Files named `*-violation.rq` are integrity checks: on sound data they return no rows
(`sdggraph check` runs them).
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph

from .. import config, layout
from ..errors import SdggraphError

VIOLATION_SUFFIX = "-violation"
HEADER_LINE = re.compile(r"^#\s*(question-nb|question-en|param)\s*:\s*(.*?)\s*$")
PARAM_SPEC = re.compile(
    r"^(?P<name>[A-Za-z][\w-]*)\s*=\s*(?P<default>\S+)"
    r"(?:\s*\((?P<choices>[^)]*)\))?"
    r"(?:\s*/(?P<pattern>[^/]+)/)?"
    r"\s*(?:->|→)\s*\?(?P<variable>\w+)\s+as\s+(?P<kind>.+)$")
IRI_KIND = re.compile(r"^IRI\s+(?P<prefix>[\w-]+):(?P<local>[^\s{}]*)\{value\}$")
SLUG = r"[A-Za-z0-9][A-Za-z0-9._-]*"
XSD = "http://www.w3.org/2001/XMLSchema#"
LEXICAL = {  # the lexical forms accepted when a param names no choices or regex of its own
    "xsd:gYear": r"-?[0-9]{4}",
    "xsd:integer": r"[+-]?[0-9]{1,18}",
    "xsd:decimal": r"[+-]?([0-9]{1,18}(\.[0-9]*)?|\.[0-9]+)",
    "xsd:string": r"[^\x00-\x1f]{0,200}",
}


class UnknownQueryError(SdggraphError):
    """No named question by that name (HTTP 404)."""


class ParameterError(SdggraphError):
    """An unknown parameter or an invalid value (HTTP 400)."""


class QueryFileError(SdggraphError):
    """A queries/*.rq file whose header does not follow the documented form."""


@dataclass(frozen=True)
class Param:
    name: str
    default: str
    variable: str
    kind: str                      # "IRI" or an xsd: datatype
    choices: tuple[str, ...] = ()
    pattern: str | None = None
    iri_prefix: str | None = None  # for IRI params: prefix and fixed local part before the value
    iri_local: str = ""

    def accepts(self, value: str) -> bool:
        if self.choices:
            return value in self.choices
        pattern = self.pattern or (SLUG if self.kind == "IRI" else LEXICAL[self.kind])
        return re.fullmatch(pattern, value) is not None

    def term(self, value: str):
        """The typed term for a value, or ParameterError."""
        if not isinstance(value, str) or not self.accepts(value):
            allowed = (" | ".join(self.choices) if self.choices
                       else f"/{self.pattern}/" if self.pattern else self.kind)
            raise ParameterError(f"invalid value {value!r} for parameter '{self.name}' (allowed: {allowed})")
        try:
            if self.kind == "IRI":
                namespace = config.rebase(config.PREFIXES[self.iri_prefix])
                return pyoxigraph.NamedNode(namespace + self.iri_local + value)
            return pyoxigraph.Literal(value, datatype=pyoxigraph.NamedNode(XSD + self.kind[len("xsd:"):]))
        except ValueError as error:  # pyoxigraph's own validation, a second line of defence
            raise ParameterError(f"invalid value {value!r} for parameter '{self.name}': {error}") from error

    def describe(self) -> dict:
        return {"name": self.name, "default": self.default, "variable": self.variable,
                "type": (f"IRI {self.iri_prefix}:{self.iri_local}{{value}}" if self.kind == "IRI" else self.kind),
                "choices": list(self.choices), "pattern": self.pattern}


@dataclass(frozen=True)
class NamedQuery:
    name: str
    path: Path
    question_nb: str
    question_en: str
    params: tuple[Param, ...]
    source: str  # the file's text, under the default base IRI

    @property
    def is_check(self) -> bool:
        return self.name.endswith(VIOLATION_SUFFIX)

    @property
    def sparql(self) -> str:
        """The query text under the configured base IRI (the build rebases the data the same way)."""
        base = config.base_iri()
        return self.source if base == config.DEFAULT_BASE_IRI else self.source.replace(config.DEFAULT_BASE_IRI, base)

    def bindings(self, values: Mapping[str, str] | None = None) -> dict[str, object]:
        """Variable name → typed term for every parameter (defaults where no value is given)."""
        values = dict(values or {})
        known = {param.name: param for param in self.params}
        unknown = sorted(set(values) - set(known))
        if unknown:
            names = ", ".join(known) or "none"
            raise ParameterError(f"unknown parameter(s) {', '.join(unknown)} for '{self.name}' (parameters: {names})")
        return {param.variable: param.term(values.get(param.name, param.default)) for param in self.params}

    def with_values(self, values: Mapping[str, str] | None = None) -> str:
        """The query text with the parameters bound by an inline VALUES block (for other SPARQL servers)."""
        from ..store.remote import inject_values  # the same placement remote mode uses

        return inject_values(self.sparql, self.bindings(values))

    def describe(self) -> dict:
        return {"name": self.name, "question_nb": self.question_nb, "question_en": self.question_en,
                "params": [param.describe() for param in self.params], "check": self.is_check,
                "sparql": self.with_values()}


def parse_param(spec: str, path: Path) -> Param:
    match = PARAM_SPEC.match(spec)
    if not match:
        raise QueryFileError(f"{path}: param line not in the form "
                             f"'NAME = DEFAULT [(A | B)] [/REGEX/] -> ?VAR as KIND': {spec}")
    kind_text = match["kind"].strip()
    choices = tuple(c.strip() for c in (match["choices"] or "").split("|") if c.strip())
    iri = IRI_KIND.match(kind_text)
    if iri:
        if iri["prefix"] not in config.PREFIXES:
            raise QueryFileError(f"{path}: unknown prefix '{iri['prefix']}' in: {spec}")
        param = Param(match["name"], match["default"], match["variable"], "IRI", choices, match["pattern"],
                      iri["prefix"], iri["local"])
    elif kind_text in LEXICAL:
        param = Param(match["name"], match["default"], match["variable"], kind_text, choices, match["pattern"])
    else:
        raise QueryFileError(f"{path}: kind must be 'IRI prefix:{{value}}' or one of {', '.join(LEXICAL)}: {spec}")
    if not param.accepts(param.default):
        raise QueryFileError(f"{path}: the default '{param.default}' of '{param.name}' is not an allowed value")
    return param


def parse_file(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    header: dict[str, str] = {}
    params: list[Param] = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        match = HEADER_LINE.match(line)
        if not match:
            continue
        key, value = match.groups()
        if key == "param":
            params.append(parse_param(value, path))
        else:
            header[key] = value
    missing = [key for key in ("question-nb", "question-en") if not header.get(key)]
    if missing:
        raise QueryFileError(f"{path}: header lacks {', '.join('# ' + key + ':' for key in missing)}")
    if len({p.name for p in params}) != len(params) or len({p.variable for p in params}) != len(params):
        raise QueryFileError(f"{path}: two parameters share a name or a variable")
    return NamedQuery(path.stem, path, header["question-nb"], header["question-en"], tuple(params), text)


@functools.lru_cache(maxsize=8)
def _discover(directory: str, signature: tuple) -> dict[str, NamedQuery]:
    return {path.stem: parse_file(path) for path in sorted(Path(directory).glob("*.rq"))}


def _stamp(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_mtime_ns, status.st_size


_LOOKED: dict = {}  # queries_dir argument -> (monotonic time, directory, signature)


def discover(queries_dir: Path | None = None, max_age: float = 0.0) -> dict[str, NamedQuery]:
    """Every named question, by name; parsed once per state of the directory (edits are picked up).

    Looking at the directory (a glob and a stat per file) costs more than a small query, so the
    service passes max_age: it looks again at most that often (edits show within max_age seconds)."""
    looked = _LOOKED.get(queries_dir)
    if max_age and looked is not None and time.monotonic() - looked[0] < max_age:
        return _discover(looked[1], looked[2])
    directory = Path(queries_dir or layout.queries_dir())
    signature = tuple((p.name, *_stamp(p)) for p in sorted(directory.glob("*.rq")))
    _LOOKED[queries_dir] = (time.monotonic(), str(directory), signature)
    return _discover(str(directory), signature)


def get(name: str, queries_dir: Path | None = None, max_age: float = 0.0) -> NamedQuery:
    queries = discover(queries_dir, max_age)
    if name not in queries:
        raise UnknownQueryError(f"no named question '{name}' (see `sdggraph query --list`)")
    return queries[name]


def run(name: str, params: Mapping[str, str] | None = None, build_dir: Path | None = None):
    """(header, rows of pyoxigraph terms or None) of a named question with its parameters bound."""
    from ..store.local import select

    query = get(name)
    return select(query.sparql, query.bindings(params), build_dir=build_dir)


def run_named(name: str, params: Mapping[str, str] | None = None,
              build_dir: Path | None = None) -> tuple[list[str], list[list[str]]]:
    """(header, rows as strings) of a named question; `sdggraph query --name` prints this."""
    from .results import term_text

    header, rows = run(name, params, build_dir)
    return header, [[term_text(term) for term in row] for row in rows]


def listing() -> tuple[list[str], list[list[str]]]:
    """The named questions as a table: name, parameters with defaults, question (nb)."""
    rows = [[q.name, " ".join(f"{p.name}={p.default}" for p in q.params), q.question_nb]
            for q in discover().values()]
    return ["name", "params", "question"], rows
