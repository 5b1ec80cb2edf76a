"""Files the service derives from a build (exports, reports, descriptions): made once, kept on disk.

`Derived.ensure(path, make)` returns `path`, calling `make(tmp)` to write it only when it is not
there yet. A lock per file makes concurrent first requests wait for one computation instead of
each running its own; the file appears atomically (written to a temporary name, then renamed).
From async code (`aensure`) a computation takes a slot of the server's heavy work (server/heavy.py)
while it runs; a file on disk, or one being made already (its requests wait for that computation),
takes none. The computations themselves run in a child process (`self.child`, server/derive_child.py),
so they hold neither the server's GIL nor its memory.
A computation that fails with an SdggraphError (an export that does not pass its profile check)
is remembered beside the file (`.failed`) and raised again, so a failing export is not recomputed
per request either. `aensure` does the same from async code on a dedicated thread, so waiting
requests hold no thread of the web server's pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from ..errors import BuildMissingError, CheckFailed, SdggraphError
from .derive_child import ChildFailed, DeriveChild
from .heavy import HeavyWork


@contextlib.contextmanager
def _file_lock(path: Path):
    """An exclusive lock on `path`'s lock file, held by one process at a time (POSIX flock; none
    where there is no fcntl: one process serves there)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    with open(path.with_name(f".{path.name}.lock"), "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class DerivedFailure(SdggraphError):
    """A remembered failure of a derived file: HTTP status and message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class Derived:
    def __init__(self, heavy: HeavyWork | None = None, child: DeriveChild | None = None):
        self.heavy = heavy or HeavyWork()
        self.child = child or DeriveChild()
        self._pending: dict[str, Future] = {}  # path -> its computation running now (aensure)
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        # One thread: derived work is CPU-bound Python; two at once would only share the GIL.
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sdggraph-derive")
        self.computed = 0  # how many files were made (tests and logs)

    def _lock(self, path: Path) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(str(path), threading.Lock())

    @staticmethod
    def _failed(path: Path) -> Path:
        return path.with_name(path.name + ".failed")

    def _raise_if_failed(self, path: Path) -> None:
        failed = self._failed(path)
        if failed.is_file():
            record = json.loads(failed.read_text(encoding="utf-8"))
            raise DerivedFailure(record["status"], record["message"])

    def ensure(self, path: Path, make: Callable[[Path], None]) -> Path:
        path = Path(path)
        if path.is_file():
            return path
        self._raise_if_failed(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock(path), _file_lock(path):  # the file lock: other server processes (server/processes)
            if path.is_file():
                return path
            self._raise_if_failed(path)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            try:
                make(tmp)
            except ChildFailed as failure:  # it may succeed another time: not remembered
                raise DerivedFailure(503, str(failure)) from failure
            except CheckFailed as failure:
                self._remember(path, 422, str(failure))
                raise DerivedFailure(422, str(failure)) from failure
            except (DerivedFailure, BuildMissingError):
                raise
            except SdggraphError as failure:
                self._remember(path, 400, str(failure))
                raise DerivedFailure(400, str(failure)) from failure
            else:
                os.replace(tmp, path)
            finally:
                if tmp.exists():
                    tmp.unlink()
            self.computed += 1
        return path

    def _remember(self, path: Path, status: int, message: str) -> None:
        tmp = self._failed(path).with_suffix(".tmp")
        tmp.write_text(json.dumps({"status": status, "message": message}), encoding="utf-8")
        os.replace(tmp, self._failed(path))

    async def aensure(self, path: Path, make: Callable[[Path], None]) -> Path:
        path = Path(path)
        if path.is_file():  # the usual case: no thread hop, no slot
            return path
        self._raise_if_failed(path)
        key = str(path)
        work = self._pending.get(key)
        if work is None:
            async with self.heavy.slot():  # raises heavy.Busy
                work = self._pending.get(key)
                if work is None:
                    if path.is_file():  # made while this request waited for its slot
                        return path
                    work = self._start(key, path, make)
                return await self._joined(work)
        return await self._joined(work)

    def _start(self, key: str, path: Path, make: Callable[[Path], None]) -> Future:
        work = self._pool.submit(self.ensure, path, make)
        self._pending[key] = work

        def forget(done: Future) -> None:
            if self._pending.get(key) is done:
                del self._pending[key]

        work.add_done_callback(forget)
        return work

    @staticmethod
    async def _joined(work: Future) -> Path:
        # shielded: a client that goes away does not cancel the computation the others wait for
        return await asyncio.shield(asyncio.wrap_future(work))

    @staticmethod
    def count(folder: Path, pattern: str) -> int:
        """How many derived files match (for a cap on variants a client can choose)."""
        return sum(1 for path in Path(folder).glob(pattern) if not path.name.endswith((".failed", ".meta.json")))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.child.close()
