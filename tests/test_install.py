"""Installed like any Python tool: a wheel into a fresh venv, then build → query → check → serve,
run from an empty directory that is not the checkout."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest
from helpers import free_port, stop, wait_until_answering

REPO_ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(dist),
                           str(REPO_ROOT)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    (built,) = dist.glob("sdggraph-*.whl")
    return built


def test_the_wheel_carries_the_inputs(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("sdggraph/bundled/ontology/sdggraph.ttl", "sdggraph/bundled/data/kommuneplan/kommuneplan.ttl",
                     "sdggraph/bundled/data/indicators/04-helse.observations.csv",
                     "sdggraph/bundled/shapes/integrity.ttl", "sdggraph/bundled/shapes/profiles/ks-taxonomy.ttl",
                     "sdggraph/bundled/queries/indikator-tidsserie.rq", "sdggraph/web/index.html",
                     "sdggraph/templates/coverage.html"):
        assert required in names, f"{required} is not in {wheel.name}"


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh venv with the wheel installed (not the checkout). Its dependencies are the test
    environment's own (same versions, no download): a .pth file adds that site-packages after the
    venv's own, and .pth files inside it (the checkout's editable install) are not processed."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "zz-test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    where = subprocess.run([str(python), "-c", "import sdggraph; print(sdggraph.__file__)"],
                           check=True, capture_output=True, text=True).stdout
    assert where.startswith(str(venv)), f"sdggraph was imported from {where}, not from the installed wheel"
    return venv


def sdggraph(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(venv / "bin" / "sdggraph"), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


def test_build_query_check_serve_from_any_directory(installed, tmp_path, build_dir):
    work = tmp_path / "somewhere"
    work.mkdir()
    built = sdggraph(installed, "build", cwd=work)
    assert built.returncode == 0, built.stderr
    assert (work / "build" / "manifest.json").is_file(), "build writes ./build where it runs"
    manifest = json.loads((work / "build" / "manifest.json").read_text(encoding="utf-8"))
    from_checkout = json.loads((build_dir / "manifest.json").read_text(encoding="utf-8"))
    same = {name: digest for name, digest in from_checkout["sha256"].items() if name.endswith(".nt")}
    assert {name: manifest["sha256"][name] for name in same} == same, "the wheel builds the checkout's graph"
    assert manifest["loaded"] == from_checkout["loaded"]

    series = sdggraph(installed, "query", "--name", "indikator-tidsserie", "--param", "indicator=OKO-01",
                      "--format", "csv", cwd=work)
    assert series.returncode == 0, series.stderr
    assert "18" in series.stdout and len(series.stdout.splitlines()) >= 5
    checked = sdggraph(installed, "check", cwd=work)
    assert checked.returncode == 0 and "integrity checks passed" in checked.stdout, checked.stdout + checked.stderr
    assert not checked.stdout.startswith("All 0 "), "the checks were found"

    port = free_port()
    server = subprocess.Popen([str(installed / "bin" / "sdggraph"), "serve", "--port", str(port), "--workers", "1"],
                              cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_answering(server, url + "/sparql?query=ASK%7B%7D", limit_s=120)
        query = "SELECT (COUNT(?i) AS ?n) WHERE { ?i a <https://w3id.org/sdggraph/ontology#Indicator> }"
        request = urllib.request.Request(url + "/sparql?" + urllib.parse.urlencode({"query": query}),
                                         headers={"Accept": "application/sparql-results+json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            count = json.load(response)["results"]["bindings"][0]["n"]["value"]
        assert count == "100"
    finally:
        stop(server)


def test_a_build_without_inputs_fails_and_says_where_it_looked(installed, tmp_path):
    empty = tmp_path / "empty-data"
    empty.mkdir()
    done = sdggraph(installed, "build", "--data", str(empty), cwd=tmp_path)
    assert done.returncode == 2
    assert str(empty) in done.stderr and "nothing to build" in done.stderr
    assert not (tmp_path / "build").exists()
