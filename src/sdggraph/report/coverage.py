"""The facts of the coverage-gap report, as plain data (renderers live in coverage_render.py).

Every fact is asked with SPARQL through store.select, so the report works on the bundled build
and on a remote endpoint (SDGGRAPH_SPARQL_ENDPOINT) alike. `coverage_report()` returns

    {"meta": {...}, "sections": {name: [record, ...]}}

where each record is a flat dict of str / int / float / bool / None, or a list of those (lists
only where a record names several things, e.g. the delmål a temaplan serves). The sections:

* structure         satsingsområde, hovedmål and delmål with the number of indicators measuring each
* fn_goals          every FN goal: prioritised?, Asker goals referring to it, indicators contributing
* fn_matrix         FN goal × Asker hovedmål/delmål (where linked) with the number of indicators
                    measuring the Asker goal (the heat map)
* fn_targets        FN targets Asker's goals and strategies refer to, with indicators contributing
* subgoals_without_indicators   delmål no indicator measures, with the source's reason
* indicators_without_latest     indicators with no figure for the latest year (Ikke målt / Tall
                    kommer), with how many years have a figure
* threshold_misses  indicators whose latest figure misses their threshold, with the yearly trend
* distribution      the indicator set by samfunnsfloke, resultatkjede, age group, data basis,
                    frequency and satsingsområde: the graph's counts beside the report's figures
* challenge_by_area samfunnsfloke × satsingsområde counts
* thematic_plans    temaplaner with their tjenesteområder, utvalg, delmål and indicators
* service_areas     tjenesteområder with their temaplaner, delmål and indicators
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pyoxigraph

from .. import config
from ..query.results import term_text
from ..store import local as store

PRIORITISED_FN_GOALS = ("3", "4", "9", "11", "13", "17")  # the booklet «FNs bærekraftsmål», «Hvorfor?»

SECTIONS = ("structure", "fn_goals", "fn_matrix", "fn_targets", "subgoals_without_indicators", "indicators_without_latest",
            "threshold_misses", "distribution", "challenge_by_area", "thematic_plans", "service_areas", "comparison")

STATUS_CODES = {"Measured": "measured", "NotMeasured": "not_measured", "NotYetPublished": "not_yet_published"}
COMPARATORS = {"GreaterThan": ">", "GreaterOrEqual": ">=", "LessThan": "<", "LessOrEqual": "<="}

# Names the graph does not carry (KS' and the EU's vocabularies are referenced, not loaded).
DIMENSION_LABELS = {
    "total": "Antall indikatorer",
    "addressesChallenge": "Samfunnsfloke",
    "resultChainStep": "Steg i resultatkjeden",
    "ageGroup": "Aldersgruppe",
    "dataBasis": "Datagrunnlag",
    "accrualPeriodicity": "Oppdatering",
    "inFocusArea": "Satsingsområde",
}
DIMENSION_ORDER = tuple(DIMENSION_LABELS)
CATEGORY_LABELS = {
    "1-Input": "innsatsfaktorer", "2-Process": "aktiviteter", "3-Output": "produkter/tjenester",
    "4-Outcome": "brukereffekter", "5-Impact": "samfunnseffekter",
    "ANNUAL": "årlig", "BIENNIAL": "annethvert år", "TRIENNIAL": "hvert tredje år",
    "QUADRENNIAL": "hvert fjerde år", "IRREG": "uregelmessig",
    "none": "ingen verdi",
}
NONE_CATEGORIES = {"NoSpecificChallenge"}  # stated categories that count indicators with no value


def _prefixes() -> str:
    return "".join(f"PREFIX {prefix}: <{config.rebase(ns)}>\n" for prefix, ns in config.PREFIXES.items())


_build_dir: ContextVar[Path | None] = ContextVar("coverage_build_dir", default=None)


@contextmanager
def using_build(build_dir: Path | None):
    """Ask the queries of this module against `build_dir` (None: the configured build or endpoint)."""
    token = _build_dir.set(build_dir)
    try:
        yield
    finally:
        _build_dir.reset(token)


def rows(sparql: str, **bindings) -> list[dict]:
    """A SELECT as dicts of text (None where unbound)."""
    terms = {name: pyoxigraph.NamedNode(value) if isinstance(value, str) else value for name, value in bindings.items()}
    header, result = store.select(_prefixes() + sparql, terms or None, build_dir=_build_dir.get())
    return [{name: (None if term is None else term_text(term)) for name, term in zip(header, row)} for row in result]


def short(iri: str | None) -> str | None:
    """The id at the end of an IRI: HEL-1, 3.4, Measured, 4-Outcome."""
    if iri is None:
        return None
    return iri.rstrip("/").rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def number(text: str | None):
    if text is None or text == "":
        return None
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() and "." not in text else float(value)


def fn_sort_key(ref: str):
    parts = ref.split(".")
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)


def asker_sort_key(ident: str):
    area, _, rest = ident.partition("-")
    return (area, [int(p) if p.isdigit() else 0 for p in rest.split("-")] if rest else [])


def label(var: str, name: str) -> str:
    """The nb label of `var` as ?name (the shapes allow one). `var` must be bound where this is used:
    an OPTIONAL on an unbound variable would match every labelled node."""
    return f'OPTIONAL {{ {var} skos:prefLabel ?{name} . FILTER (lang(?{name}) = "nb") }}'



# ---- Sections ------------------------------------------------------------------------------

def structure() -> dict:
    """Satsingsområder, hovedmål and delmål with labels and indicator counts, in report order."""
    found = rows(f"""
        SELECT ?area ?areaLabel ?areaOrder ?main ?mainLabel ?sub ?subLabel (COUNT(DISTINCT ?indicator) AS ?n) WHERE {{
            ?main a sg:MainGoal ; sg:belongsToFocusArea ?area .
            OPTIONAL {{ ?area sg:order ?areaOrder . }}
            OPTIONAL {{ ?sub sg:belongsToMainGoal ?main . OPTIONAL {{ ?indicator sg:measures ?sub . }} {label('?sub', 'subLabel')} }}
            {label('?area', 'areaLabel')}
            {label('?main', 'mainLabel')}
        }} GROUP BY ?area ?areaLabel ?areaOrder ?main ?mainLabel ?sub ?subLabel""")
    areas: dict[str, dict] = {}
    for r in found:
        area = areas.setdefault(short(r["main"]), {
            "area_id": short(r["area"]), "area_label": r["areaLabel"], "order": number(r["areaOrder"]) or 99,
            "maingoal_id": short(r["main"]), "maingoal_label": r["mainLabel"], "subgoals": {}})
        if r["sub"]:
            area["subgoals"][short(r["sub"])] = {"label": r["subLabel"], "indicators": int(r["n"])}
    return dict(sorted(areas.items(), key=lambda item: (item[1]["order"], item[0])))


def fn_goal_labels() -> dict[str, str]:
    found = rows(f"""
        SELECT ?goal ?short ?long WHERE {{
            ?goal a sdgo:Goal .
            OPTIONAL {{ ?goal skos:altLabel ?short . FILTER (lang(?short) = "nb") }}
            {label('?goal', 'long')}
        }}""")
    return {short(r["goal"]): r["short"] or r["long"] or short(r["goal"]) for r in found}


def fn_goals(goal_labels: dict[str, str]) -> list[dict]:
    referring = defaultdict(set)
    for r in rows("SELECT ?x ?goal WHERE { ?x sg:refersToFnGoal ?goal . }"):
        referring[short(r["goal"])].add(short(r["x"]))
    contributing = defaultdict(set)
    for r in rows("SELECT ?i ?goal WHERE { ?i a sg:Indicator ; sg:contributesToFnGoal ?goal . }"):
        contributing[short(r["goal"])].add(short(r["i"]))
    return [{"fn_goal": goal, "fn_goal_label": goal_labels.get(goal), "prioritised": goal in PRIORITISED_FN_GOALS,
             "referred_by": sorted(referring[goal], key=asker_sort_key), "indicator_count": len(contributing[goal])}
            for goal in sorted(goal_labels, key=fn_sort_key)]


def fn_matrix(areas: dict, goal_labels: dict[str, str]) -> list[dict]:
    """One record per (Asker hovedmål or delmål, FN goal) that are linked."""
    via = defaultdict(set)
    for r in rows("""
        SELECT ?sub ?goal ?via WHERE {
            ?sub a sg:SubGoal .
            { ?sub sg:refersToFnGoal ?goal . BIND("delmål" AS ?via) }
            UNION { ?sub sg:belongsToMainGoal/sg:refersToFnGoal ?goal . BIND("hovedmål" AS ?via) }
        }"""):
        via[(short(r["sub"]), short(r["goal"]))].add(r["via"])
    main_goals = defaultdict(set)
    for r in rows("SELECT ?main ?goal WHERE { ?main a sg:MainGoal ; sg:refersToFnGoal ?goal . }"):
        main_goals[short(r["main"])].add(short(r["goal"]))
    records = []
    for main, area in areas.items():
        goals_of_main = main_goals[main] | {goal for (sub, goal) in via if sub in area["subgoals"]}
        for goal in sorted(goals_of_main, key=fn_sort_key):
            records.append({
                "level": "hovedmål", "area_id": area["area_id"], "area_label": area["area_label"],
                "asker_id": main, "asker_label": area["maingoal_label"], "fn_goal": goal,
                "fn_goal_label": goal_labels.get(goal), "via": "hovedmål" if goal in main_goals[main] else "delmål",
                # the indicators of its delmål that reach the FN goal (all of them when the hovedmål itself does)
                "indicator_count": sum(v["indicators"] for s, v in area["subgoals"].items() if (s, goal) in via),
            })
        for sub in sorted(area["subgoals"], key=asker_sort_key):
            for goal in sorted({g for (s, g) in via if s == sub}, key=fn_sort_key):
                records.append({
                    "level": "delmål", "area_id": area["area_id"], "area_label": area["area_label"],
                    "asker_id": sub, "asker_label": area["subgoals"][sub]["label"], "fn_goal": goal,
                    "fn_goal_label": goal_labels.get(goal), "via": "+".join(sorted(via[(sub, goal)])),
                    "indicator_count": area["subgoals"][sub]["indicators"],
                })
    return records


def fn_targets() -> list[dict]:
    found = rows("""
        SELECT ?target ?goal ?x ?basis ?en ?nb (COUNT(DISTINCT ?i) AS ?n) WHERE {
            ?x sg:hasFnLink ?link . ?link sg:fnTarget ?target ; sg:linkBasis ?basis .
            OPTIONAL { ?target sdgo:isTargetOf ?goal . }
            OPTIONAL { ?target skos:prefLabel ?en . FILTER (lang(?en) = "en") }
            OPTIONAL { ?target skos:prefLabel ?nbOfficial . FILTER (lang(?nbOfficial) = "nb") }
            OPTIONAL { ?target sg:unofficialTranslation ?nbUnofficial . FILTER (lang(?nbUnofficial) = "nb") }
            BIND(COALESCE(?nbOfficial, ?nbUnofficial) AS ?nb)
            OPTIONAL { ?i sg:contributesToFnTarget ?target . }
        } GROUP BY ?target ?goal ?x ?basis ?en ?nb""")
    targets: dict[str, dict] = {}
    for r in found:
        target = targets.setdefault(short(r["target"]), {
            "fn_target": short(r["target"]), "fn_goal": short(r["goal"]), "fn_target_label": r["nb"] or r["en"],
            "referred_by": set(), "stated_by": set(), "indicator_count": int(r["n"])})
        target["referred_by"].add(short(r["x"]))
        if short(r["basis"]) == "StatedInSource":
            target["stated_by"].add(short(r["x"]))
    records = []
    for key in sorted(targets, key=fn_sort_key):
        t = targets[key]
        records.append({**t, "referred_by": sorted(t["referred_by"], key=asker_sort_key),
                        "stated_by": sorted(t["stated_by"], key=asker_sort_key)})
    return records


def subgoals_without_indicators(areas: dict) -> list[dict]:
    found = rows(f"""
        SELECT ?sub ?reason ?reasonLabel WHERE {{
            ?sub a sg:SubGoal .
            FILTER NOT EXISTS {{ ?indicator sg:measures ?sub . }}
            OPTIONAL {{ ?sub sg:noIndicatorReason ?reason . {label('?reason', 'reasonLabel')} }}
        }}""")
    subgoal_area = {sub: area for area in areas.values() for sub in area["subgoals"]}
    records = []
    for r in sorted(found, key=lambda r: asker_sort_key(short(r["sub"]))):
        sub = short(r["sub"])
        area = subgoal_area.get(sub, {})
        records.append({"subgoal_id": sub, "subgoal_label": area.get("subgoals", {}).get(sub, {}).get("label"),
                        "area_id": area.get("area_id"), "area_label": area.get("area_label"),
                        "reason": short(r["reason"]), "reason_label": r["reasonLabel"] or "ingen begrunnelse oppgitt"})
    return records


def observations() -> dict[str, dict]:
    """Per indicator: label, delmål, unit, direction, threshold and {year: (status, value, printed)}."""
    indicators: dict[str, dict] = {}
    for r in rows(f"""
        SELECT ?i ?label ?sub ?unitLabel ?direction ?comparator ?thresholdValue ?thresholdText ?retired WHERE {{
            ?i a sg:Indicator .
            {label('?i', 'label')}
            OPTIONAL {{ ?i sg:retiredIn/sg:reportYear ?retired . }}
            OPTIONAL {{ ?i sg:measures ?sub . }}
            OPTIONAL {{ ?i sg:unit ?unit . {label('?unit', 'unitLabel')} }}
            OPTIONAL {{ ?i sg:desiredDirection ?direction . }}
            OPTIONAL {{ ?i sg:hasThreshold ?threshold . ?threshold sg:comparator ?comparator ; sg:thresholdValue ?thresholdValue .
                       OPTIONAL {{ ?threshold sg:printedText ?thresholdText . }} }}
        }}"""):
        indicators[short(r["i"])] = {
            "label": r["label"], "subgoal": short(r["sub"]), "unit": r["unitLabel"], "direction": short(r["direction"]),
            "comparator": COMPARATORS.get(short(r["comparator"])), "threshold_value": number(r["thresholdValue"]),
            "threshold_text": r["thresholdText"], "retired": r["retired"], "years": {}}
    for r in rows("""
        SELECT ?i ?year ?status ?value ?printed WHERE {
            ?o a sg:IndicatorObservation ; sg:ofIndicator ?i ; sg:year ?year ; sg:observationStatus ?status .
            OPTIONAL { ?o sg:value ?value . }
            OPTIONAL { ?o sg:printedValue ?printed . }
        }"""):
        if short(r["i"]) in indicators:
            indicators[short(r["i"])]["years"][r["year"]] = (STATUS_CODES.get(short(r["status"]), short(r["status"])),
                                                            number(r["value"]), r["printed"])
    return dict(sorted(indicators.items(), key=lambda item: asker_sort_key(item[0])))


def editions() -> list[dict]:
    """The report editions, oldest first, with their reporting years (the years come from the data)."""
    found: dict[str, dict] = {}
    for r in rows(f"""
        SELECT ?e ?label ?reportYear ?year WHERE {{
            ?e a sg:ReportEdition ; sg:reportYear ?reportYear ; sg:reportingYear ?year .
            {label('?e', 'label')}
        }}"""):
        edition = found.setdefault(short(r["e"]), {"id": short(r["e"]), "label": r["label"], "report_year": r["reportYear"],
                                                   "reporting_years": []})
        edition["reporting_years"] = sorted(set(edition["reporting_years"]) | {r["year"]})
    return sorted(found.values(), key=lambda e: e["report_year"])


def all_years(indicators: dict, report_editions: list[dict] = ()) -> list[str]:
    return sorted({year for i in indicators.values() for year in i["years"]}
                  | {year for e in report_editions for year in e["reporting_years"]})


def indicators_without_latest(indicators: dict, latest: str, subgoal_area: dict) -> list[dict]:
    records = []
    for ident, i in indicators.items():
        status, _, printed = i["years"].get(latest, ("missing", None, None))
        if status == "measured" or (i.get("retired") and i["retired"] <= latest):  # a retired indicator has no latest year
            continue
        measured = [year for year, (s, _, _) in sorted(i["years"].items()) if s == "measured"]
        area = subgoal_area.get(i["subgoal"], {})
        records.append({
            "indicator_id": ident, "indicator_label": i["label"], "area_id": area.get("area_id"),
            "area_label": area.get("area_label"), "subgoal_id": i["subgoal"], "year": latest, "status": status,
            "status_label": {"not_measured": "Ikke målt", "not_yet_published": "Tall kommer"}.get(status, "ingen observasjon"),
            "years_with_data": len(measured), "measured_years": measured,
            "latest_figure_year": measured[-1] if measured else None,
        })
    return records


def misses(value, comparator: str, threshold) -> bool:
    return not {">": value > threshold, ">=": value >= threshold, "<": value < threshold,
                "<=": value <= threshold}[comparator]


def threshold_misses(indicators: dict, years: list[str], subgoal_area: dict) -> list[dict]:
    records = []
    for ident, i in indicators.items():
        if i["comparator"] is None:
            continue
        measured = [(year, value) for year, (status, value, _) in sorted(i["years"].items())
                    if status == "measured" and value is not None]
        if not measured:
            continue
        latest_year, latest_value = measured[-1]
        if not misses(latest_value, i["comparator"], i["threshold_value"]):
            continue
        area = subgoal_area.get(i["subgoal"], {})
        record = {"indicator_id": ident, "indicator_label": i["label"], "area_id": area.get("area_id"),
                  "area_label": area.get("area_label"), "threshold": i["threshold_text"] or f"{i['comparator']} {i['threshold_value']}",
                  "comparator": i["comparator"], "threshold_value": i["threshold_value"], "unit": i["unit"],
                  "direction": i["direction"], "latest_year": latest_year, "latest_value": latest_value}
        for year in years:
            status, value, _ = i["years"].get(year, ("missing", None, None))
            record[f"value_{year}"] = value
            record[f"met_{year}"] = None if value is None else not misses(value, i["comparator"], i["threshold_value"])
        first = measured[0][1]
        record["trend"] = ("opp" if latest_value > first else "ned" if latest_value < first else "uendret") \
            if len(measured) > 1 else "ett tall"
        records.append(record)
    return records


def percent(count: int, total: int) -> float:
    return float((Decimal(100 * count) / Decimal(total)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)) if total else 0.0


def whole_percent(count: int, total: int) -> int:
    return int((Decimal(100 * count) / Decimal(total)).quantize(Decimal("1"), rounding=ROUND_HALF_UP)) if total else 0


def distribution(build_dir: Path | None = None) -> list[dict]:
    """The graph's distribution of the indicator set beside the report's published figures.

    Each stated figure is a count (sg:statedCount) or a whole percentage (sg:statedPercent,
    compared with the graph's share rounded half up). Where a dimension's stated percentages
    leave a rest (age group: 22 + 8 + 37, "the rest everyone/adults"), the rest is shown as a
    derived figure beside the graph's count of the categories the report does not name.
    """
    if build_dir is not None:
        with using_build(build_dir):
            return distribution()
    total = int(rows("SELECT (COUNT(DISTINCT ?i) AS ?n) WHERE { ?i a sg:Indicator . }")[0]["n"])
    stated_total = rows("SELECT ?n WHERE { ?set a sg:IndicatorSet ; sg:statedIndicatorCount ?n . }")
    shares = rows(f"""
        SELECT ?dimension ?category ?count ?percent ?categoryLabel WHERE {{
            ?share a sg:PublishedShare ; sg:dimension ?dimension ; sg:category ?category .
            {label('?category', 'categoryLabel')}
            OPTIONAL {{ ?share sg:statedCount ?count . }}
            OPTIONAL {{ ?share sg:statedPercent ?percent . }}
        }}""")  # the label first: Virtuoso 7.2 drops ?percent when a filtered OPTIONAL after it fails
    records = [{
        "dimension": "total", "dimension_label": DIMENSION_LABELS["total"], "category": "all",
        "category_label": "alle indikatorer", "graph_count": total, "graph_percent": 100.0,
        "stated_count": number(stated_total[0]["n"]) if stated_total else None, "stated_percent": None,
        "stated_kind": "count" if stated_total else None,
        "matches": (number(stated_total[0]["n"]) == total) if stated_total else None}]
    by_dimension: dict[str, list[dict]] = defaultdict(list)
    for share in shares:
        by_dimension[share["dimension"]].append(share)
    for dimension in sorted(by_dimension, key=lambda d: (DIMENSION_ORDER.index(short(d)) if short(d) in DIMENSION_ORDER
                                                         else 99, d)):
        records += dimension_records(dimension, by_dimension[dimension], total)
    return records


def dimension_records(dimension: str, shares: list[dict], total: int) -> list[dict]:
    name = short(dimension)
    counts = {short(r["category"]) if r["category"] else "none": (int(r["n"]), r["category"], r["label"])
              for r in rows(f"""
        SELECT ?dimension ?category ?label (COUNT(DISTINCT ?i) AS ?n) WHERE {{
            ?i a sg:Indicator .
            OPTIONAL {{ ?i ?dimension ?category . {label('?category', 'label')} }}
        }} GROUP BY ?dimension ?category ?label""", dimension=dimension)}
    records, stated_keys = [], set()
    for share in sorted(shares, key=lambda s: (-(number(s["count"]) or number(s["percent"]) or 0), s["category"])):
        key = short(share["category"])
        graph_key = "none" if key in NONE_CATEGORIES else key
        stated_keys.add(graph_key)
        count = counts.get(graph_key, (0, None, None))[0]
        stated_count, stated_percent = number(share["count"]), number(share["percent"])
        records.append({
            "dimension": name, "dimension_label": DIMENSION_LABELS.get(name, name), "category": key,
            "category_label": share["categoryLabel"] or CATEGORY_LABELS.get(key, key), "graph_count": count,
            "graph_percent": percent(count, total), "stated_count": stated_count, "stated_percent": stated_percent,
            "stated_kind": "count" if stated_count is not None else "percent",
            "matches": (count == stated_count) if stated_count is not None else whole_percent(count, total) == stated_percent,
        })
    rest = sorted((key for key in counts if key not in stated_keys), key=lambda k: (-counts[k][0], k))
    percents_only = all(share["percent"] is not None and share["count"] is None for share in shares)
    stated_sum = sum(number(share["percent"]) or 0 for share in shares)
    derived = 100 - stated_sum if percents_only and stated_sum < 100 else None
    if derived is not None and len(rest) != 1:
        count = sum(counts[key][0] for key in rest)
        records.append(rest_record(name, "rest", "øvrige" + (": " + ", ".join(category_label(counts, k) for k in rest)
                                                             if rest else ""), count, total, derived))
        rest = []
    for key in rest:
        count = counts[key][0]
        if derived is not None:
            records.append(rest_record(name, key, category_label(counts, key) + " (resten)", count, total, derived))
        else:
            records.append({"dimension": name, "dimension_label": DIMENSION_LABELS.get(name, name), "category": key,
                            "category_label": category_label(counts, key), "graph_count": count,
                            "graph_percent": percent(count, total), "stated_count": None, "stated_percent": None,
                            "stated_kind": None, "matches": None})
    return records


def category_label(counts: dict, key: str) -> str:
    return counts[key][2] or CATEGORY_LABELS.get(key, key)


def rest_record(dimension: str, key: str, label_text: str, count: int, total: int, derived) -> dict:
    return {"dimension": dimension, "dimension_label": DIMENSION_LABELS.get(dimension, dimension), "category": key,
            "category_label": label_text, "graph_count": count, "graph_percent": percent(count, total),
            "stated_count": None, "stated_percent": derived, "stated_kind": "derived",
            "matches": whole_percent(count, total) == derived}


def challenge_by_area(areas: dict) -> list[dict]:
    counts = defaultdict(int)
    labels = {}
    for r in rows(f"""
        SELECT ?area ?challenge ?challengeLabel (COUNT(DISTINCT ?i) AS ?n) WHERE {{
            ?i a sg:Indicator ; sg:inFocusArea ?area . ?area a sg:FocusArea .
            OPTIONAL {{ ?i sg:addressesChallenge ?challenge . {label('?challenge', 'challengeLabel')} }}
        }} GROUP BY ?area ?challenge ?challengeLabel"""):
        key = short(r["challenge"]) or "none"
        counts[(short(r["area"]), key)] += int(r["n"])
        labels[key] = r["challengeLabel"] or "ingen samfunnsfloke"
    challenges = [c for c in ("ungt-utenforskap", "demografiutfordringer", "klima-og-natur") if c in labels]
    challenges += sorted(c for c in labels if c not in challenges and c != "none") + (["none"] if "none" in labels else [])
    for r in rows(f"SELECT ?c ?l WHERE {{ ?c a sg:SocietalChallenge . {label('?c', 'l')} }}"):
        if short(r["c"]) not in labels:
            labels[short(r["c"])] = r["l"]
            challenges.insert(0, short(r["c"]))
    records = []
    for area in areas.values():
        area_total = sum(area["subgoals"][s]["indicators"] for s in area["subgoals"])
        for challenge in challenges:
            records.append({"area_id": area["area_id"], "area_label": area["area_label"], "challenge": challenge,
                            "challenge_label": labels[challenge], "indicator_count": counts[(area["area_id"], challenge)],
                            "area_indicator_count": area_total})
    return records


def thematic_plans(areas: dict) -> list[dict]:
    plans: dict[str, dict] = {}
    for r in rows(f"""
        SELECT ?plan ?label ?order WHERE {{ ?plan a sg:ThematicPlan . OPTIONAL {{ ?plan sg:order ?order . }} {label('?plan', 'label')} }}"""):
        plans[short(r["plan"])] = {"plan_id": short(r["plan"]), "plan_label": r["label"], "order": number(r["order"]),
                                   "service_areas": set(), "committees": set(), "subgoals": set(), "focus_areas": set()}
    names = {}
    for prop, key in (("sg:responsibleServiceArea", "service_areas"), ("sg:responsibleCommittee", "committees"),
                      ("sg:servesSubGoal", "subgoals"), ("sg:servesFocusArea", "focus_areas")):
        for r in rows(f"SELECT ?plan ?x ?label WHERE {{ ?plan a sg:ThematicPlan ; {prop} ?x . {label('?x', 'label')} }}"):
            plans[short(r["plan"])][key].add(short(r["x"]))
            names[short(r["x"])] = r["label"]
    indicators_of = {sub: count for area in areas.values() for sub, count in
                     ((s, v["indicators"]) for s, v in area["subgoals"].items())}
    records = []
    for plan in sorted(plans.values(), key=lambda p: (p["order"] or 999, p["plan_id"])):
        subgoals = sorted(plan["subgoals"], key=asker_sort_key)
        records.append({
            "plan_id": plan["plan_id"], "plan_label": plan["plan_label"],
            "service_areas": sorted(names[s] or s for s in plan["service_areas"]),
            "committees": sorted(names[c] or c for c in plan["committees"]),
            "focus_areas": sorted(plan["focus_areas"]), "subgoals": subgoals,
            "indicator_count": sum(indicators_of.get(s, 0) for s in subgoals),
            "linked": bool(subgoals),
        })
    return records


def service_areas(plans: list[dict], areas: dict) -> list[dict]:
    indicators_of = {s: v["indicators"] for area in areas.values() for s, v in area["subgoals"].items()}
    records = []
    for r in rows(f"SELECT ?sa ?label WHERE {{ ?sa a sg:ServiceArea . {label('?sa', 'label')} }} ORDER BY ?label"):
        mine = [p for p in plans if r["label"] in p["service_areas"]]
        subgoals = sorted({s for p in mine for s in p["subgoals"]}, key=asker_sort_key)
        records.append({"service_area_id": short(r["sa"]), "service_area_label": r["label"],
                        "plans": [p["plan_id"] for p in mine], "plan_count": len(mine), "subgoals": subgoals,
                        "indicator_count": sum(indicators_of.get(s, 0) for s in subgoals),
                        "linked": bool(subgoals)})
    return records


def comparison() -> list[dict]:
    """«Asker og sammenlignbare kommuner»: every cell of the report's comparison tables (issue 13), one record per
    measure, area and year, in table order (measure, then Asker first and the other areas by code, then year)."""
    found = rows(f"""
        SELECT ?table ?tableOrder ?tableLabel ?measure ?id ?order ?measureLabel ?serviceAreaLabel ?unitLabel
               ?area ?code ?areaLabel ?areaKind ?year ?value ?printed ?status ?provisional
        WHERE {{
            ?obs sg:ofMeasure ?measure ; sg:refArea ?area ; sg:year ?year ; sg:observationStatus ?status .
            ?measure skos:notation ?id ; sg:order ?order ; sg:inTable ?table .
            ?table sg:order ?tableOrder .
            ?area skos:notation ?code ; a ?areaKind .
            FILTER (?areaKind IN (sg:MunicipalityArea, sg:CountyArea, sg:CountryArea, sg:KostraGroup))
            OPTIONAL {{ ?obs sg:value ?value }}
            OPTIONAL {{ ?obs sg:printedValue ?printed }}
            OPTIONAL {{ ?obs sg:provisional ?provisional }}
            OPTIONAL {{ ?measure sg:reportedBy ?serviceArea . {label('?serviceArea', 'serviceAreaLabel')} }}
            OPTIONAL {{ ?measure sg:unit ?unit . {label('?unit', 'unitLabel')} }}
            {label('?table', 'tableLabel')}
            {label('?measure', 'measureLabel')}
            {label('?area', 'areaLabel')}
        }}""")
    kind_rank = {"MunicipalityArea": 0, "CountyArea": 1, "CountryArea": 2, "KostraGroup": 3}
    records = [{
        "table_id": short(r["table"]), "table_label": r["tableLabel"], "service_area_label": r["serviceAreaLabel"],
        "measure_id": r["id"], "measure_label": r["measureLabel"], "unit_label": r["unitLabel"],
        "area_code": r["code"], "area_label": r["areaLabel"], "area_kind": short(r["areaKind"]),
        "year": r["year"], "value": number(r["value"]), "printed": r["printed"],
        "provisional": r["provisional"] == "true",
        "status": short(r["status"]), "_sort": (int(r["tableOrder"]), int(r["order"]), r["id"],
                                                r["code"] != config.KOMMUNENUMMER, kind_rank[short(r["areaKind"])],
                                                r["code"], r["year"])} for r in found]
    records.sort(key=lambda record: record["_sort"])
    for record in records:
        del record["_sort"]
    return records


# ---- The whole report ----------------------------------------------------------------------

def coverage_report(progress: Callable[[str], None] | None = None, build_dir: Path | None = None) -> dict:
    """Every section of the coverage-gap report; `progress` is told before each long step."""
    with using_build(build_dir):
        return _coverage_report(progress or (lambda message: None))


def _coverage_report(say: Callable[[str], None]) -> dict:
    say("struktur: satsingsområder, hovedmål, delmål")
    areas = structure()
    subgoal_area = {sub: area for area in areas.values() for sub in area["subgoals"]}
    say("FN-mål og FN-delmål")
    goal_labels = fn_goal_labels()
    sections = {"fn_goals": fn_goals(goal_labels), "fn_matrix": fn_matrix(areas, goal_labels), "fn_targets": fn_targets()}
    say("delmål uten indikatorer")
    sections["subgoals_without_indicators"] = subgoals_without_indicators(areas)
    say("observasjoner og terskler")
    indicators = observations()
    report_editions = editions()
    years = all_years(indicators, report_editions)
    latest = years[-1] if years else None
    sections["indicators_without_latest"] = indicators_without_latest(indicators, latest, subgoal_area) if latest else []
    sections["threshold_misses"] = threshold_misses(indicators, years, subgoal_area)
    say("fordeling av indikatorsettet")
    sections["distribution"] = distribution()
    sections["challenge_by_area"] = challenge_by_area(areas)
    say("temaplaner og tjenesteområder")
    sections["thematic_plans"] = thematic_plans(areas)
    sections["service_areas"] = service_areas(sections["thematic_plans"], areas)
    say("Asker og sammenlignbare kommuner")
    sections["comparison"] = comparison()
    meta = {
        "title": "Dekningsrapport: hull i Asker kommunes styringssystem",
        "title_en": "Coverage-gap report: holes in Asker kommune's steering system",
        "latest_year": latest, "years": years, "indicator_count": len(indicators),
        "editions": [e["label"] for e in report_editions],
        "latest_edition": report_editions[-1]["label"] if report_editions else None,
        "subgoal_count": len(subgoal_area), "maingoal_count": len(areas),
        "prioritised_fn_goals": list(PRIORITISED_FN_GOALS),
    }
    sections["structure"] = [
        {"area_id": a["area_id"], "area_label": a["area_label"], "maingoal_id": main, "maingoal_label": a["maingoal_label"],
         "subgoal_id": sub, "subgoal_label": v["label"], "indicator_count": v["indicators"]}
        for main, a in areas.items() for sub, v in sorted(a["subgoals"].items(), key=lambda item: asker_sort_key(item[0]))]
    return {"meta": meta, "sections": {name: sections[name] for name in SECTIONS}}


def distribution_mismatches(records: list[dict]) -> list[dict]:
    """The stated figures (counts and percentages, not derived rests) the graph does not reproduce."""
    return [r for r in records if r["stated_kind"] in ("count", "percent") and r["matches"] is False]
