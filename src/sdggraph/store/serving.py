"""How the service's query workers and server processes open the built store (no rdflib here: it is
imported by every worker process as it starts)."""

from __future__ import annotations

import os

import pyoxigraph


def open_for_queries(path: str, memory_mb: float) -> pyoxigraph.Store:
    """The store at `path` to answer queries from: a copy in memory when it takes at most `memory_mb`
    MB on disk, else the store itself, read-only. pyoxigraph answers the named questions 2–3× faster
    from memory than from RocksDB (bench/README); the copy holds the store's quads, blank nodes included
    (tests/test_memory_store.py), and costs about 3× the disk size (Asker: 17 MB) in RAM per process."""
    store = pyoxigraph.Store.read_only(path)
    if memory_mb <= 0 or disk_bytes(path) > memory_mb * 2**20:
        return store
    copy = pyoxigraph.Store()
    copy.bulk_extend(store)  # its terms as they are: a dump read back would rename the blank nodes
    return copy


def disk_bytes(path: str) -> int:
    """Bytes of the files directly in `path` (a RocksDB store keeps no subdirectories)."""
    with os.scandir(path) as entries:
        return sum(entry.stat().st_size for entry in entries if entry.is_file())
