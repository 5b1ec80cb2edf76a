"""`opensdg`: Asker's indicators as the data and metadata files of an Open SDG data repository,
placed the way sdg-build 2.3.0 and the Open SDG 2.x site place them (../shared/reference/open-sdg/
README.md: goal and target come from the file id, not from metadata).

Per indicator, `data/indicator_<id>.csv` (Open SDG's tidy format: `Year,Value`, one row per year
with a figure; each indicator has one unit, given in `computation_units`) and `meta/<id>.yml`
(META_FIELDS). The id (file_id): `<goal>-<target>-<Asker id>` under the first FN target the
indicator contributes to (`3-4-HEL-01` → goal 3, target 3.4), `<goal>-<Asker id>` with an FN goal but
no target (`13-KLI-01`), and Asker's own id with `standalone: true` for indicators of Asker's own
goals (AK: no FN goal), which is how Open SDG publishes a national indicator outside the 17 goals.
A UN id (`3-4-1`) is never used: it would replace the platform's own UN indicator with Asker's
figures. Every FN goal and target the indicator contributes to is listed in SDG_GOAL/SDG_TARGET.

A threshold becomes a target line (`graph_target_lines`: value in the indicator's unit, label the
threshold as printed). reporting_status is derived from the data: `complete` when the indicator
has at least one figure, `inprogress` when it has none yet but figures are announced ("Tall
kommer"), `notstarted` when it has none and none are announced ("Ikke målt" only).

check() validates every metadata file against shapes/profiles/opensdg-meta.schema.json (the
receiver's rules restated: types of the starter's schema, the reporting-status rules, the id rules)
before the export is written.

The report's comparison tables (issue 13) go in as Open SDG standalone indicators keyed by the
measure id (`VEL-03`; no FN goal, so `standalone: true` keeps them off the goal pages), with the
area as a disaggregation column `Område` (Asker's rows are the headline, the column left empty) and
the official area code in Open SDG's `GeoCode` column; cells without a figure are named in
`data_footnote`.
"""

from __future__ import annotations

import csv
import io
import json

import yaml
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, SKOS

from .. import config, layout
from ..errors import CheckFailed
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
PROFILE_SCHEMA = "profiles/opensdg-meta.schema.json"  # under shapes/
# The Open SDG metadata fields this export writes (2.x names; sdg_goal/target_id are 1.x fields
# that place nothing in 2.x, so they are not written).
META_FIELDS = ("indicator_number", "indicator_name", "indicator_sort_order", "reporting_status", "published",
               "data_non_statistical", "graph_type", "graph_title", "graph_target_lines", "standalone",
               "computation_units", "national_geographical_coverage", "SDG_GOAL", "SDG_TARGET",
               "source_active_1", "source_organisation_1", "source_url_1", "source_periodicity_1",
               "data_footnote", "asker_indicator_id", "asker_indicator_iri")


def reporting_status(record: Indicator) -> str:
    codes = {obs.status_code for obs in record.observations}
    if "measured" in codes:
        return "complete"
    return "inprogress" if "not_yet_published" in codes else "notstarted"


def file_id(graph: Graph, record: Indicator) -> str:
    """The Open SDG id: `<goal>-<target>-<Asker id>` (3-4-HEL-01) under the first FN target,
    `<goal>-<Asker id>` (13-KLI-01) with a goal but no target, Asker's id (OKO-01, standalone)
    without an FN goal. sdg-build and the site take goal and target from the id's first parts."""
    if record.fn_targets:
        return compact_code(graph, record.fn_targets[0]).replace(".", "-") + "-" + record.ident
    if record.fn_goals:
        return compact_code(graph, record.fn_goals[0]) + "-" + record.ident
    return record.ident


def keys(graph: Graph, records: list[Indicator]) -> dict[URIRef, str]:
    """File id per indicator (unique, because Asker's ids are)."""
    return {record.iri: file_id(graph, record) for record in records}


def _sort_order(key: str) -> str:
    return "-".join(part.zfill(2) if part.isdigit() else part for part in key.split("-"))


