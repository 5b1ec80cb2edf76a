"""The query page in headless Chromium, against the real service (`sdggraph serve` on loopback).

Selenium drives Debian's chromium with Debian's chromedriver, both named explicitly, so
Selenium Manager is never asked to find or download anything.
"""

from __future__ import annotations

import csv
import socket
import struct
import subprocess
import sys
import time
import zlib

import httpx
import pytest

from sdggraph import config

pytestmark = pytest.mark.browser

CHROMEDRIVER = "/usr/bin/chromedriver"
STARTUP_LIMIT_S = 90


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def service(build_dir):
    """`sdggraph serve` on a free loopback port; its base URL while it runs."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "sdggraph.cli", "serve", "--host", "127.0.0.1", "--port",
                                str(port), "--workers", "1", "--build-dir", str(build_dir)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_LIMIT_S
    while True:  # wait until it answers (not a timing assertion: a limit on waiting)
        if process.poll() is not None:
            pytest.fail(f"sdggraph serve exited: {process.stderr.read().decode(errors='replace')}")
        try:
            if httpx.get(url + "/queries", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("sdggraph serve did not start")
        time.sleep(0.2)
    yield url
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def browser(chromium):
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--window-size=1280,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


def missing_figures(year: str) -> int:
    count = 0
    for path in sorted(config.DATA_DIR.rglob("*.observations.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            count += sum(1 for row in csv.DictReader(handle) if row["year"] == year and row["status"] != "measured")
    return count


# ---- a tiny PNG decoder (8-bit RGB/RGBA, as Chromium writes screenshots) -------------------

def png_pixels(data: bytes):
    """(width, height, channels, rows of bytes) of a non-interlaced 8-bit RGB or RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, idat, header = 8, [], None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        chunk = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat.append(chunk)
        position += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if kind == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous))
        elif kind == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b, c = previous[i], previous[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(line)
        previous = line
    return width, height, channels, rows


def luminance_stats(png: bytes, step: int = 5) -> tuple[float, int]:
    """Variance of the luminance over a grid of sample pixels, and the number of distinct colours."""
    width, height, channels, rows = png_pixels(png)
    values, colours = [], set()
    for y in range(0, height, step):
        row = rows[y]
        for x in range(0, width, step):
            r, g, b = row[x * channels:x * channels + 3]
            values.append(0.299 * r + 0.587 * g + 0.114 * b)
            colours.add((r, g, b))
    mean = sum(values) / len(values)
    return sum((v - mean) ** 2 for v in values) / len(values), len(colours)


def test_png_decoder_on_a_known_image():
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    # 2×2 RGB: black, white / white, black; rows filtered with Sub and Up
    raw = b"\x01" + bytes([0, 0, 0, 255, 255, 255]) + b"\x02" + bytes([255, 255, 255, 1, 1, 1])
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    assert png_pixels(png)[3] == [bytearray([0, 0, 0, 255, 255, 255]), bytearray([255, 255, 255, 0, 0, 0])]
    variance, colours = luminance_stats(png, step=1)
    assert colours == 2 and variance == pytest.approx(255 ** 2 / 4)


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
