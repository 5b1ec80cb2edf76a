"""Named questions: the SPARQL files in queries/, their headers, and safe parameter binding.

Each `queries/<name>.rq` opens with a comment block in this form (one item per line, any order;
other comment lines are free text; the header ends at the first line that is not a comment):

    # question-nb: <the question in Norwegian>
    # question-en: <the question in English>
    # param: <name> = <default> [(<choice> | <choice> ...)] [/<regex>/] -> ?<variable> as <kind>

A default that starts with `@` is computed from the graph the question runs on, never written in
the file: `@latest-reporting-year` is the latest reporting year of the report editions (so a new
edition moves it), `@latest-kostra-year` the latest year of Asker's KOSTRA figures. `COMPUTED_DEFAULTS`
holds the query for each.

`<kind>` is either `IRI <prefix>:{value}` (an IRI made from a prefix of config.PREFIXES and the
value, e.g. `IRI sdg:{value}`) or a datatype: `xsd:gYear`, `xsd:integer`, `xsd:decimal`,
`xsd:string` (a typed literal). A value must be one of the choices when they are given, else match
the regex (the whole value) when one is given, else the kind's lexical form (for IRIs a slug of
letters, digits, `.`, `_` and `-`). `→` may be written for `->`. Example:

    # param: floke = ungt-utenforskap (ungt-utenforskap | demografiutfordringer | klima-og-natur) -> ?challenge as IRI challenge:{value}

Values are never spliced into the query text as text: each becomes a typed pyoxigraph term (so
a value cannot change the query's structure), and the terms go in as a VALUES block first in the
top-level WHERE group (`with_values()`, remote.inject_values, which writes and escapes them). Every
client gets that same text: the local store, the service's workers, other SPARQL servers and the web
page's editor. (A pyoxigraph substitution would do too, but Oxigraph applies it after evaluation: a
VALUES block is joined first, 10–50× faster on finn-etter-navn and sammenlign-omrader.) Every
parameter's variable is in its query's SELECT, so the answer shows what was asked.

`kommune` is no question's parameter: every question takes it, and it chooses the kommune of a
dataset of several (the graphs the question reads), never a value in the query.

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


COMPUTED_DEFAULTS = {  # "@name" defaults: a SELECT of one ?value from the graph
    "latest-reporting-year": (
        "PREFIX sg: <https://w3id.org/sdggraph/ontology#>\n"
        "SELECT (MAX(STR(?year)) AS ?value) WHERE { ?edition a sg:ReportEdition ; sg:reportingYear ?year }"),
    "latest-kostra-year": (  # the latest year of Asker's own KOSTRA figures
        "PREFIX sg: <https://w3id.org/sdggraph/ontology#>\n"
        "SELECT (MAX(STR(?year)) AS ?value) WHERE { ?figure a sg:KostraKeyFigure . "
        "?observation sg:ofMeasure ?figure ; sg:refArea <https://w3id.org/sdggraph/ref-area/municipality-3203> ; "
        "sg:year ?year }"),
}
COMPUTED_PREFIX = "@"
KOMMUNE_PARAM = "kommune"  # taken by every question: which kommune's graphs it reads (not a VALUES binding)
KOMMUNENUMMER = re.compile(r"[0-9]{4}")


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

    @property
    def computed_default(self) -> str | None:
        """The COMPUTED_DEFAULTS name of a default that comes from the graph, else None."""
        return self.default[len(COMPUTED_PREFIX):] if self.default.startswith(COMPUTED_PREFIX) else None

    def accepts(self, value: str) -> bool:
        if self.choices:
            return value in self.choices
        pattern = self.pattern or (SLUG if self.kind == "IRI" else LEXICAL[self.kind])
        return re.fullmatch(pattern, value) is not None

    def term(self, value: str, kommune: str | None = None):
        """The typed term for a value (an IRI of Asker's as the same one of `kommune`), or ParameterError."""
        if not isinstance(value, str) or not self.accepts(value):
            allowed = (" | ".join(self.choices) if self.choices
                       else f"/{self.pattern}/" if self.pattern else self.kind)
            raise ParameterError(f"invalid value {value!r} for parameter '{self.name}' (allowed: {allowed})")
        try:
            if self.kind == "IRI":
                namespace = config.in_kommune(config.rebase(config.PREFIXES[self.iri_prefix]), kommune)
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

    def values_with_defaults(self, values: Mapping[str, str] | None = None,
                             computed: Mapping[str, str] | None = None) -> dict[str, str]:
        """Parameter name → value: the given ones, else the default (a computed default's value
        from `computed`, see compute_defaults)."""
        values = dict(values or {})
        self._refuse_unknown(values)
        for param in self.params:
            if param.name in values:
                continue
            if param.computed_default is None:
                values[param.name] = param.default
            elif (computed or {}).get(param.computed_default):
                values[param.name] = computed[param.computed_default]
            else:
                raise ParameterError(f"parameter '{param.name}' of '{self.name}' has no value: its default "
                                     f"({param.default}) comes from the graph, which has none; give {param.name}=…")
        return values

    def check(self, values: Mapping[str, str] | None = None) -> None:
        """ParameterError for an unknown parameter or an invalid value among `values`, before any
        graph is read (a typo is told as such, also where there is no build)."""
        values = dict(values or {})
        self._refuse_unknown(values)
        for param in self.params:
            if param.name in values:
                param.term(values[param.name])

    def _refuse_unknown(self, values: Mapping[str, str]) -> None:
        known = [param.name for param in self.params]
        unknown = sorted(set(values) - set(known))
        if unknown:
            names = ", ".join(known) or "none"
            raise ParameterError(f"unknown parameter(s) {', '.join(unknown)} for '{self.name}' (parameters: {names})")

    @property
    def computed_defaults(self) -> tuple[str, ...]:
        return tuple(sorted({p.computed_default for p in self.params if p.computed_default}))

    def bindings(self, values: Mapping[str, str] | None = None, computed: Mapping[str, str] | None = None,
                 kommune: str | None = None) -> dict[str, object]:
        """Variable name → typed term for every parameter (defaults where no value is given); the
        IRIs are `kommune`'s (default: Asker's)."""
        values = self.values_with_defaults(values, computed)
        return {param.variable: param.term(values[param.name], kommune) for param in self.params}

    def with_values(self, values: Mapping[str, str] | None = None, computed: Mapping[str, str] | None = None,
                    kommune: str | None = None) -> str:
        """The query text with the parameters bound by an inline VALUES block (for other SPARQL servers)."""
        return _with_values(self, tuple((values or {}).items()), tuple((computed or {}).items()), kommune,
                            config.base_iri())

    def shown(self, computed: Mapping[str, str] | None = None) -> str:
        """The query as users see it in the editor: the header's question and parameter lines, and
        the query without the developers' comment lines (how it is evaluated, why so). A computed
        default is shown as its value in this graph, with what it is."""
        params = {param.name: param for param in self.params}
        defaults = self.values_with_defaults({}, computed)
        lines = []
        for line in self.sparql.splitlines():
            header = HEADER_LINE.match(line)
            if header and header.group(1) == "param":  # the value, not the binding rule
                param = params[PARAM_SPEC.match(header.group(2))["name"]]
                choices = f" ({' | '.join(param.choices)})" if param.choices else ""
                what = f" ({param.default})" if param.computed_default else ""
                lines.append(f"# parameter {param.name} = {defaults[param.name]}{what}{choices} → ?{param.variable}")
            elif header or not line.lstrip().startswith("#"):
                lines.append(line)
        return "\n".join(lines) + "\n"

    def shown_with_values(self, values: Mapping[str, str] | None = None, computed: Mapping[str, str] | None = None,
                          kommune: str | None = None) -> str:
        """`shown` with the parameters bound by a VALUES block, as the editor runs it."""
        from ..store.remote import inject_values

        return inject_values(self.shown(computed), self.bindings(values, computed, kommune))

    def describe(self, computed: Mapping[str, str] | None = None) -> dict:
        """The question for clients; a computed default is given as its value in this graph (`default`)
        and as declared (`declared_default`)."""
        defaults = self.values_with_defaults({}, computed)
        params = []
        for param in self.params:
            described = param.describe()
            described["declared_default"], described["default"] = param.default, defaults[param.name]
            params.append(described)
        return {"name": self.name, "question_nb": self.question_nb, "question_en": self.question_en,
                "params": params, "check": self.is_check, "sparql": self.shown_with_values({}, computed)}


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
    if param.name == KOMMUNE_PARAM:
        raise QueryFileError(f"{path}: '{KOMMUNE_PARAM}' is taken by every question (the kommune whose graphs "
                             f"it reads); call the parameter something else: {spec}")
    if param.computed_default is not None:
        if param.computed_default not in COMPUTED_DEFAULTS:
            raise QueryFileError(f"{path}: unknown computed default '{param.default}' of '{param.name}' "
                                 f"(known: {', '.join(COMPUTED_PREFIX + name for name in COMPUTED_DEFAULTS)})")
    elif not param.accepts(param.default):
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


@functools.lru_cache(maxsize=1024)  # the service asks the same few questions again and again (~0.1 ms each)
def _with_values(query: NamedQuery, values: tuple, computed: tuple, kommune: str | None, base_iri: str) -> str:
    from ..store.remote import inject_values  # the same placement remote mode uses

    return inject_values(query.sparql, query.bindings(dict(values), dict(computed), kommune))


@functools.lru_cache(maxsize=8)
def _discover(directory: str, signature: tuple) -> dict[str, NamedQuery]:
    return {path.stem: parse_file(path) for path in sorted(Path(directory).glob("*.rq"))}


def _stamp(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_mtime_ns, status.st_size


_LOOKED: dict = {}  # queries_dir argument -> (monotonic time, the questions found then)


def discover(queries_dir: Path | None = None, max_age: float = 0.0) -> dict[str, NamedQuery]:
    """Every named question, by name; parsed once per state of the directory (edits are picked up).

    Looking at the directory (a glob and a stat per file) costs more than a small query, so the
    service passes max_age: it looks again at most that often (edits show within max_age seconds)."""
    looked = _LOOKED.get(queries_dir)
    if max_age and looked is not None and time.monotonic() - looked[0] < max_age:
        return looked[1]
    directory = Path(queries_dir or layout.queries_dir())
    signature = tuple((p.name, *_stamp(p)) for p in sorted(directory.glob("*.rq")))
    found = _discover(str(directory), signature)
    _LOOKED[queries_dir] = (time.monotonic(), found)
    return found


def get(name: str, queries_dir: Path | None = None, max_age: float = 0.0) -> NamedQuery:
    queries = discover(queries_dir, max_age)
    if name not in queries:
        raise UnknownQueryError(f"no named question '{name}' (see `sdggraph query --list`)")
    return queries[name]


def compute_defaults(names, select) -> dict[str, str]:
    """Computed default name → its value in the graph `select(sparql)` (→ header, rows) reads;
    a default the graph has no value for is left out."""
    values = {}
    for name in names:
        _header, rows = select(COMPUTED_DEFAULTS[name])
        if rows and rows[0] and rows[0][0] is not None:
            values[name] = rows[0][0].value
    return values


def defaults_in(query: NamedQuery, build_dir: Path | None = None) -> dict[str, str]:
    """The question's computed defaults in the graph `run` reads (the build, or the remote endpoint)."""
    from ..store.local import select

    return compute_defaults(query.computed_defaults, lambda sparql: select(sparql, build_dir=build_dir))


def check_kommune(kommune: str | None) -> None:
    """ParameterError unless `kommune` is None or a kommunenummer of four digits."""
    if kommune is not None and not KOMMUNENUMMER.fullmatch(kommune):
        raise ParameterError(f"invalid value {kommune!r} for parameter '{KOMMUNE_PARAM}' (a kommunenummer of four digits)")


def graphs_of(kommune: str | None, build_dir: Path | None = None) -> list[str] | None:
    """The graphs a question about `kommune` reads in the build's dataset (store/dataset: the
    kommune's and the shared ones; None: the union of all, a dataset of one kommune), as
    /queries/{name}?kommune= reads them. Against a remote endpoint without `kommune`: None (its
    own default graph)."""
    import os

    from ..layout import require_build
    from ..store.dataset import read_dataset_info

    check_kommune(kommune)
    if kommune is None and os.environ.get("SDGGRAPH_SPARQL_ENDPOINT"):
        return None
    return read_dataset_info(require_build(build_dir)).default_graph_of(kommune)


def run(name: str, params: Mapping[str, str] | None = None, build_dir: Path | None = None,
        kommune: str | None = None):
    """(header, rows of pyoxigraph terms or None) of a named question with its parameters bound,
    about `kommune` (default: the dataset's home kommune; see graphs_of)."""
    from ..store.local import select

    query = get(name)
    query.check(params)
    graphs = graphs_of(kommune, build_dir)
    computed = compute_defaults(query.computed_defaults,
                                lambda sparql: select(sparql, build_dir=build_dir, default_graph=graphs))
    return select(query.sparql, query.bindings(params, computed, kommune), build_dir=build_dir, default_graph=graphs)


def run_named(name: str, params: Mapping[str, str] | None = None,
              build_dir: Path | None = None, kommune: str | None = None) -> tuple[list[str], list[list[str]]]:
    """(header, rows as strings) of a named question; `sdggraph query --name` prints this."""
    from .results import term_text

    header, rows = run(name, params, build_dir, kommune)
    return header, [[term_text(term) for term in row] for row in rows]


def listing() -> tuple[list[str], list[list[str]]]:
    """The named questions as a table: name, parameters with defaults, question (nb)."""
    rows = [[q.name, " ".join(f"{p.name}={p.default}" for p in q.params), q.question_nb]
            for q in discover().values()]
    return ["name", "params", "question"], rows
