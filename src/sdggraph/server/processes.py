"""Several HTTP server processes on one listening socket (`sdggraph serve --http-processes N`).

One Python process answers HTTP on one event loop under one GIL: cheap answers then cost ~1 core
however many the machine has (on 2 cores, ~0.9 k cold named questions a second where Oxigraph's
server gives ~2 k). N processes accept from the same socket, each with its own app: its own query
workers, admission queue, in-process threads and result cache, so every bound of one process holds
per process, and the service's total is N times it (memory too). Files derived from a build are
still made once: their lock is a file lock (server/derived).

The supervising process binds the socket, forks the N server processes before it starts any
thread, and then only waits: SIGTERM or SIGINT is passed on to every server process, each of which
stops within its own grace (cli/serve), and any still alive after `stop_within` seconds is killed.
A server process that dies on its own is started again, unless it died during its start-up (then
the others are stopped and the exit status is 2). Each server process dies with the supervisor
(PR_SET_PDEATHSIG), as its query workers die with it. POSIX only (fork).
"""

from __future__ import annotations

import logging
import os
import signal
import time
from typing import Callable

log = logging.getLogger("sdggraph.serve")

START_UP_SECONDS = 10.0  # a server process that exits sooner after its start failed to start
RESTART_PAUSE = 1.0  # seconds between restarts of a server process, so a crash loop cannot spin


class _Stop(Exception):
    pass


def _stop(signum, frame):
    raise _Stop()


def die_with_parent(parent: int, signum: int) -> None:
    """Linux: the kernel sends `signum` to this process when its parent ends (PR_SET_PDEATHSIG).

    "Parent" is the *thread* that started this process: it must be one that lasts (the
    supervisor's main thread; executor.start_process for query workers). If the parent died
    before the prctl took effect, no signal will come: then exit at once."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signum)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:
        os._exit(1)


def _start(serve_one: Callable[[], int]) -> int:
    supervisor = os.getpid()
    pid = os.fork()
    if pid == 0:  # the server process
        code = 2
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            die_with_parent(supervisor, signal.SIGTERM)  # a graceful stop
            code = serve_one()
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 2
        except BaseException:  # noqa: BLE001 (told, then the status says it)
            log.exception("a server process failed")
        finally:
            logging.shutdown()
            os._exit(code)
    return pid


def supervise(count: int, serve_one: Callable[[], int], stop_within: float) -> int:
    """Run `serve_one` in `count` forked processes until SIGTERM/SIGINT; the exit status."""
    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    started: dict[int, float] = {}
    status = 0
    try:
        try:
            for _ in range(count):
                started[_start(serve_one)] = time.monotonic()
            log.info("%d HTTP server processes: %s", count, ", ".join(map(str, started)))
            while True:
                pid, wait_status = os.wait()
                began = started.pop(pid, None)
                if began is None:
                    continue
                code = os.waitstatus_to_exitcode(wait_status)
                if time.monotonic() - began < START_UP_SECONDS:
                    log.error("HTTP server process %d exited during its start-up (status %s): stopping", pid, code)
                    status = 2
                    break
                log.error("HTTP server process %d exited (status %s): starting another", pid, code)
                time.sleep(RESTART_PAUSE)
                started[_start(serve_one)] = time.monotonic()
        except _Stop:
            pass
        for sig in previous:  # a second signal during the stop does not interrupt it
            signal.signal(sig, signal.SIG_IGN)
        _stop_all(started, stop_within)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return status


def _stop_all(running: dict[int, float], stop_within: float) -> None:
    for pid in running:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + stop_within
    alive = set(running)
    while alive and time.monotonic() < deadline:
        for pid in list(alive):
            try:
                if os.waitpid(pid, os.WNOHANG)[0]:
                    alive.discard(pid)
            except ChildProcessError:
                alive.discard(pid)
        time.sleep(0.05)
    for pid in alive:
        log.error("HTTP server process %d did not stop in time: killed", pid)
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
