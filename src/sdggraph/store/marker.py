"""The push marker: which build each graph on a remote store came from.

`sdggraph push` writes, in the same SPARQL Update request that swaps the layers in, one small
description per pushed graph into the graph `<base>graph/push`:

    <…/graph/asserted> push:build "<build hash>" ; push:sha256 "<hash of the layer's N-Triples>" ;
                       push:triples 8790 ; push:pushedAt "…"^^xsd:dateTime .

The build hash is the SHA-256 of the three layers' hashes, so every graph of one build carries
the same value, whichever of them a push wrote. Remote mode reads the marker before it trusts
the layers: graphs from different builds (a half-finished push on a store whose update requests
are not transactional, or a single-layer push from another build) or a graph without a marker
make a remote `check` fail with a message that says so.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .. import config
from ..errors import SdggraphError
from ..layout import LAYERS

PUSH = "https://w3id.org/sdggraph/push#"  # the marker's small vocabulary (not rebased: it names terms)
XSD = "http://www.w3.org/2001/XMLSchema#"
DEFAULT_GRAPH_SUBJECT = PUSH + "defaultGraph"  # stands for the store's default graph in the marker


def marker_graph() -> str:
    return config.rebase(config.DEFAULT_BASE_IRI + "graph/push")


def layer_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_hash(layer_hashes: dict[str, str]) -> str:
    """One hash for the whole build, from the layers' N-Triples hashes in layer order."""
    text = "".join(f"{layer} {layer_hashes[layer]}\n" for layer in LAYERS)
    return hashlib.sha256(text.encode()).hexdigest()


def build_hash_of(build_dir: Path) -> str:
    return build_hash({layer: layer_hash((build_dir / f"{layer}.nt").read_bytes()) for layer in LAYERS})


def short(digest: str | None) -> str:
    return (digest or "?")[:12]


def subject(graph: str) -> str:
    return DEFAULT_GRAPH_SUBJECT if graph == "default" else graph


@dataclass
class Mark:
    graph: str
    build: str | None = None
    sha256: str | None = None
    triples: int | None = None
    pushed_at: str | None = None
    swapping: str | None = None  # the build whose swap began and did not finish


def delete_marks(graphs: list[str], build: str) -> list[str]:
    """Update operations that begin the swap: the targets' marks go, a `swapping` note comes
    (so a swap interrupted on a store without transactions is told from a store never pushed)."""
    operations = [f"DELETE WHERE {{ GRAPH <{marker_graph()}> {{ <{subject(graph)}> ?p ?o }} }}" for graph in graphs]
    notes = " ".join(f'<{subject(graph)}> <{PUSH}swapping> "{build}" .' for graph in graphs)
    operations.append(f"INSERT DATA {{ GRAPH <{marker_graph()}> {{ {notes} }} }}")
    return operations


def insert_marks(marks: list[Mark]) -> str:
    """The update operations that end the swap: the notes go, the marks come (last in the request)."""
    pushed_at = datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    lines = []
    for mark in marks:
        lines.append(f'<{subject(mark.graph)}> <{PUSH}build> "{mark.build}" ; <{PUSH}sha256> "{mark.sha256}" ; '
                     f'<{PUSH}triples> "{mark.triples}"^^<{XSD}integer> ; '
                     f'<{PUSH}pushedAt> "{pushed_at}"^^<{XSD}dateTime> .')
    notes = " ;\n".join(f"DELETE WHERE {{ GRAPH <{marker_graph()}> {{ <{subject(mark.graph)}> <{PUSH}swapping> ?b }} }}"
                        for mark in marks)
    return notes + f" ;\nINSERT DATA {{ GRAPH <{marker_graph()}> {{\n  " + "\n  ".join(lines) + "\n} }"


def read_marks_query(in_graph: bool = False) -> str:
    """The marker graph's statements as rows; `in_graph`: name the graph in the query (no protocol dataset)."""
    pattern = f"?graph ?p ?o FILTER (STRSTARTS(STR(?p), \"{PUSH}\"))"
    if in_graph:
        pattern = f"GRAPH <{marker_graph()}> {{ {pattern} }}"
    return f"SELECT ?graph ?p ?o WHERE {{ {pattern} }}"


def marks_from_rows(rows) -> dict[str, Mark]:
    marks: dict[str, Mark] = {}
    for graph, predicate, value in rows:
        name = "default" if graph.value == DEFAULT_GRAPH_SUBJECT else graph.value
        mark = marks.setdefault(name, Mark(name))
        field_name = {"build": "build", "sha256": "sha256", "triples": "triples", "pushedAt": "pushed_at",
                      "swapping": "swapping"}.get(predicate.value[len(PUSH):])
        if field_name == "triples":
            setattr(mark, field_name, int(value.value))
        elif field_name:
            setattr(mark, field_name, value.value)
    return marks


