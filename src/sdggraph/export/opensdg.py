"""`opensdg`: Asker's indicators as the data and metadata files of an Open SDG data repository.

Per indicator, `data/indicator_<key>.csv` (Open SDG's tidy format: `Year,Value`, one row per year
with a figure; the unit goes to the metadata because each indicator has a single unit, so no
`Units` or disaggregation column would carry information) and `meta/<key>.yml` with the fields
Open SDG reads (see META_FIELDS). `<key>` is the UN indicator in dash form (`3-4-1`) when the data
state a skos:exactMatch to a UN indicator, else Asker's own id (`HEL-01`).

reporting_status is derived from the data: `complete` when the indicator has at least one figure,
`inprogress` when it has none yet but figures are announced ("Tall kommer"), `notstarted` when it
has none and none are announced ("Ikke målt" only).

The report's comparison tables (issue 13) go in as Open SDG standalone indicators keyed by the
measure id (`VEL-03`; no FN goal, so `standalone: true` keeps them off the goal pages), with the
area as a disaggregation column `Område` (Asker's rows are the headline, the column left empty) and
the official area code in Open SDG's `GeoCode` column; cells without a figure are named in
`data_footnote`.
"""

from __future__ import annotations

import csv
import io
import re

import yaml
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, SKOS

from .. import config
from . import ExportResult
from .common import (
    Indicator,
    Ns,
    code_label,
    compact_code,
    editions,
    indicators,
    label,
    load,
    municipality,
    one,
    year_span,
)

GEOGRAPHICAL_COVERAGE = "Asker kommune"
# The Open SDG metadata fields this export writes (open-sdg-data-starter's schema names).
META_FIELDS = ("indicator_number", "indicator_name", "indicator_sort_order", "sdg_goal", "target_id",
               "target_name", "reporting_status", "published", "data_non_statistical", "graph_type",
               "graph_title", "computation_units", "national_geographical_coverage", "source_active_1",
               "source_organisation_1", "source_url_1", "source_periodicity_1", "data_footnote",
               "asker_indicator_id", "asker_indicator_iri")


def reporting_status(record: Indicator) -> str:
    codes = {obs.status_code for obs in record.observations}
    if "measured" in codes:
        return "complete"
    return "inprogress" if "not_yet_published" in codes else "notstarted"


def un_indicator(graph: Graph, record: Indicator) -> URIRef | None:
    """The UN indicator the data say the indicator exactly matches, if any."""
    sdg = str(config.SDG)
    for match in record.exact_matches:
        if str(match).startswith(sdg) and re.fullmatch(r"C\d{2}[0-9a-z]{2}\d{2}", str(match)[len(sdg):]):
            return match
    return None


def keys(graph: Graph, records: list[Indicator]) -> dict[URIRef, str]:
    """File key per indicator: the UN id in dash form, unique; otherwise (or on a clash) Asker's id."""
    out, used = {}, set()
    for record in sorted(records, key=lambda r: r.ident):
        un = un_indicator(graph, record)
        key = compact_code(graph, un).replace(".", "-") if un is not None else record.ident
        if key in used:
            key = record.ident
        used.add(key)
        out[record.iri] = key
    return out


def _goal_number(graph: Graph, goal) -> str:
    return compact_code(graph, goal)


def _target_name(graph: Graph, target) -> str:
    for prop in (SKOS.prefLabel, Ns.sg().unofficialTranslation):
        for value in graph.objects(target, prop):
            if isinstance(value, Literal) and value.language == "nb":
                return str(value)
    return label(graph, target, "en")


def _footnote(record: Indicator) -> str:
    parts = []
    if record.threshold_text:
        parts.append(f"Målverdi: {record.threshold_text}.")
    for code, text in (("not_measured", "Ikke målt"), ("not_yet_published", "Tall kommer")):
        years = [str(obs.year) for obs in record.observations if obs.status_code == code]
        if years:
            parts.append(f"{text}: {', '.join(years)}.")
    return " ".join(parts)


