"""The report's comparison tables (befolkning chapter, six KOSTRA tables, årsverk/ansatte, kommuneplan
targets) as transcribed in data/: counts, that every figure stands in its section of the OCR'd report,
that printed averages and sums reconcile or carry a note, and that statuses are statuses.

Reads the CSV and Turtle files directly (not the build), so it checks the transcription itself. The checks
against ../shared skip in a user's clone.
"""

from __future__ import annotations

import csv
import os
import re
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import Graph, Namespace
from rdflib.namespace import SKOS

from sdggraph.layout import data_dir

REPORT = "seeds/000_ff39ffe1aa229164.txt"
KS_DIR = "reference/ks-sdg-taxonomy"
SG = Namespace("https://w3id.org/sdggraph/ontology#")
KOSTRA_COLUMNS = [("3203", "2023"), ("3203", "2024"), ("3201", "2024"), ("3301", "2024"), ("3205", "2024"), ("EKG12", "2024")]
KOSTRA_COUNTS = {"OSU": 4, "OPP": 21, "VEL": 13, "STJ": 24, "SUT": 10, "MBS": 12}
# KOSTRA measure prefix → the chapter heading (a line of its own in the OCR) and service area slug
CHAPTERS = {
    "OSU": ("Organisasjon, styring og utvikling", "organisasjon-styring-og-utvikling"),
    "OPP": ("Oppvekst", "oppvekst"),
    "VEL": ("Velferd", "velferd"),
    "STJ": ("Samfunnstjenester", "samfunnstjenester"),
    "SUT": ("Samfunnsutvikling", "samfunnsutvikling"),
    "MBS": ("Medborgerskap", "medborgerskap"),
}
STATUSES = {"measured", "not_available", "not_printed"}


