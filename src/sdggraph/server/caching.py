"""HTTP for read-only data: ETag, 304, HEAD, Cache-Control, gzip/br, and a bounded result cache.

The graph a response comes from only changes with a new build or an update (SparqlService.version),
so every successful GET names its representation by a strong ETag: a hash of the version, the
path and query string (the query text, parameters), the Accept header (the negotiated format) and
the Host (descriptions and DCAT name the URL the client used). A revalidation (`If-None-Match`)
is therefore answered 304 before any route runs; a repeat without one is answered from a result
cache bounded in bytes (entries up to ITEM_LIMIT; the cache empties when the version changes;
`Cache-Control: no-cache` on the request bypasses it, `no-store` also keeps its answer out).
Responses a route marks `Cache-Control: no-store`, and any status but 200, pass through untouched.

* `HEAD` is answered wherever `GET` is: the request reaches the routes as GET, the body is dropped.
* `Range` (one byte range, RFC 9110 14) is answered here, 206 or 416, on the bodies whose route
  offers it (`Accept-Ranges: bytes`: the files of exports, reports and descriptions), cached or
  streamed alike; the route always makes the whole body, so the range is of the representation the
  ETag names. `If-Range` must name the identity ETag or Last-Modified, else the whole body is sent.
  A range is of the identity coding (a compressed answer does not offer ranges). Several ranges,
  or a malformed one, are answered with the whole body, as RFC 9110 allows.
* Bodies of at least MIN_COMPRESS bytes of a textual type are compressed when Accept-Encoding asks
  (br with the `brotli` package, else gzip); each coding has its own ETag (`"…-gzip"`, `"…-br"`).
  `Vary: Accept, Accept-Encoding` on every answer.
* `Cache-Control: no-cache` on data (clients keep it and revalidate), `public, max-age=…` on the
  files under /web/ (immutable when the URL carries `?v=`), and `Last-Modified` (when the build
  or the last update made the graph).
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import zlib
from collections import OrderedDict
from email.utils import formatdate
from functools import lru_cache
from pathlib import Path

import anyio

try:
    import brotli
except ImportError:  # optional: gzip only
    brotli = None

ITEM_LIMIT = 1 << 20  # bytes: larger bodies are streamed, not cached
MIN_COMPRESS = 1024
THREAD_COMPRESS = 128 << 10  # bytes: larger bodies are compressed off the event loop
STATIC_PREFIX = "/web/"
STATIC_DIR = Path(__file__).resolve().parents[1] / "web"
COMPRESSIBLE = ("text/", "application/json", "application/sparql-results", "application/ld+json",
                "application/n-triples", "application/n-quads", "application/trig", "application/rdf+xml",
                "application/xml", "application/sparql-query", "image/svg+xml", "application/javascript",
                "application/geo+json")
DROPPED = {b"content-length", b"content-encoding", b"etag", b"vary", b"last-modified", b"transfer-encoding"}


def choose_encoding(accept_encoding: str | None) -> str | None:
    """'br', 'gzip' or None (identity) from Accept-Encoding, by q-value; br wins a tie."""
    if not accept_encoding:
        return None
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        name, _, params = item.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
                if not 0.0 <= q <= 1.0:  # also nan
                    q = 0.0
        weights[name.strip().lower()] = q
    star = weights.get("*", 0.0)
    best, best_q = None, 0.0
    for coding in (("br", "gzip") if brotli is not None else ("gzip",)):
        q = weights.get(coding, star)
        if q > best_q:
            best, best_q = coding, q
    return best


def compress(body: bytes, coding: str) -> bytes:
    if coding == "br":
        return brotli.compress(body, quality=5)
    return gzip.compress(body, compresslevel=6, mtime=0)


class _Stream:
    """Compressing a body that arrives in pieces."""

    def __init__(self, coding: str):
        if coding == "br":
            self._c = brotli.Compressor(quality=5)
            self.feed, self._end = self._c.process, self._c.finish
        else:
            self._c = zlib.compressobj(6, zlib.DEFLATED, 31)
            self.feed, self._end = self._c.compress, self._c.flush

    def finish(self) -> bytes:
        return self._end()


def byte_range(header: str, size: int) -> tuple[int, int] | None | bool:
    """(first, end) of one `bytes=` range of a body of `size` bytes (end exclusive); False when it
    cannot be satisfied (416); None when it is to be ignored (malformed, another unit, several)."""
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    first, last = first.strip(), last.strip()
    if not dash or not (first.isdigit() or first == "") or not (last.isdigit() or last == "") or first == last == "":
        return None
    if first == "":  # the last N bytes
        suffix = int(last)
        return (max(size - suffix, 0), size) if suffix > 0 and size > 0 else False
    start = int(first)
    if last and int(last) < start:
        return None
    if start >= size:
        return False
    return start, min(int(last) + 1, size) if last else size


def if_range_holds(header: bytes | None, etag: str, last_modified: bytes | None) -> bool:
    """Whether a Range applies under If-Range (RFC 9110 13.1.5: a strong ETag, or the exact date)."""
    if header is None:
        return True
    sent = header.decode("latin-1").strip()
    if sent.startswith('"'):
        return sent == etag
    return last_modified is not None and sent.encode("latin-1") == last_modified


def etag_matches(header: str | None, key: str) -> str | None:
    """The tag of If-None-Match (weak comparison, RFC 9110) naming any coding of this
    representation, as the client sent it; None when none does."""
    if not header:
        return None
    for sent in header.split(","):
        tag = sent.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        tag = tag.strip('"')
        for suffix in ("-gzip", "-br"):
            if tag.endswith(suffix):
                tag = tag[:-len(suffix)]
        if tag == key:
            return sent.strip()
    return None


def _compressible(headers: list[tuple[bytes, bytes]]) -> bool:
    values = dict(headers)
    if values.get(b"content-encoding"):
        return False
    media = values.get(b"content-type", b"").decode("latin-1").lower()
    return media.startswith(COMPRESSIBLE) or media.endswith(("+json", "+xml"))


class _Entry:
    def __init__(self, headers: list[tuple[bytes, bytes]], body: bytes):
        self.headers, self.body = headers, body
        self.variants: dict[str, bytes] = {}
        self.compressible = _compressible(headers) and len(body) >= MIN_COMPRESS
        self.lock = threading.Lock()

    @property
    def size(self) -> int:
        return len(self.body) + sum(map(len, self.variants.values())) + 256

    def encoded(self, coding: str | None) -> tuple[bytes, str | None]:
        if coding is None or not self.compressible:
            return self.body, None
        with self.lock:
            if coding not in self.variants:
                self.variants[coding] = compress(self.body, coding)
            return self.variants[coding], coding


class ResultCache:
    """Responses by ETag key, least recently used out first, bounded in bytes."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._size = 0
        self._tag: str | None = None
        self._lock = threading.Lock()
        self.hits = 0

    def _check_version(self, tag: str) -> None:
        if tag.startswith("static-"):  # package files do not depend on the graph
            return
        if tag != self._tag:  # a new build or an update: nothing cached is current any more
            self._entries.clear()
            self._size, self._tag = 0, tag

    def get(self, tag: str, key: str) -> _Entry | None:
        with self._lock:
            self._check_version(tag)
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                self.hits += 1
            return entry

    def put(self, tag: str, key: str, entry: _Entry) -> None:
        if self.max_bytes <= 0 or entry.size > self.max_bytes:
            return
        with self._lock:
            self._check_version(tag)
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= old.size
            self._entries[key] = entry
            self._size += entry.size
            while self._size > self.max_bytes and self._entries:
                _, dropped = self._entries.popitem(last=False)
                self._size -= dropped.size

    def grew(self, entry: _Entry, before: int) -> None:
        """An entry gained a compressed variant: account for it."""
        with self._lock:
            self._size += entry.size - before


