"""The fast validation path: the SHACL the shapes in shapes/ use, evaluated directly.

pySHACL (the reference) runs every SHACL-SPARQL constraint once per focus node on rdflib's
SPARQL engine, seconds for Asker's graph. Here the Core constraints the shapes use (targets,
sh:path with sh:inversePath or sh:alternativePath, minCount, maxCount, class, datatype, nodeKind,
in, languageIn, pattern, uniqueLang, hasValue, node, property, or, qualified counts) are checked on Python indexes, and each sh:sparql constraint runs
once in pyoxigraph for all its focus nodes at the same time ($this bound by VALUES). The results,
and the report graph, are the ones pySHACL gives (tests/test_validate_fast.py compares them on
the real data and on every shape fixture). Shapes using anything else make `unsupported()` name
it, and validation then falls back to pySHACL.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

import pyoxigraph
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH, XSD

from ..terms import memoized, rdflib_quads, to_ox, to_rdflib  # noqa: F401 (to_rdflib: used by importers too)

SHAPE_NS = "https://w3id.org/sdggraph/shapes#"
TYPE, SUB_CLASS = RDF.type, RDFS.subClassOf

# What a shape may say for this module to evaluate it exactly like pySHACL.
DESCRIPTIVE = {RDF.type, RDFS.label, RDFS.comment, RDFS.seeAlso, SH.name, SH.description, SH.message, SH.severity,
               SH.order, SH.group, URIRef(SHAPE_NS + "hint")}
TARGETS = {SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf}
CONSTRAINTS = {SH.minCount, SH.maxCount, SH["class"], SH.datatype, SH.nodeKind, SH["in"], SH.languageIn, SH.pattern,
               SH.flags, SH.uniqueLang, SH.hasValue, SH.node, SH.property, SH["or"], SH.qualifiedValueShape,
               SH.qualifiedMinCount, SH.qualifiedMaxCount, SH.sparql}
SPARQL_KEYS = {RDF.type, SH.select, SH.message, SH.prefixes}
COMPONENT = {
    SH.minCount: SH.MinCountConstraintComponent, SH.maxCount: SH.MaxCountConstraintComponent,
    SH["class"]: SH.ClassConstraintComponent, SH.datatype: SH.DatatypeConstraintComponent,
    SH["in"]: SH.InConstraintComponent, SH.languageIn: SH.LanguageInConstraintComponent,
    SH.nodeKind: SH.NodeKindConstraintComponent, SH.pattern: SH.PatternConstraintComponent,
    SH.uniqueLang: SH.UniqueLangConstraintComponent, SH.hasValue: SH.HasValueConstraintComponent, SH.node: SH.NodeConstraintComponent,
    SH["or"]: SH.OrConstraintComponent,
}
NODE_KINDS = {  # sh:nodeKind -> the rdflib term types it admits
    SH.IRI: (URIRef,), SH.BlankNode: (BNode,), SH.Literal: (Literal,), SH.BlankNodeOrIRI: (BNode, URIRef),
    SH.BlankNodeOrLiteral: (BNode, Literal), SH.IRIOrLiteral: (URIRef, Literal)}
PYTHON_TYPES = {XSD.string: (str, bytes), RDF.langString: (str, bytes), XSD.integer: int, XSD.float: float,
                XSD.decimal: Decimal, XSD.boolean: bool, XSD.date: date, XSD.time: time, XSD.dateTime: datetime}


# SHACL terms as constants: core() runs per focus node, and a namespace attribute is a slow lookup
SH_CLASS = SH["class"]
SH_DATATYPE = SH.datatype
SH_HAS_VALUE = SH.hasValue
SH_IN = SH["in"]
SH_LANGUAGE_IN = SH.languageIn
SH_MAX_COUNT = SH.maxCount
SH_MIN_COUNT = SH.minCount
SH_NODE = SH.node
SH_NODE_KIND = SH.nodeKind
SH_PATTERN = SH.pattern
SH_UNIQUE_LANG = SH.uniqueLang
SH_OR = SH["or"]
SH_PROPERTY = SH.property
SH_PROPERTY_CONSTRAINT_COMPONENT = SH.PropertyConstraintComponent
SH_QUALIFIED_MAX_COUNT = SH.qualifiedMaxCount
SH_QUALIFIED_MAX_COUNT_CONSTRAINT_COMPONENT = SH.QualifiedMaxCountConstraintComponent
SH_QUALIFIED_MIN_COUNT = SH.qualifiedMinCount
SH_QUALIFIED_MIN_COUNT_CONSTRAINT_COMPONENT = SH.QualifiedMinCountConstraintComponent
SH_QUALIFIED_VALUE_SHAPE = SH.qualifiedValueShape


def rdf_list(graph: Graph, head) -> list:
    items = []
    while head is not None and head != RDF.nil:
        items.append(graph.value(head, RDF.first))
        head = graph.value(head, RDF.rest)
    return items


@dataclass
class Shape:
    node: object
    path: tuple | None = None  # ("p", iri), ("^", iri) or ("|", (iri, …)): sh:alternativePath of properties
    path_node: object = None
    severity: URIRef = SH.Violation
    messages: list = field(default_factory=list)
    targets: list = field(default_factory=list)  # (kind, term)
    params: dict = field(default_factory=dict)  # constraint parameter -> list of values
    sparql: list = field(default_factory=list)  # (constraint node, query text, messages)


class Unsupported(Exception):
    pass


def parse_shapes(shapes: Graph) -> dict:
    """Every shape of the shapes graph; raises Unsupported for what this module cannot evaluate."""
    nodes = set()
    for kind in (SH.NodeShape, SH.PropertyShape):
        nodes |= set(shapes.subjects(TYPE, kind))
    for prop in TARGETS:
        nodes |= set(shapes.subjects(prop, None))
    frontier = list(nodes)
    while frontier:  # shapes used by other shapes
        node = frontier.pop()
        nested = list(shapes.objects(node, SH.node)) + list(shapes.objects(node, SH.property)) + \
            list(shapes.objects(node, SH.qualifiedValueShape))
        for members in shapes.objects(node, SH["or"]):
            nested += rdf_list(shapes, members)
        for other in nested:
            if other not in nodes:
                nodes.add(other)
                frontier.append(other)
    parsed = {}
    for node in nodes:
        shape = Shape(node)
        for p, o in shapes.predicate_objects(node):
            if p in DESCRIPTIVE:
                continue
            if p in TARGETS:
                shape.targets.append((p, o))
            elif p == SH.path:
                if isinstance(o, URIRef):
                    shape.path = ("p", o)
                elif shapes.value(o, SH.inversePath) is not None and isinstance(shapes.value(o, SH.inversePath), URIRef) \
                        and len(list(shapes.predicate_objects(o))) == 1:
                    shape.path = ("^", shapes.value(o, SH.inversePath))
                elif (shapes.value(o, SH.alternativePath) is not None and len(list(shapes.predicate_objects(o))) == 1
                      and all(isinstance(member, URIRef) for member in rdf_list(shapes, shapes.value(o, SH.alternativePath)))):
                    shape.path = ("|", tuple(rdf_list(shapes, shapes.value(o, SH.alternativePath))))
                else:
                    raise Unsupported(f"sh:path of {node} is not a property, an inverse property or alternative properties")
                shape.path_node = o
            elif p == SH.sparql:
                keys = set(shapes.predicates(o, None))
                if keys - SPARQL_KEYS:
                    raise Unsupported(f"{sorted(keys - SPARQL_KEYS)} on a SPARQL constraint of {node}")
                text = str(shapes.value(o, SH.select))
                if re.search(r"\$(currentShape|shapesGraph|PATH)\b", text):
                    raise Unsupported(f"pre-bound variables other than $this in {node}")
                shape.sparql.append((o, prefixes(shapes, o) + text, list(shapes.objects(o, SH.message))))
            elif p in CONSTRAINTS:
                shape.params.setdefault(p, []).append(o)
            else:
                raise Unsupported(f"{p} on shape {node}")
        severity = shapes.value(node, SH.severity)
        shape.severity = severity if severity is not None else SH.Violation
        shape.messages = list(shapes.objects(node, SH.message))
        flags = {str(f) for f in shape.params.get(SH.flags, ())}
        if len(flags) > 1 or any(set(f.lower()) - set("im") for f in flags):
            raise Unsupported(f"sh:flags {sorted(flags)} on {node} (pySHACL reads only i and m)")
        for value in shape.params.get(SH_UNIQUE_LANG, ()):
            if not (isinstance(value, Literal) and isinstance(value.value, bool)):
                raise Unsupported(f"sh:uniqueLang {value!r} on {node}")
        if any(kind not in NODE_KINDS for kind in shape.params.get(SH_NODE_KIND, ())):
            raise Unsupported(f"sh:nodeKind of {node} is not a SHACL node kind")
        if (SH.qualifiedMinCount in shape.params or SH.qualifiedMaxCount in shape.params) and \
                shapes.value(node, SH.qualifiedValueShapesDisjoint) is not None:
            raise Unsupported("sh:qualifiedValueShapesDisjoint")
        parsed[node] = shape
    # Shapes whose own results are reported (targeted ones and their sh:property shapes; those
    # reached by sh:node, sh:or or a qualified shape only decide a parent's result) need a message.
    reported, frontier = set(), [shape for shape in parsed.values() if shape.targets]
    while frontier:
        shape = frontier.pop()
        if shape.node in reported:
            continue
        reported.add(shape.node)
        frontier += [parsed[nested] for nested in shape.params.get(SH.property, ())]
        if not shape.messages and (set(shape.params) - {SH.property, SH.flags} or any(not m for _, _, m in shape.sparql)):
            raise Unsupported(f"shape {shape.node} has no sh:message (pySHACL would write a generic one)")
    return parsed


def prefixes(shapes: Graph, constraint) -> str:
    lines = []
    for declaring in shapes.objects(constraint, SH.prefixes):
        for declaration in shapes.objects(declaring, SH.declare):
            lines.append(f"PREFIX {shapes.value(declaration, SH.prefix)}: <{shapes.value(declaration, SH.namespace)}>")
    return "\n".join(sorted(set(lines))) + "\n"


def unsupported(shapes: Graph) -> str | None:
    """Why the fast path cannot run these shapes, or None when it can."""
    try:
        parse_shapes(shapes)
    except Unsupported as why:
        return str(why)
    return None


# ---- Data ---------------------------------------------------------------------------------

class Data:
    """The data graph as indexes (subject → predicate → objects and the reverse) and a pyoxigraph store."""

    def __init__(self, triples, store: pyoxigraph.Store | None = None):
        self.out = defaultdict(lambda: defaultdict(list))
        self.inv = defaultdict(lambda: defaultdict(list))
        self.by_predicate = defaultdict(list)
        self.triples = triples
        for s, p, o in triples:
            self.out[s][p].append(o)
            self.inv[o][p].append(s)
            self.by_predicate[p].append((s, o))
        self.supers = {}
        self._store = store
        self._lexical = None

    def original(self, term, near=None):
        """The data's own literal for one pyoxigraph returned: Oxigraph stores numbers canonically
        ("140.0"^^xsd:decimal comes back as "140"), rdflib and pySHACL keep the lexical form. A
        literal of the focus node `near` wins; else the only one in the data with that value."""
        if not isinstance(term, Literal) or term.datatype is None:
            return term
        key = (term.datatype, term.value)
        if near is not None:
            for objects in self.out.get(near, {}).values():
                for o in objects:
                    if isinstance(o, Literal) and (o.datatype, o.value) == key:
                        return o
        if self._lexical is None:
            self._lexical = defaultdict(set)
            for o in self.inv:
                if isinstance(o, Literal) and o.datatype is not None:
                    self._lexical[(o.datatype, o.value)].add(o)
        candidates = self._lexical.get(key, ())
        return next(iter(candidates)) if len(candidates) == 1 else term

    def values(self, node, path):
        kind, prop = path
        if kind == "|":  # each alternative's values in turn, each value once
            return list(dict.fromkeys(v for member in prop for v in self.values(node, ("p", member))))
        index = self.out if kind == "p" else self.inv
        found = index.get(node)
        return list(dict.fromkeys(found.get(prop, ()))) if found else []

    def super_classes(self, cls) -> set:
        if cls not in self.supers:
            seen, stack = {cls}, [cls]
            while stack:
                for parent in self.out.get(stack.pop(), {}).get(SUB_CLASS, ()):
                    if parent not in seen:
                        seen.add(parent)
                        stack.append(parent)
            self.supers[cls] = seen
        return self.supers[cls]

    def is_instance(self, node, cls) -> bool:
        types = self.out.get(node, {}).get(TYPE, ())
        return any(cls in self.super_classes(t) for t in types)

    def instances(self, cls) -> set:
        classes = {cls} | {c for c in self.inv.get(cls, {}).get(SUB_CLASS, ())}
        frontier = list(classes)
        while frontier:
            for sub in self.inv.get(frontier.pop(), {}).get(SUB_CLASS, ()):
                if sub not in classes:
                    classes.add(sub)
                    frontier.append(sub)
        return {s for c in classes for s in self.inv.get(c, {}).get(TYPE, ())}

    def store(self) -> pyoxigraph.Store:
        if self._store is None:
            store = pyoxigraph.Store()
            ox = memoized(to_ox)
            store.bulk_extend(pyoxigraph.Quad(ox(s), ox(p), ox(o)) for s, p, o in self.triples
                              if not isinstance(s, Literal))
            self._store = store
        return self._store


def read_triples(path) -> set:
    """The triples of an N-Quads file (graph names dropped) as rdflib terms, parsed by Oxigraph."""
    quads = pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.N_QUADS)
    return {(s, p, o) for s, p, o, _graph in rdflib_quads(quads)}


# ---- Evaluation ---------------------------------------------------------------------------

@dataclass
class Finding:
    shape: Shape
    focus: object
    component: URIRef
    value: object = None
    path: object = None  # a path node of the shapes graph, or an IRI bound by a SPARQL constraint
    constraint: object = None
    messages: list = field(default_factory=list)


class Validator:
    def __init__(self, shapes: Graph, data: Data):
        self.graph = shapes
        self.shapes = parse_shapes(shapes)
        self.data = data
        self.lists: dict = {}

    def members(self, head) -> list:
        if head not in self.lists:
            self.lists[head] = rdf_list(self.graph, head)
        return self.lists[head]

    def focus_nodes(self, shape: Shape) -> set:
        nodes = set()
        for kind, term in shape.targets:
            if kind == SH.targetClass:
                nodes |= self.data.instances(term)
            elif kind == SH.targetNode:
                nodes.add(term)
            elif kind == SH.targetSubjectsOf:
                nodes |= {s for s, _ in self.data.by_predicate.get(term, ())}
            elif kind == SH.targetObjectsOf:
                nodes |= {o for _, o in self.data.by_predicate.get(term, ())}
        return nodes

    def conforms(self, shape_node, focus) -> bool:
        return not self.core(self.shapes[shape_node], focus, stop_early=True) and \
            not self.sparql_for(self.shapes[shape_node], [focus])

    def core(self, shape: Shape, focus, stop_early=False) -> list[Finding]:
        """The Core constraints of `shape` on one focus node."""
        findings = []
        values = self.data.values(focus, shape.path) if shape.path else [focus]
        params = shape.params

        def found(parameter, value=None, component=None):
            findings.append(Finding(shape, focus, component or COMPONENT[parameter], value, shape.path_node))
            return stop_early

        for n in params.get(SH_MIN_COUNT, ()):
            if len(values) < int(n) and found(SH_MIN_COUNT):
                return findings
        for n in params.get(SH_MAX_COUNT, ()):
            if len(values) > int(n) and found(SH_MAX_COUNT):
                return findings
        for cls in params.get(SH_CLASS, ()):
            for v in values:
                if (isinstance(v, Literal) or not self.data.is_instance(v, cls)) and found(SH_CLASS, v):
                    return findings
        for datatype in params.get(SH_DATATYPE, ()):
            for v in values:
                if not datatype_matches(v, datatype) and found(SH_DATATYPE, v):
                    return findings
        for kind in params.get(SH_NODE_KIND, ()):
            admitted = NODE_KINDS[kind]
            for v in values:
                if not isinstance(v, admitted) and found(SH_NODE_KIND, v):
                    return findings
        for members in params.get(SH_IN, ()):
            allowed = self.members(members)
            for v in values:
                if v not in allowed and found(SH_IN, v):
                    return findings
        for members in params.get(SH_LANGUAGE_IN, ()):
            languages = {str(m).lower() for m in self.members(members)}
            for v in values:
                if not language_matches(v, languages) and found(SH_LANGUAGE_IN, v):
                    return findings
        if SH_PATTERN in params:
            flags = pattern_flags(params.get(SH.flags, ()))
            for pattern in params[SH_PATTERN]:
                matcher = compiled(str(pattern), flags)
                for v in values:
                    if (isinstance(v, BNode) or not matcher.search(pattern_text(v))) and found(SH_PATTERN, v):
                        return findings
        if any(u.value for u in params.get(SH_UNIQUE_LANG, ())) and shape.path:
            seen, repeated = set(), []
            for v in values:
                language = v.language.lower() if isinstance(v, Literal) and v.language else None
                if language in seen and language not in repeated:
                    repeated.append(language)
                elif language:
                    seen.add(language)
            for _ in repeated:  # one result per repeated language, without sh:value (as pySHACL)
                if found(SH_UNIQUE_LANG):
                    return findings
        for wanted in params.get(SH_HAS_VALUE, ()):
            if wanted not in values and found(SH_HAS_VALUE):
                return findings
        for other in params.get(SH_NODE, ()):
            for v in values:
                if not self.conforms(other, v) and found(SH_NODE, v):
                    return findings
        for members in params.get(SH_OR, ()):
            options = self.members(members)
            for v in values:
                if not any(self.conforms(option, v) for option in options) and found(SH_OR, v):
                    return findings
        for qualified in params.get(SH_QUALIFIED_VALUE_SHAPE, ()):
            count = sum(self.conforms(qualified, v) for v in values)
            for n in params.get(SH_QUALIFIED_MAX_COUNT, ()):
                if count > int(n) and found(None, component=SH_QUALIFIED_MAX_COUNT_CONSTRAINT_COMPONENT):
                    return findings
            for n in params.get(SH_QUALIFIED_MIN_COUNT, ()):
                if count < int(n) and found(None, component=SH_QUALIFIED_MIN_COUNT_CONSTRAINT_COMPONENT):
                    return findings
        for nested in params.get(SH_PROPERTY, ()):
            if stop_early:
                if not self.conforms(nested, focus):
                    findings.append(Finding(self.shapes[nested], focus, SH_PROPERTY_CONSTRAINT_COMPONENT))
                    return findings
            else:
                findings.extend(self.core(self.shapes[nested], focus))
                findings.extend(self.sparql_for(self.shapes[nested], [focus]))
        for f in findings:
            if not f.messages:
                f.messages = list(f.shape.messages)
        return findings

    def sparql_for(self, shape: Shape, focus_nodes) -> list[Finding]:
        """Each SPARQL constraint of `shape`, run once for all `focus_nodes`."""
        findings = []
        if not shape.sparql or not focus_nodes:
            return findings
        values = " ".join(str(to_ox(node)) for node in sorted(focus_nodes, key=str))
        for constraint, text, messages in shape.sparql:
            query = bind_this(text, values)
            rows = self.data.store().query(query, use_default_graph_as_union=True)
            names = [v.value for v in rows.variables]
            seen = set()
            for row in rows:
                this = to_rdflib(row["this"]) if "this" in names and row["this"] is not None else None
                bound = {name: self.data.original(to_rdflib(row[name]), this) for name in names
                         if row[name] is not None}
                key = tuple(sorted((k, str(v)) for k, v in bound.items()))
                if key in seen:
                    continue
                seen.add(key)
                this = bound.pop("this", None)
                path = bound.pop("path", None)
                value = bound.pop("value", None)
                if value is None and not shape.path:
                    value = this
                variables = dict(bound, **{k: v for k, v in (("this", this), ("path", path), ("value", value))
                                           if v is not None})
                texts = [fill(m, variables) for m in messages if m not in shape.messages]
                texts += [fill(m, variables) for m in shape.messages]
                findings.append(Finding(shape, this, SH.SPARQLConstraintComponent, value,
                                        path if path is not None else shape.path_node, constraint, texts))
        return findings

    def run(self) -> list[Finding]:
        findings = []
        for shape in sorted(self.shapes.values(), key=lambda s: str(s.node)):
            if not shape.targets:
                continue
            focus_nodes = self.focus_nodes(shape)
            for focus in focus_nodes:
                findings.extend(self.core(shape, focus))
            findings.extend(self.sparql_for(shape, focus_nodes))
        return findings


def bind_this(text: str, values: str) -> str:
    """The query with $this bound to the focus nodes: a VALUES block opening its WHERE group."""
    match = re.search(r"\bSELECT\b[^{]*\{", text, flags=re.IGNORECASE)
    if match is None:
        raise Unsupported("a SPARQL constraint without a WHERE group")
    return text[:match.end()] + f" VALUES $this {{ {values} }} " + text[match.end():]


def fill(message, variables: dict) -> Literal:
    """pySHACL's message templating: {?var} / {$var} replaced by the value's text; the language tag is dropped."""
    text = str(message)
    for name, value in variables.items():
        text = re.sub("{{[?$]{}}}".format(name), str(value).replace("\\", "\\\\"), text)
    return Literal(text)


def datatype_matches(value, datatype) -> bool:
    if not isinstance(value, Literal):
        return False
    if value.datatype == datatype:
        if getattr(value, "ill_typed", None) is True:
            return False
        expected = PYTHON_TYPES.get(datatype)
        return expected is None or isinstance(value.value, expected)
    if datatype == RDFS.Literal:
        return True
    if datatype == RDFS.Datatype and value.datatype:
        return True
    if value.datatype is None and value.language is None and datatype == XSD.string:
        return isinstance(value.value, (str, bytes))
    if datatype == RDF.langString and value.language:
        return isinstance(value.value, (str, bytes))
    return False


def pattern_flags(flags) -> int:
    text = str(next(iter(flags), "")).lower()
    return (re.I if "i" in text else 0) | (re.M if "m" in text else 0)


@functools.lru_cache(maxsize=256)
def compiled(pattern: str, flags: int) -> re.Pattern:
    return re.compile(pattern, flags)


def pattern_text(value) -> str:
    """The string sh:pattern matches (pySHACL: a string literal's value, else the term's text)."""
    if isinstance(value, Literal) and value.value is not None and value.datatype in (None, RDF.langString, XSD.string):
        return str(value.value)
    return str(value)


def language_matches(value, languages: set) -> bool:
    if not isinstance(value, Literal) or not value.language:
        return False
    language = value.language.lower()
    return "*" in languages or language in languages or language.split("-")[0] in languages


def report_graph(findings: list[Finding], shapes: Graph) -> Graph:
    """The findings as a SHACL validation report, shaped as pySHACL writes it."""
    from .validate import copy_description

    report = Graph()
    root = BNode()
    report.add((root, TYPE, SH.ValidationReport))
    report.add((root, SH.conforms, Literal(not any(f.shape.severity == SH.Violation for f in findings))))
    for f in findings:
        node = BNode()
        report.add((root, SH.result, node))
        report.add((node, TYPE, SH.ValidationResult))
        report.add((node, SH.sourceConstraintComponent, f.component))
        report.add((node, SH.sourceShape, f.shape.node))
        report.add((node, SH.resultSeverity, f.shape.severity))
        report.add((node, SH.focusNode, f.focus))
        if f.value is not None:
            report.add((node, SH.value, f.value))
        if f.path is not None:
            report.add((node, SH.resultPath, f.path))
            if isinstance(f.path, BNode):
                copy_description(shapes, f.path, report)
        if f.constraint is not None:
            report.add((node, SH.sourceConstraint, f.constraint))
        for message in f.messages:
            report.add((node, SH.resultMessage, message))
    return report


def labels_graph(data: Data, nodes) -> Graph:
    """The triples `validate.label_of` reads about `nodes` (labels, notation, an observation's
    indicator and year), so results are described without an rdflib copy of the whole graph."""
    from rdflib.namespace import SKOS

    from .. import config

    wanted = [SKOS.prefLabel, RDFS.label, SKOS.notation, URIRef(config.rebase(str(config.SG.ofIndicator))),
              URIRef(config.rebase(str(config.SG.year)))]
    graph = Graph()
    todo, done = list(nodes), set()
    while todo:
        node = todo.pop()
        if node in done:
            continue
        done.add(node)
        for p in wanted:
            for o in data.out.get(node, {}).get(p, ()):
                graph.add((node, p, o))
                if p == wanted[3]:
                    todo.append(o)
    return graph


def validate(triples, shapes: Graph, store: pyoxigraph.Store | None = None):
    """(report graph, labels graph, the data's pyoxigraph store) for `triples` (rdflib terms)."""
    data = Data(triples, store)
    findings = Validator(shapes, data).run()
    report = report_graph(findings, shapes)
    return report, labels_graph(data, {f.focus for f in findings} | {f.value for f in findings
                                                                         if isinstance(f.value, URIRef)}), data.store()