class MixedStore(SdggraphError):
    """The graphs a remote query would read do not all come from one pushed build."""


def read_marks(endpoint: str, timeout: float | None = None) -> dict[str, Mark]:
    """The marks on a SPARQL endpoint (an empty dict when nothing was pushed with a marker)."""
    from .remote import TIMEOUT_S, remote_select

    _, rows = remote_select(endpoint, read_marks_query(), graphs=[marker_graph()], timeout=timeout or TIMEOUT_S)
    return marks_from_rows(rows)


@dataclass
class Verified:
    build: str | None            # the one build all graphs come from (None: nothing to verify)
    graphs: list[str]
    unmarked: list[str]          # graphs without a mark (not pushed by sdggraph push)

    def line(self) -> str:
        if self.build is None:
            return "Push marker: none of the queried graphs carries one (they were not written by sdggraph push)"
        text = f"Push marker: {len(self.graphs) - len(self.unmarked)} graph(s) from build {short(self.build)}"
        if self.unmarked:
            text += "; without a marker: " + ", ".join(f"<{graph}>" for graph in self.unmarked)
        return text


def verify(endpoint: str, graphs: list[str] | None, required: bool) -> Verified:
    """Check that the graphs remote mode reads all come from one build.

    `graphs`: the dataset of remote queries (None: the endpoint's own default graph, which no
    marker describes). `required`: a graph without a mark is an error too (the three layer
    graphs `push` writes); otherwise only marks that disagree are.
    """
    from .remote import redact

    if graphs is None:
        return Verified(None, [], [])
    marks = read_marks(endpoint)
    where = redact(endpoint)
    swapping = {graph: marks[graph].swapping for graph in graphs if graph in marks and marks[graph].swapping}
    if swapping:
        names = ", ".join(f"<{graph}>" for graph in swapping)
        raise MixedStore(f"the store at {where} may hold a mix of builds: the swap of build "
                         f"{short(sorted(swapping.values())[0])} into {names} began and did not finish (an interrupted "
                         f"push on a store whose update requests are not transactional); push again (sdggraph push)")
    marks = {graph: mark for graph, mark in marks.items() if mark.build}
    found = {graph: marks[graph] for graph in graphs if graph in marks}
    unmarked = [graph for graph in graphs if graph not in marks]
    builds = sorted({mark.build for mark in found.values()})
    if len(builds) > 1:
        per_graph = "; ".join(f"<{graph}> from build {short(mark.build)}" for graph, mark in found.items())
        raise MixedStore(f"the store at {where} holds a mix of builds ({per_graph}): a push was interrupted "
                         f"or only some layers were pushed; push the whole build again (sdggraph push)")
    if unmarked and required:
        missing = ", ".join(f"<{graph}>" for graph in unmarked)
        if found:
            raise MixedStore(f"the store at {where} cannot show that its layers come from one build: {missing} "
                             f"carry no push marker while the others come from build {short(builds[0])} "
                             f"(an interrupted push on a store without transactions); push again (sdggraph push)")
        raise MixedStore(f"the store at {where} has no push marker for {missing}: the layers were not written "
                         f"by `sdggraph push`, so nothing shows they come from one build; push them with sdggraph push")
    return Verified(builds[0] if builds else None, list(graphs), unmarked)


def verify_remote_dataset(strict: bool) -> Verified | None:
    """Verify the dataset remote mode is configured to read (SDGGRAPH_SPARQL_ENDPOINT/_GRAPHS).

    strict (a remote `check`): the three layer graphs must carry marks of one build. Otherwise
    marks that disagree, or some graphs marked and others not, are an error; no marks at all
    is allowed (a store loaded some other way) and the caller may say so.
    """
    import os

    from ..layout import graph_iri
    from .remote import ENV_ENDPOINT, dataset_graphs

    endpoint = os.environ.get(ENV_ENDPOINT)
    if not endpoint:
        return None
    graphs = dataset_graphs()
    layers = graphs is not None and sorted(graphs) == sorted(graph_iri(layer) for layer in LAYERS)
    verified = verify(endpoint, graphs, required=strict and layers)
    if layers and verified.build is not None and verified.unmarked:
        verify(endpoint, graphs, required=True)  # some layers marked, others not: raises
    return verified
