"""Shared fixtures: one build of the bundled data per test session, ../shared when present,
and headless Chromium (installed from Debian's packages when missing, as CI needs)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED_DIR.is_dir():
        if os.environ.get("CI"):  # CI has ../shared: a skip there would hide a failure
            pytest.fail(f"CI=true but {SHARED_DIR} is absent")
        pytest.skip("../shared is absent (a user's clone): source cross-checks skipped")
    return SHARED_DIR


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory) -> Path:
    """The bundled data built once into a temporary directory. Tests pass it on explicitly (or run
    in `project_dir`, as a user would); nothing points at it behind their back."""
    from sdggraph.compile.build import build

    out = tmp_path_factory.mktemp("sdggraph") / "build"
    build(out)
    return out


@pytest.fixture
def project_dir(build_dir, monkeypatch) -> Path:
    """Run in the folder that holds the session's build as ./build, the way a user runs commands
    after `sdggraph build`, so commands without --build-dir find it by the documented default."""
    monkeypatch.delenv("SDGGRAPH_BUILD_DIR", raising=False)
    monkeypatch.chdir(build_dir.parent)
    return build_dir.parent


@pytest.fixture(scope="session")
def live_service(build_dir):
    """`sdggraph serve` on a free loopback port (2 workers) for real clients; its base URL."""
    from helpers import free_port, stop, wait_until_answering

    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "sdggraph.cli", "serve", "--host", "127.0.0.1", "--port",
                                str(port), "--workers", "2", "--build-dir", str(build_dir)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(process, url + "/sparql?query=ASK%7B%7D", limit_s=120)
    except RuntimeError as error:
        pytest.fail(str(error))
    yield url
    stop(process)


@pytest.fixture(scope="session")
def built_graph(build_dir):
    """The built graph (all layers) as one rdflib Graph."""
    from sdggraph.store.local import rdflib_graph

    return rdflib_graph(build_dir)


DEBIAN_BROWSER_PACKAGES = ("chromium", "chromium-driver")


def _browser_binaries() -> tuple[str | None, str | None]:
    return (shutil.which("chromium") or shutil.which("chromium-browser"), shutil.which("chromedriver"))


def _install_chromium() -> None:
    """Debian's chromium and chromium-driver, without recommended extras; a failure says why."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.fail("headless Chromium is missing and cannot be installed here (needs root and apt-get): "
                    "apt-get install --no-install-recommends " + " ".join(DEBIAN_BROWSER_PACKAGES))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *DEBIAN_BROWSER_PACKAGES]):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            pytest.fail(f"`{' '.join(command)}` failed ({done.returncode}):\n{done.stderr[-2000:]}")


@pytest.fixture(scope="session")
def browser_binaries() -> tuple[str, str]:
    """(chromium, chromedriver): Debian's, installed when missing."""
    chromium, driver = _browser_binaries()
    if not chromium or not driver:
        _install_chromium()
        chromium, driver = _browser_binaries()
    if not chromium or not driver:
        pytest.fail(f"after installing {DEBIAN_BROWSER_PACKAGES}: chromium={chromium}, chromedriver={driver}")
    return chromium, driver


@pytest.fixture(scope="session")
def chromium(browser_binaries) -> str:
    """Path of a headless-capable Chromium."""
    return browser_binaries[0]


@pytest.fixture(scope="session")
def chromedriver(browser_binaries) -> str:
    """Path of the ChromeDriver that matches it (Selenium is given it, so it never downloads one)."""
    return browser_binaries[1]


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars"]


@pytest.fixture(scope="session")
def screenshot(chromium, tmp_path_factory):
    """screenshot(url, png_path, width=1280, height=2000): render a page headless to a PNG."""
    def take(url: str, png: Path, width: int = 1280, height: int = 2000) -> Path:
        profile = tmp_path_factory.mktemp("chromium-profile")
        subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
                        f"--screenshot={png}", "--virtual-time-budget=5000", url],
                       check=True, capture_output=True, timeout=120)
        return png
    return take


@pytest.fixture(scope="session")
def dump_dom(chromium, tmp_path_factory):
    """dump_dom(url): the DOM after scripts ran, as HTML text."""
    def dump(url: str) -> str:
        profile = tmp_path_factory.mktemp("chromium-profile")
        done = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=5000",
                               "--dump-dom", url], check=True, capture_output=True, timeout=120, text=True)
        return done.stdout
    return dump


@pytest.fixture(scope="module")
def oxigraph_server(tmp_path_factory):
    """A real Oxigraph server (`oxigraph serve`, plain: no --union-default-graph) on a free
    loopback port, empty, one per test module; yields tests/oxigraph_server.OxigraphServer."""
    from oxigraph_server import running_oxigraph

    with running_oxigraph(tmp_path_factory.mktemp("oxigraph") / "db") as server:
        yield server
