"""Run a function in a forked child process beside the caller's own work, and collect its result.

The build is CPU-bound Python: threads share one core through the GIL, but the machine has two.
A forked child sees the parent's memory as it was (copy-on-write: nothing is pickled on the way
in) and sends back only its result. Where fork is missing (Windows, macOS's default) or the
caller asks for it, the function runs in the caller when the result is wanted.
"""

from __future__ import annotations

import os
import pickle
import signal
from typing import Callable


class Beside:
    """`fn()` running in a child process; `result()` waits for it and returns or raises what it did."""

    def __init__(self, fn: Callable[[], object], fork: bool = True):
        self._fn = fn
        self._pid = None
        self._read = None
        if fork and hasattr(os, "fork"):
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: never returns into the caller's code
                os.close(read)
                status = 0
                try:
                    try:
                        payload = pickle.dumps((True, fn()), protocol=pickle.HIGHEST_PROTOCOL)
                    except BaseException as error:  # sent to the parent, raised there
                        payload = pickle.dumps((False, _picklable(error)), protocol=pickle.HIGHEST_PROTOCOL)
                    with os.fdopen(write, "wb") as out:
                        out.write(payload)
                except BaseException:
                    status = 1
                finally:
                    os._exit(status)  # no atexit handlers, no flushing of the parent's buffers
            os.close(write)
            self._pid, self._read = pid, read

    def result(self):
        if self._pid is None:
            return self._fn()
        with os.fdopen(self._read, "rb") as source:
            self._read = None
            payload = source.read()
        _, status = os.waitpid(self._pid, 0)
        self._pid = None
        if not payload:
            raise RuntimeError(f"the child process stopped without a result (wait status {status})")
        ok, value = pickle.loads(payload)
        if not ok:
            raise value
        return value

    def cancel(self) -> None:
        """Stop the child, if it still runs (the caller failed and will not ask for the result)."""
        if self._pid is not None:
            try:
                os.kill(self._pid, signal.SIGKILL)
                os.waitpid(self._pid, 0)
            except OSError:
                pass
            self._pid = None
        if self._read is not None:
            os.close(self._read)
            self._read = None


def _picklable(error: BaseException) -> BaseException:
    try:
        pickle.dumps(error)
        return error
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
