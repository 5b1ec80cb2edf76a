"""ASGI middleware for every route: admission of request bodies and a log line per request.

Pure ASGI rather than Starlette's BaseHTTPMiddleware, so streamed responses pass through
untouched. A route may name its outcome (e.g. "timeout", "refused") in `request.state.outcome`;
otherwise the log derives it from the status code. The log line escapes everything the request
carries (logs.escape), so a client cannot forge lines.
"""

from __future__ import annotations

import asyncio
import logging
import time

from .logs import escape, field_separators_escaped

log = logging.getLogger("sdggraph.server.requests")

def _outcome_from_status(status: int) -> str:
    if status < 300:
        return "ok"
    if status < 400:
        return "redirect"
    if status == 404:
        return "not-found"
    return "client-error" if status < 500 else "server-error"


async def _plain(send, status: int, message: str, extra: dict | None = None) -> None:
    body = (message + "\n").encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), *(extra or {}).items()]})
    await send({"type": "http.response.body", "body": body})


class InFlight:
    """How many HTTP requests the app is answering now, which connection asked last, and when the
    last answer ended (RequestLog tells it)."""

    IDLE_GAP = 0.0005  # seconds without a request before this one: the loop had nothing waiting

    def __init__(self):
        self.count = 0
        self._last_client = None
        self._ended = float("-inf")

    def begin(self, client) -> bool:
        """Count a request in; whether it came alone: no other in flight, and from the connection
        that asked last or after a pause (RequestLog says why)."""
        self.count += 1
        alone = self.count == 1 and (client == self._last_client
                                     or time.monotonic() - self._ended > self.IDLE_GAP)
        self._last_client = client
        return alone

    def end(self) -> None:
        self.count -= 1
        self._ended = time.monotonic()


class RequestLog:
    """Logs method, path, status, duration in ms and outcome of every HTTP request, and counts the
    requests in flight (`in_flight`)."""

    def __init__(self, app, in_flight: InFlight | None = None):
        self.app = app
        self.in_flight = in_flight or InFlight()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = 500
        state = scope.setdefault("state", {})
        # Alone: no other request in flight, and the same connection as the last one or a pause
        # since it. The count alone does not tell: an event loop that answers each request without
        # yielding reads the next one only after it, so 50 clients at once look like one.
        state["alone"] = self.in_flight.begin(scope.get("client"))

        responded = False

        async def send_and_note(message):
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status, responded = message["status"], True
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        except asyncio.CancelledError:
            # Only the server cancels a request's task: at its stop, when the grace period is over.
            # Answered 503 if nothing was sent yet, and logged as one line, not a traceback.
            state["outcome"] = "stopped"
            if not responded:
                try:
                    await _plain(send_and_note, 503, "the service is stopping; try again later",
                                 {b"retry-after": b"5", b"connection": b"close"})
                except Exception:  # noqa: BLE001 (the connection is closing too)
                    status = 503
        except BaseException:
            state.setdefault("outcome", "error")
            raise
        finally:
            self.in_flight.end()
            outcome = state.get("outcome") or _outcome_from_status(status)
            duration = (time.perf_counter() - started) * 1000
            client = scope.get("client")
            agent = next((value for name, value in scope.get("headers") or [] if name == b"user-agent"), b"")
            fields = {"method": escape(scope.get("method")), "path": escape(scope.get("path")), "status": status,
                      "duration_ms": round(duration, 1), "outcome": escape(outcome),
                      "client": escape(client[0]) if client else None,
                      "user_agent": escape(agent.decode("latin-1")[:300])}
            log.info("%s %s %d %.1f ms %s client=%s agent=\"%s\"", fields["method"],
                     field_separators_escaped(fields["path"], ' "'), status, duration, fields["outcome"],
                     fields["client"] or "-", field_separators_escaped(fields["user_agent"], '"'),
                     extra={"request": fields})


def _combine_accept(scope) -> None:
    """Several Accept headers mean their values joined by commas (RFC 9110 5.3): make them one."""
    headers = scope.get("headers") or []
    accepts = [value for name, value in headers if name == b"accept"]
    if len(accepts) > 1:
        scope["headers"] = [(name, value) for name, value in headers if name != b"accept"] + \
            [(b"accept", b", ".join(accepts))]


class BodyLimit:
    """Admission of a request body: refuses bodies above max_bytes with 413 (by Content-Length
    or while reading), refuses a body that does not
    arrive within `body_seconds` (408: a client dripping a body would hold its connection and
    task for ever), refuses compressed request bodies (415: nothing here decodes them, so they
    failed later as "not valid UTF-8"), and joins repeated Accept headers. (Work the server process
    computes itself is admitted where it is computed: server/heavy.py.)"""

    def __init__(self, app, max_bytes: int, body_seconds: float = 15.0):
        self.app = app
        self.max_bytes = max_bytes
        self.body_seconds = body_seconds

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        _combine_accept(scope)
        return await self._limit_body(scope, receive, send)

    async def _limit_body(self, scope, receive, send):
        if scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        state = scope.setdefault("state", {})
        headers = dict(scope.get("headers") or [])
        coding = headers.get(b"content-encoding", b"identity").strip().lower()
        if coding not in (b"", b"identity"):  # RFC 9110 §15.5.16: 415, and say what would do
            state["outcome"] = "refused"
            return await _plain(send, 415, f"a request body with Content-Encoding "
                                f"{escape(coding.decode('latin-1'))[:60]} is not accepted; send it uncompressed",
                                {b"accept-encoding": b"identity", b"connection": b"close"})
        message = f"the request body is larger than the limit of {self.max_bytes} bytes"
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            state["outcome"] = "too-large"
            return await _plain(send, 413, message)
        # Read the body here, counting, so a chunked body cannot slip past the cap.
        chunks, size = [], 0
        deadline = asyncio.get_running_loop().time() + self.body_seconds
        while True:
            try:
                event = await asyncio.wait_for(receive(), deadline - asyncio.get_running_loop().time())
            except asyncio.TimeoutError:
                state["outcome"] = "slow-body"
                return await _plain(send, 408, f"the request body did not arrive within {self.body_seconds:g} s",
                                    {b"connection": b"close"})
            if event["type"] == "http.disconnect":
                return
            chunk = event.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                state["outcome"] = "too-large"
                return await _plain(send, 413, message, {b"connection": b"close"})  # the rest is not read
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