def metadata(graph: Graph, record: Indicator) -> dict:
    un = un_indicator(graph, record)
    sort_order = (
        "-".join(part.zfill(2) for part in compact_code(graph, un).split(".")) if un is not None
        else f"{record.order[0]:02d}-{record.ident}")
    meta = {
        "indicator_number": compact_code(graph, un) if un is not None else record.ident,
        "indicator_name": record.label_nb,
        "indicator_sort_order": sort_order,
        "reporting_status": reporting_status(record),
        "published": True,
        "data_non_statistical": False,
        "graph_type": "line",
        "graph_title": record.label_nb,
        "computation_units": label(graph, record.unit, "nb") if record.unit is not None else "",
        "national_geographical_coverage": GEOGRAPHICAL_COVERAGE,
        "asker_indicator_id": record.ident,
        "asker_indicator_iri": str(record.iri),
    }
    if record.fn_goals:
        meta["sdg_goal"] = _goal_number(graph, record.fn_goals[0])
    if record.fn_targets:
        meta["target_id"] = compact_code(graph, record.fn_targets[0])
        meta["target_name"] = _target_name(graph, record.fn_targets[0])
    if record.data_source is not None:
        publisher = one(graph, record.data_source, DCTERMS.publisher)
        meta["source_active_1"] = True
        meta["source_organisation_1"] = (label(graph, publisher) if isinstance(publisher, URIRef)
                                         else str(publisher) if publisher is not None
                                         else label(graph, record.data_source, "nb"))
        homepage = one(graph, record.data_source, FOAF.homepage)
        if homepage is not None:
            meta["source_url_1"] = str(homepage)
        if record.frequency is not None:
            meta["source_periodicity_1"] = code_label(graph, record.frequency)
    elif record.data_basis == Ns.sg().OwnData:
        meta["source_active_1"] = True
        meta["source_organisation_1"] = label(graph, municipality(), "nb")
    if _footnote(record):
        meta["data_footnote"] = _footnote(record)
    return meta


def data_csv(record: Indicator) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["Year", "Value"])
    for obs in record.observations:
        if obs.value is not None:
            writer.writerow([obs.year, str(obs.value)])
    return buffer.getvalue().encode("utf-8")


README = """# Asker kommune – indikatorer for bærekraftsmålene (Open SDG)

Eksportert av sdggraph (`sdggraph export opensdg`) fra Asker kommunes {editions}, år {span}.

## Innhold
* `data/indicator_<id>.csv` – tall per år i Open SDGs format (`Year,Value`); år uten tall
  («Ikke målt», «Tall kommer») er utelatt og nevnt i metadatafeltet `data_footnote`.
* `meta/<id>.yml` – metadata: `indicator_name`, `sdg_goal`, `target_id`, `reporting_status`
  (complete / inprogress / notstarted, avledet av dataene), `computation_units`,
  `source_organisation_1`, `national_geographical_coverage` m.fl.
* `<id>` er FN-indikatoren på formen `3-4-1` der indikatoren tilsvarer en FN-indikator eksakt,
  ellers Askers egen id (`HEL-01`). Feltene `asker_indicator_id` og `asker_indicator_iri` peker
  tilbake til sdggraph.

## Slik legger du dem inn i en Open SDG-plattform
1. Kopier `data/` og `meta/` inn i mappene med samme navn i plattformens data-repository
   (opprettet fra open-sdg-data-starter). Finnes en fil med samme navn fra før, erstattes den.
2. Indikatorer med Askers egne id-er (f.eks. `HEL-01`) er nasjonale/lokale indikatorer: legg dem
   til i plattformens indikatorkonfigurasjon dersom plattformen bare viser FN-ids, og sett
   `sdg_goal` der feltet mangler (indikatorer under Askers egne mål har ikke noe FN-mål).
3. Kjør plattformens bygg (`python scripts/build_data.py` i data-starter-oppsettet) og sjekk
   (`python scripts/check_data.py`).

## Sammenligningstabellene
Årsrapportens sammenligningstabeller (befolkning, bolig, sysselsetting og KOSTRA-tallene i
tjenesteområdenes kapitler) ligger som frittstående indikatorer (`standalone: true`) med
størrelsens id (`data/indicator_VEL-03.csv`, `meta/VEL-03.yml`): kolonnen `Område` er en
disaggregering (tom for Asker, som er hovedserien), `GeoCode` områdets offisielle kode
(kommunenummer, fylkesnummer, NO, EKG12). Celler uten tall er nevnt i `data_footnote`.

## English
Copy `data/` and `meta/` into the folders of the same name in an Open SDG data repository
(open-sdg-data-starter layout) and run its build. Files are keyed by the UN indicator (`3-4-1`)
where Asker's indicator exactly matches one, else by Asker's own id (`HEL-01`). Years without a
figure are left out of the CSV and listed in `data_footnote`. The report's comparison tables are
standalone indicators keyed by the measure id (`VEL-03`), disaggregated by area (`Område`; Asker is
the headline) with the official area code in `GeoCode`.
"""


