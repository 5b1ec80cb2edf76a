"""The process derived files are computed in: exports and reports (rdflib, seconds of CPU each).

In the server process they held its GIL: while the start-up warm-up made them, with 6 runaway
clients and updates enabled, a bystander's `ASK {}` had p99 791 ms (29 ms without the warm-up),
and the server process grew by ~150 MB. A spawned child computes them instead, one at a time,
under the query workers' address-space cap, and dies with the server. It stops after
IDLE_SECONDS without work (its memory goes back), and the next call starts another.

`DeriveChild.call(fn, *args)` runs a module-level function there and returns its result, or
raises its error as CheckFailed, BuildMissingError or SdggraphError with the same message; a
child that dies (the memory cap) or overruns `seconds` is killed and ChildFailed is raised.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading

from ..errors import BuildMissingError, CheckFailed, SdggraphError
from .executor import limit_memory, start_process
from .processes import die_with_parent

IDLE_SECONDS = 60.0
STARTUP_SECONDS = 60.0


class ChildFailed(SdggraphError):
    """The child died or overran: the computation may succeed another time (not remembered)."""


def _child_main(conn, parent: int, memory_mb: int) -> None:
    die_with_parent(parent, signal.SIGKILL)
    limit_memory(memory_mb)
    conn.send(("ready", None))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):  # the server went away
            return
        if job is None:
            return
        fn, args = job
        try:
            reply = ("ok", fn(*args))
        except CheckFailed as error:
            reply = ("check-failed", str(error))
        except BuildMissingError as error:
            reply = ("build-missing", str(error))
        except SdggraphError as error:
            reply = ("error", str(error))
        except MemoryError:
            reply = ("died", "the computation ran out of memory")
        except Exception as error:  # noqa: BLE001 (a bug: the server answers 500, as it would in-process)
            reply = ("crash", f"{type(error).__name__}: {error}")
        conn.send(reply)


def _build_missing(message: str) -> BuildMissingError:
    error = BuildMissingError.__new__(BuildMissingError)
    Exception.__init__(error, message)  # its own __init__ formats a directory into a message
    return error


class DeriveChild:
    def __init__(self, memory_mb: int = 2048, seconds: float = 600.0, idle_seconds: float = IDLE_SECONDS):
        self.memory_mb, self.seconds, self.idle_seconds = memory_mb, seconds, idle_seconds
        self._lock = threading.Lock()  # one computation at a time; starting and stopping under it
        self._process = None
        self._conn = None
        self._calls = 0
        self._idle_timer: threading.Timer | None = None
        self.started = 0  # children started (tests)
        self._closed = False

    def call(self, fn, *args):
        with self._lock:
            self._calls += 1
            self._start()
            try:
                self._conn.send((fn, args))
                if not self._conn.poll(self.seconds):
                    self._stop()
                    raise ChildFailed(f"the computation did not finish within {self.seconds:g} s")
                kind, value = self._conn.recv()
            except (EOFError, OSError):
                self._stop()
                raise ChildFailed("the process computing it died (out of memory?); try again later") from None
            self._arm_idle_stop()
        if kind == "ok":
            return value
        if kind == "check-failed":
            raise CheckFailed(value)
        if kind == "build-missing":
            raise _build_missing(value)
        if kind == "error":
            raise SdggraphError(value)
        if kind == "died":
            raise ChildFailed(value)
        raise RuntimeError(value)

    def _start(self) -> None:
        if self._process is not None and self._process.is_alive():
            return
        if self._closed:
            raise ChildFailed("the service is stopping")
        self._stop()
        context = multiprocessing.get_context("spawn")  # not fork: the server has threads
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_child_main, args=(child, os.getpid(), self.memory_mb),
                                        name="sdggraph-derive", daemon=True)
        start_process(self._process)
        child.close()
        self.started += 1
        if not self._conn.poll(STARTUP_SECONDS):
            self._stop()
            raise ChildFailed("the process that computes exports and reports did not start")
        self._conn.recv()  # ("ready", None)

    def _arm_idle_stop(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        calls = self._calls

        def stop_if_idle():
            with self._lock:
                if self._calls == calls:
                    self._stop()

        self._idle_timer = threading.Timer(self.idle_seconds, stop_if_idle)
        self._idle_timer.daemon = True
        self._idle_timer.start()

    def _stop(self) -> None:
        process, conn, self._process, self._conn = self._process, self._conn, None, None
        if process is not None:
            if process.is_alive():
                process.kill()
            process.join(timeout=5)
        if conn is not None:
            conn.close()

    def close(self) -> None:
        """Stop the child at once, even mid-computation (the server is stopping: SIGTERM must not
        wait for an export); a call waiting for it raises ChildFailed."""
        self._closed = True
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        process = self._process
        if process is not None and process.is_alive():
            process.kill()  # the waiting call sees the pipe close and lets go of the lock
        with self._lock:
            self._stop()
