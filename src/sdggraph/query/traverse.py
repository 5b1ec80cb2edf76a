"""Walk the built graph with networkx: paths, neighbourhoods, and the impact tree of an FN goal.

`graph(build_dir)` derives one networkx MultiDiGraph from the built store, once per build (cached
by build directory and the build's manifest time):

* nodes are IRIs; rdf:type becomes the node's `types` (so classes do not become hubs that join
  everything), and literal-valued triples become attributes: `label` (skos:prefLabel @nb first,
  see LABEL_PREDICATES) and `notation`;
* edges are the IRI-to-IRI triples, keyed by predicate, with `inferred` set for the OWL-RL layer;
* blank nodes (the ontology's OWL lists) are left out, and so are the UN indicator entries no
  Asker indicator is matched to (skos:exactMatch/closeMatch) — 232 leaves nothing here reaches.

A result (`Subgraph`) is a set of nodes with a `depth` (the column they are drawn in) and the
edges between them; `to_json` and `to_svg` render it. The SVG is laid out here by hand: one
column per depth, nodes ordered by the mean position of their neighbours in earlier columns.
"""

from __future__ import annotations

import functools
import math
import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import networkx as nx
import pyoxigraph

from .. import config
from ..errors import SdggraphError

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
DCTERMS = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
SDGO = str(config.SDGO)
SDG = str(config.SDG)

# Where a node's label comes from, best first: (predicate, language or None for any/none).
LABEL_PREDICATES = [
    (SKOS + "prefLabel", "nb"), (str(config.SG) + "unofficialTranslation", "nb"), (RDFS + "label", "nb"),
    (DCTERMS + "title", "nb"), (str(config.SG) + "section", "nb"),
    (SKOS + "prefLabel", "en"), (RDFS + "label", "en"), (DCTERMS + "title", "en"), (str(config.SG) + "section", "en"),
    (SKOS + "prefLabel", None), (RDFS + "label", None), (SKOS + "notation", None),
]
MAX_DEPTH = 3
MAX_NODES = 150


def sg(local: str) -> str:
    """An ontology term's IRI under the configured base (the build rebases them)."""
    return config.rebase(str(config.SG) + local)


def local_name(iri: str) -> str:
    return iri.rstrip("/#").rsplit("#", 1)[-1].rsplit("/", 1)[-1] or iri


def best_label(candidates: list[tuple[str, str, str | None]], iri: str) -> str:
    """The label to show for an IRI, from its literal (predicate, text, language) triples."""
    for predicate, language in LABEL_PREDICATES:
        predicate = config.rebase(predicate)
        for cand_predicate, text, cand_language in candidates:
            if cand_predicate == predicate and (language is None or cand_language == language):
                return text
    return local_name(iri)


# Predicates that tie many unrelated resources together (provenance, units, statuses, schema).
# Paths avoid them unless nothing else connects; neighbourhoods do not walk on through their hubs.
BOOKKEEPING = {
    PROV + "wasDerivedFrom", DCTERMS + "isPartOf", DCTERMS + "publisher", DCTERMS + "source",
    DCTERMS + "accrualPeriodicity", "http://purl.org/linked-data/cube#dataSet", SKOS + "inScheme",
    SKOS + "topConceptOf", SKOS + "hasTopConcept", RDFS + "domain", RDFS + "range", RDFS + "subClassOf",
    RDFS + "subPropertyOf", "http://www.w3.org/2002/07/owl#inverseOf", "http://www.w3.org/ns/org#unitOf",
    "http://purl.org/linked-data/sdmx/2009/attribute#unitMeasure",
    "http://purl.org/linked-data/sdmx/2009/attribute#obsStatus", "https://metadata.ks.no/sdg-taxonomi/#hasEvaluation",
}
BOOKKEEPING_SG = {"unit", "observationStatus", "linkBasis", "desiredDirection", "comparator", "noIndicatorReason",
                  "ageGroup", "dataBasis", "resultChainStep", "dataSource", "serviceArea",
                  "ofIndicatorSet", "category", "dimension"}  # the last three: the report's published shares
