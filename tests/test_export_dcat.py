"""The dcat export against the receivers' rules: Digdir's official DCAT-AP-NO shapes (run the way
Digdir's validator runs them, when ../shared is present) and the DCAT-AP 3.0.1 range checks
(shapes/profiles/dcat-ap-3-range.ttl)."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, SH

from sdggraph.export import run_export
from sdggraph.export.common import check_profile

DCAT = "http://www.w3.org/ns/dcat#"
ORGANIZATION_CATALOG = "https://organization-catalog.fellesdatakatalog.digdir.no/organizations/"
RANGE = "profiles/dcat-ap-3-range.ttl"


@pytest.fixture(scope="module")
def dcat(build_dir) -> Graph:
    return Graph().parse(data=run_export("dcat", build_dir, base_url="https://sdg.example.org/asker").data,
                         format="turtle")


def digdir_results(shared_dir, data: Graph) -> list[tuple[str, str, str]]:
    """(severity, focus node, message) of Digdir's shapes on `data`, offline as the reference README
    says: the EU vocabulary excerpt merged into the data, ontologies.ttl as ont_graph, RDFS inference."""
    from pyshacl import validate
    folder = shared_dir / "reference" / "dcat-ap-no"
    graph = Graph()
    graph += data
    graph.parse(folder / "eu-vocabularies-excerpt.ttl")
    _, report, _ = validate(graph, shacl_graph=Graph().parse(folder / "DCAT-AP-NO-shacl_shapes_2.00.ttl"),
                            ont_graph=Graph().parse(folder / "ontologies.ttl"), inference="rdfs", advanced=False,
                            do_owl_imports=False, meta_shacl=False, inplace=False)
    return sorted((str(report.value(r, SH.resultSeverity)).rsplit("#", 1)[-1], str(report.value(r, SH.focusNode)),
                   str(report.value(r, SH.resultMessage))) for r in report.subjects(RDF.type, SH.ValidationResult))


def test_digdir_shapes_give_no_violation_and_no_warning(shared_dir, dcat):
    assert digdir_results(shared_dir, dcat) == []


def test_digdir_shapes_are_not_vacuous(shared_dir, dcat):
    broken = Graph()
    broken += dcat
    service = broken.value(None, RDF.type, URIRef(DCAT + "DataService"))
    broken.remove((service, DCTERMS.identifier, None))
    dataset = broken.value(None, RDF.type, URIRef(DCAT + "Dataset"))
    broken.add((dataset, DCTERMS.spatial, URIRef("https://w3id.org/sdggraph/area/kommune/3203")))
    results = digdir_results(shared_dir, broken)
    assert any(sev == "Violation" and focus == str(service) for sev, focus, _ in results)
    assert any(sev == "Warning" and focus == str(dataset) for sev, focus, _ in results)


def test_range_profile_conforms(dcat):
    violations, warnings = check_profile(dcat, RANGE)
    assert violations == [] and warnings == []


def test_range_profile_catches_untyped_objects(dcat):
    """The failures the EU range shapes found on the earlier export: untyped media types, standards
    without type or title, untyped pages."""
    broken = Graph()
    broken += dcat
    media = next(broken.subjects(RDF.type, DCTERMS.MediaType))
    broken.remove((media, RDF.type, DCTERMS.MediaType))
    standard = URIRef("http://www.w3.org/TR/vocab-data-cube/")
    broken.remove((standard, DCTERMS.title, None))
    page = next(broken.subjects(RDF.type, FOAF.Document))
    broken.remove((page, RDF.type, FOAF.Document))
    text = "\n".join(check_profile(broken, RANGE)[0])
    assert "dcterms:MediaType" in text and str(media) in text
    assert "dcterms:Standard må ha dcterms:title" in text
    assert "foaf:Document" in text


def test_every_object_the_ranges_name_is_typed(dcat):
    ranges = {URIRef(DCAT + "mediaType"): DCTERMS.MediaType, DCTERMS.conformsTo: DCTERMS.Standard,
              URIRef(DCAT + "landingPage"): FOAF.Document, FOAF.homepage: FOAF.Document,
              DCTERMS.format: DCTERMS.MediaTypeOrExtent, DCTERMS.license: DCTERMS.LicenseDocument}
    for prop, cls in ranges.items():
        values = set(dcat.objects(None, prop))
        assert values, prop
        assert all((value, RDF.type, cls) in dcat for value in values), prop
    for standard in dcat.subjects(RDF.type, DCTERMS.Standard):
        assert dcat.value(standard, DCTERMS.title) is not None


def test_publisher_is_the_organisation_catalogue_iri(dcat, built_graph):
    number = str(built_graph.value(URIRef("https://w3id.org/sdggraph/kommune/3203/asker"),
                                   URIRef("http://www.w3.org/ns/org#identifier")))
    assert number == "920447018"
    publisher = URIRef(ORGANIZATION_CATALOG + number)
    for kind in ("Catalog", "Dataset", "DataService"):
        node = dcat.value(None, RDF.type, URIRef(DCAT + kind))
        assert dcat.value(node, DCTERMS.publisher) == publisher
        assert isinstance(dcat.value(node, DCTERMS.identifier), Literal)
    assert dcat.value(publisher, DCTERMS.identifier) == Literal(number)
    notes = [str(n) for n in dcat.objects(publisher, URIRef("http://www.w3.org/2004/02/skos/core#editorialNote"))]
    assert any("sdggraphs valg" in n for n in notes)  # our choice is marked in the graph


def test_spatial_only_from_eu_vocabularies(dcat):
    dataset = dcat.value(None, RDF.type, URIRef(DCAT + "Dataset"))
    assert set(dcat.objects(dataset, DCTERMS.spatial)) == {
        URIRef("http://publications.europa.eu/resource/authority/country/NOR")}
