"""Pages for people (server/pages.py, web/): the query page and the resource pages, in HTML and RDF."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, SKOS

from sdggraph import config

KOMMUNE = "https://w3id.org/sdggraph/kommune/3203/"
SG = "https://w3id.org/sdggraph/ontology#"


class Links(HTMLParser):
    """The hrefs of a page, and the text of its <h1>."""

    def __init__(self):
        super().__init__()
        self.hrefs, self.h1, self._in_h1 = [], "", False

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href"))
        self._in_h1 = tag == "h1" or self._in_h1

    def handle_endtag(self, tag):
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data):
        if self._in_h1:
            self.h1 += data


def parse_links(html: str) -> Links:
    parser = Links()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def client(build_dir):
    from fastapi.testclient import TestClient

    from sdggraph.server.app import create_app
    from sdggraph.server.settings import Settings

    with TestClient(create_app(Settings(build_dir=build_dir, workers=1))) as client:
        yield client


BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_the_query_page_works_offline(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<div id="yasgui">' in page.text and 'src="/web/app.js"' in page.text
    assert 'src="/web/vendor/yasgui/yasgui.min.js"' in page.text and 'href="/web/vendor/yasgui/yasgui.min.css"' in page.text
    config_json = re.search(r'<script id="sdggraph-config" type="application/json">(.*?)</script>', page.text).group(1)
    settings = json.loads(config_json)
    assert settings["base"] == config.base_iri() and settings["prefixes"]["indicator"] == KOMMUNE + "indicator/"
    assert settings["yasgui"] == VENDORED_VERSION
    # nothing is fetched from another host: every src/href is a local path or a fragment
    for url in re.findall(r'(?:src|href)="([^"]*)"', page.text):
        assert url.startswith("/") or url.startswith("#"), url
    script = client.get("/web/app.js")
    assert script.headers["content-type"].startswith("text/javascript")
    # every request the script makes goes to this service, and YASQE's prefix.cc and LOV lookups are replaced
    assert re.findall(r'fetch\(\s*([^,)]+)', script.text) and all(
        target.startswith('"/') for target in re.findall(r'fetch\(\s*([^,)]+)', script.text))
    assert 'prefixCcApi = "/editor/prefixes.json"' in script.text
    assert 'registerAutocompleter' in script.text and "/editor/vocabulary.json" in script.text
    assert client.get("/web/style.css").headers["content-type"].startswith("text/css")
    assert client.get("/web/index.html").status_code == 404  # only the listed files
    assert client.get("/web/..%2Fpages.py").status_code == 404
    assert client.get("/web/vendor/yasgui/..%2F..%2F..%2Fconfig.py").status_code == 404


VENDORED_VERSION = "4.2.28"


def test_yasgui_is_vendored_at_a_pinned_version_with_its_licence(client, repo_root):
    vendor = repo_root / "src" / "sdggraph" / "web" / "vendor" / "yasgui"
    version = (vendor / "VERSION").read_text(encoding="utf-8")
    assert f"version: {VENDORED_VERSION}" in version and "package: @triply/yasgui" in version
    assert "MIT" in (vendor / "LICENSE.txt").read_text(encoding="utf-8")
    assert (repo_root / "scripts" / "refresh_yasgui.sh").is_file()
    bundle = client.get("/web/vendor/yasgui/yasgui.min.js")
    assert bundle.status_code == 200 and bundle.headers["content-type"].startswith("text/javascript")
    assert bundle.content == (vendor / "yasgui.min.js").read_bytes() and b"sourceMappingURL" not in bundle.content
    assert client.get("/web/vendor/yasgui/yasgui.min.css").headers["content-type"].startswith("text/css")
    assert "MIT" in client.get("/web/vendor/yasgui/LICENSE.txt").text
    # the stylesheet loads no fonts or images from elsewhere
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", (vendor / "yasgui.min.css").read_text(encoding="utf-8"))


def test_completion_lists_come_from_this_graph(client):
    prefixes = client.get("/editor/prefixes.json").json()
    assert prefixes["sg"] == SG and prefixes["indicator"] == KOMMUNE + "indicator/"
    assert prefixes == {p: config.rebase(ns) for p, ns in config.PREFIXES.items()}
    vocabulary = client.get("/editor/vocabulary.json").json()
    assert SG + "Indicator" in vocabulary["classes"] and SG + "ThematicPlan" in vocabulary["classes"]
    assert SG + "measures" in vocabulary["properties"]
    assert "http://www.w3.org/2004/02/skos/core#prefLabel" in vocabulary["properties"]
    assert vocabulary["classes"] == sorted(set(vocabulary["classes"]))


def test_a_browser_opening_sparql_gets_the_editor(client):
    page = client.get("/sparql", headers=BROWSER)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<div id="yasgui">' in page.text and "Accept" in page.headers.get("vary", "")
    # without text/html it stays the service description
    plain = client.get("/sparql")
    assert plain.status_code == 200 and not plain.headers["content-type"].startswith("text/html")
    turtle = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert turtle.headers["content-type"].startswith("text/turtle") and "sd:Service" in turtle.text
    assert not client.get("/sparql?format=turtle", headers=BROWSER).headers["content-type"].startswith("text/html")
    # and a query from a browser is still answered as results, not with the page
    answer = client.get("/sparql", params={"query": "ASK {}"}, headers=BROWSER)
    assert not answer.headers["content-type"].startswith("text/html")


def test_indicator_page(client):
    page = client.get("/kommune/3203/indicator/OKO-01", headers=BROWSER)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    links = parse_links(page.text)
    assert links.h1 == "Disposisjonsfond som andel av brutto driftsinntekter (> 10 %)"
    assert "/kommune/3203/sub-goal/OKO-1" in links.hrefs  # its delmål, at a local path
    assert "/kommune/3203/observation/OKO-01-2024" in links.hrefs  # a link in
    assert "Indikator" in page.text and "Asker kommune har en god økonomisk bærekraft" in page.text
    assert not any(href.startswith("https://w3id.org") for href in links.hrefs if href)
    # provenance: the report section it was read from
    provenance = page.text.split('class="provenance"', 1)[1].split("</section>", 1)[0]
    assert "Økonomi › Dette skal vi oppnå" in provenance and "Årsrapport 2024" in provenance
    # the series as an inline SVG chart: four measured years and the threshold
    svg = re.search(r'<svg class="series".*?</svg>', page.text, re.S).group(0)
    root = ET.fromstring(svg)
    circles = root.findall(".//{http://www.w3.org/2000/svg}circle")
    assert [c.get("class") for c in circles] == ["measured"] * 4
    assert "18,0 %" in svg and "14,3 %" in svg and "terskel &gt; 10 %" in svg


def test_missing_years_show_their_status_in_the_chart(client):
    page = client.get("/kommune/3203/indicator/HEL-01", headers=BROWSER)
    svg = re.search(r'<svg class="series".*?</svg>', page.text, re.S).group(0)
    root = ET.fromstring(svg)
    circles = root.findall(".//{http://www.w3.org/2000/svg}circle")
    assert [c.get("class") for c in circles] == ["measured", "measured", "measured", "missing"]
    assert "Tall kommer" in "".join(root.itertext())


def test_turtle_dereference(client):
    answer = client.get("/kommune/3203/indicator/OKO-01", headers={"Accept": "text/turtle"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=answer.text, format="turtle")
    indicator = URIRef(KOMMUNE + "indicator/OKO-01")
    assert (indicator, URIRef(SG + "measures"), URIRef(KOMMUNE + "sub-goal/OKO-1")) in graph
    assert (indicator, SKOS.prefLabel, Literal("Disposisjonsfond som andel av brutto driftsinntekter (> 10 %)",
                                               lang="nb")) in graph
    assert (URIRef(KOMMUNE + "observation/OKO-01-2024"), URIRef(SG + "ofIndicator"), indicator) in graph  # incoming
    assert all(indicator in (s, o) for s, _, o in graph)  # only triples about it


@pytest.mark.parametrize("accept, rdf_format", [("application/ld+json", "json-ld"),
                                                ("application/n-triples", "nt"),
                                                ("application/rdf+xml", "xml")])
def test_other_rdf_formats(client, accept, rdf_format):
    answer = client.get("/kommune/3203/sub-goal/KLI-1", headers={"Accept": accept})
    assert answer.headers["content-type"].startswith(accept)
    graph = Graph().parse(data=answer.text, format=rdf_format)
    assert (URIRef(KOMMUNE + "sub-goal/KLI-1"), URIRef(SG + "noIndicatorReason"),
            URIRef(SG + "IndicatorUnderDevelopment")) in graph
    assert client.get("/kommune/3203/sub-goal/KLI-1?format=ntriples").text == \
        client.get("/kommune/3203/sub-goal/KLI-1", headers={"Accept": "application/n-triples"}).text


def test_every_kind_of_minted_iri_dereferences(client, built_graph):
    """One IRI of each kind the graph mints under the base (indicator/, sub-goal/, thematic-plan/ …)."""
    base = config.base_iri()
    by_kind = {}
    for subject in sorted(set(built_graph.subjects())):
        subject = str(subject)
        if subject.startswith(base + "kommune/3203/"):
            kind = subject[len(base + "kommune/3203/"):].split("/")[0]
            by_kind.setdefault(kind, subject)
    assert {"focus-area", "main-goal", "sub-goal", "strategy", "indicator", "observation", "thematic-plan",
            "effort-area", "org", "challenge", "source", "fn-link", "data-source", "unit"} <= set(by_kind)
    for kind, iri in by_kind.items():
        page = client.get("/" + iri[len(base):], headers=BROWSER)
        assert page.status_code == 200, iri
        assert parse_links(page.text).h1, iri
        turtle = client.get("/" + iri[len(base):], headers={"Accept": "text/turtle"})
        assert len(Graph().parse(data=turtle.text, format="turtle")) > 0, iri


def test_every_area_dereferences_to_a_page(client, built_graph):
    """Issue 13: the reference areas (national, under ref-area/) have pages listing their figures, and RDF."""
    areas = sorted({str(s) for s in built_graph.subjects(RDF.type, URIRef(config.SG + "ReferenceArea"))})
    assert len(areas) == 13
    for iri in areas:
        page = client.get("/" + iri[len(config.base_iri()):], headers=BROWSER)
        assert page.status_code == 200 and parse_links(page.text).h1, iri
        turtle = client.get("/" + iri[len(config.base_iri()):], headers={"Accept": "text/turtle"})
        assert len(Graph().parse(data=turtle.text, format="turtle")) > 0, iri
    group = client.get("/ref-area/kostra-group-EKG12", headers=BROWSER).text
    assert "Tall for området i årsrapportens sammenligningstabeller (84)" in group


def test_service_area_page_lists_its_kostra_figures_with_a_chart(client):
    page = client.get("/kommune/3203/org/velferd", headers=BROWSER)
    assert page.status_code == 200
    assert "KOSTRA-tall i kapitlet (13)" in page.text
    assert page.text.count('<figure class="small-multiple"') == 13 and "<svg" in page.text
    assert "VEL-03" in page.text and "KOSTRA-gruppe 12 2024" in page.text
    # the years in the prose are the data's: Asker's years, and which are provisional (sg:provisional)
    assert "Asker 2023 og 2024 ved siden av" in page.text and "KOSTRA-gruppe 12 (2024: foreløpige tall)" in page.text
    measure = client.get("/kommune/3203/comparison-measure/VEL-03", headers=BROWSER).text
    assert "Områdene i rapportens tabell" in measure and "Lillestrøm" in measure


def test_ontology_dereferences(client):
    page = client.get("/ontology", headers=BROWSER)
    assert page.status_code == 200 and 'id="Indicator"' in page.text and 'id="measures"' in page.text
    graph = Graph().parse(data=client.get("/ontology", headers={"Accept": "text/turtle"}).text, format="turtle")
    assert (URIRef(SG + "Indicator"), RDF.type, OWL.Class) in graph
    assert (URIRef(SG[:-1]), RDF.type, OWL.Ontology) in graph


def test_other_iris_have_local_pages(client):
    page = client.get("/resource", params={"iri": "http://metadata.un.org/sdg/13"}, headers=BROWSER)
    assert page.status_code == 200
    links = parse_links(page.text)
    assert links.h1.startswith("Handle umiddelbart")
    assert "/kommune/3203/main-goal/KLI" in links.hrefs
    assert "/resource?iri=http%3A%2F%2Fmetadata.un.org%2Fsdg%2F13.2" in links.hrefs


def test_unknown_resources_are_404(client):
    assert client.get("/kommune/3203/indicator/NOPE-99", headers=BROWSER).status_code == 404
    assert client.get("/kommune/3203/indicator/NOPE-99", headers={"Accept": "text/turtle"}).status_code == 404
    assert client.get("/resource", params={"iri": "https://example.org/x"}).status_code == 404
    assert client.get("/resource").status_code == 400
    assert client.get("/kommune/3203/indicator/OKO-01", headers={"Accept": "image/png"}).status_code == 406


# ---- pages in Norwegian ----------------------------------------------------------------------

def property_names(html: str) -> list[str]:
    """The link texts in the first column of the page's property tables."""
    return [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<tr><th>(.*?)</th>", html)]


def test_indicator_page_names_properties_and_values_in_norwegian(client):
    page = client.get("/kommune/3203/indicator/HEL-01", headers=BROWSER).text
    names = property_names(page)
    for norwegian in ("oppdateringsfrekvens", "foretrukket navn", "redaksjonell merknad", "avledet fra",
                      "steg i resultatkjeden", "samsvarer omtrent med", "kode"):
        assert norwegian in names, (norwegian, names)
    for english in ("accrualPeriodicity", "prefLabel", "editorialNote", "closeMatch", "wasDerivedFrom", "notation"):
        assert english not in names, english
    assert ">Årlig</a>" in page and ">ANNUAL</a>" not in page
    assert ">Produkter/tjenester</a>" in page and ">3-Output</a>" not in page
    # the classification and its rationale under a Norwegian heading; the rationale stays as data
    classification = page.split('class="classification"', 1)[1].split("</section>", 1)[0]
    assert "<h2>Klassifisering</h2>" in classification and "Begrunnelse for klassifiseringen" in classification
    assert 'lang="en">Measles vaccination coverage' in classification
    assert ">@nb<" not in page and ">bokmål</span>" in page  # language tags by name, not as codes


def series_of(client, indicator: str) -> ET.Element:
    page = client.get(f"/kommune/3203/indicator/{indicator}", headers=BROWSER).text
    return ET.fromstring(re.search(r'<svg class="series".*?</svg>', page, re.S).group(0))


SVG = "{http://www.w3.org/2000/svg}"


def texts(root: ET.Element, css: str) -> list[ET.Element]:
    return [t for t in root.iter(SVG + "text") if t.get("class") == css]


def test_a_series_far_from_zero_has_a_marked_axis_that_does_not_exaggerate(client):
    root = series_of(client, "HEL-01")  # 97,3 – 96,2 – 96,1 – Tall kommer
    assert [p for p in root.iter(SVG + "path") if p.get("class") == "axis-break"]
    assert any("ikke 0" in "".join(t.itertext()) for t in texts(root, "axis-note"))
    ticks = [float("".join(t.itertext()).replace(",", ".")) for t in texts(root, "tick")]
    # the axis spans at least a tenth of the highest figure: a one-point fall stays a small step
    assert max(ticks) >= 97.3 and max(ticks) - min(ticks) >= 9.73


def test_chart_labels_do_not_overlap_or_run_off(client):
    root = series_of(client, "HEL-01")
    width = float(root.get("width"))
    tick_x = max(float(t.get("x")) for t in texts(root, "tick"))  # right-aligned at this x
    point_labels = texts(root, "point")
    assert point_labels and all(float(t.get("x")) - 3.5 * len("".join(t.itertext())) > tick_x for t in point_labels)
    status = texts(root, "status")
    assert ["".join(t.itertext()) for t in status] == ["Tall kommer"]
    # centred text of ~7 px per character must fit inside the picture
    assert all(float(t.get("x")) + 3.5 * len("".join(t.itertext())) < width for t in status + point_labels)


def test_a_series_near_zero_starts_at_zero():
    from decimal import Decimal

    from sdggraph.server.pages import Point, series_svg, value_axis

    assert value_axis([2.0, 10.0])[0] == 0 and value_axis([2.0, 10.0])[3] is False
    assert value_axis([96.1, 97.3])[3] is True
    svg = series_svg([Point(str(year), Decimal(v), "Målt", "") for year, v in zip(range(2021, 2025), "2 4 8 10".split())])
    root = ET.fromstring(svg)
    assert "".join(texts(root, "tick")[0].itertext()) == "0"
    assert not [p for p in root.iter(SVG + "path") if p.get("class") == "axis-break"]


def test_numbers_on_pages_have_a_decimal_comma():
    from sdggraph.server.pages import number_text

    assert number_text("18.0") == "18,0" and number_text("3221.330") == "3221,330"
    assert number_text("1234567.5") == "1\u00a0234\u00a0567,5" and number_text("2024") == "2024"
    assert number_text("-12.5") == "-12,5" and number_text("abc") == "abc"
