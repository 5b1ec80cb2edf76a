"""The query page in headless Chromium, against the real service (`sdggraph serve` on loopback).

Selenium drives Debian's chromium with Debian's chromedriver, both named explicitly, so
Selenium Manager is never asked to find or download anything.
"""

from __future__ import annotations

import csv

import pytest
from helpers import luminance_stats

from sdggraph import layout

pytestmark = pytest.mark.browser

@pytest.fixture(scope="module")
def service(live_service):
    return live_service


@pytest.fixture(scope="module")
def browser(chromium, chromedriver):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--window-size=1280,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


def missing_figures(year: str) -> int:
    count = 0
    for path in sorted(layout.data_dir().rglob("*.observations.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            count += sum(1 for row in csv.DictReader(handle) if row["year"] == year and row["status"] != "measured")
    return count


# ---- the page --------------------------------------------------------------------------------

def test_a_named_question_runs_and_its_iris_open_their_pages(service, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 30)
    browser.get(service + "/")
    assert "Spør grafen" in browser.title
    question = wait.until(ready.element_to_be_clickable(
        (By.CSS_SELECTOR, 'button.example[data-name="indikatorer-uten-tall"]')))
    assert "Hvilke indikatorer har ikke tall" in question.text
    question.click()
    editor = browser.find_element(By.ID, "sparql")
    wait.until(lambda _: "sg:observationStatus" in editor.get_property("value"))
    browser.find_element(By.ID, "run").click()
    wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, "#result-table tbody tr")))
    rows = browser.find_elements(By.CSS_SELECTOR, "#result-table tbody tr")
    assert len(rows) == missing_figures("2024") == 49
    assert "Tall kommer" in browser.find_element(By.ID, "result-table").text
    assert "49 rader" in browser.find_element(By.ID, "status").text
    for link_id in ("download-csv", "download-json"):
        link = browser.find_element(By.ID, link_id)
        assert link.is_displayed() and link.get_attribute("href").startswith("blob:")

    # a parameter: another year, bound by the server, run again
    year = browser.find_element(By.ID, "param-year")
    year.clear()
    year.send_keys("2021")
    browser.find_element(By.ID, "query-title").click()  # leaving the field fires `change`
    wait.until(lambda _: '"2021"^^' in editor.get_property("value"))
    browser.find_element(By.ID, "run").click()
    wait.until(lambda _: len(browser.find_elements(By.CSS_SELECTOR, "#result-table tbody tr")) == missing_figures("2021"))

    png = browser.get_screenshot_as_png()
    variance, colours = luminance_stats(png)
    assert variance > 100 and colours > 20, (variance, colours)

    # an IRI in the result opens its page, with its label as the heading
    header = [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "#result-table thead th")]
    cells = browser.find_element(By.CSS_SELECTOR, "#result-table tbody tr").find_elements(By.TAG_NAME, "td")
    label = cells[header.index("label")].text
    link = cells[header.index("indicator")].find_element(By.TAG_NAME, "a")
    href, iri = link.get_attribute("href"), link.get_attribute("title")
    assert link.text.startswith("indicator:") and href.startswith(service + "/kommune/3203/indicator/")
    link.click()
    heading = wait.until(ready.presence_of_element_located((By.TAG_NAME, "h1")))
    assert browser.current_url == href
    assert heading.text and label.startswith(heading.text) and heading.text in browser.title
    assert iri in browser.find_element(By.CSS_SELECTOR, "p.iri").text
    assert browser.find_element(By.CSS_SELECTOR, "svg.series").is_displayed()
