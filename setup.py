"""Packaging hook: the wheel carries the hand-edited inputs (ontology/, data/, shapes/, queries/)
as package data under sdggraph/bundled/, so an installed sdggraph builds the Asker graph from any
directory. The checkout keeps them at the top level, where they are edited."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

INPUT_DIRS = ("ontology", "data", "shapes", "queries")


class build_py_with_inputs(build_py):
    def run(self):
        super().run()
        if self.editable_mode:  # an editable install reads the checkout itself
            return
        root = Path(__file__).resolve().parent
        target = Path(self.build_lib) / "sdggraph" / "bundled"
        shutil.rmtree(target, ignore_errors=True)
        for name in INPUT_DIRS:
            shutil.copytree(root / name, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": build_py_with_inputs})
