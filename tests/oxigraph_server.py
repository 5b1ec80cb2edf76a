"""Start a real Oxigraph server (the `oxigraph` PyPI package's binary) on a free loopback port.

Used by the `oxigraph_server` fixture in conftest.py and by tests that need a server started
another way (e.g. with --union-default-graph). Loopback only; every wait is bounded.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from helpers import free_port, stop

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0


def oxigraph_binary() -> str | None:
    """The venv's oxigraph (next to this Python) first, then one on PATH."""
    beside = Path(sys.executable).with_name("oxigraph")
    if beside.is_file():
        return str(beside)
    return shutil.which("oxigraph")


@dataclass
class OxigraphServer:
    base: str  # http://127.0.0.1:<port>
    process: subprocess.Popen
    engine: str = "oxigraph"
    auth = None          # Oxigraph's server has no authentication
    credentials = None

    @property
    def query_url(self) -> str:   # SPARQL 1.1 Protocol
        return self.base + "/query"

    @property
    def update_url(self) -> str:  # SPARQL 1.1 Update
        return self.base + "/update"

    @property
    def store_url(self) -> str:   # SPARQL 1.1 Graph Store HTTP Protocol
        return self.base + "/store"


def _wait_until_up(process: subprocess.Popen, base: str, log: Path) -> bool:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False  # exited (port taken between probe and bind, or a real failure)
        try:
            if httpx.get(base + "/query", params={"query": "ASK {}"}, timeout=2.0).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"oxigraph did not answer on {base} within {START_TIMEOUT_S:g} s: {log.read_text()[-2000:]}")


@contextlib.contextmanager
def running_oxigraph(location: Path, *options: str, binary: str | None = None, attempts: int = 3):
    """`oxigraph serve --location LOCATION --bind 127.0.0.1:<free port> OPTIONS…`, yielded up and running."""
    binary = binary or oxigraph_binary()
    if binary is None:
        raise FileNotFoundError("the oxigraph server binary is not installed (pip install oxigraph)")
    location.mkdir(parents=True, exist_ok=True)
    log = location.parent / f"{location.name}.log"
    for _ in range(attempts):
        base = f"http://127.0.0.1:{free_port()}"
        with log.open("w") as out:
            process = subprocess.Popen([binary, "serve", "--location", str(location), "--bind", base[len("http://"):],
                                        *options], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            if _wait_until_up(process, base, log):
                yield OxigraphServer(base, process)
                return
        finally:
            stop(process, STOP_TIMEOUT_S)
    raise RuntimeError(f"oxigraph would not start ({attempts} attempts): {log.read_text()[-2000:]}")
