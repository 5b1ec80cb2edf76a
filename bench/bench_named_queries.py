"""Benchmark the named questions over HTTP: this service, Oxigraph's server, rdflib-endpoint.

Not a test (nothing here asserts a time). It starts, on 127.0.0.1 and free ports,

  (a) this service: `sdggraph serve` over the build;
  (b) rdflib-endpoint serving the build's dataset.nq (its default graph is the union of the
      named graphs, as ours is);
  (c) Oxigraph's own server: `oxigraph serve-read-only --location BUILD/oxigraph --union-default-graph`,
  (d) and in memory: `oxigraph serve --union-default-graph` with BUILD/dataset.nq POSTed to its /store
      (this service reads a store this small from memory, store/serving.open_for_queries),

and sends every named question (queries/*.rq, parameters at their defaults) to each, N times
one after the other, round-robin over the servers (median latency), and M times from C threads
at once, in bursts taken in turn with the other servers' (throughput). This
service is asked twice: as a named question (GET /queries/{name}, parameters bound as a
VALUES block) and as SPARQL (POST /sparql). The peers get the same query text with the default
values bound as a VALUES block (named_queries.with_values, built from typed terms). All answers
are SPARQL JSON results; the row counts are compared so a fast wrong answer cannot win.

    .venv/bin/pip install -e '.[bench]'        # rdflib-endpoint and oxigraph
    .venv/bin/python bench/bench_named_queries.py [--requests 30] [--rdflib-requests 5]

This service is measured three ways (issue 9): cold (`Cache-Control: no-cache`: the result cache
is bypassed, the query runs in a worker), warm (the same GET again: the result cache answers) and
revalidated (`If-None-Match` with the ETag of the last answer: 304, no body). Warm and 304 are
also asked back-to-back, as the floor is: in the round-robin every server idles while the others
answer, and waking an idle process costs this VM more than the floor itself.

Every request is sent with a lean HTTP/1.1 keep-alive client (LeanClient, one socket, TCP_NODELAY),
so the figures are the servers' rather than httpx's (~0.4 ms of Python per request); the warm and
304 figures are also given through httpx, labelled so. The floor beside them is the same client
against a raw asyncio server (a subprocess) answering a fixed small 200. Throughput counts only
200/304 answers; refused ones (e.g. 503 busy) are reported apart.

Last, each of this service and the two Oxigraph servers in turn gets 6 runaway clients looping
bench/attack.py's row-4 query (a cartesian COUNT) for `--runaway-seconds` while a bystander process
asks ASK {} every 50 ms; the bystander's p50/p99/max are printed side by side.

Targets: cold within 1.5× of Oxigraph's server on every named question (issue 9; issue 5 asked
2×); warm / revalidated p50 ≤ 1 ms; throughput with 50 concurrent clients ≥ 0.7× Oxigraph's
server; a cheap query's p99 ≤ 500 ms beside 6 runaway clients; at least 10× faster than
rdflib-endpoint (issue 5; `--no-rdflib` leaves it out).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from sdggraph import layout  # noqa: E402
from sdggraph.layout import DATASET_FILE, STORE_DIR, require_build  # noqa: E402
from sdggraph.query import named as named_queries  # noqa: E402

RESULTS_JSON = "application/sparql-results+json"
STARTUP_LIMIT_S = 180


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LeanResponse:
    """What the askers read of an answer: status, headers (lower-case names), body."""

    def __init__(self, status_code: int, headers: dict[str, str], content: bytes):
        self.status_code, self.headers, self.content = status_code, headers, content

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise RuntimeError(f"HTTP {self.status_code}: {self.content[:200]!r}")


class LeanClient:
    """A minimal HTTP/1.1 keep-alive client on one socket, so that the figures are the server's.

    httpx spends ~0.5-1.5 ms of Python per request on a small machine, more than a cached answer
    takes the server. This client sends the request head and reads the status line, the headers
    and a Content-Length or chunked body; nothing else (no TLS, redirects or decompression). It has
    the calls the askers make of httpx: get(url, headers=), post(url, data=, headers=)."""

    def __init__(self, timeout: float = 120):
        self.timeout = timeout
        self.sock: socket.socket | None = None
        self.reader = None
        self.address: tuple[str, int] | None = None

    def _connect(self, address: tuple[str, int]) -> None:
        self.close()
        self.sock = socket.create_connection(address, timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = self.sock.makefile("rb")
        self.address = address

    def close(self) -> None:
        if self.reader is not None:
            self.reader.close()
        if self.sock is not None:
            self.sock.close()
        self.sock = self.reader = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def get(self, url: str, headers: dict | None = None) -> LeanResponse:
        return self.request("GET", url, headers or {})

    def post(self, url: str, data: dict | None = None, headers: dict | None = None) -> LeanResponse:
        return self.request("POST", url, dict(headers or {}, **{"Content-Type": "application/x-www-form-urlencoded"}),
                            urlencode(data or {}).encode())

    def request(self, method: str, url: str, headers: dict, body: bytes = b"") -> LeanResponse:
        parts = urlsplit(url)
        address = (parts.hostname, parts.port or 80)
        head = [f"{method} {parts.path or '/'}{'?' + parts.query if parts.query else ''} HTTP/1.1",
                f"Host: {parts.netloc}", *(f"{name}: {value}" for name, value in headers.items())]
        if body or method == "POST":
            head.append(f"Content-Length: {len(body)}")
        message = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        for attempt in (1, 2):  # a server may close an idle keep-alive connection: reconnect once
            if self.sock is None or self.address != address:
                self._connect(address)
            try:
                self.sock.sendall(message)
                return self._read(method)
            except (ConnectionError, EOFError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _read(self, method: str) -> LeanResponse:
        status_line = self.reader.readline()
        if not status_line:
            raise EOFError("the server closed the connection")
        status = int(status_line.split(None, 2)[1])
        headers: dict[str, str] = {}
        while True:
            line = self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if method == "HEAD" or status in (204, 304) or status < 200:
            content = b""
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            chunks = []
            while (size := int(self.reader.readline().split(b";", 1)[0], 16)) > 0:
                chunks.append(self.reader.read(size))
                self.reader.readline()
            while self.reader.readline() not in (b"\r\n", b"\n", b""):  # trailers
                pass
            content = b"".join(chunks)
        elif "content-length" in headers:
            content = self.reader.read(int(headers["content-length"]))
        else:  # the body runs to the end of the connection
            content = self.reader.read()
            self.close()
        if headers.get("connection", "").lower() == "close":
            self.close()
        return LeanResponse(status, headers, content)


FLOOR_BODY = b'{"head":{},"boolean":true}'


def serve_floor(port: int) -> None:
    """The floor: a raw asyncio HTTP/1.1 server answering every request with the same small 200
    (keep-alive), i.e. what loopback TCP and one Python event loop cost per request."""
    import asyncio

    answer = (b"HTTP/1.1 200 OK\r\ncontent-type: application/sparql-results+json\r\n"
              b"content-length: %d\r\n\r\n%s" % (len(FLOOR_BODY), FLOOR_BODY))

    async def handle(reader, writer):  # asyncio sets TCP_NODELAY on its TCP sockets
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        await reader.readexactly(int(line[15:]))
                writer.write(answer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def serve() -> None:
        async with await asyncio.start_server(handle, "127.0.0.1", port) as server:
            await server.serve_forever()

    asyncio.run(serve())


class Server:
    """A server process on loopback, and how to ask it a named question."""

    def __init__(self, name: str, command: list[str], ready_url: str, ask, env: dict | None = None,
                 then=None):
        self.name, self.command, self.ready_url, self.ask = name, command, ready_url, ask
        self.env = env or {}
        self.then = then  # called once it answers (e.g. to load it)
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.log = tempfile.TemporaryFile()  # its stderr, shown if it does not start; gone at exit
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL, stderr=self.log,
                                        env=dict(os.environ, SE_OFFLINE="true", **self.env))
        deadline = time.monotonic() + STARTUP_LIMIT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                raise SystemExit(f"{self.name} exited at start-up: {' '.join(self.command)}\n"
                                 + self.log.read().decode(errors="replace")[-2000:])
            try:
                if httpx.get(self.ready_url, timeout=2).status_code == 200:
                    if self.then is not None:
                        self.then()
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise SystemExit(f"{self.name} did not start within {STARTUP_LIMIT_S} s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


def sparql_asker(url: str, build_dir: Path):
    texts: dict[str, str] = {}  # made once, outside the timed requests

    def ask(client, query: named_queries.NamedQuery):
        if query.name not in texts:
            texts[query.name] = query.with_values({}, named_queries.defaults_in(query, build_dir))  # as /queries
        return client.post(url, data={"query": texts[query.name]}, headers={"Accept": RESULTS_JSON})
    return ask


def named_asker(base: str, mode: str = "cold"):
    """GET /queries/{name}: cold (result cache bypassed), warm (cached answer) or etag (304)."""
    etags: dict[str, str] = {}

    def ask(client, query: named_queries.NamedQuery):
        headers = {"Accept": RESULTS_JSON}
        if mode == "cold":
            headers["Cache-Control"] = "no-cache"
        elif mode == "etag" and query.name in etags:
            headers["If-None-Match"] = etags[query.name]
        response = client.get(f"{base}/queries/{query.name}", headers=headers)
        if response.status_code == 200 and response.headers.get("etag"):
            etags[query.name] = response.headers["etag"]
        return response
    return ask


def floor_asker(url: str):
    """The floor server's fixed 200, asked in the same round as the questions (see latencies)."""
    def ask(client, query: named_queries.NamedQuery):
        return client.get(url, headers={"Accept": RESULTS_JSON})
    return ask


