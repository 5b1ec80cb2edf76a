"""The query editor (YASGUI, bundled) in headless Chromium, against the real service (`sdggraph serve`
on loopback): highlighting, completion from our prefixes and vocabulary, a named question without
developer comments, results with labels, sorting, paging, download, the chart, readable syntax
errors, Norwegian numbers, and no request to any other host.

Selenium drives Debian's chromium with Debian's chromedriver, both named explicitly, so
Selenium Manager is never asked to find or download anything.
"""

from __future__ import annotations

import csv
import re
import time

import pytest
from helpers import luminance_stats

from sdggraph import layout

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def service(live_service):
    return live_service


@pytest.fixture(scope="module")
def downloads(tmp_path_factory):
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(chromium, chromedriver, downloads):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--window-size=1280,1200"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


def missing_figures(year: str) -> int:
    count = 0
    for path in sorted(layout.data_dir().rglob("*.observations.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            count += sum(1 for row in csv.DictReader(handle) if row["year"] == year and row["status"] != "measured")
    return count


def wait(browser, condition, seconds: float = 30):
    """condition() once it is truthy; an element that the page re-rendered while it was read (e.g.
    the completion list, redrawn as its entries arrive) counts as not yet."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, seconds, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda _: condition())


def active(browser, css: str):
    """An element in the active YASGUI tab."""
    from selenium.webdriver.common.by import By

    return browser.find_elements(By.CSS_SELECTOR, ".tabPanel.active " + css)


def run_query(browser):
    """Run the active tab's query and wait until its answer is drawn (not the tab's previous one)."""
    browser.execute_script("window.__answered = false;"
                           "sdggraph.yasgui.once('queryResponse', () => setTimeout(() => { window.__answered = true; }, 200));")
    active(browser, "button.yasqe_queryButton")[0].click()
    wait(browser, lambda: browser.execute_script("return window.__answered"))


def rows(browser):
    return active(browser, ".yasr .dataTable tbody tr")


def table_cells(browser, column: int) -> list[str]:
    return [row.find_elements("css selector", "td")[column].text for row in rows(browser)]


def headings(browser) -> list[str]:
    return [th.text for th in active(browser, ".yasr .dataTable thead th")]


def set_query(browser, text: str) -> None:
    browser.execute_script("const y = sdggraph.yasgui.getTab().getYasqe(); y.setValue(arguments[0]);"
                           "y.focus(); y.setCursor(y.lineCount(), 0);", text)


@pytest.fixture(scope="module")
def page(service, browser):
    from selenium.webdriver.common.by import By

    browser.get(service + "/")
    wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, 'button.example[data-name="indikatorer-uten-tall"]'))
    return browser


# ---- the editor ------------------------------------------------------------------------------

def test_the_editor_highlights_sparql(page):
    assert "Spør grafen" in page.title
    # read within wait(): the editor may redraw its lines (new elements) while they are read
    assert wait(page, lambda: {"PREFIX", "SELECT", "WHERE"} <= {k.text for k in active(page, ".CodeMirror .cm-keyword")})
    assert active(page, ".CodeMirror .cm-variable-3, .CodeMirror .cm-atom")  # ?variables have their own colour


def test_prefix_completion_offers_sg(page):
    from selenium.webdriver.common.keys import Keys

    set_query(page, "PREFIX ")
    page.switch_to.active_element.send_keys("s")
    hints = wait(page, lambda: [h.text for h in page.find_elements("css selector", ".CodeMirror-hints li")])
    assert "sg: <https://w3id.org/sdggraph/ontology#>" in hints
    assert not any("dbpedia" in hint or "foaf" in hint for hint in hints)  # ours, not prefix.cc's
    page.switch_to.active_element.send_keys(Keys.ESCAPE)


def test_class_and_property_completion_from_our_ontology(page):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    set_query(page, "PREFIX sg: <https://w3id.org/sdggraph/ontology#>\nSELECT * WHERE { ?x a sg:Ind")
    ActionChains(page).key_down(Keys.CONTROL).send_keys(Keys.SPACE).key_up(Keys.CONTROL).perform()
    hints = wait(page, lambda: [h.text for h in page.find_elements("css selector", ".CodeMirror-hints li")])
    assert "sg:Indicator" in hints and "sg:IndicatorObservation" in hints
    page.switch_to.active_element.send_keys(Keys.ESCAPE)
    set_query(page, "PREFIX sg: <https://w3id.org/sdggraph/ontology#>\nSELECT * WHERE { ?x sg:meas")
    ActionChains(page).key_down(Keys.CONTROL).send_keys(Keys.SPACE).key_up(Keys.CONTROL).perform()
    hints = wait(page, lambda: [h.text for h in page.find_elements("css selector", ".CodeMirror-hints li")])
    assert "sg:measures" in hints
    page.switch_to.active_element.send_keys(Keys.ESCAPE)


# ---- a named question, its results --------------------------------------------------------------

@pytest.fixture(scope="module")
def missing_2024(page):
    from selenium.webdriver.common.by import By

    page.find_element(By.CSS_SELECTOR, 'button.example[data-name="indikatorer-uten-tall"]').click()
    text = wait(page, lambda: page.execute_script("return sdggraph.yasgui.getTab().getYasqe().getValue()"))
    run_query(page)
    wait(page, lambda: len(rows(page)) > 0)
    return text


def test_a_named_question_shows_its_question_and_parameters_not_developer_notes(page, missing_2024):
    assert missing_2024.startswith("# question-nb: Hvilke indikatorer har ikke tall")
    assert "# question-en: Which indicators" in missing_2024
    assert "# parameter year = 2024 (@latest-reporting-year) → ?year" in missing_2024  # computed from the editions
    assert "100×" not in missing_2024 and "OPTIONAL + !BOUND" not in missing_2024
    assert page.find_element("id", "query-question").text.startswith("Hvilke indikatorer har ikke tall")
    tabs = [tab.text for tab in page.find_elements("css selector", ".tab.active")]
    assert len(tabs) == 1 and "indikatorer-uten-tall" in tabs[0], tabs


def test_results_have_labels_and_norwegian_headings_and_numbers(page, missing_2024):
    assert len(rows(page)) == missing_figures("2024") == 49  # one page of 50
    heads = headings(page)
    assert "Status" in heads and "statusLabel" not in heads and "ID" in heads and "Navn" in heads
    status = table_cells(page, heads.index("Status"))
    assert set(status) == {"Tall kommer", "Ikke målt"}  # the status IRI shown by its label
    link = active(page, ".yasr .dataTable tbody tr td a.iri")[0]
    assert link.get_attribute("href").startswith(page.current_url.split("/#")[0].rstrip("/") + "/kommune/3203/")
    assert "@nb" not in active(page, ".yasr .dataTable")[0].text
    info = active(page, ".yasr_response_chip")[0].text
    assert re.fullmatch(r"49 rader på \d+,\d\d s", info), info  # decimal comma in the timing


def test_sorting_and_paging(page, missing_2024):
    from selenium.webdriver.support.ui import Select

    id_column = headings(page).index("ID")
    ids = table_cells(page, id_column)
    assert ids == sorted(ids)
    header = active(page, ".yasr .dataTable thead th")[id_column]
    header.click()
    header.click()  # the second click sorts descending (the first: ascending, as already ordered)
    wait(page, lambda: table_cells(page, id_column)[0] == max(ids))
    assert table_cells(page, id_column) == sorted(ids, reverse=True)
    Select(active(page, "select.tableSizer")[0]).select_by_value("10")
    wait(page, lambda: len(rows(page)) == 10)
    assert "Rad 1–10 av 49" in active(page, ".dataTables_info")[0].text
    active(page, ".paginate_button.next")[0].click()
    wait(page, lambda: "Rad 11–20 av 49" in active(page, ".dataTables_info")[0].text)
    assert len(rows(page)) == 10
    Select(active(page, "select.tableSizer")[0]).select_by_value("50")
    wait(page, lambda: len(rows(page)) == 49)


def test_download_gives_the_rows_as_csv(page, missing_2024, downloads):
    active(page, ".yasr_downloadIcon")[0].click()
    files = wait(page, lambda: [p for p in downloads.iterdir() if p.suffix == ".csv"])
    time.sleep(0.5)  # the browser finishes writing
    with files[0].open(encoding="utf-8", newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0][:3] == ["year", "indicator", "id"] and len(table) == 1 + 49


def test_a_parameter_is_bound_by_the_server(page, missing_2024):
    year = page.find_element("id", "param-year")
    year.clear()
    year.send_keys("2021")
    page.find_element("id", "query-title").click()  # leaving the field fires `change`
    wait(page, lambda: '"2021"^^' in page.execute_script("return sdggraph.yasgui.getTab().getYasqe().getValue()"))
    run_query(page)
    wait(page, lambda: len(rows(page)) == missing_figures("2021"))
    png = page.get_screenshot_as_png()
    variance, colours = luminance_stats(png)
    assert variance > 100 and colours > 20, (variance, colours)


# ---- the chart ------------------------------------------------------------------------------------

def test_a_series_is_drawn_as_a_line_chart(page):
    from selenium.webdriver.common.by import By

    page.find_element(By.CSS_SELECTOR, 'button.example[data-name="indikator-tidsserie"]').click()
    wait(page, lambda: "OKO-01" in page.execute_script("return sdggraph.yasgui.getTab().getYasqe().getValue()"))
    run_query(page)
    wait(page, lambda: len(rows(page)) == 4)
    chart = [b for b in active(page, ".yasr .select_chart, .yasr button") if "Diagram" in b.text]
    assert chart, [b.text for b in active(page, ".yasr button")]
    chart[0].click()
    svg = wait(page, lambda: active(page, "svg.sg-chart"))[0]
    assert len(svg.find_elements(By.TAG_NAME, "circle")) == 4
    labels = [t.text for t in svg.find_elements(By.TAG_NAME, "text")]
    assert {"2021", "2024"} <= set(labels) and any("," in label for label in labels)  # decimal comma
    assert svg.find_elements(By.CSS_SELECTOR, "path.axis-break")  # 13,9–18,0: the axis is cut, and says so


# ---- errors, /sparql, offline ------------------------------------------------------------------------

def test_a_syntax_error_is_short_and_marks_its_line(page):
    page.execute_script("sdggraph.yasgui.addTab(true, {name: 'feil'})")
    set_query(page, "SELECT ?x WHERE {\n  ?x ?y\n}")
    run_query(page)
    box = wait(page, lambda: active(page, ".sg-error"))[0]
    assert box.find_element("css selector", ".sg-error-title").text.startswith("Syntaksfeil på linje 3, kolonne")
    detail = box.find_element("css selector", "pre").text
    assert detail.startswith("SPARQL syntax error at line 3, column") and "\\u{" not in detail and len(detail) < 400
    assert active(page, ".CodeMirror .sg-error-line")


def test_a_browser_opening_sparql_gets_the_editor(service, browser):
    browser.get(service + "/sparql")
    wait(browser, lambda: browser.find_elements("css selector", "#yasgui .CodeMirror"))
    assert "Spør grafen" in browser.title


def test_nothing_is_fetched_from_another_host(service, browser):
    browser.get(service + "/")
    wait(browser, lambda: browser.find_elements("css selector", 'button.example[data-name="indikatorer-uten-tall"]'))
    time.sleep(1)
    urls = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert urls and all(url.startswith(service) for url in urls), [u for u in urls if not u.startswith(service)]
    assert any(url.endswith("/editor/prefixes.json") for url in urls)
    assert any(url.endswith("/web/vendor/yasgui/yasgui.min.js") for url in urls)


def test_an_iri_in_the_result_opens_its_page(service, browser):
    from selenium.webdriver.common.by import By

    browser.get(service + "/#q=indikatorer-uten-tall")
    wait(browser, lambda: browser.find_element(By.ID, "query-title").text == "indikatorer-uten-tall")
    run_query(browser)
    wait(browser, lambda: len(rows(browser)) > 0)
    heads = headings(browser)
    cells = rows(browser)[0].find_elements(By.TAG_NAME, "td")
    label = cells[heads.index("Navn")].text
    link = cells[heads.index("Indikator")].find_element(By.TAG_NAME, "a")
    href, iri = link.get_attribute("href"), link.get_attribute("title")
    assert link.text.startswith("indicator:") and href.startswith(service + "/kommune/3203/indicator/")
    browser.get(href)
    heading = wait(browser, lambda: browser.find_elements(By.TAG_NAME, "h1"))[0]
    assert heading.text and label.startswith(heading.text) and heading.text in browser.title
    assert iri in browser.find_element(By.CSS_SELECTOR, "p.iri").text
    assert browser.find_element(By.CSS_SELECTOR, "svg.series").is_displayed()
