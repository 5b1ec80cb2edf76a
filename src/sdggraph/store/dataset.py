"""The built dataset's graphs, from build/manifest.json: which graph holds which layer, and, in a
dataset of several kommuner, which graphs are whose (the service, its descriptions and
`sdggraph query --name --kommune` read them here)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .. import config
from ..errors import SdggraphError
from ..layout import MANIFEST_FILE


class UnknownKommuneError(SdggraphError, ValueError):
    """A kommunenummer the dataset holds no graphs for."""


@dataclass(frozen=True)
class DatasetInfo:
    """The built dataset's graphs, from manifest.json: {layer: (graph IRI, triples)}.

    A dataset of several kommuner (manifest `kommuner`: {"home": "3203", "shared": [graph IRI…],
    "graphs": {kommunenummer: [graph IRI…]}}) keeps each kommune's triples in graphs of its own; a
    question about one kommune then reads that kommune's graphs and the shared ones. Without it the
    dataset is one kommune's (config.KOMMUNENUMMER), and its default graph is the union of all.
    """

    graphs: dict[str, tuple[str, int]]
    base_iri: str
    home: str = config.KOMMUNENUMMER
    shared: tuple[str, ...] = ()
    kommuner: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def default_graph_of(self, kommune: str | None) -> list[str] | None:
        """The graphs a question about `kommune` (None: the home kommune) reads; None means the
        union of all graphs (a dataset of one kommune). UnknownKommuneError for any other."""
        kommune = kommune or self.home
        if not self.kommuner:
            if kommune != self.home:
                raise UnknownKommuneError(f"this dataset holds kommune {self.home} only, not {kommune}")
            return None
        if kommune not in self.kommuner:
            raise UnknownKommuneError(f"this dataset holds no kommune {kommune} "
                                      f"({len(self.kommuner)} kommuner, e.g. {self.home})")
        return list(self.shared) + list(self.kommuner[kommune])

    @property
    def graph_iris(self) -> set[str]:
        return {iri for iri, _ in self.graphs.values()}

    @property
    def triples(self) -> int:
        return sum(count for _, count in self.graphs.values())

    @property
    def dataset_iri(self) -> str:
        return self.base_iri + "dataset"


def read_dataset_info(build_dir: Path) -> DatasetInfo:
    manifest = json.loads((Path(build_dir) / MANIFEST_FILE).read_text(encoding="utf-8"))
    graphs = {layer: (entry["iri"], int(entry.get("triples", 0))) for layer, entry in manifest["graphs"].items()}
    several = manifest.get("kommuner") or {}
    return DatasetInfo(graphs=graphs, base_iri=manifest.get("base_iri") or config.base_iri(),
                       home=several.get("home", config.KOMMUNENUMMER), shared=tuple(several.get("shared", ())),
                       kommuner={number: tuple(iris) for number, iris in several.get("graphs", {}).items()})
