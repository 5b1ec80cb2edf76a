"""HTML documentation of the ontology, generated from ontology/sdggraph.ttl.

pyLODE was the first choice, but its PyPI releases installable on Python 3.11 fail to import
(3.4.1 looks for a pyproject.toml inside site-packages), so the page is written here: one
self-contained HTML file with every class, property and closed vocabulary, in Norwegian and
English, with domains, ranges, super-terms and property chains.
"""

from __future__ import annotations

import html
from pathlib import Path

from rdflib import BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from .. import config
from .sources import ontology_graph

ONTOLOGY_IRI = URIRef(config.rebase("https://w3id.org/sdggraph/ontology"))
SECTIONS = [
    ("classes", "Klasser", "Classes", (OWL.Class,)),
    ("object-properties", "Objektegenskaper", "Object properties", (OWL.ObjectProperty,)),
    ("datatype-properties", "Dataegenskaper", "Datatype properties", (OWL.DatatypeProperty,)),
    ("individuals", "Faste verdier", "Closed vocabularies", (OWL.NamedIndividual,)),
]


def short(graph: Graph, term) -> str:
    if isinstance(term, BNode):
        return "[ ]"
    try:
        prefix, _, name = graph.compute_qname(term)
        return f"{prefix}:{name}"
    except Exception:
        return str(term)


def link(graph: Graph, term) -> str:
    name = html.escape(short(graph, term))
    if str(term).startswith(str(config.SG)):
        return f'<a href="#{html.escape(str(term).split("#", 1)[1])}">{name}</a>'
    return f'<a href="{html.escape(str(term))}">{name}</a>' if isinstance(term, URIRef) else name


def text(graph: Graph, term, prop, lang) -> str:
    return next((html.escape(str(o)) for o in graph.objects(term, prop) if getattr(o, "language", None) == lang), "")


def term_rows(graph: Graph, term) -> list[str]:
    rows = []
    for label, prop in (("Underklasse av / subclass of", RDFS.subClassOf),
                        ("Underegenskap av / subproperty of", RDFS.subPropertyOf),
                        ("Domene / domain", RDFS.domain), ("Verdiområde / range", RDFS.range),
                        ("Invers av / inverse of", OWL.inverseOf), ("Type", RDF.type),
                        ("Nær match / close match", SKOS.closeMatch)):
        values = sorted(graph.objects(term, prop), key=str)
        if values:
            rows.append(f"<tr><th>{label}</th><td>{', '.join(link(graph, v) for v in values)}</td></tr>")
    # A property may have several chains (blank nodes, in no stable order): list them sorted.
    chains = sorted(" ∘ ".join(link(graph, step) for step in Collection(graph, chain))
                    for chain in graph.objects(term, OWL.propertyChainAxiom))
    for steps in chains:
        rows.append(f"<tr><th>Egenskapskjede / property chain</th><td>{steps}</td></tr>")
    return rows


def render(graph: Graph | None = None) -> str:
    graph = graph or ontology_graph()
    for prefix, namespace in config.PREFIXES.items():
        graph.bind(prefix, config.rebase(namespace), override=True)
    title = text(graph, ONTOLOGY_IRI, DCTERMS.title, "en")
    parts = [f"""<!DOCTYPE html><html lang="nb"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45}}
section.term{{border-top:1px solid #ccd;padding:.5rem 0}}th{{text-align:left;vertical-align:top;padding-right:1rem;
font-weight:normal;color:#556}}code{{background:#f3f3f7;padding:0 .2rem}}.en{{color:#445}}</style></head><body>
<h1>{text(graph, ONTOLOGY_IRI, DCTERMS.title, "nb")}</h1><p class="en">{title}</p>
<p>{text(graph, ONTOLOGY_IRI, DCTERMS.description, "nb")}</p><p class="en">{text(graph, ONTOLOGY_IRI, DCTERMS.description, "en")}</p>
<table><tr><th>IRI</th><td><code>{ONTOLOGY_IRI}</code></td></tr>
<tr><th>Navnerom / namespace</th><td><code>{config.rebase(str(config.SG))}</code> (prefix <code>sg:</code>)</td></tr>
<tr><th>Versjon / version</th><td>{html.escape(str(graph.value(ONTOLOGY_IRI, OWL.versionInfo)))}</td></tr>
<tr><th>Lisens / licence</th><td>{link(graph, graph.value(ONTOLOGY_IRI, DCTERMS.license))}</td></tr>
<tr><th>Laget av / creator</th><td>{html.escape(str(graph.value(ONTOLOGY_IRI, DCTERMS.creator)))}</td></tr></table>
<nav><ul>"""]
    parts += [f'<li><a href="#{anchor}">{nb} / {en}</a></li>' for anchor, nb, en, _ in SECTIONS]
    parts.append("</ul></nav>")
    for anchor, nb, en, kinds in SECTIONS:
        terms = sorted({t for kind in kinds for t in graph.subjects(RDF.type, kind)
                        if str(t).startswith(str(config.SG))}, key=str)
        parts.append(f'<h2 id="{anchor}">{nb} / {en} ({len(terms)})</h2>')
        for term in terms:
            local = html.escape(str(term).split("#", 1)[1])
            label_nb = text(graph, term, RDFS.label, "nb") or text(graph, term, SKOS.prefLabel, "nb")
            label_en = text(graph, term, RDFS.label, "en") or text(graph, term, SKOS.prefLabel, "en")
            parts.append(f'<section class="term" id="{local}"><h3>{label_nb} <span class="en">/ {label_en}</span></h3>'
                         f'<p><code>sg:{local}</code></p><p>{text(graph, term, SKOS.definition, "nb")}</p>'
                         f'<p class="en">{text(graph, term, SKOS.definition, "en")}</p>'
                         f'<table>{"".join(term_rows(graph, term))}</table></section>')
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write(out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(), encoding="utf-8")
    return out
