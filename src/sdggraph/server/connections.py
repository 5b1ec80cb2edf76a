"""Connections before a request reaches the app: how long a client may take to send a request
head, how large the head may be, and how many connections are kept open.

uvicorn bounds none of these: 300 MB of headers on one connection grew the server process by
330 MB, a connection that sends nothing (or one header line a second) stayed open for ever, and
enough of them use up the process's file descriptors, after which nobody is served. Here:

* a request head (request line and headers) larger than `max_head_bytes` is answered 431 and the
  connection closed; the bytes are counted before the parser sees them (it keeps a partial header
  in memory until its end);
* a head must be complete within `head_seconds` of its first byte (or of the connection's opening):
  else 408 and close. A body has its own deadline in the app (middleware.BodyLimit);
* at most `max_pipelined` requests wait on one connection behind the one being answered
  (HTTP/1.1 pipelining): the parser is fed a piece at a time (HEAD_FEED_BYTES, BODY_FEED_BYTES),
  and the bytes after the request that fills the queue are held, with reading paused, until an
  answer frees a place
  (uvicorn parses every request in what it reads and queues them all: 200 000 pipelined
  `GET`s from a client that did not read grew the server by 470 MB);
* at most `max_connections` connections are open in one server process. A new one past that closes
  the connection that has waited longest without a request being answered on it (idle keep-alive,
  or a head still coming), so a flood of slow or idle connections cannot crowd out a client that
  asks and reads; when every connection has a request being answered, the new one is refused 503.

`protocol_class(...)` gives uvicorn (`Config(http=…)`) its httptools protocol with these bounds.
"""

from __future__ import annotations

import logging
import resource

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("sdggraph.server.connections")

MAX_HEAD_BYTES = 64 * 1024  # nginx's default is 1 KB + 4 × 8 KB buffers; browsers send < 8 KB
HEAD_SECONDS = 10.0
MAX_CONNECTIONS = 1024
MAX_PIPELINED = 16
# bytes fed to the parser at once: a piece of heads holds at most ~60 requests (18 bytes is the
# shortest), a piece that ends a body a few hundred, so a connection queues no more than that
HEAD_FEED_BYTES = 1024
BODY_FEED_BYTES = 8192
SPARE_DESCRIPTORS = 256  # for the store, the log, the workers' pipes, spooled answers


def _status_line(status: int) -> bytes:
    reason = {408: "Request Timeout", 431: "Request Header Fields Too Large", 503: "Service Unavailable"}[status]
    return f"HTTP/1.1 {status} {reason}\r\n".encode()


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a bounded, timed request head and a bounded connection count."""

    max_head_bytes = MAX_HEAD_BYTES
    head_seconds = HEAD_SECONDS
    max_connections = MAX_CONNECTIONS
    max_pipelined = MAX_PIPELINED
    # connections with no request being answered, oldest first (a dict keeps insertion order)
    _waiting: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._in_head = True  # the next bytes belong to a request head
        self._head_bytes = 0
        self._head_timer = None
        self._held = bytearray()  # read, not yet parsed: the pipeline was full

    # connection

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        if len(self.connections) > self.max_connections and not self._evict_one():
            self._reply_and_close(503, "too many connections are open; try again later", {b"retry-after": b"2"})
            return
        self._waiting[self] = None
        self._arm_head_timer()

    def connection_lost(self, exc) -> None:
        self._waiting.pop(self, None)
        self._disarm_head_timer()
        super().connection_lost(exc)

    def _evict_one(self) -> bool:
        """Close the connection that has waited longest with no request being answered on it."""
        for other in list(self._waiting):
            if other is self or other.transport is None or other.transport.is_closing():
                continue
            if other.cycle is not None and not other.cycle.response_complete:
                continue  # a request on it is being answered: it is not idle
            self._waiting.pop(other, None)
            other.transport.close()
            return True
        return False

    # request head

    def data_received(self, data: bytes) -> None:
        if self._held:  # bytes read before these wait to be parsed: keep the order
            self._held += data
            self.flow.pause_reading()
            return
        self._feed(data)

    def _feed(self, data: bytes) -> None:
        while data:
            if len(self.pipeline) >= self.max_pipelined:
                self._held += data
                self.flow.pause_reading()
                return
            if not self._in_head or self.parser is None:
                piece, data = data[:BODY_FEED_BYTES], data[BODY_FEED_BYTES:]
                super().data_received(piece)
            else:
                if self._head_timer is None:  # the first byte of a head on a kept-alive connection
                    self._arm_head_timer()
                room = self.max_head_bytes - self._head_bytes
                if room <= 0:
                    self._reply_and_close(431, f"the request head is larger than {self.max_head_bytes} bytes")
                    return
                size = min(room, HEAD_FEED_BYTES)
                piece, data = data[:size], data[size:]
                self._head_bytes += len(piece)
                super().data_received(piece)
            if self.transport.is_closing():
                return

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_bytes = 0
        self._disarm_head_timer()
        self._waiting.pop(self, None)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True  # what comes next is the next request's head

    def on_response_complete(self) -> None:
        super().on_response_complete()  # starts the next pipelined request, resumes reading
        if self.transport.is_closing():
            return
        if self._held:  # a place in the pipeline is free: parse what was held back
            held, self._held = bytes(self._held), bytearray()
            self._feed(held)
        if self._in_head and not self.transport.is_closing():
            self._waiting.pop(self, None)
            self._waiting[self] = None  # idle from now: the newest

    def _arm_head_timer(self) -> None:
        self._disarm_head_timer()
        self._head_timer = self.loop.call_later(self.head_seconds, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self._in_head or self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self._arm_head_timer()  # an answer is still being sent on it: look again later
            return
        if self._head_bytes:
            self._reply_and_close(408, f"the request head did not arrive within {self.head_seconds:g} s")
        else:
            self.transport.close()  # nothing asked: nothing to answer

    def _reply_and_close(self, status: int, message: str, extra: dict | None = None) -> None:
        client = self.client[0] if self.client else "-"
        log.warning("connection from %s closed: %d %s", client, status, message)
        body = (message + "\n").encode()
        head = [_status_line(status), b"content-type: text/plain; charset=utf-8\r\n",
                b"content-length: " + str(len(body)).encode() + b"\r\n", b"connection: close\r\n"]
        head += [name + b": " + value + b"\r\n" for name, value in (extra or {}).items()]
        self.transport.write(b"".join(head) + b"\r\n" + body)
        self.transport.close()


def protocol_class(max_head_bytes: int = MAX_HEAD_BYTES, head_seconds: float = HEAD_SECONDS,
                   max_connections: int = MAX_CONNECTIONS) -> type[GuardedHttpProtocol]:
    """A GuardedHttpProtocol with these bounds and a connection registry of its own (one per server)."""
    return type("GuardedHttpProtocol", (GuardedHttpProtocol,),
                {"max_head_bytes": max_head_bytes, "head_seconds": head_seconds,
                 "max_connections": max_connections, "_waiting": {}})


def raise_descriptor_limit(max_connections: int) -> int:
    """Raise the soft limit on open files towards the hard one, so that `max_connections` and the
    service's own files fit (a soft limit of 1024, systemd's default, is less); the limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = max_connections + SPARE_DESCRIPTORS
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(hard, max(wanted, soft))
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft != resource.RLIM_INFINITY and soft < wanted:
        log.warning("only %d file descriptors may be open (ulimit -n): fewer than the %d connections allowed "
                    "and the service's own files", soft, max_connections)
    return soft
