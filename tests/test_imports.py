"""Every module of the package imports on its own in a fresh interpreter: an import cycle shows
only when a command happens to import a module of the cycle first (`sdggraph export datacube` did)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import sdggraph

MODULES = sorted(name for _, name, _ in pkgutil.walk_packages(sdggraph.__path__, "sdggraph.")
                 if not name.endswith("__main__"))


def test_every_module_imports_first():
    def first(name):
        done = subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True, text=True)
        return name, done.returncode, done.stderr[-600:]
    with ThreadPoolExecutor(2) as pool:
        failed = [(name, err) for name, code, err in pool.map(first, MODULES) if code]
    assert len(MODULES) > 40 and not failed, failed