def row_count(response) -> int | None:
    if response.status_code == 304:  # revalidated: the client keeps what it has
        return None
    response.raise_for_status()
    answer = json.loads(response.content)
    return None if "boolean" in answer else len(answer["results"]["bindings"])


HTTPX_SUFFIX = " (httpx)"  # labels measured through httpx rather than the lean client


def new_client(label: str):
    return httpx.Client(timeout=120) if label.endswith(HTTPX_SUFFIX) else LeanClient(timeout=120)


def latencies(askers: dict, query, rounds: dict[str, int]) -> dict[str, dict]:
    """Median latency per server. Requests go round-robin over the servers, so a busy moment on
    the machine slows them all alike rather than whichever happened to be measured then. Only the
    exchange is timed: the rows are counted after (parsing 28 KB of JSON takes this client 0.3-0.6
    ms, which is not the server's). In the round each server idles while the others answer, and
    waking an idle process costs this VM up to ~0.5 ms more than answering back-to-back: the floor
    server is asked in the same round (label "floor") so that the cost is seen."""
    clients = {label: new_client(label) for label in askers}
    samples: dict[str, list[float]] = {label: [] for label in askers}
    rows = {}
    try:
        for label, ask in askers.items():  # warm-up, and the answer's size
            rows[label] = row_count(ask(clients[label], query))
            ask(clients[label], query)
        for turn in range(max(rounds.values())):
            for label, ask in askers.items():
                if turn < rounds[label]:
                    started = time.perf_counter()
                    response = ask(clients[label], query)
                    samples[label].append(time.perf_counter() - started)
                    row_count(response)
    finally:
        for client in clients.values():
            client.close()
    return {label: {"rows": rows[label], "median_ms": statistics.median(samples[label]) * 1000}
            for label in askers}