HUB_DEGREE = 40  # a node with more neighbours than this is shown but not walked through


def is_bookkeeping(predicate: str) -> bool:
    return predicate in BOOKKEEPING or any(predicate == sg(local) for local in BOOKKEEPING_SG)


# ---- deriving the graph -------------------------------------------------------------------

def derive(store: pyoxigraph.Store, inferred_graph: str) -> nx.MultiDiGraph:
    """The networkx view of a store (see the module docstring for what becomes what)."""
    asserted_types: dict[str, list[str]] = defaultdict(list)
    inferred_types: dict[str, list[str]] = defaultdict(list)
    literals: dict[str, list[tuple[str, str, str | None]]] = defaultdict(list)
    edges = []
    for quad in store.quads_for_pattern(None, None, None, None):
        subject, predicate, obj = quad.subject, quad.predicate.value, quad.object
        if not isinstance(subject, pyoxigraph.NamedNode) or isinstance(obj, pyoxigraph.BlankNode):
            continue
        inferred = isinstance(quad.graph_name, pyoxigraph.NamedNode) and quad.graph_name.value == inferred_graph
        if isinstance(obj, pyoxigraph.Literal):
            literals[subject.value].append((predicate, obj.value, obj.language))
        elif predicate == RDF_TYPE:
            (inferred_types if inferred else asserted_types)[subject.value].append(obj.value)
        else:
            edges.append((subject.value, obj.value, predicate, inferred))

    un_indicators = {node for node, types in asserted_types.items() if SDGO + "Indicator" in types}
    matched = {target for source, target, predicate, _ in edges
               if predicate in (SKOS + "exactMatch", SKOS + "closeMatch") and source not in un_indicators}
    skipped = un_indicators - matched

    graph = nx.MultiDiGraph()
    for source, target, predicate, inferred in edges:
        if source not in skipped and target not in skipped:
            graph.add_edge(source, target, key=predicate, predicate=predicate, inferred=inferred)
    for node in set(asserted_types) | set(literals):
        if node not in skipped:
            graph.add_node(node)
    for node, attributes in graph.nodes(data=True):
        types = sorted(set(asserted_types.get(node, ()))) or sorted(set(inferred_types.get(node, ())))
        attributes["types"] = types
        attributes["all_types"] = set(asserted_types.get(node, ())) | set(inferred_types.get(node, ()))
        attributes["label"] = best_label(literals.get(node, []), node)
        notation = [text for predicate, text, _ in literals.get(node, ()) if predicate == SKOS + "notation"]
        attributes["notation"] = min(notation, key=len) if notation else None
    return graph


