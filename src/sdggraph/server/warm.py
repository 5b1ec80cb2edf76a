"""Derived files made ahead of requests: as the service starts, and again after each rebuild.

The exports and reports are made once per version of the graph (server/derived.py), but made at
the first request they cost that client, and everyone asking at the same time, the computation
(~10 s of CPU for all of them, the KS export alone ~2 s): 45 clients asking for one export on a
fresh server got 503 for its first 7 s. So the service makes them itself, in the background, when
it starts and when it sees a new build (it looks every `POLL_SECONDS`), through its own routes
(the same code and admission, so the same files), one at a time, in the derive child
(server/derive_child.py). Requests that come first
wait for the computation already running, as before. Files named after the address a client used
(the DCAT export, VoID, the service description) are left to their first request; so are the
versions made by SPARQL Updates (each update would cost a full round).
"""

from __future__ import annotations

import asyncio
import logging

from ..export import FORMATS

log = logging.getLogger("sdggraph.server.warm")

POLL_SECONDS = 2.0
AGENT = "sdggraph-warm-up"
BY_ADDRESS = {"dcat"}  # exports that name the URL the client reached the service by
PATHS = tuple(f"/export/{name}" for name in FORMATS if name not in BY_ADDRESS) + (
    "/report/coverage", "/report/coverage?format=json", "/report/coverage?format=md",
    "/report/coverage?format=csv", "/report/distribution", "/report/distribution?format=csv")


async def get(app, target: str) -> int:
    """HEAD `target` through the whole app (its admission and log line: the operator sees the
    warm-up), asking caches not to store it (no-store: the body is on disk, not in memory too);
    its HTTP status."""
    path, _, query = target.partition("?")
    headers = [(b"host", b"warm-up.invalid"), (b"user-agent", AGENT.encode()), (b"cache-control", b"no-store")]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "HEAD",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
             "root_path": "", "headers": headers, "client": None, "server": ("warm-up.invalid", 80)}
    status, asked, done = 0, False, asyncio.Event()

    async def receive():  # the request once; then, as a client would, a disconnect after the answer
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body" and not message.get("more_body", False):
            done.set()

    await app(scope, receive, send)
    return status


async def warm_once(app) -> dict[str, int]:
    """Make every derived file of PATHS for the current version; path → HTTP status."""
    statuses = {}
    for target in PATHS:
        if app.state.sparql.closing:  # stopping: what is left is made by a later run, if asked
            break
        try:
            statuses[target] = await get(app, target)
        except Exception:  # noqa: BLE001 (a request will meet the same failure and say what it is)
            if app.state.sparql.closing:
                break
            log.exception("could not make %s ahead of requests", target)
            statuses[target] = 500
    return statuses


async def keep_warm(app, poll_seconds: float = POLL_SECONDS) -> None:
    """Until cancelled: warm_once for each new build (update generation 0) the service sees."""
    service = app.state.sparql
    warmed = None
    while not service.closing:
        try:
            version = service.version(fresh=True)
        except OSError:
            version = None
        if version is not None and version.build != "missing" and version.generation == 0 and version.tag != warmed:
            statuses = await warm_once(app)
            failed = {path: status for path, status in statuses.items() if status >= 400}
            log.info("derived files made ahead of requests for version %s: %d of %d%s", version.tag,
                     len(statuses) - len(failed), len(statuses), f" (not: {failed})" if failed else "")
            warmed = version.tag
        await asyncio.sleep(poll_seconds)