def back_to_back(client, call, requests: int) -> float:
    """p50 in ms of `requests` calls of `call(client)` one right after the other on one connection:
    the way the floor is measured, so the server never idles between two (see latencies)."""
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        call(client)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def floor(url: str, requests: int = 2000) -> dict[str, float]:
    """p50 in ms of the floor server's fixed 200, through the lean client and through httpx."""
    def call(client):
        response = client.get(url, headers={"Accept": RESULTS_JSON})
        if response.status_code != 200 or response.content != FLOOR_BODY:
            raise SystemExit(f"the floor server answered {response.status_code}")

    figures = {}
    for label in ("lean", "httpx"):
        with new_client(label if label == "lean" else label + HTTPX_SUFFIX) as client:
            figures[label] = back_to_back(client, call, requests)
    return figures


BACK_TO_BACK_REQUESTS = 200  # per question, warm and 304 each: ~0.1 s


def warm_back_to_back(ask, query, requests: int) -> float:
    """p50 in ms of a warm (or 304) named question asked back-to-back, after one answer to warm it."""
    with LeanClient(timeout=120) as client:
        row_count(ask(client, query))
        return back_to_back(client, lambda c: ask(c, query), requests)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process, its threads (also those that ended) and its
    descendants (our query workers; those that ended count in their parent's cutime), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry))
            except (OSError, IndexError):
                pass
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(value) for value in fields[11:15]) / tick  # utime stime cutime cstime
        except (OSError, IndexError):
            pass
        todo.extend(children.get(current, []))
    return total