class HttpCaching:
    """Pure ASGI middleware (streamed bodies pass through); `service` gives the version."""

    def __init__(self, app, service, max_bytes: int = 64 << 20):
        self.app = app
        self.service = service
        self.cache = ResultCache(max_bytes)

    def _key(self, scope, headers: dict[bytes, bytes]) -> tuple[str, str, float, str]:
        """(ETag key, version tag, Last-Modified time, Cache-Control) of a GET."""
        path = scope.get("path", "")
        query = scope.get("query_string", b"")
        if path.startswith(STATIC_PREFIX):  # package files: keyed by the file, not the graph
            try:
                status = (STATIC_DIR / path[len(STATIC_PREFIX):]).stat()
                stamp, made = f"{status.st_mtime_ns}-{status.st_size}", status.st_mtime
            except (OSError, ValueError):
                stamp, made = "none", 0.0
            tag = "static-" + stamp
            control = "public, max-age=31536000, immutable" if b"v=" in query else "public, max-age=300"
        else:
            version = self.service.version()
            tag, made, control = version.tag, version.made, "no-cache"
        digest = hashlib.sha256()
        for part in (tag.encode(), path.encode("utf-8", "surrogateescape"), query, headers.get(b"accept", b""),
                     headers.get(b"host", b""), scope.get("scheme", "").encode(), scope.get("root_path", "").encode()):
            digest.update(part)
            digest.update(b"\0")
        return digest.hexdigest()[:32], tag, made, control

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD"):
            return await self.app(scope, receive, send)
        with self.service.pinned_version():  # its ETag and its body from one version
            return await self._answer(scope, receive, send)

    async def _answer(self, scope, receive, send):
        head = scope["method"] == "HEAD"
        if head:
            scope = dict(scope, method="GET")
        headers = dict(scope.get("headers") or [])
        key, tag, made, control = self._key(scope, headers)
        coding = choose_encoding(headers.get(b"accept-encoding", b"").decode("latin-1"))
        common = [(b"cache-control", control.encode()), (b"vary", b"Accept, Accept-Encoding")]
        if made:
            common.append((b"last-modified", _http_date(made)))

        def etag(used: str | None) -> tuple[bytes, bytes]:
            return b"etag", (f'"{key}-{used}"' if used else f'"{key}"').encode()

        wanted = None  # a Range to answer (GET only: RFC 9110 14.2); the route makes the whole body
        if b"range" in headers:
            scope = dict(scope, headers=[(k, v) for k, v in scope.get("headers") or []
                                         if k not in (b"range", b"if-range")])
            if not head and if_range_holds(headers.get(b"if-range"), f'"{key}"', _http_date(made) if made else None):
                wanted = headers[b"range"].decode("latin-1")

        condition = headers.get(b"if-none-match", b"").decode("latin-1")
        matched = etag_matches(condition, key)
        if matched:
            return await _not_modified(send, (b"etag", matched.encode("latin-1")), common)
        # "*": any current representation (RFC 9110 13.1.2): 304 where the answer is a 200, not before
        any_tag = "*" in (part.strip() for part in condition.split(","))

        request_control = headers.get(b"cache-control", b"") + headers.get(b"pragma", b"")
        if b"no-cache" not in request_control and b"no-store" not in request_control:
            entry = self.cache.get(tag, key)
            if entry is not None and any_tag:
                return await _not_modified(send, etag(None), common)
            if entry is not None:
                return await self._send_entry(send, entry, coding, head, etag, common, wanted)

        state = {"mode": None, "start": None, "chunks": [], "size": 0, "stream": None, "span": None, "offset": 0}

        async def start_streaming(final: bool) -> None:
            """Too large to cache: send the headers now and compress as the body comes."""
            start = state["start"]
            if any_tag:
                state["mode"] = "drop"
                return await _not_modified(send, etag(None), common)
            kept = [(k, v) for k, v in start["headers"] if k.lower() not in DROPPED]
            route = dict(start["headers"])
            if wanted is not None and route.get(b"accept-ranges") == b"bytes" \
                    and route.get(b"content-length", b"").isdigit():
                size = int(route[b"content-length"])
                span = byte_range(wanted, size)
                if span is not None:
                    if not await _start_range(send, kept, span, size, etag(None), common):
                        state["mode"] = "drop"
                        return
                    state["mode"], state["span"] = "stream", span
                    body = b"".join(state["chunks"])
                    state["chunks"] = []
                    return await forward(body, more=not final)
            used = coding if coding and _compressible(start["headers"]) else None
            if used:  # ranges are offered of the identity coding only
                kept = [(k, v) for k, v in kept if k != b"accept-ranges"]
            extra = [etag(used), *common]
            if used:
                extra.append((b"content-encoding", used.encode()))
                state["stream"] = _Stream(used)
            await send({"type": "http.response.start", "status": 200,
                        "headers": kept + _without_route_overrides(extra, start["headers"])})
            state["mode"] = "stream"
            body = b"".join(state["chunks"])
            state["chunks"] = []
            await forward(body, more=not final)

        async def forward(body: bytes, more: bool) -> None:
            if state["span"] is not None:  # a range of a streamed body: cut it out as it passes
                first, end = state["span"]
                offset = state["offset"]
                state["offset"] += len(body)
                body = body[max(first - offset, 0):max(end - offset, 0)]
                if state["offset"] >= end:
                    more, state["mode"] = False, "drop"  # the rest of the route's body is not sent
            if state["stream"] is not None:
                body = state["stream"].feed(body) + (b"" if more else state["stream"].finish())
            if head:
                if not more:
                    await send({"type": "http.response.body", "body": b""})
                return
            if body or not more:
                await send({"type": "http.response.body", "body": body, "more_body": more})

        async def wrapped(message):
            kind = message["type"]
            if kind == "http.response.start":
                raw = [(k.lower(), v) for k, v in message.get("headers", [])]
                control_header = dict(raw).get(b"cache-control", b"")
                if message["status"] != 200 or b"no-store" in control_header:
                    state["mode"] = "pass"
                    return await send(message)
                state["mode"], state["start"] = "buffer", dict(message, headers=raw)
                return
            if kind != "http.response.body":
                return await send(message)
            body, more = message.get("body", b""), message.get("more_body", False)
            if state["mode"] == "pass":
                if not head:
                    return await send(message)
                if not more:
                    return await send({"type": "http.response.body", "body": b""})
                return
            if state["mode"] == "stream":
                return await forward(body, more)
            if state["mode"] == "drop":
                return
            state["chunks"].append(body)
            state["size"] += len(body)
            if not more:
                full = b"".join(state["chunks"])
                raw = state["start"]["headers"]
                static = tag.startswith("static-")  # our Cache-Control for package files
                kept = [(k, v) for k, v in raw if k not in DROPPED and not (static and k == b"cache-control")]
                entry = _Entry(kept, full)
                # Not cached if the graph changed while it was made (it may show either state).
                current = tag.startswith("static-") or self.service.version(fresh=True).tag == tag
                # no-store on the request: keep no copy (RFC 9111 5.2.1.5; the warm-up asks so)
                if current and b"set-cookie" not in dict(raw) and b"no-store" not in request_control:
                    self.cache.put(tag, key, entry)
                if any_tag:
                    return await _not_modified(send, etag(None), common)
                return await self._send_entry(send, entry, coding, head, etag, common, wanted)
            if state["size"] > ITEM_LIMIT:
                await start_streaming(final=False)

        await self.app(scope, receive, wrapped)

    async def _send_entry(self, send, entry: _Entry, coding, head: bool, etag, common, wanted: str | None = None):
        if wanted is not None and dict(entry.headers).get(b"accept-ranges") == b"bytes":
            span = byte_range(wanted, len(entry.body))
            if span is not None:
                if await _start_range(send, entry.headers, span, len(entry.body), etag(None), common):
                    await send({"type": "http.response.body", "body": entry.body[span[0]:span[1]]})
                return
        before = entry.size
        if coding and coding not in entry.variants and entry.compressible and len(entry.body) > THREAD_COMPRESS:
            body, used = await anyio.to_thread.run_sync(entry.encoded, coding)  # keep the event loop free
        else:
            body, used = entry.encoded(coding)
        if entry.size != before:
            self.cache.grew(entry, before)
        headers = list(entry.headers) + _without_route_overrides(common, entry.headers)
        headers += [etag(used), (b"content-length", str(len(body)).encode())]
        if used:  # ranges are offered of the identity coding only
            headers = [(k, v) for k, v in headers if k != b"accept-ranges"]
            headers.append((b"content-encoding", used.encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head else body})


