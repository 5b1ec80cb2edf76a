"""The HTML coverage report: one self-contained file that a browser renders with its tables."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

HEADINGS = ("FN-mål og Askers mål", "FN-delmål Asker viser til", "Delmål uten indikatorer",
            "Indikatorer uten tall for 2024", "Indikatorer under terskel",
            "Indikatorsettet: grafen mot rapportens fordeling", "Temaplaner og kommuneplanens delmål", "Tjenesteområder")


class Resources(HTMLParser):
    """Every URL the page would load or link to, and the tags that could load code."""

    def __init__(self):
        super().__init__()
        self.urls, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "srcset", "data", "poster", "action", "xlink:href") and value:
                self.urls.append(value)
            if name == "style" and value and "url(" in value:
                self.urls.append(value)


@pytest.fixture(scope="module")
def html_file(build_dir, tmp_path_factory):
    from sdggraph.report.coverage import coverage_report
    from sdggraph.report.render import render

    path = tmp_path_factory.mktemp("coverage") / "dekningsrapport.html"
    path.write_text(render(coverage_report(build_dir=build_dir), "html"), encoding="utf-8")
    return path


def test_html_is_self_contained(html_file):
    text = html_file.read_text(encoding="utf-8")
    page = Resources()
    page.feed(text)
    # Only in-page anchors: nothing is fetched, from the network or from disk.
    assert page.urls and all(url.startswith("#") for url in page.urls), page.urls
    assert not {"script", "link", "img", "iframe", "object", "embed"} & set(page.tags)
    assert "@import" not in text and "url(" not in text
    assert "<svg" in text and "<style>" in text
    assert '<html lang="nb">' in text


def test_html_has_the_heat_map_and_trend_lines(html_file):
    text = html_file.read_text(encoding="utf-8")
    assert text.count('<table class="heat">') == 1
    assert 'class="cell c0"' in text  # a linked goal nobody measures shows as a hole
    assert "<polyline" in text  # trend lines of the threshold misses
    for heading in HEADINGS:
        assert heading in text


@pytest.mark.browser
def test_html_renders_in_chromium(html_file, screenshot, dump_dom, tmp_path):
    from helpers import luminance_stats

    png = screenshot(html_file.as_uri(), tmp_path / "report.png", width=1280, height=1600)
    variance, colours = luminance_stats(png.read_bytes())
    assert variance > 100 and colours > 20, (variance, colours)  # not a blank page
    dom = dump_dom(html_file.as_uri())
    for heading in HEADINGS:
        assert heading in dom
    assert dom.count("<table") >= 8
    assert "MED-4" in dom and "Rapporteres kvalitativt" in dom
