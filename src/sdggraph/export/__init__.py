"""Exports of the built graph for national SDG initiatives and analysts.

`FORMATS` maps each export name to the function that makes it; the CLI (`sdggraph export`) and the
HTTP routes (`GET /export/{format}`) are thin shells over `run_export`. Every export reads the
built dataset (build/dataset.nq), never data/, and is byte-identical for the same build.

| name          | what                                                          | module        |
|---------------|---------------------------------------------------------------|---------------|
| turtle, ntriples, jsonld, rdfxml | the union of all layers                    | dumps         |
| trig, nquads  | the three named graphs (asserted, reference, inferred)        | dumps         |
| ks-taxonomy   | the 100 indicators in KS' SDG indicator taxonomy model (SHACL-checked) | ks_taxonomy |
| datacube      | the observations as a W3C RDF Data Cube dataset               | datacube      |
| opensdg       | Open SDG data/ and meta/ files, as a directory or zip         | opensdg       |
| dcat          | DCAT-AP-NO catalogue of the dataset, its distributions and the SPARQL service | dcat |
| observations, indicators | CSV or xlsx tables for analysts (issue 3)          | tables        |
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import SdggraphError


@dataclass
class ExportResult:
    """One export: a single file (`data`) or a set of files (`files`, written as a directory or zip)."""

    name: str
    filename: str
    media_type: str
    data: bytes | None = None
    files: dict[str, bytes] | None = None
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def payload(self) -> bytes:
        """The bytes to send: the file, or a zip of the file set."""
        from .common import zip_bytes  # export.common imports rdflib: only when an export runs

        return self.data if self.data is not None else zip_bytes(self.files or {})

    def payload_media_type(self) -> str:
        return self.media_type if self.data is not None else "application/zip"

    def payload_filename(self) -> str:
        return self.filename if self.data is not None else self.filename.rstrip("/") + ".zip"

    def write(self, out: Path, compress: bool = False) -> Path:
        """Write to `out`: a file; or for a file set a directory, or a zip when `out` ends in .zip."""
        out = Path(out)
        if self.files is not None and out.suffix.lower() != ".zip" and not compress:
            out.mkdir(parents=True, exist_ok=True)
            for name, content in sorted(self.files.items()):
                target = out / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
            return out
        data = self.payload()
        if compress:
            from .common import gzip_bytes

            data = gzip_bytes(data)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        return out

    def summary(self) -> str:
        counts = ", ".join(f"{value} {key}" for key, value in self.counts.items())
        return f"{self.name}: {counts}" if counts else self.name


@dataclass(frozen=True)
class Format:
    name: str
    module: str
    function: str
    description: str

    def load(self) -> Callable[..., ExportResult]:
        return getattr(importlib.import_module(f"{__name__}.{self.module}"), self.function)


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("turtle", "dumps", "export_turtle", "the whole graph (all layers) as Turtle"),
    Format("ntriples", "dumps", "export_ntriples", "the whole graph as sorted N-Triples"),
    Format("jsonld", "dumps", "export_jsonld", "the whole graph as JSON-LD with sdggraph's @context"),
    Format("rdfxml", "dumps", "export_rdfxml", "the whole graph as RDF/XML"),
    Format("trig", "dumps", "export_trig", "the three named graphs (asserted, reference, inferred) as TriG"),
    Format("nquads", "dumps", "export_nquads", "the three named graphs as N-Quads"),
    Format("ks-taxonomy", "ks_taxonomy", "export_ks_taxonomy",
           "the indicators as a SKOS concept scheme in KS' SDG indicator taxonomy model (validated)"),
    Format("datacube", "datacube", "export_datacube", "the observations as a W3C RDF Data Cube dataset"),
    Format("opensdg", "opensdg", "export_opensdg", "Open SDG data/ and meta/ files (directory, or zip)"),
    Format("dcat", "dcat", "export_dcat", "DCAT-AP-NO catalogue: dataset, distributions, SPARQL service"),
    Format("observations", "tables", "export_observations", "one row per indicator and year (csv or xlsx)"),
    Format("indicators", "tables", "export_indicators", "one row per indicator (csv or xlsx)"),
)}


def run_export(name: str, build_dir: Path | None = None, **options) -> ExportResult:
    """Make export `name` from the build in `build_dir` (default: the configured build)."""
    if name not in FORMATS:
        raise SdggraphError(f"unknown export format '{name}'; known: {', '.join(FORMATS)}")
    return FORMATS[name].load()(build_dir=build_dir, **options)


__all__ = ["ExportResult", "FORMATS", "Format", "run_export"]
