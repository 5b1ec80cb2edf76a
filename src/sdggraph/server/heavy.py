"""Admission of the work the server process computes itself: exports, reports and descriptions
not yet on disk, and graph walks.

`HeavyWork.slot()` is held around the computation only, so a file already made, or an answer in
the result cache, takes none: clients looping over exports are served from disk however many they
are. At most `slots` computations run at once, at most `queue` more wait up to `wait` seconds;
the rest are refused at once with Busy (503 with Retry-After).
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

RETRY_AFTER_S = 2


class Busy(Exception):
    """Every slot is taken and the queue is full, or the wait ran out. Not an SdggraphError, which
    routes answer 400: the app answers it 503 (app.create_app)."""


class HeavyWork:
    def __init__(self, slots: int = 2, queue: int = 32, wait: float = 5.0):
        self.slots, self.queue, self.wait = slots, queue, wait
        self._semaphore: asyncio.Semaphore | None = None
        self._loop = None
        self._waiting = 0
        self.running = 0  # computations holding a slot now (tests, logs)

    def _busy(self) -> Busy:
        return Busy(f"the server is computing {self.slots} exports, reports or walks already; try again later")

    @asynccontextmanager
    async def slot(self):
        loop = asyncio.get_running_loop()
        if self._semaphore is None or self._loop is not loop:  # a semaphore belongs to one event loop
            self._semaphore, self._loop = asyncio.Semaphore(self.slots), loop
        if not self._semaphore.locked():
            await self._semaphore.acquire()  # free: taken at once
        elif self._waiting >= self.queue:
            raise self._busy()
        else:
            self._waiting += 1
            try:
                await asyncio.wait_for(self._semaphore.acquire(), self.wait)
            except asyncio.TimeoutError:
                raise self._busy() from None
            finally:
                self._waiting -= 1
        self.running += 1
        try:
            yield
        finally:
            self.running -= 1
            self._semaphore.release()
