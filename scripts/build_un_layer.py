#!/usr/bin/env python3
"""Build sdggraph's UN SDG reference layer: ``data/reference/un-sdg.ttl``.

Run at development time, from the repository root::

    python scripts/build_un_layer.py [--shared ../shared] [--out data/reference/un-sdg.ttl]

``--shared`` defaults to ``<repo>/../shared`` and ``--out`` to
``<repo>/data/reference/un-sdg.ttl`` (both resolved from this file, so the
working directory does not matter). The product reads only the output file; it
needs neither the network nor ``../shared`` at run time.

Inputs (all under ``--shared``):

* ``reference/un-sdg/sdg-kos-goals-targets-indicators.ttl`` -- the UN
  Statistics Division's SKOS scheme (LOD4Stats pilot, 2020 framework):
  17 goals, 169 targets and 232 indicator entries.
* ``reference/un-sdg/sdgs-ontology.ttl`` -- the UN SDG ontology (``sdgo:``);
  only used to check that every class and property written is declared there.
* ``reference/sdg-translations/{en,nb_NO}/global_{goals,targets}.yml`` --
  open-sdg/sdg-translations (MIT).
* ``seeds/004_556fbab56073742f.txt`` -- Asker kommune's booklet
  "FNs bærekraftsmål", which quotes the official Norwegian wording of
  FN-T 3, 3.4 and 3.8.

What is written, per UN concept (goal, target, indicator entry), with the UN's
own IRIs:

* ``rdf:type`` (``sdgo:Goal``/``sdgo:Target``/``sdgo:Indicator`` and
  ``skos:Concept``), ``skos:inScheme`` (and ``skos:topConceptOf`` /
  ``skos:hasTopConcept`` for goals), every ``skos:notation`` exactly as typed in
  the source (``sdgo:SDGCode``, ``sdgo:SDGCodeCompact``, ``sdgo:SDGCodePerm``);
* the English labels: ``skos:prefLabel`` (the goal/target/indicator text),
  ``skos:altLabel`` (goal short titles) and ``skos:note`` ("Target 3.4");
  Spanish and French labels, custodian agencies, tiers and exactMatch links
  are left out to keep the file lean;
* the hierarchy in both directions: ``sdgo:hasTarget``/``sdgo:isTargetOf``,
  ``sdgo:hasIndicator``/``sdgo:isIndicatorOf`` and ``skos:narrower``/
  ``skos:broader`` (the union of what the UN file states in either direction);
* Norwegian: goals get ``skos:prefLabel``@nb (official title) and
  ``skos:altLabel``@nb (official short title) from ``nb_NO/global_goals.yml``;
  targets get the machine-translation-quality text as
  ``sg:unofficialTranslation``@nb, except 3.4 and 3.8, which get
  ``skos:prefLabel``@nb with the official wording quoted by the booklet
  (trailing full stop dropped, as in the UN's labels);
* English goal short titles from ``en/global_goals.yml`` as ``skos:altLabel``@en
  where the SKOS file lacks one;
* a dataset node ``<https://w3id.org/sdggraph/graph/reference>`` with
  ``dcterms:source``/``prov:wasDerivedFrom`` and the licences.

Known defects of the inputs, handled here (each one is checked, so the script
stops if an input changes and a correction no longer applies):

* UN target 12.3 has two English prefLabels: a truncated fragment "By 2030,d"
  (dropped) and "By 2030,halve ..." (missing space restored: "By 2030, halve");
* UN target 14.6 ends in "negotiation3": footnote marker 3 of the UN
  resolution glued to the text (removed);
* a few UN English labels carry trailing or doubled spaces (whitespace is
  normalised in every kept label; notations are never touched);
* the UN file's ``sdg:Goals`` ordered collection uses blank nodes (not copied:
  the output has no blank nodes);
* ``nb_NO/global_targets.yml``: ``1-a-title`` repeats ``1-5-title`` and
  ``10-3-title`` repeats ``10-2-title``; the copies on 1.a and 10.3 are wrong
  and are not written (the originals on 1.5 and 10.2 are kept).

The output is deterministic: subjects, predicates and objects are written in a
fixed canonical order, there are no timestamps, and two runs over the same
inputs give byte-identical files. The script re-parses its output and checks it
equals the graph it built.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from collections import defaultdict
from pathlib import Path

import yaml
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

REPO_ROOT = Path(__file__).resolve().parents[1]

SDG = Namespace("http://metadata.un.org/sdg/")
SDGO = Namespace("http://metadata.un.org/sdg/ontology#")
SG = Namespace("https://w3id.org/sdggraph/ontology#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
PROV = Namespace("http://www.w3.org/ns/prov#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")

SCHEME = URIRef("http://metadata.un.org/sdg")
UN_ONTOLOGY = URIRef("http://metadata.un.org/sdg/ontology")
DATASET = URIRef("https://w3id.org/sdggraph/graph/reference")
SDG_TRANSLATIONS = URIRef("https://github.com/open-sdg/sdg-translations")
BOOKLET = URIRef("https://w3id.org/sdggraph/kommune/3203/source/hefte-baerekraftsmal")
UNOFFICIAL = SG.unofficialTranslation

# Inputs, relative to --shared. Named this way in the output header whatever
# --shared is, so the output does not depend on where ../shared lives.
IN_KOS = "reference/un-sdg/sdg-kos-goals-targets-indicators.ttl"
IN_ONTOLOGY = "reference/un-sdg/sdgs-ontology.ttl"
IN_EN_GOALS = "reference/sdg-translations/en/global_goals.yml"
IN_NB_GOALS = "reference/sdg-translations/nb_NO/global_goals.yml"
IN_NB_TARGETS = "reference/sdg-translations/nb_NO/global_targets.yml"
IN_BOOKLET = "seeds/004_556fbab56073742f.txt"
INPUTS = [IN_KOS, IN_ONTOLOGY, IN_EN_GOALS, IN_NB_GOALS, IN_NB_TARGETS, IN_BOOKLET]

# Targets whose official Norwegian wording the booklet quotes (column "Ref.").
OFFICIAL_NB_TARGETS = ("3.4", "3.8")

# nb_NO/global_targets.yml: target -> the target whose text it wrongly repeats.
KNOWN_NB_TARGET_COPIES = {"1.a": "1.5", "10.3": "10.2"}

PREFIXES = [  # written in this order
    ("dcterms", str(DCTERMS)),
    ("prov", str(PROV)),
    ("sdg", str(SDG)),
    ("sdgo", str(SDGO)),
    ("sg", str(SG)),
    ("skos", str(SKOS)),
    ("xsd", str(XSD)),
]

PREDICATE_ORDER = [
    RDF.type,
    DCTERMS.title,
    DCTERMS.description,
    DCTERMS.source,
    PROV.wasDerivedFrom,
    DCTERMS.rights,
    SKOS.inScheme,
    SKOS.topConceptOf,
    SKOS.notation,
    SKOS.prefLabel,
    SKOS.altLabel,
    UNOFFICIAL,
    SKOS.note,
    SDGO.isTargetOf,
    SDGO.isIndicatorOf,
    SKOS.broader,
    SDGO.hasTarget,
    SDGO.hasIndicator,
    SKOS.narrower,
    SKOS.hasTopConcept,
]

GOAL_RE = re.compile(r"^\d{1,2}$")
TARGET_RE = re.compile(r"^(\d{1,2})\.([0-9a-z]{1,2})$")
INDICATOR_RE = re.compile(r"^C\d{3}[0-9a-z]\d{2}$")


class InputDefect(RuntimeError):
    """An input differs from what this script knows how to handle."""


# --------------------------------------------------------------------------- helpers


def local(iri: URIRef) -> str:
    s = str(iri)
    if not s.startswith(str(SDG)):
        raise ValueError(f"not an sdg: IRI: {s}")
    return s[len(str(SDG)):]


def norm_ws(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def yml_key(code: str) -> str:
    """'3.a' -> '3-a-title'; '13' -> '13-title'."""
    return code.replace(".", "-") + "-title"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_yaml(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise InputDefect(f"{path}: expected a mapping")
    return {str(k): norm_ws(str(v)) for k, v in data.items()}


# --------------------------------------------------------------------------- UN labels


def correct_en_labels(code: str, labels: list[str]) -> list[str]:
    """Apply the known corrections to the English prefLabels of one concept."""
    if code == "12.3":
        if "By 2030,d" not in labels:
            raise InputDefect("12.3: the truncated prefLabel 'By 2030,d' is gone; review the correction")
        labels = [lab for lab in labels if lab != "By 2030,d"]
        fixed = [re.sub(r"^By 2030,halve ", "By 2030, halve ", lab) for lab in labels]
        if fixed == labels:
            raise InputDefect("12.3: 'By 2030,halve' no longer found; review the correction")
        labels = fixed
    if code == "14.6":
        fixed = [re.sub(r"negotiation3$", "negotiation", lab) for lab in labels]
        if fixed == labels:
            raise InputDefect("14.6: footnote marker 'negotiation3' no longer found; review the correction")
        labels = fixed
    return labels


# --------------------------------------------------------------------------- booklet


def booklet_official(path: Path) -> dict[str, str]:
    """Official Norwegian wording per FN reference ('3', '3.4', '3.8') from the booklet's God helse tables.

    Table rows are tab-separated: "<FN wording>\\tFN-T 3.4\\t<Asker's delmål>…".
    """
    found: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = line.split("\t")
        for i, cell in enumerate(cells[1:], start=1):
            m = re.fullmatch(r"FN-T (\d{1,2}(?:\.[0-9a-z]{1,2})?)", cell.strip())
            if m and cells[i - 1].strip():
                code = m.group(1)
                text = norm_ws(cells[i - 1])
                if code in found and found[code] != text:
                    raise InputDefect(f"booklet quotes FN-T {code} twice, differently")
                found[code] = text.rstrip(".")
    return found


# --------------------------------------------------------------------------- build


def build(shared: Path) -> tuple[Graph, dict[str, int]]:
    src = Graph()
    src.parse(shared / IN_KOS, format="turtle")
    onto = Graph()
    onto.parse(shared / IN_ONTOLOGY, format="turtle")

    # Every sdgo: term used must be declared in the UN ontology.
    for term, kind in [
        (SDGO.Goal, OWL.Class), (SDGO.Target, OWL.Class), (SDGO.Indicator, OWL.Class),
        (SDGO.hasTarget, OWL.ObjectProperty), (SDGO.isTargetOf, OWL.ObjectProperty),
        (SDGO.hasIndicator, OWL.ObjectProperty), (SDGO.isIndicatorOf, OWL.ObjectProperty),
        (SDGO.SDGCode, RDFS.Datatype), (SDGO.SDGCodeCompact, RDFS.Datatype), (SDGO.SDGCodePerm, RDFS.Datatype),
    ]:
        if (term, RDF.type, kind) not in onto:
            raise InputDefect(f"{term} is not declared as {kind} in {IN_ONTOLOGY}")

    goals = sorted(src.subjects(RDF.type, SDGO.Goal), key=sort_key)
    targets = sorted(src.subjects(RDF.type, SDGO.Target), key=sort_key)
    indicators = sorted(src.subjects(RDF.type, SDGO.Indicator), key=sort_key)
    for kind, items, rx in [("goal", goals, GOAL_RE), ("target", targets, TARGET_RE), ("indicator", indicators, INDICATOR_RE)]:
        for s in items:
            if isinstance(s, BNode) or not rx.match(local(s)):
                raise InputDefect(f"unexpected {kind} IRI {s}")
    if len(goals) != 17 or len(targets) != 169:
        raise InputDefect(f"expected 17 goals and 169 targets, found {len(goals)} and {len(targets)}")
    kind_of = {**{s: "goal" for s in goals}, **{s: "target" for s in targets}, **{s: "indicator" for s in indicators}}
    if len(kind_of) != len(goals) + len(targets) + len(indicators):
        raise InputDefect("a concept is typed with more than one of Goal/Target/Indicator")
    concepts = set(kind_of)

    if (SCHEME, RDF.type, SKOS.ConceptScheme) not in src:
        raise InputDefect(f"{SCHEME} is not a skos:ConceptScheme in {IN_KOS}")

    out = Graph()
    stats: dict[str, int] = defaultdict(int)
    stats.update(goals=len(goals), targets=len(targets), indicators=len(indicators),
                 en_short_titles_added=0, nb_target_copies_dropped=0, nb_unofficial_targets=0)

    # Scheme node.
    out.add((SCHEME, RDF.type, SKOS.ConceptScheme))
    for lab in src.objects(SCHEME, SKOS.prefLabel):
        if lab.language == "en":
            out.add((SCHEME, SKOS.prefLabel, Literal(norm_ws(lab), lang="en")))

    cls = {"goal": SDGO.Goal, "target": SDGO.Target, "indicator": SDGO.Indicator}
    for s, kind in kind_of.items():
        if (s, RDF.type, SKOS.Concept) not in src:
            raise InputDefect(f"{s} is not a skos:Concept")
        out.add((s, RDF.type, cls[kind]))
        out.add((s, RDF.type, SKOS.Concept))
        for scheme in src.objects(s, SKOS.inScheme):
            out.add((s, SKOS.inScheme, scheme))
        if kind == "goal":
            for scheme in src.objects(s, SKOS.topConceptOf):
                out.add((s, SKOS.topConceptOf, scheme))
                out.add((scheme, SKOS.hasTopConcept, s))
        for n in src.objects(s, SKOS.notation):
            out.add((s, SKOS.notation, n))  # exactly as typed
        code = local(s)
        en_pref = [str(o) for o in src.objects(s, SKOS.prefLabel) if isinstance(o, Literal) and o.language == "en"]
        en_pref = sorted({norm_ws(x) for x in correct_en_labels(code, en_pref)})
        if len(en_pref) != 1:
            raise InputDefect(f"{s}: {len(en_pref)} English prefLabels after corrections: {en_pref}")
        out.add((s, SKOS.prefLabel, Literal(en_pref[0], lang="en")))
        for prop in (SKOS.altLabel, SKOS.note):
            for o in src.objects(s, prop):
                if isinstance(o, Literal) and o.language == "en":
                    out.add((s, prop, Literal(norm_ws(o), lang="en")))

    for s, o in src.subject_objects(SKOS.hasTopConcept):
        if s == SCHEME and o in concepts:
            out.add((SCHEME, SKOS.hasTopConcept, o))

    # Hierarchy: the union of both directions as stated, then mirrored.
    target_of: set[tuple[URIRef, URIRef]] = set()  # (target, goal)
    indicator_of: set[tuple[URIRef, URIRef]] = set()  # (indicator, target)
    for g_, t in src.subject_objects(SDGO.hasTarget):
        target_of.add((t, g_))
    for t, g_ in src.subject_objects(SDGO.isTargetOf):
        target_of.add((t, g_))
    for t, i in src.subject_objects(SDGO.hasIndicator):
        indicator_of.add((i, t))
    for i, t in src.subject_objects(SDGO.isIndicatorOf):
        indicator_of.add((i, t))
    stats["hasTarget_in_source"] = len(set(src.subject_objects(SDGO.hasTarget)))
    stats["isTargetOf_in_source"] = len(set(src.subject_objects(SDGO.isTargetOf)))
    stats["hasIndicator_in_source"] = len(set(src.subject_objects(SDGO.hasIndicator)))
    stats["isIndicatorOf_in_source"] = len(set(src.subject_objects(SDGO.isIndicatorOf)))
    for t, g_ in target_of:
        if kind_of.get(t) != "target" or kind_of.get(g_) != "goal":
            raise InputDefect(f"target link between {t} and {g_} is not target->goal")
        if local(t).split(".")[0] != local(g_):
            raise InputDefect(f"target {t} is linked to goal {g_}, not the goal of its number")
    for i, t in indicator_of:
        if kind_of.get(i) != "indicator" or kind_of.get(t) != "target":
            raise InputDefect(f"indicator link between {i} and {t} is not indicator->target")
    for t in targets:
        goals_of_t = [g_ for (tt, g_) in target_of if tt == t]
        if len(goals_of_t) != 1:
            raise InputDefect(f"{t} is a target of {len(goals_of_t)} goals")
    for i in indicators:
        if not any(ii == i for (ii, _) in indicator_of):
            raise InputDefect(f"{i} is an indicator of no target")
    for t, g_ in target_of:
        out.add((g_, SDGO.hasTarget, t))
        out.add((t, SDGO.isTargetOf, g_))
        out.add((g_, SKOS.narrower, t))
        out.add((t, SKOS.broader, g_))
    for i, t in indicator_of:
        out.add((t, SDGO.hasIndicator, i))
        out.add((i, SDGO.isIndicatorOf, t))
        out.add((t, SKOS.narrower, i))
        out.add((i, SKOS.broader, t))
    # The UN's own skos:broader/narrower among these concepts must agree.
    stated = {(s, o) for s, o in src.subject_objects(SKOS.broader) if s in concepts and o in concepts}
    stated |= {(o, s) for s, o in src.subject_objects(SKOS.narrower) if s in concepts and o in concepts}
    if stated != target_of | indicator_of:
        raise InputDefect("the UN file's skos:broader/narrower disagree with its sdgo hierarchy")
    stats["target_links"] = len(target_of)
    stats["indicator_links"] = len(indicator_of)

    # Translations.
    en_goals = load_yaml(shared / IN_EN_GOALS)
    nb_goals = load_yaml(shared / IN_NB_GOALS)
    nb_targets = load_yaml(shared / IN_NB_TARGETS)
    official = booklet_official(shared / IN_BOOKLET)
    for code in ("3", *OFFICIAL_NB_TARGETS):
        if code not in official:
            raise InputDefect(f"the booklet does not quote FN-T {code}")
    if official["3"] != nb_goals["3-title"]:
        raise InputDefect(f"booklet goal 3 {official['3']!r} differs from nb_NO 3-title {nb_goals['3-title']!r}")

    for g_ in goals:
        code = local(g_)
        out.add((g_, SKOS.prefLabel, Literal(nb_goals[f"{code}-title"], lang="nb")))
        out.add((g_, SKOS.altLabel, Literal(nb_goals[f"{code}-short"], lang="nb")))
        if not any(o.language == "en" for o in out.objects(g_, SKOS.altLabel)):
            out.add((g_, SKOS.altLabel, Literal(en_goals[f"{code}-short"], lang="en")))
            stats["en_short_titles_added"] += 1

    by_text: dict[str, list[str]] = defaultdict(list)
    for t in targets:
        by_text[nb_targets[yml_key(local(t))]].append(local(t))
    copies = {}
    for codes in by_text.values():
        if len(codes) > 1:
            codes = sorted(codes, key=lambda c: sort_key(SDG[c]))
            for c in codes[1:]:
                copies[c] = codes[0]
    if copies != KNOWN_NB_TARGET_COPIES:
        raise InputDefect(f"nb_NO/global_targets.yml: duplicated texts {copies}, expected {KNOWN_NB_TARGET_COPIES}")

    for t in targets:
        code = local(t)
        if code in OFFICIAL_NB_TARGETS:
            out.add((t, SKOS.prefLabel, Literal(official[code], lang="nb")))
        elif code in copies:
            stats["nb_target_copies_dropped"] += 1
        else:
            out.add((t, UNOFFICIAL, Literal(nb_targets[yml_key(code)], lang="nb")))
            stats["nb_unofficial_targets"] += 1

    # Dataset node.
    out.add((DATASET, RDF.type, PROV.Entity))
    out.add((DATASET, DCTERMS.title, Literal("sdggraph reference layer: UN SDG goals, targets and indicators", lang="en")))
    out.add((DATASET, DCTERMS.title, Literal("sdggraph referanselag: FNs bærekraftsmål, delmål og indikatorer", lang="nb")))
    out.add((DATASET, DCTERMS.description, Literal(
        "The 17 goals, 169 targets and UN indicator entries of the UN SDG SKOS scheme with their UN IRIs, "
        "notations, English labels and hierarchy; official Norwegian goal titles (open-sdg/sdg-translations) "
        "and the official wording of targets 3.4 and 3.8 (Asker kommune's booklet); other Norwegian target "
        "texts as unofficial translations. Generated by scripts/build_un_layer.py.", lang="en")))
    for s in (SCHEME, UN_ONTOLOGY, SDG_TRANSLATIONS, BOOKLET):
        out.add((DATASET, DCTERMS.source, s))
        out.add((DATASET, PROV.wasDerivedFrom, s))
    out.add((DATASET, DCTERMS.rights, Literal(
        "UN SDG data (metadata.un.org, UN Statistics Division): see the terms of the source. "
        "open-sdg/sdg-translations: MIT License, Copyright (c) 2019 Open SDG. "
        "Official Norwegian wording of FN-T 3.4 and 3.8 as quoted by Asker kommune.", lang="en")))

    for s, p, o in out:
        if isinstance(s, BNode) or isinstance(o, BNode):
            raise AssertionError("blank node in output")
    return out, stats


# --------------------------------------------------------------------------- serialisation


def _code_key(part: str) -> tuple[int, int, str]:
    return (0, int(part), "") if part.isdigit() else (1, 0, part)


def sort_key(term) -> tuple:
    """Canonical order: dataset, scheme, goals 1..17, targets 1.1..17.19, indicator entries, other IRIs, literals."""
    if isinstance(term, Literal):
        return (9, term.language or "", str(term.datatype or ""), str(term))
    s = str(term)
    if term == DATASET:
        return (0,)
    if term == SCHEME:
        return (1,)
    if s.startswith(str(SDG)):
        code = s[len(str(SDG)):]
        if GOAL_RE.match(code):
            return (2, int(code))
        m = TARGET_RE.match(code)
        if m:
            return (3, int(m.group(1)), _code_key(m.group(2)))
        if INDICATOR_RE.match(code):
            return (4, code)
    return (5, s)


def predicate_key(p: URIRef) -> tuple:
    return (PREDICATE_ORDER.index(p), "") if p in PREDICATE_ORDER else (len(PREDICATE_ORDER), str(p))


_PN_LOCAL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")


def term_n3(term) -> str:
    if isinstance(term, Literal):
        text = (str(term).replace("\\", "\\\\").replace('"', '\\"')
                .replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t"))
        if term.language:
            return f'"{text}"@{term.language}'
        if term.datatype:
            return f'"{text}"^^{term_n3(term.datatype)}'
        return f'"{text}"'
    if term == RDF.type:
        return "a"
    s = str(term)
    if s.startswith(str(SDG)) and not s.startswith(str(SDGO)):
        code = s[len(str(SDG)):]
        if GOAL_RE.match(code) or TARGET_RE.match(code) or INDICATOR_RE.match(code):
            return f"sdg:{code}"
        return f"<{s}>"
    for prefix, ns in PREFIXES:
        if s.startswith(ns):
            loc = s[len(ns):]
            if _PN_LOCAL.match(loc):
                return f"{prefix}:{loc}"
    return f"<{s}>"


def header(shared: Path) -> str:
    lines = [
        "# GENERATED FILE - do not edit by hand.",
        "# sdggraph reference layer: UN SDG goals, targets and indicator entries.",
        "# Generated by scripts/build_un_layer.py (python scripts/build_un_layer.py [--shared ../shared]",
        "#   [--out data/reference/un-sdg.ttl]) from these inputs under ../shared (sha256):",
    ]
    for rel in INPUTS:
        lines.append(f"#   {rel}  {sha256(shared / rel)}")
    lines += [
        "# Licences: UN SDG data (http://metadata.un.org/sdg, UN Statistics Division): see the",
        "#   source's terms; open-sdg/sdg-translations: MIT License, Copyright (c) 2019 Open SDG;",
        "#   official Norwegian wording of FN-T 3.4 and 3.8 as quoted in Asker kommune's booklet",
        "#   \"FNs bærekraftsmål\".",
        "# Norwegian target texts marked sg:unofficialTranslation are machine-translation quality.",
    ]
    return "\n".join(lines) + "\n"


def serialize(g: Graph, shared: Path) -> str:
    parts = [header(shared)]
    parts += [f"@prefix {p}: <{ns}> ." for p, ns in PREFIXES]
    parts.append("")
    for s in sorted(set(g.subjects()), key=sort_key):
        preds = sorted(set(g.predicates(s)), key=predicate_key)
        lines = []
        for p in preds:
            objs = [term_n3(o) for o in sorted(g.objects(s, p), key=sort_key)]
            if any(isinstance(o, Literal) for o in g.objects(s, p)) and len(objs) > 1:
                joined = " ,\n        ".join(objs)
            else:
                joined = ", ".join(objs)
            lines.append(f"{term_n3(p)} {joined}")
        parts.append(term_n3(s) + " " + " ;\n    ".join(lines) + " .")
        parts.append("")
    return "\n".join(parts)


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=REPO_ROOT.parent / "shared",
                    help="the shared inputs folder (default: ../shared from the repo root)")
    ap.add_argument("--out", type=Path, default=REPO_ROOT / "data" / "reference" / "un-sdg.ttl",
                    help="output Turtle file (default: data/reference/un-sdg.ttl)")
    args = ap.parse_args(argv)

    g, stats = build(args.shared)
    text = serialize(g, args.shared)

    check = Graph()
    check.parse(data=text, format="turtle")
    if set(check) != set(g):
        raise AssertionError("the written Turtle does not round-trip to the built graph")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(text.encode("utf-8"))
    summary = ", ".join(f"{k}={v}" for k, v in sorted(stats.items()))
    print(f"wrote {args.out}: {len(g)} triples, {len(text.encode('utf-8'))} bytes; {summary}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