@functools.lru_cache(maxsize=4)
def _graph(build_dir: str, stamp: int) -> nx.MultiDiGraph:
    """Derived once per build and kept on disk beside it (layout.derived_root), so a restarted
    service loads it instead of walking the store again."""
    import hashlib
    import os
    import pickle

    from ..layout import MANIFEST_FILE, derived_name, derived_root, graph_iri
    from ..store.local import open_store

    manifest = Path(build_dir) / MANIFEST_FILE
    key = hashlib.sha256(manifest.read_bytes()).hexdigest()[:16] if manifest.exists() else "none"
    cached = derived_root(Path(build_dir)) / derived_name("traverse", build=key)
    try:
        with open(cached, "rb") as file:
            return pickle.load(file)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        pass
    graph = derive(open_store(Path(build_dir)), graph_iri("inferred"))
    try:
        tmp = cached.with_name(f".{cached.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as file:
            pickle.dump(graph, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cached)
    except OSError:  # a read-only place: derived again next time
        pass
    return graph


def graph(build_dir: Path | None = None) -> nx.MultiDiGraph:
    """The networkx graph of a build, derived once per build (a rebuild is picked up)."""
    from ..layout import MANIFEST_FILE, require_build

    build_dir = require_build(build_dir).resolve()
    manifest = build_dir / MANIFEST_FILE
    stamp = manifest.stat().st_mtime_ns if manifest.exists() else 0
    with _GRAPH_LOCK:  # concurrent first requests derive it once, not once each
        return _graph(str(build_dir), stamp)


_GRAPH_LOCK = threading.Lock()


class NodeNotFound(SdggraphError):
    """The IRI is not a node of the graph (HTTP 404)."""


def resolve(g: nx.MultiDiGraph, text: str) -> str:
    """An IRI, or a prefixed name like indicator:HEL-01, as a node of the graph."""
    text = (text or "").strip()
    prefix, _, local = text.partition(":")
    if prefix in config.PREFIXES and not local.startswith("//"):
        text = config.rebase(config.PREFIXES[prefix]) + local
    if text not in g:
        raise NodeNotFound(f"not a resource in the graph: {text!r}")
    return text


# ---- results --------------------------------------------------------------------------------

@dataclass
class Subgraph:
    title: str
    depth: dict[str, int] = field(default_factory=dict)           # node → column
    edges: list[tuple[str, str, str]] = field(default_factory=list)  # (source, target, predicate)
    columns: list[str] | None = None                               # column titles, if named
    truncated: bool = False

    def add_edge(self, source: str, target: str, predicate: str) -> None:
        if (source, target, predicate) not in self.edges:
            self.edges.append((source, target, predicate))

    def to_json(self, g: nx.MultiDiGraph) -> dict:
        def label(iri):
            return g.nodes[iri]["label"] if iri in g else local_name(iri)
        return {
            "title": self.title,
            "nodes": [{"id": node, "label": label(node), "types": g.nodes[node].get("types", []),
                       "typeLabels": [label(t) for t in g.nodes[node].get("types", [])],
                       "notation": g.nodes[node].get("notation"), "depth": depth}
                      for node, depth in self.depth.items()],
            "edges": [{"source": s, "target": t, "predicate": p, "predicateLabel": label(p),
                       "inferred": bool(g.edges[s, t, p].get("inferred")) if g.has_edge(s, t, p) else False}
                      for s, t, p in self.edges],
            "columns": self.columns,
            "truncated": self.truncated,
        }


def _weigher(g: nx.MultiDiGraph):
    """Edge cost for shortest paths: bookkeeping links cost much more, an inferred shortcut a little
    more than a stated link, and passing a well-connected node a little more, so paths prefer
    what the municipality stated and specific links (delmål, plan) over shared hubs."""
    def cost(data: dict) -> float:
        return 25.0 if is_bookkeeping(data["predicate"]) else 1.5 if data["inferred"] else 1.0

    def weight(u, v, edges: dict) -> float:  # networkx hands parallel edges as {key: attributes}
        base = min(cost(data) for data in edges.values())
        return base + 0.02 * (g.degree(u) + g.degree(v))
    return weight


def _best_edge(g: nx.MultiDiGraph, u: str, v: str) -> tuple[str, str, str]:
    """The edge joining u and v, in its real direction: asserted and non-bookkeeping first."""
    candidates = [(u, v, key, data) for key, data in (g.get_edge_data(u, v) or {}).items()]
    candidates += [(v, u, key, data) for key, data in (g.get_edge_data(v, u) or {}).items()]
    source, target, key, _ = min(candidates, key=lambda c: (is_bookkeeping(c[2]), bool(c[3].get("inferred")),
                                                            c[0] != u, c[2]))
    return source, target, key


def path(g: nx.MultiDiGraph, start: str, end: str) -> Subgraph:
    """A shortest path between two resources, following edges either way and avoiding bookkeeping links."""
    start, end = resolve(g, start), resolve(g, end)
    try:
        nodes = nx.shortest_path(g.to_undirected(as_view=True), start, end, weight=_weigher(g))
    except nx.NetworkXNoPath:
        raise NodeNotFound(f"no path between {start} and {end}") from None
    result = Subgraph(f"Sti fra {g.nodes[start]['label']} til {g.nodes[end]['label']}")
    for index, node in enumerate(nodes):
        result.depth[node] = index
    for u, v in zip(nodes, nodes[1:]):
        result.add_edge(*_best_edge(g, u, v))
    return result


def neighbourhood(g: nx.MultiDiGraph, node: str, depth: int = 1, max_nodes: int = MAX_NODES) -> Subgraph:
    """The resources within `depth` links of a node (either direction), and the links among them."""
    node = resolve(g, node)
    if not 1 <= depth <= MAX_DEPTH:
        raise SdggraphError(f"depth must be between 1 and {MAX_DEPTH}, got {depth}")
    undirected = g.to_undirected(as_view=True)
    result = Subgraph(f"Nabolaget til {g.nodes[node]['label']} (dybde {depth})")
    result.depth[node] = 0
    queue = deque([node])
    while queue:
        current = queue.popleft()
        level = result.depth[current]
        if level >= depth or (current != node and undirected.degree(current) > HUB_DEGREE):
            continue
        for neighbour in sorted(undirected.neighbors(current)):
            if neighbour in result.depth:
                continue
            if len(result.depth) >= max_nodes:
                result.truncated = True
                break
            result.depth[neighbour] = level + 1
            queue.append(neighbour)
    for source, target, predicate in g.subgraph(result.depth).edges(keys=True):
        result.add_edge(source, target, predicate)
    return result


IMPACT_COLUMNS = ["FN-mål", "FN-delmål", "Hovedmål", "Delmål / satsingsområde", "Indikatorer", "Temaplaner",
                  "Tjenesteområder"]


def impact(g: nx.MultiDiGraph, goal: int | str) -> Subgraph:
    """The tree from an FN goal down: its targets Asker refers to → Asker's hovedmål and delmål that
    refer to them → the delmål's indicators and temaplaner → the temaplaner's tjenesteområder."""
    goal_iri = f"{SDG}{goal}"
    if goal_iri not in g or SDGO + "Goal" not in g.nodes[goal_iri]["all_types"]:
        raise NodeNotFound(f"no FN goal {goal!r} (goals are 1–17)")
    result = Subgraph(f"Fra {g.nodes[goal_iri]['label']} (FN-mål {goal}) til Askers mål, indikatorer, "
                      "temaplaner og tjenesteområder", columns=IMPACT_COLUMNS)
    result.depth[goal_iri] = 0

    def is_a(node, local):
        return sg(local) in g.nodes[node]["all_types"]

    def into(node, predicate):  # subjects with `predicate` pointing at node
        return sorted(source for source, _, key in g.in_edges(node, keys=True) if key == predicate)

    def place(node, depth):
        result.depth.setdefault(node, depth)

    asker_goals = []
    for source in into(goal_iri, sg("refersToFnGoal")):  # direct goal links only: via a link's sg:fnGoal
        direct = any(goal_iri in g[link] and sg("fnGoal") in g[link][goal_iri]
                     for link in g.successors(source) if sg("hasFnLink") in g[source][link])
        if direct and (is_a(source, "MainGoal") or is_a(source, "SubGoal")):
            asker_goals.append(source)
            place(source, 2 if is_a(source, "MainGoal") else 3)
            result.add_edge(source, goal_iri, sg("refersToFnGoal"))
    for target in into(goal_iri, SDGO + "isTargetOf"):
        referring = [s for s in into(target, sg("refersToFnTarget")) if is_a(s, "MainGoal") or is_a(s, "SubGoal")]
        if not referring:
            continue
        place(target, 1)
        result.add_edge(target, goal_iri, SDGO + "isTargetOf")
        for source in referring:
            asker_goals.append(source)
            place(source, 2 if is_a(source, "MainGoal") else 3)
            result.add_edge(source, target, sg("refersToFnTarget"))

    subgoals = [node for node in asker_goals if is_a(node, "SubGoal")]
    for main_goal in (node for node in asker_goals if is_a(node, "MainGoal")):
        for subgoal in into(main_goal, sg("belongsToMainGoal")):
            place(subgoal, 3)
            result.add_edge(subgoal, main_goal, sg("belongsToMainGoal"))
            subgoals.append(subgoal)
        for area in g.successors(main_goal):
            if sg("belongsToFocusArea") not in g[main_goal][area]:
                continue
            plans = [p for p in into(area, sg("servesFocusArea")) if not g[p][area][sg("servesFocusArea")]["inferred"]]
            if plans:  # the satsingsområde only when a temaplan hangs on it
                place(area, 3)
                result.add_edge(main_goal, area, sg("belongsToFocusArea"))
            for plan in plans:
                place(plan, 5)
                result.add_edge(plan, area, sg("servesFocusArea"))
    for subgoal in dict.fromkeys(subgoals):
        for indicator in into(subgoal, sg("measures")):
            place(indicator, 4)
            result.add_edge(indicator, subgoal, sg("measures"))
        for plan in into(subgoal, sg("servesSubGoal")):
            place(plan, 5)
            result.add_edge(plan, subgoal, sg("servesSubGoal"))
    for plan in [node for node, depth in result.depth.items() if depth == 5]:
        for _, unit, key in g.out_edges(plan, keys=True):
            if key == sg("responsibleServiceArea"):
                place(unit, 6)
                result.add_edge(plan, unit, key)
    return result


# ---- rendering ------------------------------------------------------------------------------

NODE_W, NODE_H, COL_GAP, ROW_GAP, MARGIN, HEAD = 230, 38, 90, 12, 20, 56
KIND_COLOURS = [  # (type, fill): the first type a node has decides its colour
    (SDGO + "Goal", "#00689d"), (SDGO + "Target", "#3f8fc0"), ("FocusArea", "#6b4c9a"), ("MainGoal", "#8e44ad"),
    ("SubGoal", "#b07cc6"), ("Indicator", "#1e8449"), ("IndicatorObservation", "#52be80"),
    ("ThematicPlan", "#ca6f1e"), ("ServiceArea", "#b03a2e"), ("SocietalChallenge", "#d4ac0d"),
]


def colour(g: nx.MultiDiGraph, node: str) -> str:
    types = g.nodes[node].get("all_types", set()) if node in g else set()
    for kind, fill in KIND_COLOURS:
        if (kind if kind.startswith("http") else sg(kind)) in types:
            return fill
    return "#717d7e"


def _cut(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def layout(result: Subgraph) -> dict[str, tuple[float, float]]:
    """(x, y) of each node: one column per depth; within a column, ordered by the mean row of
    the neighbours already placed in earlier columns (fewer crossings), then by label order."""
    columns: dict[int, list[str]] = defaultdict(list)
    for node, depth in result.depth.items():
        columns[depth].append(node)
    neighbours = defaultdict(set)
    for source, target, _ in result.edges:
        neighbours[source].add(target)
        neighbours[target].add(source)
    row: dict[str, float] = {}
    positions = {}
    for depth in sorted(columns):
        def key(node):
            placed = [row[n] for n in neighbours[node] if n in row]
            return (sum(placed) / len(placed) if placed else math.inf, node)
        for index, node in enumerate(sorted(columns[depth], key=key)):
            row[node] = index
            positions[node] = (MARGIN + depth * (NODE_W + COL_GAP), HEAD + index * (NODE_H + ROW_GAP))
    return positions


def to_svg(result: Subgraph, g: nx.MultiDiGraph, href=lambda iri: iri) -> str:
    """The subgraph as a standalone SVG picture; each node links to `href(iri)`."""
    positions = layout(result)
    depths = sorted(set(result.depth.values())) or [0]
    width = MARGIN * 2 + (max(depths) + 1) * NODE_W + max(depths) * COL_GAP
    height = max((y for _, y in positions.values()), default=HEAD) + NODE_H + MARGIN
    label = {node: (g.nodes[node]["label"] if node in g else local_name(node)) for node in result.depth}
    show_edge_labels = len(result.edges) <= 15  # more would crowd the picture; each edge has a tooltip
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
           f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
           f'font-family="system-ui, sans-serif" font-size="12" role="img" aria-label="{escape(result.title)}">',
           f"<title>{escape(result.title)}</title>",
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
           'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#888"/></marker></defs>',
           '<rect width="100%" height="100%" fill="#ffffff"/>',
           f'<text x="{MARGIN}" y="22" font-size="15" font-weight="bold" fill="#222">{escape(_cut(result.title, 140))}</text>']
    if result.columns:
        for depth in depths:
            if depth < len(result.columns):
                x = MARGIN + depth * (NODE_W + COL_GAP)
                out.append(f'<text x="{x}" y="44" font-size="12" font-weight="bold" fill="#555">'
                           f'{escape(result.columns[depth])}</text>')
    for source, target, predicate in result.edges:
        (x1, y1), (x2, y2) = positions[source], positions[target]
        predicate_label = g.nodes[predicate]["label"] if predicate in g else local_name(predicate)
        if x1 == x2:  # same column: an arc on the right
            sx, sy, tx, ty = x1 + NODE_W, y1 + NODE_H / 2, x2 + NODE_W, y2 + NODE_H / 2
            bend = 30 + abs(ty - sy) / 4
            d = f"M{sx:.0f},{sy:.0f} C{sx + bend:.0f},{sy:.0f} {tx + bend:.0f},{ty:.0f} {tx:.0f},{ty:.0f}"
            mx, my = sx + bend * 0.75, (sy + ty) / 2
        else:
            left_to_right = x1 < x2
            sx = x1 + NODE_W if left_to_right else x1
            tx = x2 if left_to_right else x2 + NODE_W
            sy, ty = y1 + NODE_H / 2, y2 + NODE_H / 2
            mid = (sx + tx) / 2
            d = f"M{sx:.0f},{sy:.0f} C{mid:.0f},{sy:.0f} {mid:.0f},{ty:.0f} {tx:.0f},{ty:.0f}"
            mx, my = mid, (sy + ty) / 2
        out.append(f'<path d="{d}" fill="none" stroke="#999" stroke-width="1.2" marker-end="url(#arrow)">'
                   f"<title>{escape(predicate_label)} ({escape(predicate)})</title></path>")
        if show_edge_labels:
            out.append(f'<text x="{mx:.0f}" y="{my - 3:.0f}" font-size="10" fill="#666" text-anchor="middle">'
                       f"{escape(_cut(predicate_label, 28))}</text>")
    for node, (x, y) in positions.items():
        text = label[node]
        notation = g.nodes[node].get("notation") if node in g else None
        shown = f"{notation} {text}" if notation and notation not in text else text
        link = escape(href(node), quote=True)
        out.append(f'<a href="{link}" xlink:href="{link}"><g>'
                   f"<title>{escape(text)}\n{escape(node)}</title>"
                   f'<rect x="{x:.0f}" y="{y:.0f}" width="{NODE_W}" height="{NODE_H}" rx="6" '
                   f'fill="{colour(g, node)}"/>'
                   f'<text x="{x + 8:.0f}" y="{y + NODE_H / 2 + 4:.0f}" fill="#ffffff">{escape(_cut(shown))}</text>'
                   "</g></a>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def to_text(result: Subgraph, g: nx.MultiDiGraph) -> str:
    """A plain listing for the terminal: nodes by column, then the links."""
    def label(iri):
        return g.nodes[iri]["label"] if iri in g else local_name(iri)
    lines = [result.title, ""]
    for depth in sorted(set(result.depth.values())):
        heading = result.columns[depth] if result.columns and depth < len(result.columns) else f"{depth}"
        lines.append(f"[{heading}]")
        for node in sorted((n for n, d in result.depth.items() if d == depth), key=label):
            lines.append(f"  {label(node)}  <{node}>")
    lines += ["", "Lenker:"]
    lines += [f"  {label(s)} --{label(p)}--> {label(t)}" for s, t, p in result.edges]
    if result.truncated:
        lines.append(f"(avkortet ved {MAX_NODES} noder)")
    return "\n".join(lines) + "\n"