@lru_cache(maxsize=64)
def _http_date(made: float) -> bytes:
    """Last-Modified of a version (a few per build; formatting took ~2% of a cold answer)."""
    return formatdate(made, usegmt=True).encode()


UNSATISFIABLE = b"the range is not within the body\n"


async def _start_range(send, route_headers: list, span, size: int, etag_header, common: list) -> bool:
    """Start a 206 of `span` (first, end) of a body of `size` bytes, or answer 416 (span False).
    True when the 206's body is to follow."""
    if span is False:
        await send({"type": "http.response.start", "status": 416, "headers": [
            (b"content-range", f"bytes */{size}".encode()), (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(UNSATISFIABLE)).encode()), *common]})
        await send({"type": "http.response.body", "body": UNSATISFIABLE})
        return False
    first, end = span
    headers = [(k, v) for k, v in route_headers if k not in DROPPED] + _without_route_overrides(common, route_headers)
    headers += [etag_header, (b"content-range", f"bytes {first}-{end - 1}/{size}".encode()),
                (b"content-length", str(end - first).encode())]
    await send({"type": "http.response.start", "status": 206, "headers": headers})
    return True


async def _not_modified(send, etag_header: tuple[bytes, bytes], common: list) -> None:
    await send({"type": "http.response.start", "status": 304, "headers": [etag_header, *common]})
    await send({"type": "http.response.body", "body": b""})


def _without_route_overrides(ours: list, route_headers: list) -> list:
    """Our headers minus those the route set itself (a route's Cache-Control wins)."""
    present = {k.lower() for k, _ in route_headers}
    return [(k, v) for k, v in ours if not (k == b"cache-control" and k in present)]
