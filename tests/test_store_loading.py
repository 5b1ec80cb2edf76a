"""store/loading.load_files: N-Quads files loaded at once make the store one file makes."""

from __future__ import annotations

import re

import pyoxigraph
import pytest

from sdggraph.layout import DATASET_FILE
from sdggraph.store.loading import load_files


def _quads(store_dir) -> list[str]:
    """The store's quads, blank nodes as "_:" (each load names them anew)."""
    store = pyoxigraph.Store.read_only(str(store_dir))
    return sorted(re.sub(r"_:\w+", "_:", str(quad)) for quad in store)


def test_files_loaded_at_once_make_the_same_store_as_one_file(build_dir, tmp_path):
    lines = (build_dir / DATASET_FILE).read_text(encoding="utf-8").splitlines(keepends=True)
    # a blank node label names one node within one file: their lines stay together, in the first
    with_blank = [line for line in lines if "_:" in line]
    without = [line for line in lines if "_:" not in line]
    whole, halves = tmp_path / "whole.nq", [tmp_path / "first.nq", tmp_path / "second.nq"]
    whole.write_text("".join(lines), encoding="utf-8")
    halves[0].write_text("".join(with_blank + without[::2]), encoding="utf-8")
    halves[1].write_text("".join(without[1::2]), encoding="utf-8")
    steps = load_files(tmp_path / "from-one", [whole])
    assert set(steps) == {"bulk_load", "flush", "optimize"}
    load_files(tmp_path / "from-two", halves, lenient=True)
    from_one = _quads(tmp_path / "from-one")
    assert len(from_one) == len(set(lines)) and from_one == _quads(tmp_path / "from-two")
    assert with_blank  # the case of blank nodes is met


def test_a_broken_file_among_several_is_raised(tmp_path):
    good, bad = tmp_path / "good.nq", tmp_path / "bad.nq"
    good.write_text("<urn:a> <urn:b> <urn:c> <urn:g> .\n", encoding="utf-8")
    bad.write_text("<urn:a> <urn:b> .\n", encoding="utf-8")
    with pytest.raises(SyntaxError):
        load_files(tmp_path / "store", [good, bad])