def throughput(ask, query, requests: int, clients: list, pool: ThreadPoolExecutor, pid: int | None = None) -> dict:
    """One burst: `requests` asked by the lean `clients` at once (each on a thread of `pool`).
    Returns the answers 200/304, the other answers by status (e.g. 503 busy, reported apart and
    not counted in the rate), the seconds it took, and the CPU seconds of the server (process `pid`
    and its workers) and of this client."""
    refused: dict[int, int] = {}
    lock = threading.Lock()

    def burst(client, count: int) -> int:
        answered = 0
        for _ in range(count):
            status = ask(client, query).status_code
            if status in (200, 304):
                answered += 1
            else:
                with lock:
                    refused[status] = refused.get(status, 0) + 1
        return answered

    count = len(clients)
    shares = [requests // count + (1 if i < requests % count else 0) for i in range(count)]
    server_before = cpu_seconds(pid) if pid else 0.0
    client_before = time.process_time()
    started = time.perf_counter()
    answered = sum(pool.map(burst, clients, shares))
    return {"answered": answered, "refused": refused, "seconds": time.perf_counter() - started,
            "server_cpu": cpu_seconds(pid) - server_before if pid else None,
            "client_cpu": time.process_time() - client_before}


def interleaved_throughput(askers: dict, query, requests: int, concurrency: int, slices: int) -> dict[str, dict]:
    """Throughput per label (askers: label -> (ask, server pid)) from `concurrency` clients at once,
    the `requests` of each label asked in `slices` bursts taken in turn (ours, Oxigraph, ours, …),
    so that a slower spell of this shared machine falls on every server alike rather than on
    whichever was measured then (one burst each made the ratio swing by ±20% between runs). Each
    label keeps its connections and the threads are made once, so a burst has no ramp: every
    connection asks once before the first. Figures per label: per_s, refused, cpu."""
    totals = {label: {"answered": 0, "refused": {}, "seconds": 0.0, "server_cpu": 0.0, "client_cpu": 0.0}
              for label in askers}
    clients = {label: [LeanClient(timeout=120) for _ in range(concurrency)] for label in askers}
    try:
        with ThreadPoolExecutor(concurrency) as pool:
            for label, (ask, _) in askers.items():  # connect (and warm) every client, untimed
                throughput(ask, query, concurrency, clients[label], pool)
            for turn in range(slices):
                share = requests // slices + (1 if turn < requests % slices else 0)
                for label, (ask, pid) in askers.items():
                    burst, total = throughput(ask, query, share, clients[label], pool, pid), totals[label]
                    for key in ("answered", "seconds", "client_cpu", "server_cpu"):
                        total[key] += burst[key]
                    for status, count in burst["refused"].items():
                        total["refused"][status] = total["refused"].get(status, 0) + count
    finally:
        for client in (client for group in clients.values() for client in group):
            client.close()
    figures = {}
    for label, total in totals.items():
        answers = max(total["answered"], 1)
        figures[label] = {"per_s": total["answered"] / total["seconds"], "refused": total["refused"],
                          "cpu": {"client_ms": total["client_cpu"] * 1000 / answers,
                                  "server_ms": total["server_cpu"] * 1000 / answers}}
    return figures


SERVER_OF = {"ours /queries": "ours", "ours /sparql": "ours", "ours warm": "ours", "ours 304": "ours",
             "oxigraph": "oxigraph", "oxigraph memory": "oxigraph memory"}  # which server a label's answers cost
PEERS = ("oxigraph", "oxigraph memory")  # Oxigraph's server on the build's store, and on a copy in memory
SERVED_FROM = {"oxigraph": "on the store (RocksDB)", "oxigraph memory": "in memory"}


def load_into(url: str, dataset: Path):
    """A function that POSTs the build's N-Quads to an Oxigraph server's /store (its in-memory store)."""
    def load() -> None:
        with open(dataset, "rb") as body:
            response = httpx.post(url, content=body, headers={"Content-Type": "application/n-quads"}, timeout=300)
        response.raise_for_status()
    return load


RUNAWAY_CLIENTS = 6  # issue 9: a cheap query's p99 while 6 runaway clients run
RUNAWAY_LABELS = {"ours": "sdggraph serve", "oxigraph memory": "oxigraph (memory)", "oxigraph": "oxigraph (RocksDB)"}
RUNAWAY_ORDER = tuple(RUNAWAY_LABELS)  # Oxigraph's server has no query timeout: each
# peer is stopped after its turn, so that the runaways it keeps evaluating do not slow the next one


def runaway_turn(base: str, endpoint: str, seconds: float) -> dict:
    """RUNAWAY_CLIENTS clients loop bench/attack.py's row-4 query (a cartesian COUNT) on `endpoint`
    for `seconds` while a bystander process asks ASK {} every 50 ms; the bystander's figures and
    the runaways' answers (status: count)."""
    from attack import EXPENSIVE, Bystander, looping

    bystander = Bystander(base, endpoint)
    bystander.start()
    time.sleep(1.5)  # the bystander process starts (imports httpx)

    def runaway():
        try:
            return httpx.get(base + endpoint, params={"query": EXPENSIVE}, timeout=seconds + 5).status_code
        except httpx.TimeoutException:
            return "no answer"
    answers = looping(RUNAWAY_CLIENTS, seconds, runaway)
    bystander.join()
    ordered = sorted(bystander.latencies)
    return {"asked": len(ordered), "served": bystander.served, "p50": statistics.median(ordered) if ordered else None,
            "p99": bystander.p99(), "max": ordered[-1] if ordered else None, "runaways": answers}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=layout.build_dir())
    parser.add_argument("--requests", type=int, default=30, help="sequential requests per question (median)")
    parser.add_argument("--throughput-requests", type=int, default=1000,
                        help="requests per question for throughput (200 were mostly the ramp: 4 per client)")
    parser.add_argument("--concurrency", type=int, default=50, help="client threads for throughput")
    parser.add_argument("--slices", type=int, default=4,
                        help="bursts per server and question for throughput, taken in turn with the others'")
    parser.add_argument("--no-rdflib", action="store_true", help="leave rdflib-endpoint out (it is slow)")
    parser.add_argument("--rdflib-requests", type=int, default=5, help="both counts for rdflib-endpoint (it is slow)")
    parser.add_argument("--workers", type=int, default=None,
                        help="this service's query worker processes per HTTP process (default: 2 with one "
                             "HTTP process, 1 with several)")
    parser.add_argument("--http-processes", type=int, default=None,
                        help="this service's HTTP server processes (--http-processes of sdggraph serve; "
                             "default: one per usable core, as the README advises for a public address)")
    parser.add_argument("--include-checks", action="store_true", help="also the *-violation integrity checks")
    parser.add_argument("--only", metavar="NAME", action="append", default=[],
                        help="only this named question (repeatable)")
    parser.add_argument("--max-queue", type=int, default=None,
                        help="this service's SDGGRAPH_MAX_QUEUE (default: its own, 32): requests beyond it get 503")
    parser.add_argument("--runaway-seconds", type=float, default=10,
                        help="how long 6 runaway clients run beside a bystander, per server (0: not at all)")
    parser.add_argument("--serve-floor", type=int, metavar="PORT", help=argparse.SUPPRESS)  # the floor subprocess
    args = parser.parse_args(argv)
    if args.http_processes is None:
        from sdggraph.server.service import usable_cores

        args.http_processes = usable_cores()
    if args.workers is None:
        args.workers = 2 if args.http_processes == 1 else 1
    if args.serve_floor:
        serve_floor(args.serve_floor)
        return 0

    build_dir = require_build(args.build_dir).resolve()
    oxigraph_bin = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or shutil.which("oxigraph")
    endpoint_bin = (shutil.which("rdflib-endpoint", path=str(Path(sys.executable).parent))
                    or shutil.which("rdflib-endpoint"))
    if not oxigraph_bin or (not endpoint_bin and not args.no_rdflib):
        raise SystemExit("needs the bench extra: pip install -e '.[bench]' (oxigraph, rdflib-endpoint)")
    queries = [q for q in named_queries.discover().values() if args.include_checks or not q.is_check]
    if args.only:
        unknown = set(args.only) - {q.name for q in queries}
        if unknown:
            raise SystemExit(f"no such named question: {', '.join(sorted(unknown))}")
        queries = [q for q in queries if q.name in args.only]

    ours_port, oxigraph_port, rdflib_port, floor_port = free_port(), free_port(), free_port(), free_port()
    memory_port = free_port()
    ours_url = f"http://127.0.0.1:{ours_port}"
    servers = {
        "ours": Server("sdggraph serve", [sys.executable, "-m", "sdggraph.cli", "serve", "--host", "127.0.0.1",
                                          "--port", str(ours_port), "--workers", str(args.workers),
                                          "--http-processes", str(args.http_processes),
                                          "--build-dir", str(build_dir)],
                       f"{ours_url}/queries", named_asker(ours_url, "cold"),
                       {"SDGGRAPH_MAX_QUEUE": str(args.max_queue)} if args.max_queue is not None else None),
        "oxigraph": Server("oxigraph serve-read-only", [oxigraph_bin, "serve-read-only", "--location",
                                                        str(build_dir / STORE_DIR), "--bind",
                                                        f"127.0.0.1:{oxigraph_port}", "--union-default-graph"],
                           f"http://127.0.0.1:{oxigraph_port}/query?query=ASK%7B%7D",
                           sparql_asker(f"http://127.0.0.1:{oxigraph_port}/query", build_dir)),
        # As this service answers a store this small: from memory (store/serving.open_for_queries).
        "oxigraph memory": Server("oxigraph serve (in memory)", [oxigraph_bin, "serve", "--bind",
                                                                f"127.0.0.1:{memory_port}", "--union-default-graph"],
                                  f"http://127.0.0.1:{memory_port}/query?query=ASK%7B%7D",
                                  sparql_asker(f"http://127.0.0.1:{memory_port}/query", build_dir),
                                  then=load_into(f"http://127.0.0.1:{memory_port}/store", build_dir / DATASET_FILE)),
        "rdflib": Server("rdflib-endpoint", [endpoint_bin, "serve", str(build_dir / DATASET_FILE), "--host",
                                             "127.0.0.1", "--port", str(rdflib_port)],
                         f"http://127.0.0.1:{rdflib_port}/?query=ASK%7B%7D",
                         sparql_asker(f"http://127.0.0.1:{rdflib_port}/", build_dir)),
    }
    if args.no_rdflib:
        del servers["rdflib"]
    floor_url = f"http://127.0.0.1:{floor_port}/"
    servers["floor"] = Server("floor (raw asyncio)", [sys.executable, __file__, "--serve-floor", str(floor_port)],
                              floor_url, None)
    askers = {"ours /queries": servers["ours"].ask, "ours /sparql": sparql_asker(f"{ours_url}/sparql", build_dir),
              "ours warm": named_asker(ours_url, "warm"), "ours 304": named_asker(ours_url, "etag"),
              "oxigraph": servers["oxigraph"].ask, "oxigraph memory": servers["oxigraph memory"].ask,
              "floor": floor_asker(floor_url)}
    if not args.no_rdflib:
        askers["rdflib-endpoint"] = servers["rdflib"].ask
    # The same warm and 304 requests through httpx: what a Python client of that kind adds.
    askers["ours warm" + HTTPX_SUFFIX] = named_asker(ours_url, "warm")
    askers["ours 304" + HTTPX_SUFFIX] = named_asker(ours_url, "etag")
    results: dict[str, dict[str, dict]] = {}
    floors = []
    try:
        for server in servers.values():
            print(f"starting {server.name} …", file=sys.stderr)
            server.start()
        floors.append(floor(floor_url))
        for query in queries:
            print(f"  {query.name}", file=sys.stderr)
            rounds = {label: args.rdflib_requests if label == "rdflib-endpoint" else args.requests for label in askers}
            results[query.name] = latencies(askers, query, rounds)
            for label in ("ours warm", "ours 304"):
                results[query.name][label]["back_to_back_ms"] = warm_back_to_back(askers[label], query,
                                                                                   BACK_TO_BACK_REQUESTS)
            in_turn = {label: (ask, servers[SERVER_OF[label]].process.pid) for label, ask in askers.items()
                       if label in SERVER_OF}
            for label, figures in interleaved_throughput(in_turn, query, args.throughput_requests,
                                                         args.concurrency, args.slices).items():
                results[query.name][label].update(figures)
            if "rdflib-endpoint" in askers:  # slow: a few requests from one client, alone
                slow = {"rdflib-endpoint": (askers["rdflib-endpoint"], servers["rdflib"].process.pid)}
                results[query.name]["rdflib-endpoint"].update(
                    interleaved_throughput(slow, query, args.rdflib_requests, 1, 1)["rdflib-endpoint"])
        floors.append(floor(floor_url))
        runaways = {}
        for name in RUNAWAY_ORDER if args.runaway_seconds > 0 else ():
            print(f"  6 runaway clients: {servers[name].name}", file=sys.stderr)
            base = f"http://127.0.0.1:{urlsplit(servers[name].ready_url).port}"
            runaways[name] = runaway_turn(base, "/sparql" if name == "ours" else "/query", args.runaway_seconds)
            servers[name].stop()
    finally:
        for server in servers.values():
            server.stop()
    report(results, args, floors)
    if runaways:
        report_runaways(runaways, args.runaway_seconds)
    return 0