AREA_COLUMN = "Område"


def comparison_files(graph: Graph) -> dict[str, bytes]:
    """`data/indicator_<measure>.csv` (`Year,Område,GeoCode,Value`) and `meta/<measure>.yml` per comparison measure."""
    sg = Ns.sg()
    cells: dict[URIRef, list[tuple]] = {}
    for obs in graph.subjects(RDF.type, sg.ComparisonObservation):
        measure, area = graph.value(obs, sg.ofMeasure), graph.value(obs, sg.refArea)
        code = str(graph.value(area, SKOS.notation))
        cells.setdefault(measure, []).append((str(graph.value(obs, sg.year)), code != config.KOMMUNENUMMER, code,
                                              label(graph, area, "nb"), graph.value(obs, sg.value),
                                              label(graph, graph.value(obs, sg.observationStatus), "nb")))
    files = {}
    for measure, rows in sorted(cells.items(), key=lambda item: str(graph.value(item[0], SKOS.notation))):
        key = str(graph.value(measure, SKOS.notation))
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["Year", AREA_COLUMN, "GeoCode", "Value"])
        for year, other, code, area_label, value, _ in sorted(rows):
            if value is not None:
                writer.writerow([year, area_label if other else "", code, str(value)])
        files[f"data/indicator_{key}.csv"] = buffer.getvalue().encode("utf-8")
        missing = [f"{area_label} {year}: {status}" for year, _, _, area_label, value, status in sorted(rows) if value is None]
        unit = graph.value(measure, sg.unit)
        with_value = any(value is not None for *_, value, _ in rows)
        meta = {
            "indicator_number": key, "indicator_name": label(graph, measure, "nb"), "standalone": True,
            "reporting_status": "complete" if with_value else "notstarted", "published": True,
            "data_non_statistical": False, "graph_type": "bar", "graph_title": label(graph, measure, "nb"),
            "computation_units": label(graph, unit, "nb") if unit is not None else "",
            "national_geographical_coverage": "Asker kommune og sammenligningsområdene i årsrapporten",
            "source_active_1": True, "source_organisation_1": "Asker kommune",
            "source_periodicity_1": "årlig",
            "data_footnote": ("Uten tall: " + "; ".join(missing) + ".") if missing else "",
            "asker_measure_id": key, "asker_measure_iri": str(measure),
        }
        files[f"meta/{key}.yml"] = yaml.safe_dump(meta, allow_unicode=True, sort_keys=True,
                                                  default_flow_style=False, width=1000).encode("utf-8")
    return files


def export_opensdg(build_dir=None, **_options) -> ExportResult:
    _, union = load(build_dir)
    records = indicators(union)
    key_of = keys(union, records)
    labels = [e.label_nb for e in editions(union)] or ["årsrapporter"]
    files = {"README.md": README.replace("{editions}", ", ".join(labels)).replace("{span}", year_span(union)).encode("utf-8")}
    for record in records:
        key = key_of[record.iri]
        files[f"data/indicator_{key}.csv"] = data_csv(record)
        meta = metadata(union, record)
        files[f"meta/{key}.yml"] = yaml.safe_dump(meta, allow_unicode=True, sort_keys=True,
                                                   default_flow_style=False, width=1000).encode("utf-8")
    comparison = comparison_files(union)
    files.update(comparison)
    rows = sum(1 for record in records for obs in record.observations if obs.value is not None)
    statuses = {}
    for record in records:
        statuses[reporting_status(record)] = statuses.get(reporting_status(record), 0) + 1
    counts = {"indicators": len(records), "comparison measures": len(comparison) // 2, "data rows": rows,
              "files": len(files)}
    counts.update({f"reporting_status {name}": number for name, number in sorted(statuses.items())})
    return ExportResult("opensdg", "asker-opensdg", "application/zip", files=files, counts=counts)