def _number(value) -> int | float:
    number = float(str(value))
    return int(number) if number.is_integer() else number


def target_lines(graph: Graph, record: Indicator) -> list[dict]:
    """The threshold as an Open SDG target line (graph_target_lines), in the indicator's unit."""
    sg = Ns.sg()
    threshold = one(graph, record.iri, sg.hasThreshold)
    value = one(graph, threshold, sg.thresholdValue) if threshold is not None else None
    if value is None:
        return []
    text = record.threshold_text or str(value)
    return [{"value": _number(value), "label_content": f"Målverdi: {text}"}]


def _codes_with_labels(graph: Graph, nodes) -> str:
    return "; ".join(f"{compact_code(graph, node)} {label(graph, node, 'nb')}".strip() for node in nodes)


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
    key = file_id(graph, record)
    meta = {
        "indicator_number": key.replace("-", "."),
        "indicator_name": record.label_nb,
        "indicator_sort_order": _sort_order(key),
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
    if not record.fn_goals:
        meta["standalone"] = True  # Asker's own goal (AK): published on its own URL, on no FN goal page
    if record.fn_goals:
        meta["SDG_GOAL"] = _codes_with_labels(graph, record.fn_goals)
    if record.fn_targets:
        meta["SDG_TARGET"] = "; ".join(f"{compact_code(graph, t)} {_target_name(graph, t)}" for t in record.fn_targets)
    lines = target_lines(graph, record)
    if lines:
        meta["graph_target_lines"] = lines
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


def check(files: dict[str, bytes]) -> list[str]:
    """Problems of the file set against the receiver's contract (shapes/profiles/opensdg-meta.schema.json
    and the id rules of sdg-build 2.3.0 / Open SDG 2.x); empty when it conforms."""
    import jsonschema
    schema = json.loads((layout.shapes_dir() / PROFILE_SCHEMA).read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for name in sorted(files):
        if not name.startswith("meta/"):
            continue
        key = name[len("meta/"):-len(".yml")]
        meta = yaml.safe_load(files[name])
        for error in sorted(validator.iter_errors(meta), key=lambda e: list(e.path)):
            problems.append(f"{name}: {'/'.join(map(str, error.path)) or '(rot)'}: {error.message}")
        if "-" not in key:
            problems.append(f"{name}: id uten '-' leses ikke av sdg-build (data/*-*.csv, meta/*-*.yml)")
        goal = key.split("-", 1)[0]
        if not meta.get("standalone") and not (goal.isdigit() and 1 <= int(goal) <= 17):
            problems.append(f"{name}: id-en plasserer indikatoren under målet '{goal}', ikke et FN-mål 1–17")
        if f"data/indicator_{key}.csv" not in files:
            problems.append(f"{name}: data/indicator_{key}.csv mangler")
        else:  # Year and Value are required; any other column is a disaggregation (or GeoCode, Units …)
            header = files[f"data/indicator_{key}.csv"].decode("utf-8").split("\n", 1)[0].split(",")
            if header[:1] != ["Year"] or "Value" not in header:
                problems.append(f"data/indicator_{key}.csv: kolonnene må begynne med Year og ha Value")
    return problems


def data_csv(record: Indicator) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["Year", "Value"])
    for obs in record.observations:
        if obs.value is not None:
            writer.writerow([obs.year, str(obs.value)])
    return buffer.getvalue().encode("utf-8")


README = """# Asker kommune – indikatorer for bærekraftsmålene (Open SDG)

Eksportert av sdggraph (`sdggraph export opensdg`) fra Asker kommunes {editions}, år {span}, for
Open SDG 2.x (sdg-build 2.3.0, open-sdg-data-starter).

## Innhold
* `data/indicator_<id>.csv` – tall per år i Open SDGs format (`Year,Value`); år uten tall
  («Ikke målt», «Tall kommer») er utelatt og nevnt i metadatafeltet `data_footnote`.
* `meta/<id>.yml` – metadata: `indicator_name`, `reporting_status` (complete / inprogress /
  notstarted, avledet av dataene), `computation_units`, `graph_target_lines` (målverdien som
  mållinje), `SDG_GOAL`/`SDG_TARGET` (alle FN-mål og -delmål indikatoren bidrar til),
  `source_organisation_1`, `national_geographical_coverage` m.fl.
* `<id>` bestemmer hvor Open SDG viser indikatoren: mål og delmål leses fra id-ens første ledd.
  `3-4-HEL-01` ligger under mål 3, delmål 3.4 (det første FN-delmålet indikatoren bidrar til);
  `13-KLI-01` under mål 13 når delmålet bare er knyttet til et FN-mål. Askers egen id står sist
  i id-en og i `asker_indicator_id`; `asker_indicator_iri` peker tilbake til sdggraph.
* Indikatorer under Askers egne mål uten FN-mål (AK, f.eks. `OKO-01`) har `standalone: true`:
  de publiseres på egen adresse og telles ikke på noen målside – slik Open SDG publiserer
  nasjonale indikatorer uten FN-mål.

## Slik legger du dem inn i en Open SDG-plattform
1. Kopier `data/` og `meta/` inn i mappene med samme navn i plattformens data-repository
   (opprettet fra open-sdg-data-starter).
2. Kjør plattformens sjekk og bygg (`python scripts/check_data.py`, `python scripts/build_data.py`).

## Sammenligningstabellene
Årsrapportens sammenligningstabeller (befolkning, bolig, sysselsetting og KOSTRA-tallene i
tjenesteområdenes kapitler) ligger som frittstående indikatorer (`standalone: true`) med
størrelsens id (`data/indicator_VEL-03.csv`, `meta/VEL-03.yml`): kolonnen `Område` er en
disaggregering (tom for Asker, som er hovedserien), `GeoCode` områdets offisielle kode
(kommunenummer, fylkesnummer, NO, EKG12). Celler uten tall er nevnt i `data_footnote`.

## English
Copy `data/` and `meta/` into an Open SDG data repository (open-sdg-data-starter layout) and run its
check and build. The file id places each indicator: `3-4-HEL-01` is under goal 3, target 3.4;
`13-KLI-01` under goal 13; Asker's own indicators without an FN goal (`OKO-01`) are
`standalone: true`. Thresholds are `graph_target_lines`. Years without a figure are left out of
the CSV and listed in `data_footnote`. The report's comparison tables
are standalone indicators keyed by the measure id (`VEL-03`), disaggregated by area (`Område`; Asker
is the headline) with the official area code in `GeoCode`.
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
            "indicator_number": key.replace("-", "."), "indicator_sort_order": key,
            "indicator_name": label(graph, measure, "nb"), "standalone": True,
            "reporting_status": "complete" if with_value else "notstarted", "published": True,
            "data_non_statistical": False, "graph_type": "bar", "graph_title": label(graph, measure, "nb"),
            "computation_units": label(graph, unit, "nb") if unit is not None else "",
            "national_geographical_coverage": "Asker kommune og sammenligningsområdene i årsrapporten",
            "source_active_1": True, "source_organisation_1": "Asker kommune",
            "source_periodicity_1": "årlig",
            "data_footnote": ("Uten tall: " + "; ".join(missing) + ".") if missing else "",
            "asker_indicator_id": key, "asker_indicator_iri": str(measure),  # the measure's id and IRI
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
    problems = check(files)
    if problems:
        raise CheckFailed("Open SDG-eksporten følger ikke mottakerens kontrakt:\n" + "\n".join(problems[:50]))
    rows = sum(1 for record in records for obs in record.observations if obs.value is not None)
    statuses = {}
    for record in records:
        statuses[reporting_status(record)] = statuses.get(reporting_status(record), 0) + 1
    counts = {"indicators": len(records), "comparison measures": len(comparison) // 2, "data rows": rows,
              "files": len(files)}
    counts.update({f"reporting_status {name}": number for name, number in sorted(statuses.items())})
    return ExportResult("opensdg", "asker-opensdg", "application/zip", files=files, counts=counts)
