"""sdggraph.forked.Beside: a function run in a child process beside the caller's work."""

from __future__ import annotations

import os
import time

import pytest

from sdggraph.forked import Beside


def test_the_result_comes_back_from_a_child_process():
    work = Beside(lambda: {"pid": os.getpid(), "rows": list(range(100_000))})
    value = work.result()
    assert value["pid"] != os.getpid() and len(value["rows"]) == 100_000  # larger than a pipe's buffer


def test_an_error_in_the_child_is_raised_in_the_caller():
    def fails():
        raise ValueError("planted")
    with pytest.raises(ValueError, match="planted"):
        Beside(fails).result()


def test_without_fork_it_runs_in_the_caller():
    assert Beside(os.getpid, fork=False).result() == os.getpid()


def test_cancel_stops_a_child_that_still_runs():
    work = Beside(lambda: time.sleep(60))
    pid = work._pid
    started = time.perf_counter()
    work.cancel()
    assert time.perf_counter() - started < 5
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
