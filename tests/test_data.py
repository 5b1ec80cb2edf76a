"""Asker's data: counts, spelling, and that every figure traces back to the report.

The checks against ../shared/seeds (the OCR'd report and the booklet) skip in a user's clone,
where ../shared is absent; CI has it.
"""

from __future__ import annotations

import csv
import os
import re
import unicodedata
from collections import Counter

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, SKOS

from sdggraph.config import SG
from sdggraph.layout import data_dir

REPORT = "seeds/000_ff39ffe1aa229164.txt"
BOOKLET = "seeds/004_556fbab56073742f.txt"
AREAS = ["SAM", "BYS", "KLI", "HEL", "UTD", "INN", "OKO", "MED"]
KOMMUNE = "https://w3id.org/sdggraph/kommune/3203/"


def rows(kind: str) -> list[dict]:
    out = []
    for path in sorted(data_dir().rglob(f"*.{kind}.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            out.extend(csv.DictReader(handle))
    return out


def nb_label(graph, subject) -> str:
    return next(str(o) for o in graph.objects(subject, SKOS.prefLabel) if o.language == "nb")


def count_type(graph, name):
    return len(set(graph.subjects(RDF.type, SG[name])))


def test_kommuneplan_counts(built_graph):
    assert count_type(built_graph, "FocusArea") == 8
    assert count_type(built_graph, "MainGoal") == 8
    assert count_type(built_graph, "SubGoal") == 28
    assert count_type(built_graph, "Indicator") == 100
    assert count_type(built_graph, "IndicatorObservation") == 400
    assert count_type(built_graph, "ThematicPlan") == 17
    assert count_type(built_graph, "ServiceArea") == 6
    assert count_type(built_graph, "SocietalChallenge") == 3
    assert count_type(built_graph, "StandingCommittee") == 5
    assert count_type(built_graph, "StatutoryCouncil") == 3


def test_indicators_per_area_as_the_report_says(built_graph):
    per_area = Counter(str(i).rsplit("/", 1)[1][:3] for i in built_graph.subjects(RDF.type, SG.Indicator))
    assert per_area["SAM"] == 14  # "ti av de 14 indikatorene"
    assert sum(per_area.values()) == 100 and set(per_area) == set(AREAS)


def test_every_indicator_has_one_observation_per_year():
    years = Counter((r["indicator_id"], r["year"]) for r in rows("observations"))
    assert set(years.values()) == {1}
    per_indicator = Counter(ident for ident, _ in years)
    assert len(per_indicator) == 100 and set(per_indicator.values()) == {4}


def test_statuses_are_statuses_not_zeros():
    for row in rows("observations"):
        if row["status"] == "measured":
            assert row["value"] != "", row
        else:
            assert row["value"] == "" and row["printed"] in ("Ikke målt", "Tall kommer"), row
            assert (row["status"] == "not_measured") == (row["printed"] == "Ikke målt"), row


def test_delmal_without_indicator_carry_the_report_s_reason(built_graph):
    reasons = {}
    for subgoal in built_graph.subjects(RDF.type, SG.SubGoal):
        if not set(built_graph.subjects(SG.measures, subgoal)):
            reasons[str(subgoal).rsplit("/", 1)[1]] = built_graph.value(subgoal, SG.noIndicatorReason)
    assert reasons == {"OKO-2": SG.IndicatorUnderDevelopment, "MED-4": SG.ReportedQualitatively,
                       "KLI-1": SG.IndicatorUnderDevelopment, "HEL-4": SG.IndicatorUnderDevelopment}


def test_thematic_plans_have_responsibles_and_dates(built_graph):
    for plan in built_graph.subjects(RDF.type, SG.ThematicPlan):
        assert set(built_graph.objects(plan, SG.responsibleServiceArea)), plan
        assert set(built_graph.objects(plan, SG.responsibleCommittee)), plan
        assert built_graph.value(plan, SG.adoptionDate) is not None, plan
    pa_lik_linje = URIRef(KOMMUNE + "thematic-plan/pa-lik-linje")
    assert len(set(built_graph.objects(pa_lik_linje, SG.responsibleServiceArea))) == 2
    assert len(set(built_graph.objects(pa_lik_linje, SG.responsibleCommittee))) == 2
    revised = {str(p).rsplit("/", 1)[1] for p in built_graph.subjects(SG.toBeRevised, Literal(True))}
    assert revised == {"arbeidsgiverpolitikk", "barnehage-og-skolekapasitet", "digitalisering-og-smart-bruk-av-teknologi"}


def test_every_fn_link_says_stated_or_curated_and_god_helse_is_stated(built_graph):
    links = set(built_graph.subjects(RDF.type, SG.FnLink))
    assert links
    for link in links:
        assert built_graph.value(link, SG.linkBasis) in (SG.StatedInSource, SG.Curated), link
    for ident, ref in (("HEL", "3"), ("HEL-1", "3.4"), ("HEL-2", "3.8"), ("HEL-1-3", "12.8"), ("HEL-1-4", "3.5"),
                       ("HEL-1-6", "10.2")):
        link = URIRef(f"{KOMMUNE}fn-link/{ident}--{ref}")
        assert built_graph.value(link, SG.linkBasis) == SG.StatedInSource, (ident, ref)


def test_every_hovedmal_reaches_an_fn_goal_or_is_asker_s_own(built_graph):
    for goal in built_graph.subjects(RDF.type, SG.MainGoal):
        own = any(built_graph.value(link, SG.askerOwn) for link in built_graph.objects(goal, SG.hasFnLink))
        assert own or set(built_graph.objects(goal, SG.refersToFnGoal)), goal


# ---- Spelling: the OCR lost æ, ø and å -------------------------------------------------------

OCR_LEFTOVERS = re.compile(
    r"\b((gnsk|hgy|stgrr|stgrst|lgsning|mgte|fglg|gkonom|gkning|baerekraft|beerekraft|bzerekraft|neering|naering|"
    r"ngdvendig|tjienest|forngy|tilhgr|malsett|maloppn)\w*|fgr|gkt|malt|malene|malet|pa|ogsa|arlig|arene|aret|ar)\b|"
    r"@konomi|@kt", re.IGNORECASE)


def test_no_norwegian_text_has_ocr_leftovers(built_graph):
    offenders = sorted({f"{s} {o}" for s, p, o in built_graph
                        if isinstance(o, Literal) and o.language == "nb" and OCR_LEFTOVERS.search(str(o))
                        and str(s).startswith(KOMMUNE)})
    assert not offenders, "\n".join(offenders[:20])


def test_csv_text_has_no_ocr_leftovers():
    offenders = []
    for kind, columns in (("indicators", ("label_nb",)), ("observations", ("printed",))):
        for row in rows(kind):
            offenders += [row[c] for c in columns if OCR_LEFTOVERS.search(row[c])]
    assert not offenders, offenders


def test_no_resource_has_two_nb_labels(built_graph):
    counts = Counter(s for s, o in built_graph.subject_objects(SKOS.prefLabel)
                     if isinstance(o, Literal) and o.language == "nb" and str(s).startswith(KOMMUNE))
    assert [s for s, n in counts.items() if n > 1] == []


# ---- Provenance against the report -----------------------------------------------------------

def fold(text: str) -> str:
    """A spelling skeleton that survives the OCR: no vowels, no æøå nor what the OCR makes of them
    (g, z, @ for ø/æ), and no j/l/i, which the OCR confuses ("tienest", "Igsninger")."""
    text = unicodedata.normalize("NFKD", text.lower())
    return re.sub(r"[^bcdfhkmnpqrstvwx0-9]", "", text)


@pytest.fixture(scope="module")
def report_text(shared_dir) -> str:
    return (shared_dir / REPORT).read_text(encoding="utf-8")


def number_forms(value: str) -> list[str]:
    """How the report can print a value: 18.0 → 18,0; 203735 → 203 735 / 203735."""
    whole, _, decimals = value.lstrip("-").partition(".")
    sign = "-" if value.startswith("-") else ""
    grouped = f"{int(whole):,}".replace(",", " ")
    forms = {f"{sign}{whole}", f"{sign}{grouped}"}
    if decimals:
        forms = {f"{f},{decimals}" for f in forms} | {f"{f}.{decimals}" for f in forms}
    return sorted(forms)


def occurs(form: str, text: str) -> bool:
    return re.search(rf"(?<![\d,.]){re.escape(form)}(?![\d]|,\d)", text) is not None


def indicator_tables(report_text: str, built_graph) -> dict[str, str]:
    """Each satsingsområde's indicator table in the report: from its "Dette skal vi oppnå" to the
    next "Vurdering og analyse", keyed by area code (the line after the heading names the area)."""
    areas = {fold(nb_label(built_graph, URIRef(f"{KOMMUNE}focus-area/{code}"))): code for code in AREAS}
    lines = report_text.splitlines()
    tables = {}
    for start, line in enumerate(lines):
        if fold(line) != fold("Dette skal vi oppnå"):
            continue
        name = next(fold(following) for following in lines[start + 1:] if following.strip())
        code = max(areas.items(), key=lambda item: len(os.path.commonprefix([item[0], name])))[1]  # OCR-robust
        end = next(i for i in range(start, len(lines)) if fold(lines[i]) == fold("Vurdering og analyse"))
        assert code not in tables, f"two indicator tables read as {code}"
        tables[code] = "\n".join(lines[start:end])
    assert sorted(tables) == sorted(AREAS), "every area has one indicator table"
    return tables


ROW_SPAN = 120  # characters: an indicator's figures for its years stand together in its row


def positions(value: str, table: str) -> list[int]:
    return sorted(m.start() for form in number_forms(value)
                  for m in re.finditer(rf"(?<![\d,.]){re.escape(form)}(?![\d]|,\d)", table))


def row_is_in_table(values: list[str], table: str) -> bool:
    """An indicator's figures occur in its area's table in year order, each in its own place, within
    one row's span."""
    found = [positions(value, table) for value in values]

    def place(index: int, after: int, anchor: int) -> bool:
        if index == len(found):
            return True
        return any(place(index + 1, spot, anchor) for spot in found[index]
                   if after < spot <= anchor + ROW_SPAN)

    return all(found) and any(place(1, anchor, anchor) for anchor in found[0])


def checked_values() -> dict[str, list[str]]:
    """Per indicator, its measured figures whose rows carry no note (a note explains a reconstruction)."""
    out: dict[str, list[str]] = {}
    for row in rows("observations"):
        if row["status"] == "measured" and not row["note"].strip():
            out.setdefault(row["indicator_id"], []).append(row["value"])
    return out


def test_every_value_occurs_in_its_row_of_its_areas_table_or_is_explained(report_text, built_graph):
    """A value must stand as printed in its indicator's row of its own satsingsområde's table (with
    the indicator's other figures), or its row must say how a garbled cell was read."""
    tables = indicator_tables(report_text, built_graph)
    unexplained = [f"{indicator}: {values}" for indicator, values in checked_values().items()
                   if not row_is_in_table(values, tables[indicator[:3]])]
    assert not unexplained, "figures not found together in their area's table, and without a note:\n" + \
        "\n".join(unexplained)


def shifted_by_one(value: str) -> str:
    sign, digits = ("-", value[1:]) if value.startswith("-") else ("", value)
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    number = str(int(digits.replace(".", "")) + 1).zfill(len(digits.replace(".", "")))
    return sign + (number[:-decimals] + "." + number[-decimals:] if decimals else number)


def test_a_figure_shifted_by_one_in_its_last_digit_is_caught(report_text, built_graph):
    """The check above notices a mistyped figure: shifting any one figure by one in its last digit
    makes nearly every row fail."""
    tables = indicator_tables(report_text, built_graph)
    tried = caught = 0
    for indicator, values in checked_values().items():
        for index in range(len(values)):
            mistyped = values[:index] + [shifted_by_one(values[index])] + values[index + 1:]
            tried += 1
            caught += not row_is_in_table(mistyped, tables[indicator[:3]])
    assert caught >= 0.97 * tried, f"only {caught} of {tried} mistyped figures would be caught"


def missing_words(label: str, report_words: set[str]) -> list[str]:
    """Words of a label (4+ letters) whose skeleton is not a word of the report's."""
    return [w for w in re.findall(r"[^\W\d_]{4,}", label) if fold(w) and fold(w) not in report_words]


@pytest.fixture(scope="module")
def report_words(report_text) -> set[str]:
    # Hyphenated line ends ("bære-\nkraft") are joined first.
    joined = re.sub(r"-\n\s*", "", report_text)
    return {fold(word) for word in re.findall(r"\w+", joined)}


def test_every_indicator_label_word_occurs_in_the_report(report_words):
    missing = [f"{row['indicator_id']}: {word}" for row in rows("indicators")
               for word in missing_words(row["label_nb"], report_words)]
    assert not missing, missing


def test_goal_labels_occur_in_the_report(report_words, built_graph):
    missing = []
    for kind in ("SubGoal", "MainGoal", "FocusArea", "ThematicPlan"):
        for subject in built_graph.subjects(RDF.type, SG[kind]):
            missing += [f"{subject}: {w}" for w in missing_words(nb_label(built_graph, subject), report_words)]
    assert not missing, missing


def test_thematic_plan_dates_occur_in_the_report(report_text, built_graph):
    missing = []
    for plan in built_graph.subjects(RDF.type, SG.ThematicPlan):
        for prop in (SG.adoptionDate, SG.mandateDecisionDate):
            value = built_graph.value(plan, prop)
            if value is None:
                continue
            text = str(value)
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                y, m, d = text.split("-")
                forms = [f"{d}.{m}.{y}", f"{d}.{m}.{y[2:]}"]
            else:
                forms = [text]
            if not any(form in report_text for form in forms):
                missing.append(f"{plan} {prop}: {text}")
    assert not missing, missing


def test_service_area_fte_occur_in_the_report(report_text, built_graph):
    missing = []
    for node in built_graph.subjects(RDF.type, SG.ServiceAreaYear):
        fte = built_graph.value(node, SG.fullTimeEquivalents)
        if fte is not None and not any(occurs(f, report_text) for f in number_forms(str(fte))) \
                and built_graph.value(node, SKOS.note) is None:
            missing.append(f"{node}: {fte}")
    assert not missing, missing


def test_god_helse_strategies_come_from_the_booklet(shared_dir, built_graph):
    booklet = fold((shared_dir / BOOKLET).read_text(encoding="utf-8"))
    strategies = set(built_graph.subjects(RDF.type, SG.Strategy))
    assert len(strategies) == 10
    for strategy in strategies:
        assert fold(nb_label(built_graph, strategy)) in booklet, strategy  # the booklet is clean text
