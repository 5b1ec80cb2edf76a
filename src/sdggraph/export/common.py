"""What every export shares: the loaded graph, namespaces, deterministic serialisation, the
indicator records the tabular and profile exports read, and byte-stable zip/gzip.

Exports must be byte-identical for the same build (a receiving organisation diffs them), so:
blank nodes get canonical labels, RDF is written by pyoxigraph from sorted N-Triples (it keeps
statement order and lexical forms; rdflib's writers iterate in hash order and rewrite some
literals), prefixes are sorted, JSON is written with sorted keys, and zip/gzip members carry fixed
timestamps. Dates are the data date (data_date), never the clock.
"""

from __future__ import annotations

import datetime
import functools
import gzip
import io
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import DCTERMS, FOAF, RDF, RDFS, SKOS

from .. import config, layout
from ..layout import require_build
from ..store.local import rdflib_dataset

# Vocabularies the exports use beyond config.PREFIXES.
SDMX_DIMENSION = Namespace("http://purl.org/linked-data/sdmx/2009/dimension#")
SDMX_MEASURE = Namespace("http://purl.org/linked-data/sdmx/2009/measure#")
SDMX_ATTRIBUTE = Namespace("http://purl.org/linked-data/sdmx/2009/attribute#")
SDMX_CONCEPT = Namespace("http://purl.org/linked-data/sdmx/2009/concept#")
SDMX_CODE = config.SDMX_CODE
DCAT = Namespace("http://www.w3.org/ns/dcat#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
DQV = Namespace("http://www.w3.org/ns/dqv#")
UNESKOS = Namespace("http://purl.org/umu/uneskos#")
XKOS = Namespace("http://rdf-vocabulary.ddialliance.org/xkos#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
EU_THEME = Namespace("http://publications.europa.eu/resource/authority/data-theme/")
EU_FILE_TYPE = Namespace("http://publications.europa.eu/resource/authority/file-type/")
EU_LICENCE = Namespace("http://publications.europa.eu/resource/authority/licence/")
EU_COUNTRY = Namespace("http://publications.europa.eu/resource/authority/country/")
KS_VOCAB = "https://data.norge.no/vocabulary/indicator/"
# KS' indicators point to .../developmentsector/...; the scheme file mints .../developmetsector/ (sic).
KS_SECTOR = Namespace(KS_VOCAB + "developmentsector/")
KS_GEOGRAPHY = Namespace(KS_VOCAB + "Levelofgeography/")
KS_QUALITY = Namespace(KS_VOCAB + "quality/")
KS_TRIPLE_BOTTOM_LINE = Namespace(KS_VOCAB + "triplebottomline/")

EXTRA_PREFIXES = {
    "sdmx-dimension": str(SDMX_DIMENSION),
    "sdmx-measure": str(SDMX_MEASURE),
    "sdmx-attribute": str(SDMX_ATTRIBUTE),
    "sdmx-concept": str(SDMX_CONCEPT),
    "sdmx-code": str(SDMX_CODE),
    "dcat": str(DCAT),
    "vcard": str(VCARD),
    "dqv": str(DQV),
    "uneskos": str(UNESKOS),
    "xkos": str(XKOS),
    "adms": str(ADMS),
    "foaf": str(FOAF),
    "vann": "http://purl.org/vocab/vann/",
    "sh": "http://www.w3.org/ns/shacl#",
    "eutheme": str(EU_THEME),
    "filetype": str(EU_FILE_TYPE),
    "licence": str(EU_LICENCE),
    "country": str(EU_COUNTRY),
    "kssector": str(KS_SECTOR),
    "ksgeo": str(KS_GEOGRAPHY),
    "ksquality": str(KS_QUALITY),
    "kstbl": str(KS_TRIPLE_BOTTOM_LINE),
    "qudt": "http://qudt.org/vocab/unit/",
    "dataset": config.resource("dataset", ""),
}


def rebased(term: str) -> URIRef:
    return URIRef(config.rebase(str(term)))


class Ns:
    """Asker's and sdggraph's namespaces under the configured base IRI (read when called)."""

    @staticmethod
    def sg() -> Namespace:
        return Namespace(config.rebase(str(config.SG)))


def resource(kind: str, ident: str) -> URIRef:
    return rebased(config.resource(kind, ident))


def municipality() -> URIRef:
    """kommune:asker, Asker kommune as an organisation (publisher of every export)."""
    return rebased(str(config.KOMMUNE) + "asker")


# Digdir's organisation catalogue: DCAT-AP-NO and KS' files name publishers by the organisation
# number in Enhetsregisteret.
ORGANIZATION_CATALOG = "https://organization-catalog.fellesdatakatalog.digdir.no/organizations/"


def organisation_number(graph: Graph) -> str | None:
    """Asker kommune's organisation number as the data state it (org:identifier on kommune:asker)."""
    from ..config import ORG
    values = sorted(str(v) for v in graph.objects(municipality(), ORG.identifier))
    return values[0] if values else None


def publisher_iri(graph: Graph) -> URIRef:
    """The publisher as an organisation-catalogue IRI; kommune:asker when the data give no number."""
    number = organisation_number(graph)
    return URIRef(ORGANIZATION_CATALOG + number) if number else municipality()


def describe_publisher(out: Graph, graph: Graph) -> URIRef:
    """Add the publisher (foaf:Agent with name, organisation number, and the note that the number
    is sdggraph's choice) to `out`; return its IRI."""
    from ..config import ORG
    publisher = publisher_iri(graph)
    name = label(graph, municipality(), "nb") or "Asker kommune"
    out.add((publisher, RDF.type, FOAF.Agent))
    out.add((publisher, RDF.type, FOAF.Organization))
    out.add((publisher, FOAF.name, Literal(name, lang="nb")))
    number = organisation_number(graph)
    if number:
        out.add((publisher, DCTERMS.identifier, Literal(number)))
        out.add((publisher, ORG.identifier, Literal(number)))
        for note in graph.objects(municipality(), SKOS.editorialNote):
            out.add((publisher, SKOS.editorialNote, note))
    if publisher != municipality():
        out.add((publisher, RDFS.seeAlso, municipality()))
    return publisher


# Areas as shared resources, the same for every municipality's graph (<base>ref-area/…, from
# data/comparison/), so cubes of several municipalities combine on sdmx-dimension:refArea.
def cube_structure(out: Graph, dsd: URIRef, dimensions: list[tuple[str, URIRef]], measure: URIRef,
                   attributes: list[tuple[str, URIRef]]) -> None:
    """A qb:DataStructureDefinition in the normal form (§10.1: componentProperty stated, every
    component required): the dimensions in order, one measure, then the attributes."""
    qb = config.QB
    components = [(name, "dimension", prop) for name, prop in dimensions] + [("value", "measure", measure)]
    components += [(name, "attribute", prop) for name, prop in attributes]
    kinds = {"dimension": (qb.dimension, qb.DimensionProperty), "measure": (qb.measure, qb.MeasureProperty),
             "attribute": (qb.attribute, qb.AttributeProperty)}
    out.add((dsd, RDF.type, qb.DataStructureDefinition))
    for order, (name, kind, prop) in enumerate(components, start=1):
        spec = URIRef(f"{dsd}/{name}")
        link, prop_class = kinds[kind]
        out.add((dsd, qb.component, spec))
        out.add((spec, RDF.type, qb.ComponentSpecification))
        out.add((spec, link, prop))
        out.add((spec, qb.componentProperty, prop))
        out.add((spec, qb.order, Literal(order)))
        out.add((spec, qb.componentRequired, Literal(True)))
        out.add((prop, RDF.type, prop_class))
        out.add((prop, RDF.type, RDF.Property))


def area_scheme() -> URIRef:
    """The code list of the area dimension in the exports: the reference areas of data/comparison/."""
    return rebased(config.DEFAULT_BASE_IRI + "ref-area/scheme")


def describe_area(out: Graph, graph: Graph, area: URIRef) -> URIRef:
    """Copy a reference area (as the graph has it: names, official code, register entry) into `out`,
    as a concept of the area code list, so a cube's area dimension is self-described."""
    scheme = area_scheme()
    out.add((scheme, RDF.type, SKOS.ConceptScheme))
    out.add((scheme, SKOS.prefLabel, Literal("Områder etter offisiell kode", lang="nb")))
    out.add((scheme, SKOS.prefLabel, Literal("Areas by official code", lang="en")))
    out.add((area, RDF.type, SKOS.Concept))
    out.add((area, RDF.type, DCTERMS.Location))
    out.add((area, SKOS.inScheme, scheme))
    sg = Ns.sg()
    for prop in (RDF.type, SKOS.prefLabel, SKOS.notation, sg.registerEntry):
        for value in graph.objects(area, prop):
            out.add((area, prop, value))
    return area


def prefixes() -> dict[str, str]:
    """All prefixes the exports bind, under the configured base."""
    return {name: config.rebase(ns) for name, ns in {**config.PREFIXES, **EXTRA_PREFIXES}.items()}


# ---- loading ----------------------------------------------------------------------------------

@functools.lru_cache(maxsize=2)
def _load(dataset_file: str, mtime_ns: int):
    dataset = rdflib_dataset(Path(dataset_file).parent)
    from ..layout import LAYERS, graph_iri
    layers = {layer: dataset.graph(URIRef(graph_iri(layer))) for layer in LAYERS}
    union = Graph()
    for graph in layers.values():
        union += graph
    return layers, union


def load(build_dir: Path | None = None) -> tuple[dict[str, Graph], Graph]:
    """(graphs by layer, union of all layers) of the build; cached while dataset.nq is unchanged.

    Callers must not modify the returned graphs.
    """
    from ..layout import DATASET_FILE
    path = require_build(build_dir) / DATASET_FILE
    return _load(str(path.resolve()), path.stat().st_mtime_ns)


# ---- deterministic RDF serialisation --------------------------------------------------------------

def _split(iri: str) -> str | None:
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1] if cut > 0 else None


def stable_graph(graph: Graph) -> Graph:
    """A copy with canonical blank-node labels, triples inserted in sorted order and every
    namespace of a predicate or class bound to a fixed prefix (rdflib would invent ns1, ns2 …
    in hash order otherwise)."""
    if any(isinstance(term, BNode) for triple in graph for term in triple):
        graph = to_canonical_graph(graph)
    out = Graph(bind_namespaces="none")
    bound = prefixes()
    for name, namespace in sorted(bound.items()):
        out.bind(name, namespace, override=True, replace=True)
    known = set(bound.values())
    wanted = set()
    for s, p, o in graph:
        for iri in (p, o if p == RDF.type else None):
            if isinstance(iri, URIRef):
                namespace = _split(str(iri))
                if namespace and namespace not in known:
                    wanted.add(namespace)
    for number, namespace in enumerate(sorted(wanted), start=1):
        out.bind(f"ns{number}", namespace, override=True, replace=True)
    for triple in sorted(graph):
        out.add(triple)
    return out


def serialize(graph: Graph, fmt: str = "turtle", extra_prefixes: dict[str, str] | None = None) -> bytes:
    """Turtle (or "xml") of `graph`, deterministic and lossless: written by pyoxigraph from sorted
    N-Triples (rdflib's Turtle writer rewrites "84"^^xsd:decimal as 84.0, a different literal)."""
    return oxigraph_serialize(sorted_ntriples(graph), "nt", fmt, extra_prefixes)


def sorted_ntriples(graph: Graph) -> bytes:
    """Sorted N-Triples with canonical blank-node labels (the build's own writer)."""
    from ..compile.build import sorted_ntriples as build_sorted_ntriples
    return build_sorted_ntriples(graph).encode("utf-8")


def sorted_nquads(layers: dict[str, Graph]) -> bytes:
    """The layers as N-Quads, one named graph each, in layer order and sorted within a layer."""
    from ..layout import LAYERS, graph_iri
    lines = []
    for layer in LAYERS:
        iri = graph_iri(layer)
        lines += [line[:-2] + f" <{iri}> .\n"
                  for line in sorted_ntriples(layers[layer]).decode("utf-8").splitlines(keepends=True)]
    return "".join(lines).encode("utf-8")


def oxigraph_serialize(data: bytes, source_format: str, target_format: str,
                       extra_prefixes: dict[str, str] | None = None) -> bytes:
    """Re-serialize sorted N-Triples/N-Quads with pyoxigraph, which keeps statement order and
    blank-node labels (rdflib's RDF/XML and TriG writers iterate in hash order)."""
    import pyoxigraph
    formats = {"nt": pyoxigraph.RdfFormat.N_TRIPLES, "nq": pyoxigraph.RdfFormat.N_QUADS,
               "xml": pyoxigraph.RdfFormat.RDF_XML, "trig": pyoxigraph.RdfFormat.TRIG,
               "turtle": pyoxigraph.RdfFormat.TURTLE}
    quads = list(pyoxigraph.parse(data, format=formats[source_format]))
    iris = {term.value for quad in quads for term in (quad.subject, quad.predicate, quad.object, quad.graph_name)
            if isinstance(term, pyoxigraph.NamedNode)}
    iris |= {quad.object.datatype.value for quad in quads if isinstance(quad.object, pyoxigraph.Literal)}
    used = {name: namespace for name, namespace in {**prefixes(), **(extra_prefixes or {})}.items()
            if any(iri.startswith(namespace) for iri in iris)}  # only the prefixes the output needs
    data = pyoxigraph.serialize(quads, format=formats[target_format], prefixes=dict(sorted(used.items())))
    if target_format in ("turtle", "trig"):  # pyoxigraph writes the prefixes in hash order: sort them
        lines = data.split(b"\n")
        count = next((i for i, line in enumerate(lines) if not line.startswith(b"@prefix ")), len(lines))
        data = b"\n".join(sorted(lines[:count]) + lines[count:])
    return data


# ---- profile checks ------------------------------------------------------------------------------

def check_profile(data: Graph, shapes_file: str | Path, reference: bool | None = None) -> tuple[list[str], list[str]]:
    """(violations, warnings) of `data` against a SHACL profile (a path relative to shapes/), one line
    each: focus node, the Norwegian message, the path and the offending value where there is one.
    The fast path (check/shacl_fast.py) runs it where it can, else pySHACL (the reference: also
    when `reference` or SDGGRAPH_REFERENCE asks; pySHACL took 14 s for the KS profile)."""
    from rdflib.namespace import SH

    from ..check import shacl_fast
    from ..compile.inference import use_reference
    from ..compile.sources import parse_rdf_file
    shapes = parse_rdf_file(layout.shapes_dir() / shapes_file)
    if not use_reference(reference) and shacl_fast.unsupported(shapes) is None:
        report = shacl_fast.validate(set(data), shapes)[0]
    else:
        import pyshacl
        _, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", allow_warnings=True, advanced=True)
    violations, warnings = set(), set()
    for result in report.subjects(RDF.type, SH.ValidationResult):
        line = f"{report.value(result, SH.focusNode)}: {_norwegian_message(report, result, shapes)}"
        path, value = report.value(result, SH.resultPath), report.value(result, SH.value)
        if isinstance(path, URIRef):
            line += f" (sti {path})"
        if value is not None:
            line += f" [verdi {value}]"
        (warnings if report.value(result, SH.resultSeverity) == SH.Warning else violations).add(line)
    return sorted(violations), sorted(warnings)


_FILLED_IN = re.compile(r"\\\{\\[?$]\w+\\\}")  # a {?var} or {$var} of a message, as re.escape writes it


def _norwegian_message(report: Graph, result, shapes: Graph) -> str:
    """A validation result's message in Norwegian. pySHACL drops the language of a message where it
    fills in {?var} (SPARQL constraints): that one is found by the shape's Norwegian template."""
    from rdflib.namespace import SH

    messages = sorted(report.objects(result, SH.resultMessage))
    tagged = [str(m) for m in messages if getattr(m, "language", None) == "nb"]
    if tagged or not messages:
        return tagged[0] if tagged else ""
    for source in (report.value(result, SH.sourceConstraint), report.value(result, SH.sourceShape)):
        for template in shapes.objects(source, SH.message) if source is not None else ():
            if getattr(template, "language", None) == "nb":
                made = re.compile(_FILLED_IN.sub(".*", re.escape(str(template))), re.S)
                found = [str(m) for m in messages if made.fullmatch(str(m))]
                if found:
                    return found[0]
    return str(messages[0])


# ---- bytes ----------------------------------------------------------------------------------

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """A zip of `files` (path → content) in sorted order with fixed timestamps."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return buffer.getvalue()


def restamp_zip(data: bytes) -> bytes:
    """The same zip with fixed member timestamps (openpyxl stamps members with the clock)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = [(info.filename, archive.read(info.filename)) for info in archive.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members:  # keep the order: [Content_Types].xml must stay first
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def gzip_bytes(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


# ---- the data date --------------------------------------------------------------------------------

def data_date(graph: Graph) -> datetime.date:
    """The date the exports call 'modified': deterministic, never the clock.

    SOURCE_DATE_EPOCH (the reproducible-builds convention) wins when set; otherwise the newest
    date the data states about its source documents and vocabulary (dcterms:modified, issued or
    created on a sg:SourceDocument or owl:Ontology). A bare year counts as 1 January.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).date()
    from rdflib.namespace import OWL
    sg = Ns.sg()
    subjects = set(graph.subjects(RDF.type, sg.SourceDocument)) | set(graph.subjects(RDF.type, OWL.Ontology))
    dates = []
    for subject in subjects:
        for prop in (DCTERMS.modified, DCTERMS.issued, DCTERMS.created):
            for value in graph.objects(subject, prop):
                text = str(value)
                if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                    dates.append(datetime.date.fromisoformat(text))
                elif re.fullmatch(r"\d{4}", text):
                    dates.append(datetime.date(int(text), 1, 1))
    return max(dates) if dates else datetime.date(1970, 1, 1)


# ---- labels and records ---------------------------------------------------------------------------

def label(graph: Graph, node, lang: str = "nb") -> str:
    """The node's label in `lang` (skos:prefLabel, rdfs:label, dcterms:title), else any label,
    else the IRI's last segment."""
    if node is None:
        return ""
    candidates = []
    for prop in (SKOS.prefLabel, RDFS.label, DCTERMS.title):
        candidates += list(graph.objects(node, prop))
    for wanted in (lang, "nb", "no", "en", None):
        matching = sorted(str(c) for c in candidates if isinstance(c, Literal) and c.language == wanted)
        if matching:
            return matching[0]
    text = str(node)
    return re.split(r"[/#]", text.rstrip("/#"))[-1]


# Norwegian words for codes the graph names by IRI only (EU frequencies, KS' Evaluation concepts),
# as the annual report words them.
CODE_LABELS_NB = {
    "ANNUAL": "årlig", "BIENNIAL": "annethvert år", "TRIENNIAL": "hvert tredje år",
    "QUADRENNIAL": "hvert fjerde år", "IRREG": "uregelmessig",
    "1-Input": "innsatsfaktorer", "2-Process": "aktiviteter", "3-Output": "produkter/tjenester",
    "4-Outcome": "brukereffekter", "5-Impact": "samfunnseffekter",
}


def code_label(graph: Graph, node) -> str:
    """A Norwegian label for a coded value: the graph's own nb label, else CODE_LABELS_NB, else its code."""
    if node is None:
        return ""
    code = re.split(r"[/#]", str(node).rstrip("/#"))[-1]
    found = [value for prop in (SKOS.prefLabel, RDFS.label) for value in graph.objects(node, prop)
             if isinstance(value, Literal) and value.language == "nb"]
    if found:
        return sorted(str(value) for value in found)[0]
    return CODE_LABELS_NB.get(code, code)


def one(graph: Graph, subject, prop):
    values = sorted(graph.objects(subject, prop))
    return values[0] if values else None


@dataclass
class Observation:
    iri: URIRef
    year: int
    value: Literal | None
    status: URIRef
    status_code: str  # measured | not_measured | not_yet_published
    printed: str
    edition: str = ""  # nb label of the report edition that printed it (the latest that did)


@dataclass
class Indicator:
    iri: URIRef
    ident: str
    order: tuple
    label_nb: str
    label_en: str
    area: URIRef | None
    area_ident: str
    main_goal: URIRef | None
    sub_goal: URIRef | None
    sub_goal_ident: str
    unit: URIRef | None
    threshold_text: str
    direction: URIRef | None
    challenges: list[URIRef]
    result_chain: URIRef | None
    age_group: URIRef | None
    data_basis: URIRef | None
    frequency: URIRef | None
    data_source: URIRef | None
    fn_goals: list[URIRef]
    fn_targets: list[URIRef]
    exact_matches: list[URIRef]
    close_matches: list[URIRef]
    observations: list[Observation] = field(default_factory=list)



@dataclass
class Edition:
    iri: URIRef
    label_nb: str
    label_en: str
    report_year: str
    reporting_years: list[str]


def editions(graph: Graph) -> list[Edition]:
    """The report editions, oldest first (by sg:reportYear)."""
    sg = Ns.sg()
    found = [Edition(iri, label(graph, iri, "nb"), label(graph, iri, "en"), str(one(graph, iri, sg.reportYear) or ""),
                     sorted(str(y) for y in graph.objects(iri, sg.reportingYear)))
             for iri in set(graph.subjects(RDF.type, sg.ReportEdition))]
    return sorted(found, key=lambda e: (e.report_year, str(e.iri)))


def year_span(graph: Graph) -> str:
    """The years the observations cover, as "2021–2024" (from the data; empty when there are none)."""
    years = sorted({int(str(y)[:4]) for obs in graph.subjects(RDF.type, Ns.sg().IndicatorObservation)
                    for y in graph.objects(obs, Ns.sg().year)})
    return f"{years[0]}–{years[-1]}" if years else ""


def _number(iri) -> tuple:
    """Sort key for FN goals/targets: numeric parts as numbers (3.10 after 3.9)."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in re.split(r"[./]", str(iri).rsplit("/", 1)[-1]))


def indicators(graph: Graph) -> list[Indicator]:
    """Every sg:Indicator with what the exports need, in the report's order (area, number)."""
    sg = Ns.sg()
    status_codes = {sg.Measured: "measured", sg.NotMeasured: "not_measured", sg.NotYetPublished: "not_yet_published"}
    records = []
    for iri in set(graph.subjects(RDF.type, sg.Indicator)):
        ident = str(one(graph, iri, SKOS.notation) or label(graph, iri))
        sub_goal = one(graph, iri, sg.measures)
        main_goal = one(graph, sub_goal, sg.belongsToMainGoal) if sub_goal is not None else None
        area = one(graph, main_goal, sg.belongsToFocusArea) if main_goal is not None else None
        area_order = one(graph, area, sg.order) if area is not None else None
        own_order = one(graph, iri, sg.order)
        threshold = one(graph, iri, sg.hasThreshold)
        observations = []
        for obs in set(graph.subjects(sg.ofIndicator, iri)):
            status = one(graph, obs, sg.observationStatus)
            year = one(graph, obs, sg.year)
            observations.append(Observation(
                iri=obs, year=int(str(year)[:4]) if year is not None else 0,
                value=one(graph, obs, sg.value), status=status,
                status_code=status_codes.get(status, ""),
                printed=str(one(graph, obs, sg.printedValue) or ""),
                edition=label(graph, one(graph, obs, sg.publishedIn), "nb") if one(graph, obs, sg.publishedIn) else ""))
        observations.sort(key=lambda o: (o.year, str(o.iri)))
        records.append(Indicator(
            iri=iri, ident=ident,
            order=(int(area_order) if area_order is not None else 99,
                   int(own_order) if own_order is not None else 0, ident),
            label_nb=label(graph, iri, "nb"), label_en=label(graph, iri, "en"),
            area=area, area_ident=str(one(graph, area, SKOS.notation) or "") if area is not None else "",
            main_goal=main_goal, sub_goal=sub_goal,
            sub_goal_ident=str(one(graph, sub_goal, SKOS.notation) or "") if sub_goal is not None else "",
            unit=one(graph, iri, sg.unit),
            threshold_text=str(one(graph, threshold, sg.printedText) or "") if threshold is not None else "",
            direction=one(graph, iri, sg.desiredDirection),
            challenges=sorted(graph.objects(iri, sg.addressesChallenge)),
            result_chain=one(graph, iri, sg.resultChainStep),
            age_group=one(graph, iri, sg.ageGroup),
            data_basis=one(graph, iri, sg.dataBasis),
            frequency=one(graph, iri, DCTERMS.accrualPeriodicity),
            data_source=one(graph, iri, sg.dataSource),
            fn_goals=sorted(graph.objects(iri, sg.contributesToFnGoal), key=_number),
            fn_targets=sorted(graph.objects(iri, sg.contributesToFnTarget), key=_number),
            exact_matches=sorted(graph.objects(iri, SKOS.exactMatch)),
            close_matches=sorted(graph.objects(iri, SKOS.closeMatch)),
            observations=observations))
    records.sort(key=lambda record: record.order)
    return records


def compact_code(graph: Graph, node) -> str:
    """A UN goal/target/indicator's compact code ('3', '3.4', '3.4.1'), from its notation or IRI."""
    for notation in graph.objects(node, SKOS.notation):
        if isinstance(notation, Literal) and str(notation.datatype or "").endswith("SDGCodeCompact"):
            return str(notation)
    return str(node).rsplit("/", 1)[-1]