def report_runaways(runaways: dict, seconds: float) -> None:
    from attack import EXPENSIVE

    print(f"\nA cheap query beside {RUNAWAY_CLIENTS} runaway clients ({seconds:g} s per server, one server at a "
          f"time: each client loops `{EXPENSIVE}`, as bench/attack.py row 4; a bystander process asks ASK {{}} "
          f"every 50 ms on its own connection):")
    print(f"{'server':<20} {'served':>10} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  runaway answers")
    for name, figures in runaways.items():
        label = RUNAWAY_LABELS[name]
        figures_ms = " ".join(f"{figures[key]:>8.0f}" if figures[key] is not None else f"{'-':>8}"
                              for key in ("p50", "p99", "max"))
        print(f"{label:<20} {figures['served']:>4}/{figures['asked']:<5} {figures_ms}  {figures['runaways']}")
    ours = runaways.get("ours")
    if ours:
        holds = ours["p99"] is not None and ours["p99"] <= 500 and ours["served"] == ours["asked"]
        print(f"Target: cheap-query p99 <= 500 ms while {RUNAWAY_CLIENTS} runaway clients run (this service): "
              f"{'HOLDS' if holds else 'MISSED'} ({ours['served']}/{ours['asked']} served, p99 {ours['p99']:.0f} ms)")


