"""The service answers from a copy of the store in memory when the store is small (store/serving):
the copy holds the store's quads, every named question answers the same bytes from it as from the
store on disk (the reference), a write to it never reaches the build, a query worker answering
from it holds none of the store's files open, and a store above the limit, or a limit of 0, is
read from disk."""

from __future__ import annotations

import os
from pathlib import Path

import pyoxigraph
import pytest

from sdggraph.layout import STORE_DIR
from sdggraph.query import named
from sdggraph.server.executor import Job, QueryExecutor, run_job
from sdggraph.store.serving import disk_bytes, open_for_queries

EXAMPLE = pyoxigraph.Quad(pyoxigraph.NamedNode("https://example.org/s"), pyoxigraph.NamedNode("https://example.org/p"),
                          pyoxigraph.Literal("SYNTHETIC test triple"), pyoxigraph.DefaultGraph())


@pytest.fixture(scope="module")
def stores(build_dir):
    path = str(build_dir / STORE_DIR)
    return open_for_queries(path, memory_mb=1024), open_for_queries(path, memory_mb=0)


def test_the_copy_in_memory_holds_the_stores_quads(stores):
    in_memory, on_disk = stores
    assert len(in_memory) == len(on_disk) > 10_000
    assert set(in_memory) == set(on_disk)


@pytest.mark.parametrize("name", sorted(named.discover()))
def test_every_named_question_answers_the_same_bytes_from_memory_as_from_disk(stores, build_dir, name):
    query = named.discover()[name]
    text = query.with_values({}, named.defaults_in(query, build_dir))
    in_memory, on_disk = (run_job(store, Job(text, union=True, tabular_format="json"), {}) for store in stores)
    assert in_memory.status == on_disk.status == "ok", (in_memory.message, on_disk.message)
    assert in_memory.body == on_disk.body


def test_a_write_to_the_copy_never_reaches_the_build(build_dir):
    path = str(build_dir / STORE_DIR)
    copy = open_for_queries(path, memory_mb=1024)
    copy.add(EXAMPLE)
    assert EXAMPLE in copy
    assert EXAMPLE not in open_for_queries(path, memory_mb=0)
    with pytest.raises(RuntimeError, match="read-write"):  # what is read from disk is read-only
        open_for_queries(path, memory_mb=0).add(EXAMPLE)


def test_a_store_above_the_limit_is_read_from_disk(build_dir):
    path = str(build_dir / STORE_DIR)
    just_below = (disk_bytes(path) - 1) / 2**20
    with pytest.raises(RuntimeError, match="read-write"):
        open_for_queries(path, memory_mb=just_below).add(EXAMPLE)
    open_for_queries(path, memory_mb=just_below + 2 / 2**20).add(EXAMPLE)  # at the limit: in memory


def store_files_open(pid: int, store: Path) -> int:
    """How many files of the store directory the process `pid` holds open (from /proc)."""
    opened = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            opened += Path(os.readlink(fd)).parent == store
        except OSError:  # closed meanwhile
            pass
    return opened


@pytest.mark.parametrize("memory_store_mb", [32, 0])
def test_a_query_worker_reads_a_small_store_from_memory_and_lets_go_of_its_files(build_dir, memory_store_mb):
    store = (build_dir / STORE_DIR).resolve()
    pool = QueryExecutor(store, workers=1, fast_workers=0, timeout=5, memory_store_mb=memory_store_mb)
    pool.start(wait=True)
    try:
        assert pool.run(Job("ASK { ?s ?p ?o }", union=True, tabular_format="json")).body.endswith(b"true}")
        (pid,) = pool.worker_pids()
        if memory_store_mb:
            assert store_files_open(pid, store) == 0  # the copy in memory answers
        else:
            assert store_files_open(pid, store) > 0  # RocksDB's files
    finally:
        pool.close()
