"""Query workers live as long as the server process, whichever thread started them.

The kernel's PR_SET_PDEATHSIG (the workers die with the server) fires when the *thread* that
started a worker ends. A replacement started by a request's thread was killed mid-query once that
thread ended: a 500 for a named question under load (bench/attack.py row 8)."""

from __future__ import annotations

import os
import signal
import threading
import time

from sdggraph.layout import STORE_DIR
from sdggraph.server.executor import Job, QueryExecutor
from sdggraph.server.processes import die_with_parent

CHEAP = "ASK { ?s ?p ?o }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # never finishes


def test_a_worker_started_from_a_thread_that_ends_outlives_the_thread(build_dir):
    pool = QueryExecutor(build_dir / STORE_DIR, workers=1, fast_workers=0, timeout=1, fast_seconds=0.5)
    pool.start(wait=True)
    try:
        first = pool.worker_pids()
        outcomes = []

        def ask_then_end():
            # Stopped at the timeout: the pool retires the worker and starts its replacement from
            # this thread, which ends once the replacement is up (as a pool thread ends when idle).
            outcomes.append(pool.run(Job(RUNAWAY)))
            pool.wait_ready()

        asker = threading.Thread(target=ask_then_end)
        asker.start()
        asker.join()
        assert outcomes[0].status == "timeout"
        time.sleep(0.5)  # the death signal would have come by now
        replacement = pool.worker_pids()
        assert replacement and replacement != first
        assert pool.run(Job(CHEAP)).status == "ok"
        assert pool.worker_pids() == replacement
    finally:
        pool.close()


def test_a_process_whose_parent_ended_before_the_prctl_exits_at_once():
    child = os.fork()
    if child == 0:  # no death signal can come for a parent that is gone: exit 1, else 0
        try:
            die_with_parent(parent=-1, signum=signal.SIGKILL)  # -1: never this process's parent
        finally:
            os._exit(0)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 1