def table(kind: str) -> list[dict]:
    out = []
    for path in sorted(data_dir().rglob(f"*.{kind}.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            out.extend(csv.DictReader(handle))
    return out


def comparison_dir() -> Path:
    found = sorted({p.parent for p in data_dir().rglob("*.comparison-measures.csv")})
    assert len(found) == 1, found
    return found[0]


MEASURES = {row["measure_id"]: row for row in table("comparison-measures")}
OBSERVATIONS = table("comparison-observations")


def number(printed: str) -> Decimal:
    text = printed.replace("prosent", "").replace("%", "").replace(" ", "").replace(",", ".")
    return Decimal(text)


def value(measure: str, area: str, year: str) -> Decimal:
    rows = [r for r in OBSERVATIONS if (r["measure_id"], r["area"], r["year"]) == (measure, area, year)]
    assert len(rows) == 1, (measure, area, year)
    return Decimal(rows[0]["value"])


def fold(text: str) -> str:
    """The consonant skeleton of a text, for label look-ups: the OCR reads ø as g, @ or a, å as a or &,
    æ as ae, ee or z, and "| " for "I ", so vowels (and the letters the OCR confuses with them) are dropped."""
    text = re.sub(r"[aeiouyæøå@&gz|¥]", "", text.lower())
    # figures (cells, function codes, age ranges) may stand between a wrapped label's words: drop them
    return " ".join(word for word in text.split() if not re.fullmatch(r"[\d,.%()\-–*]+", word))


def token_pattern(token: str) -> re.Pattern:
    """A printed cell as a regex over the OCR: digit groups may be split by any whitespace, '%' may follow a space."""
    parts = [re.escape(p) for p in token.replace("%", " %").split()]
    return re.compile(r"(?<![\d,.])" + r"\s*".join(parts) + r"(?![\d])")


# --------------------------------------------------------------------------- the report's sections


@pytest.fixture(scope="module")
def shared_dir(request) -> Path:
    """../shared, or $SDGGRAPH_SHARED_DIR (a git worktree sits one level deeper than the clone)."""
    override = os.environ.get("SDGGRAPH_SHARED_DIR")
    if override and Path(override).is_dir():
        return Path(override)
    return request.getfixturevalue("shared_dir")


@pytest.fixture(scope="module")
def report_lines(shared_dir) -> list[str]:
    return (shared_dir / REPORT).read_text(encoding="utf-8").splitlines()


def find(lines, predicate, start=0) -> int:
    for number_, line in enumerate(lines[start:], start):
        if predicate(line):
            return number_
    raise AssertionError("section marker not found")


@pytest.fixture(scope="module")
def sections(report_lines) -> dict[str, str]:
    """Text of: the befolkning chapter; each chapter's KOSTRA table (from «KOSTRA-tall» to «Vurdering og analyse»)
    and «Årsverk og ansatte» table (to «KOSTRA-tall»)."""
    lines = report_lines
    out = {}
    start = find(lines, lambda l: l.strip() == "Befolkningsutvikling, boligproduksjon og sysselsetting")
    end = find(lines, lambda l: l.strip() == "Kommunens satsingsomrader", start)
    out["befolkning"] = "\n".join(lines[start:end])
    for prefix, (heading, _) in CHAPTERS.items():
        chapter = find(lines, lambda l, h=heading: l.startswith(" ") and l.strip() == h,
                       find(lines, lambda l: l.strip() == "Kommunens tjenesteomrader"))
        staff = find(lines, lambda l: l.strip() == "Arsverk og ansatte", chapter)
        kostra = find(lines, lambda l: l.strip() == "KOSTRA-tall", chapter)
        analysis = find(lines, lambda l: l.strip() == "Vurdering og analyse", kostra)
        out[f"staff-{prefix}"] = "\n".join(lines[staff:kostra])
        out[f"kostra-{prefix}"] = "\n".join(lines[kostra:analysis])
        out[f"analysis-{prefix}"] = "\n".join(lines[analysis:analysis + 60])
    return out


def section_of(measure_id: str) -> str:
    prefix = measure_id[:3]
    return f"kostra-{prefix}" if prefix in KOSTRA_COUNTS else "befolkning"


# --------------------------------------------------------------------------- counts and shape


def test_the_tables_live_in_one_folder_with_their_turtle():
    folder = comparison_dir()
    assert (folder / "areas.ttl").is_file() and (folder / "tables.ttl").is_file()


def test_kostra_key_figures_per_chapter():
    per_chapter = Counter(ident[:3] for ident, row in MEASURES.items() if row["service_area"])
    assert per_chapter == KOSTRA_COUNTS and sum(per_chapter.values()) == 84
    for ident, row in MEASURES.items():
        if ident[:3] in KOSTRA_COUNTS:
            assert row["service_area"] == CHAPTERS[ident[:3]][1], ident
            assert row["table"] == f"kostra-{row['service_area']}", ident


def test_every_kostra_figure_has_its_six_cells():
    cells = defaultdict(list)
    for row in OBSERVATIONS:
        cells[row["measure_id"]].append((row["area"], row["year"]))
    for ident in MEASURES:
        if ident[:3] in KOSTRA_COUNTS:
            assert cells[ident] == KOSTRA_COLUMNS, ident
    assert sum(len(v) for k, v in cells.items() if k[:3] in KOSTRA_COUNTS) == 504


def test_befolkning_chapter_counts():
    befolkning = [r for r in OBSERVATIONS if r["measure_id"][:3] in ("BEF", "BOL", "SYS")]
    per_table = Counter(MEASURES[r["measure_id"]]["table"] for r in befolkning)
    assert per_table == {
        "befolkningsutvikling": 44,  # 11 rows × 2021–2024
        "befolkningsvekst": 24,  # 8 areas × 2022–2024
        "befolkning-tekst": 9,  # three-year growth for 7 areas, ten-year average of detached houses, private-sector share (prose)
        "fullforte-boliger": 22,  # 5 areas × 3 years + 5 averages + 2 averages from the prose
        "boligproduksjon": 9,
        "boligtype-andel": 9,
        "igangsatte-boliger": 20,
        "arbeidsplasser-endring": 15,
        "arbeidsplasser-sysselsatte": 10,
        "dekningsgrad": 15,
        "pendling": 9,
    }
    assert len([m for m in MEASURES if m[:3] in ("BEF", "BOL", "SYS")]) == 32


def test_one_observation_per_measure_area_and_year():
    keys = Counter((r["measure_id"], r["area"], r["year"]) for r in OBSERVATIONS)
    assert set(keys.values()) == {1}
    assert all(r["measure_id"] in MEASURES for r in OBSERVATIONS)


# --------------------------------------------------------------------------- fidelity


def test_values_are_the_printed_figures():
    for row in OBSERVATIONS:
        assert row["status"] in STATUSES, row
        if row["status"] == "measured":
            assert row["value"] and Decimal(row["value"]) == number(row["printed"]), row
        else:
            assert row["value"] == "", row
        if row["status"] == "not_available":
            assert row["printed"] == "-" and row["note"], row
        if row["status"] == "not_printed":
            assert row["printed"] == "" and row["note"], row
        if row["column"] in ("inferred", "prose"):
            assert row["note"] or MEASURES[row["measure_id"]]["note"], row
        assert row["column"] in ("printed", "inferred", "prose"), row
        if row["ocr_text"]:
            assert f"«{row['ocr_text']}»" in row["note"], row


def test_every_cell_stands_in_its_section_of_the_report(sections):
    missing = []
    for row in OBSERVATIONS:
        if row["status"] != "measured":
            continue
        token = row["ocr_text"] or row["printed"].replace(" prosent", " prosent")
        if row["column"] == "prose":
            token = row["printed"]
        if not token_pattern(token).search(sections[section_of(row["measure_id"])]):
            missing.append((row["measure_id"], row["area"], row["year"], token))
    assert not missing


def test_every_row_stands_in_the_report_in_column_order(sections):
    """A row's cells, read in column order, stand one after the other in the OCR (so no cell is in the wrong column
    unless a note says the column is inferred)."""
    rows = defaultdict(list)
    for row in OBSERVATIONS:
        if row["column"] != "prose":
            rows[(row["measure_id"], row["area"] if row["measure_id"][:3] not in KOSTRA_COUNTS else "")].append(row)
    for (measure, _), cells in rows.items():
        tokens = [c["ocr_text"] or c["printed"] for c in cells if c["status"] != "not_printed"]
        pattern = re.compile(r"\s+".join(token_pattern(t).pattern for t in tokens))
        assert pattern.search(sections[section_of(measure)]), (measure, tokens)


def test_every_kostra_label_stands_in_its_table(sections):
    for ident, row in MEASURES.items():
        if ident[:3] not in KOSTRA_COUNTS:
            continue
        label = row["printed_label"]
        for ocr, corrected in re.findall(r"OCR «([^»]+)» read as «?([^».]+)»?\.", row["note"]):
            label = label.replace(corrected, ocr)  # a garbled label word the note says how it was read
        words = fold(label.replace("*)", " ")).split()[:4]
        text = fold(sections[f"kostra-{ident[:3]}"])
        # the OCR garbles a letter now and then («skonomisk»): three of the first four words must stand in the table
        assert " ".join(words) in text or sum(f" {w} " in f" {text} " for w in words) >= 3, (ident, words)


def test_kostra_flags_are_the_printed_ones():
    for ident, row in MEASURES.items():
        if ident[:3] not in KOSTRA_COUNTS:
            continue
        label = row["printed_label"]
        assert (row["basis"] == "B") == ("(B)" in label), ident
        assert (row["inflation_adjusted"] == "yes") == ("*)" in label.replace("**)", "")), ident
        assert (row["need_adjusted"] == "yes") == ("**)" in label), ident
        for code in row["kostra_functions"].split():
            assert code in label, (ident, code)
        if row["basis"] == "K":
            assert "konsern" in label.lower() and row["note"], ident


def test_2024_kostra_figures_are_marked_provisional():
    for row in OBSERVATIONS:
        if row["measure_id"][:3] in KOSTRA_COUNTS:
            assert (row["provisional"] == "yes") == (row["year"] == "2024"), row


# --------------------------------------------------------------------------- sums and averages


def test_printed_averages_reconcile_or_carry_a_note():
    for average, yearly in (("BOL-02", "BOL-01"), ("BOL-10", "BOL-09")):
        for row in OBSERVATIONS:
            if row["measure_id"] != average or row["column"] == "prose":
                continue
            values = [value(yearly, row["area"], y) for y in ("2022", "2023", "2024")]
            mean = (sum(values) / 3).quantize(Decimal("1"), rounding="ROUND_HALF_UP")
            if mean != Decimal(row["value"]):
                assert "does not reconcile" in row["note"], row
            else:
                assert "Reconciles" in row["note"], row
    assert value("BOL-02", "3203", "2024") == 741  # printed; the row gives 740


def test_population_components_reconcile():
    for year in ("2021", "2022", "2023", "2024"):
        v = {m: value(m, "3203", year) for m in MEASURES if m.startswith("BEF-") and int(m[4:]) <= 11}
        assert v["BEF-04"] == v["BEF-02"] - v["BEF-03"]
        assert v["BEF-09"] == v["BEF-05"] - v["BEF-06"] + v["BEF-07"] - v["BEF-08"]
        assert v["BEF-10"] == v["BEF-11"] - v["BEF-01"]
        if v["BEF-10"] != v["BEF-04"] + v["BEF-09"]:
            assert "does not equal" in MEASURES["BEF-10"]["note"]
    for year in ("2022", "2023", "2024"):
        growth = value("BEF-10", "3203", year) / value("BEF-01", "3203", year) * 100
        assert growth.quantize(Decimal("0.1"), rounding="ROUND_HALF_UP") == value("BEF-12", "3203", year)
    assert value("BEF-01", "3203", "2022") == value("BEF-11", "3203", "2021")


def test_dwelling_type_shares_sum_or_carry_a_note():
    for year in ("2022", "2023", "2024"):
        total = sum(value(m, "3203", year) for m in ("BOL-06", "BOL-07", "BOL-08"))
        note = next(r["note"] for r in OBSERVATIONS if (r["measure_id"], r["year"]) == ("BOL-06", year))
        assert total == 100 or f"sum to {total} %" in note, (year, total)
        counts = sum(value(m, "3203", year) for m in ("BOL-03", "BOL-04", "BOL-05"))
        if counts != value("BOL-01", "3203", year):
            assert str(counts) in MEASURES["BOL-03"]["note"]


def test_job_coverage_is_jobs_over_employed_residents():
    for area in ("3203", "3201", "3301", "3312", "0301"):
        ratio = value("SYS-02", area, "2024") / value("SYS-03", area, "2024") * 100
        assert ratio.quantize(Decimal("1"), rounding="ROUND_HALF_UP") == value("SYS-04", area, "2024"), area
    assert abs(value("SYS-05", "3203", "2024") + value("SYS-07", "3203", "2024") - value("SYS-03", "3203", "2024")) < 100
    assert abs(value("SYS-05", "3203", "2024") + value("SYS-06", "3203", "2024") - value("SYS-02", "3203", "2024")) < 100


# --------------------------------------------------------------------------- årsverk, targets, matches, areas


def test_staff_figures_stand_in_the_chapters(sections):
    staff = table("service-area-staff")
    assert len(staff) == 12
    slugs = {slug: prefix for prefix, (_, slug) in CHAPTERS.items()}
    for row in staff:
        text = sections[f"staff-{slugs[row['service_area']]}"]
        assert token_pattern(row["fte_ocr"] or row["fte_printed"].rstrip("*")).search(text), row
        assert token_pattern(row["employees_printed"]).search(text), row
        assert Decimal(row["fte"]) == number(row["fte_printed"].rstrip("*"))
    velferd = next(r for r in staff if (r["service_area"], r["year"]) == ("velferd", "2024"))
    assert velferd["fte"] == "1836.7" and "1836,6" in velferd["note"]


def test_kommuneplan_targets_name_a_measure_and_a_comparator(sections):
    targets = table("plan-targets")
    assert [t["target_id"] for t in targets] == ["KP-BEF-1", "KP-BOL-1", "KP-BOL-2", "KP-BOL-3", "KP-BOL-4", "KP-SYS-1"]
    text = fold(sections["befolkning"])
    for target in targets:
        assert target["measure_id"] in MEASURES
        assert target["comparator"] in ("=", ">=", "<=", "increase")
        assert (target["comparator"] == "increase") == (target["target_value"] == "")
        assert fold(target["printed"])[:40] in text, target["target_id"]


def test_ks_matches_point_at_real_ks_indicators(shared_dir):
    ks_text = "\n".join(p.read_text(encoding="utf-8") for p in (shared_dir / KS_DIR).glob("*.ttl"))
    for row in table("measure-matches"):
        assert row["measure_id"] in MEASURES and row["match"] in ("exact", "close") and row["note"]
        assert row["target_iri"] in ks_text or f"<{row['target_iri']}>" in ks_text, row["target_iri"]


def test_every_area_is_a_resource_with_code_labels_and_basis():
    graph = Graph()
    graph.parse(comparison_dir() / "areas.ttl")
    by_code = {str(code): area for area, code in graph.subject_objects(SKOS.notation)}
    for code in {r["area"] for r in OBSERVATIONS} | {t["area"] for t in table("plan-targets")}:
        area = by_code[code]
        langs = {label.language for label in graph.objects(area, SKOS.prefLabel)}
        assert langs == {"nb", "en"}, code
        assert (area, SG.codeBasis, SG.Curated) in graph and list(graph.objects(area, SKOS.note)), code
    assert str(by_code["30"]).endswith("county-30") and (by_code["30"], SG.validUntil, None) in graph


def test_every_source_is_a_known_location():
    graph = Graph()
    graph.parse(data_dir() / "sources.ttl")
    known = {str(s).rsplit("/", 1)[1] for s in graph.subjects()}
    used = {r["source"] for r in OBSERVATIONS} | {m["source"] for m in MEASURES.values()}
    used |= {r["source"] for r in table("service-area-staff")} | {r["source"] for r in table("plan-targets")}
    assert used <= known, used - known


def test_units_exist():
    units = {row["code"] for row in table("units")} if table("units") else set()
    if not units:
        with (data_dir() / "indicators" / "units.csv").open(encoding="utf-8") as handle:
            units = {row["code"] for row in csv.DictReader(handle)}
    assert {m["unit"] for m in MEASURES.values()} <= units