def report(results: dict, args, floors: list[dict[str, float]]) -> None:
    present = next(iter(results.values()))
    labels = [label for label in ("ours /queries", "ours /sparql", "ours warm", "ours 304", *PEERS,
                                  "rdflib-endpoint") if label in present]
    httpx_labels = [label for label in present if label.endswith(HTTPX_SUFFIX)]
    rdflib = "rdflib-endpoint" in labels
    print(f"Named questions over HTTP on 127.0.0.1, parameters at their defaults. Median of {args.requests} "
          f"sequential requests (rdflib-endpoint: {args.rdflib_requests}); throughput from "
          f"{args.throughput_requests} requests on {args.concurrency} threads in {args.slices} bursts taken in "
          f"turn with the other servers' (rdflib-endpoint: "
          f"{args.rdflib_requests} on 1). This service: {args.http_processes} HTTP process(es), {args.workers} "
          f"query workers each, max queue "
          f"{args.max_queue if args.max_queue is not None else 'its default'}. 'ours /queries' and "
          f"'ours /sparql' are cold (Cache-Control: no-cache); 'ours warm' is the result cache, 'ours 304' "
          f"a revalidation with the ETag; 'floor' is the floor server asked in the same round (each server "
          f"idles while the others answer, and waking costs). Only the exchange is timed, not the client's "
          f"parsing. Every figure is taken with the bench's lean HTTP/1.1 client (one "
          f"keep-alive socket, TCP_NODELAY) unless labelled (httpx).\n")
    lean_floor = statistics.median(f["lean"] for f in floors)
    httpx_floor = statistics.median(f["httpx"] for f in floors)
    print(f"Floor (a raw asyncio server in a subprocess answering a fixed {len(FLOOR_BODY)}-byte 200, median of "
          f"{len(floors)} runs of 2000): lean client {lean_floor:.3f} ms, httpx {httpx_floor:.3f} ms "
          f"(runs, lean/httpx: {', '.join('%.3f/%.3f' % (f['lean'], f['httpx']) for f in floors)})\n")
    head = f"{'question':<30} {'rows':>5} " + " ".join(f"{label + ' ms':>16}" for label in labels)
    head += f" {'floor ms':>9} {'cold/oxi':>9} {'/oxi mem':>9}" + (f" {'rdflib/ours':>12}" if rdflib else "")
    print(head)
    print("-" * len(head))
    cold_ok = {peer: True for peer in PEERS}
    warm_in_round_ok = at_least_10x = True
    above_floor = 0.0  # the most a warm or 304 answer took beyond the floor in the same round
    for name, by_server in results.items():
        ours = by_server["ours /queries"]["median_ms"]
        cold_ratios = [ours / by_server[peer]["median_ms"] for peer in PEERS]
        for peer, ratio in zip(PEERS, cold_ratios):
            cold_ok[peer] &= ratio <= 1.5
        warm = max(by_server["ours warm"]["median_ms"], by_server["ours 304"]["median_ms"])
        warm_in_round_ok &= warm <= 1.0
        above_floor = max(above_floor, warm - by_server["floor"]["median_ms"])
        line = f"{name:<30} {by_server['ours /queries']['rows']:>5} " + " ".join(
            f"{by_server[label]['median_ms']:>16.2f}" for label in labels) + \
            f" {by_server['floor']['median_ms']:>9.2f}" + "".join(f" {ratio:>9.2f}" for ratio in cold_ratios)
        if rdflib:
            ratio_rdflib = by_server["rdflib-endpoint"]["median_ms"] / ours
            at_least_10x &= ratio_rdflib >= 10
            line += f" {ratio_rdflib:>12.1f}"
        rows = {label: by_server[label]["rows"] for label in labels}
        if len(set(rows.values())) != 1:
            line += f"  ROW COUNTS DIFFER {rows}"
        print(line)
    if httpx_labels:
        print(f"\nThe same warm and 304 requests through httpx (its own per-request cost included; floor "
              f"{httpx_floor:.3f} ms):")
        print(f"{'question':<30} " + " ".join(f"{label + ' ms':>24}" for label in httpx_labels))
        for name, by_server in results.items():
            print(f"{name:<30} " + " ".join(f"{by_server[label]['median_ms']:>24.2f}" for label in httpx_labels))
    print(f"\nWarm and 304 answers back-to-back ({BACK_TO_BACK_REQUESTS} requests in a row on one connection, "
          f"lean client, as the floor's {lean_floor:.3f} ms is measured: the server never idles between two):")
    print(f"{'question':<30} {'ours warm ms':>16} {'ours 304 ms':>16}")
    slowest_back_to_back = 0.0
    for name, by_server in results.items():
        warm, revalidated = by_server["ours warm"]["back_to_back_ms"], by_server["ours 304"]["back_to_back_ms"]
        slowest_back_to_back = max(slowest_back_to_back, warm, revalidated)
        print(f"{name:<30} {warm:>16.2f} {revalidated:>16.2f}")
    print(f"\nThroughput (answers 200/304 per second, {args.concurrency} concurrent lean clients; refused "
          f"answers are not counted in the rate, they are listed below):")
    print(f"{'question':<30} " + " ".join(f"{label:>16}" for label in labels)
          + f" {'cold/oxi':>9} {'/oxi mem':>9} {'warm/oxi':>9} {'/oxi mem':>9}")
    ratios = {peer: [] for peer in PEERS}
    warm_ratios = {peer: [] for peer in PEERS}
    refusals = []
    for name, by_server in results.items():
        for peer in PEERS:
            ratios[peer].append(by_server["ours /queries"]["per_s"] / by_server[peer]["per_s"])
            warm_ratios[peer].append(by_server["ours warm"]["per_s"] / by_server[peer]["per_s"])
        print(f"{name:<30} " + " ".join(f"{by_server[label]['per_s']:>16.1f}" for label in labels)
              + "".join(f" {ratios[peer][-1]:>9.2f}" for peer in PEERS)
              + "".join(f" {warm_ratios[peer][-1]:>9.2f}" for peer in PEERS))
        for label in labels:
            if by_server[label]["refused"]:
                refusals.append(f"{name} / {label}: " + ", ".join(
                    f"{count}x {status}" for status, count in sorted(by_server[label]["refused"].items())))
    print("\nCPU ms per answer during throughput (user + system, from /proc: the server process with "
          "its threads and its query workers; the bench client's own beside it, on the same cores):")
    print(f"{'question':<30} " + " ".join(f"{label:>16}" for label in labels) + f" {'client':>9}")
    for name, by_server in results.items():
        print(f"{name:<30} " + " ".join(f"{by_server[label]['cpu']['server_ms']:>16.2f}" for label in labels)
              + f" {by_server['ours /queries']['cpu']['client_ms']:>9.2f}")
    if refusals:
        print("Refused during throughput (status: count; not in the rate):\n  " + "\n  ".join(refusals))
    else:
        print("Refused during throughput: none (every answer was 200 or 304)")

    def against(verdicts: dict[str, str]) -> str:
        return "; ".join(f"against Oxigraph's server {SERVED_FROM[peer]}: {verdict}"
                         for peer, verdict in verdicts.items())

    print("\nThis service reads a store this small from memory (SDGGRAPH_MEMORY_STORE_MB); each target is "
          "judged against Oxigraph's server on the build's store (the issue's peer) and on a copy in memory.")
    print("Target: cold named questions within 1.5x of Oxigraph's server on every question (median): "
          + against({peer: "HOLDS" if cold_ok[peer] else "MISSED" for peer in PEERS}))
    print(f"Target: warm named questions (result cache, and 304 on If-None-Match) p50 <= 1 ms: "
          f"{'HOLDS' if slowest_back_to_back <= 1.0 else 'MISSED'} back-to-back, as the floor is measured "
          f"(slowest {slowest_back_to_back:.2f} ms; floor {lean_floor:.3f} ms); in the round "
          f"{'HOLDS' if warm_in_round_ok else 'MISSED'} (at most {above_floor:.2f} ms above the floor asked beside it)")
    print(f"Target: throughput with {args.concurrency} concurrent clients (cold) >= 0.7x Oxigraph's server: "
          + against({peer: f"{'HOLDS' if min(ratios[peer]) >= 0.7 else 'MISSED'} (lowest ratio "
                           f"{min(ratios[peer]):.2f})" for peer in PEERS}))
    print("          the same as clients ask (result cache on, no Cache-Control: no-cache): "
          + against({peer: f"{'HOLDS' if min(warm_ratios[peer]) >= 0.7 else 'MISSED'} (lowest ratio "
                           f"{min(warm_ratios[peer]):.2f})" for peer in PEERS}))
    if rdflib:
        print(f"Target: at least 10x faster than rdflib-endpoint on every named question: "
              f"{'HOLDS' if at_least_10x else 'MISSED'}")


if __name__ == "__main__":
    sys.exit(main())
