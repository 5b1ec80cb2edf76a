"""ASGI middleware for every route: a request body cap (413) and a log line per request.

Pure ASGI rather than Starlette's BaseHTTPMiddleware, so streamed responses pass through
untouched. A route may name its outcome (e.g. "timeout", "refused") in `request.state.outcome`;
otherwise the log derives it from the status code.
"""

from __future__ import annotations

import logging
import time

log = logging.getLogger("sdggraph.server.requests")


def _outcome_from_status(status: int) -> str:
    if status < 300:
        return "ok"
    if status < 400:
        return "redirect"
    if status == 404:
        return "not-found"
    return "client-error" if status < 500 else "server-error"


async def _plain(send, status: int, message: str) -> None:
    body = (message + "\n").encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class RequestLog:
    """Logs method, path, status, duration in ms and outcome of every HTTP request."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = 500
        state = scope.setdefault("state", {})

        async def send_and_note(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        except BaseException:
            state.setdefault("outcome", "error")
            raise
        finally:
            outcome = state.get("outcome") or _outcome_from_status(status)
            log.info("%s %s %d %.1f ms %s", scope.get("method"), scope.get("path"), status,
                     (time.perf_counter() - started) * 1000, outcome)


class BodyLimit:
    """Refuses request bodies above max_bytes with 413, by Content-Length or while reading."""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        state = scope.setdefault("state", {})
        message = f"the request body is larger than the limit of {self.max_bytes} bytes"
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            state["outcome"] = "too-large"
            return await _plain(send, 413, message)
        # Read the body here, counting, so a chunked body cannot slip past the cap.
        chunks, size = [], 0
        while True:
            event = await receive()
            if event["type"] == "http.disconnect":
                return
            chunk = event.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                state["outcome"] = "too-large"
                return await _plain(send, 413, message)
            chunks.append(chunk)
            if not event.get("more_body", False):
                break
        body, replayed = b"".join(chunks), False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
