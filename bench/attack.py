"""Attack harness: the hostile and careless clients of issue 9, against `sdggraph serve`, on loopback only.

Not a test (it asserts nothing; tests/test_attacks.py holds the short forms that do). For each row
of the issue's table it runs the attack for a bounded time with a bounded number of clients
while a bystander client asks `ASK {}` every 50 ms on its own connection, and prints what the
service answered, whether the bystander was served (its p50/p99/max latency) and the memory
(RSS) of the server process and its worker processes, read from /proc.

    .venv/bin/python bench/attack.py                       # builds a fresh graph, starts its servers
    .venv/bin/python bench/attack.py --build-dir build     # over an existing build
    .venv/bin/python bench/attack.py --url http://127.0.0.1:8000 [--pid PID]   # a running server
    .venv/bin/python bench/attack.py --only 1,4 --seconds 5

Rows: 1 tokenizer (40 clients POST `ASK { a.a.a… }` of 60 KB), 2 big CONSTRUCTs whose bodies are
never read, 3 concurrent exports, 4 runaway cartesian COUNTs (6 clients), 5 DROP ALL then every
view (on a copy of the build, with an update token), 6 forged log lines, 7 the small ones
(nested braces, DROP/CREATE GRAPH, two Accept headers, q=nan, invalid UTF-8, billion laughs,
100 MB Turtle for validate), 8 (not in the issue's table) 40 clients looping every named question
with the result cache bypassed, 9 silent, dripping and endless connections, 10 pipelined requests
never read, 4u row 4 with updates enabled (an INSERT a second, each seen by the next query),
and SIGTERM under row-1 load. Rows 4u, 5, 6 and SIGTERM need servers
the harness starts itself.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

import httpx

EXPENSIVE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
TOKEN = "attack-harness-update-token-0123456789"
LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
 <!ENTITY lol "lol">
""" + "".join(f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n' for i in range(1, 10)) + """]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">
  <rdf:Description rdf:about="http://example.org/a"><ex:p>&lol9;</ex:p></rdf:Description>
</rdf:RDF>
"""


def doubling_construct(doublings: int = 12, limit: int = 1300) -> str:
    """A CONSTRUCT of `limit` triples with 16 * 2**doublings-character literals (~84 MB by default)."""
    binds = ['BIND("0123456789abcdef" AS ?a0)'] + [f"BIND(CONCAT(?a{i},?a{i}) AS ?a{i + 1})" for i in range(doublings)]
    # each row's literal differs (its ?p and ?o in front), so the triples are distinct
    return (f"CONSTRUCT {{ ?s <urn:big> ?big }} WHERE {{ ?s ?p ?o {' '.join(binds)} "
            f"BIND(CONCAT(STR(?p), STR(?o), ?a{doublings}) AS ?big) }} LIMIT {limit}")


# ---- servers ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served:
    """`sdggraph serve` started by the harness on a free loopback port; stderr kept in a file."""

    def __init__(self, build_dir: Path, workers: int, timeout: float, env: dict | None = None, log_format="text"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix="sdggraph-attack-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sdggraph.cli", "serve", "--port", str(self.port), "--workers", str(workers),
             "--timeout", str(timeout), "--build-dir", str(build_dir), "--log-format", log_format],
            stdout=subprocess.DEVNULL, stderr=self.log, env={**os.environ, **(env or {})})
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited: {Path(self.log.name).read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/sparql?query=ASK%7B%7D", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.stop()
        raise SystemExit("the server did not answer within 120 s")

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_text(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def stop(self) -> float:
        """SIGTERM, then the seconds until the process (and its workers) were gone."""
        children = descendants(self.pid)
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        while any(Path(f"/proc/{pid}").exists() and _state(pid) != "Z" for pid in children) \
                and time.monotonic() - started < 30:
            time.sleep(0.05)
        return time.monotonic() - started


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def descendants(pid: int) -> list[int]:
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                continue
            found += children
            frontier += children
    return found


def rss_mb(pid: int | None) -> tuple[float, float]:
    """(RSS of the process, RSS of its descendants) in MB, from /proc (0 when unknown)."""
    if pid is None:
        return 0.0, 0.0

    def one(p):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0
    return one(pid), sum(one(child) for child in descendants(pid))


# ---- clients ------------------------------------------------------------------------------

def _bystander_main(url: str, stop_event, results) -> None:
    latencies, statuses = [], []
    with httpx.Client(timeout=30) as client:
        while not stop_event.is_set():
            started = time.perf_counter()
            try:
                status = client.get(url, params={"query": "ASK {}"}).status_code
            except httpx.HTTPError as error:
                status = type(error).__name__
            latencies.append((time.perf_counter() - started) * 1000)
            statuses.append(status)
            stop_event.wait(0.05)
    results.put((latencies, statuses))


class Bystander:
    """Asks ASK {} every 50 ms on its own connection, from its own process (the attackers' threads
    would otherwise slow its own measurement); records latency and status. `endpoint`: the SPARQL
    endpoint's path (Oxigraph's server: /query)."""

    def __init__(self, url: str, endpoint: str = "/sparql"):
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self.stop_event, self.results = context.Event(), context.Queue()
        self.process = context.Process(target=_bystander_main, args=(url + endpoint, self.stop_event, self.results),
                                       daemon=True)
        self.latencies, self.statuses = [], []

    def start(self):
        self.process.start()

    def join(self):
        self.stop_event.set()
        self.latencies, self.statuses = self.results.get(timeout=60)
        self.process.join(10)

    @property
    def served(self) -> int:
        return sum(status == 200 for status in self.statuses)

    def p99(self) -> float | None:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else None

    def summary(self) -> str:
        if not self.latencies:
            return "bystander: no answers"
        ordered = sorted(self.latencies)
        return (f"bystander: {self.served}/{len(self.statuses)} served, p50 {statistics.median(ordered):.0f} ms, "
                f"p99 {self.p99():.0f} ms, max {ordered[-1]:.0f} ms")


def looping(clients: int, seconds: float, action) -> dict:
    """Run action() in `clients` threads for `seconds`; count the outcomes it returns."""
    counts: dict = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def loop():
        while time.monotonic() < stop_at:
            try:
                outcome = action()
            except Exception as error:  # noqa: BLE001 (a harness reports every failure)
                outcome = type(error).__name__
            with lock:
                counts[outcome] = counts.get(outcome, 0) + 1

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    return counts


def under_attack(target: "Target", name: str, attack) -> None:
    before = rss_mb(target.pid)
    bystander = Bystander(target.url)
    bystander.start()
    time.sleep(1.5)  # the bystander process starts (imports httpx)
    peak = [before]
    sampling = threading.Event()

    def sample():
        while not sampling.is_set():
            now = rss_mb(target.pid)
            peak[0] = max(peak[0], now, key=lambda pair: pair[0])
            sampling.wait(0.2)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    what = attack()
    elapsed = time.monotonic() - started
    sampling.set()
    bystander.join()
    after = rss_mb(target.pid)
    print(f"\n[{name}] {elapsed:.1f} s")
    print(f"  service: {what}")
    server_errors = {outcome: count for outcome, count in what.items() if re.search(r"\b500\b", str(outcome))} \
        if isinstance(what, dict) else {}
    if server_errors:  # a defence answers 4xx or 503; a 500 is a bug (the server log says which)
        print(f"  SERVER ERRORS: {server_errors}")
    print(f"  {bystander.summary()}")
    if target.pid:
        print(f"  memory: server {before[0]:.0f} → peak {peak[0][0]:.0f} → {after[0]:.0f} MB; "
              f"workers {before[1]:.0f} → {after[1]:.0f} MB")


class Target:
    def __init__(self, url: str, pid: int | None):
        self.url, self.pid = url, pid


# ---- the rows -----------------------------------------------------------------------------

def row1_tokenizer(target, seconds, clients=40, size=60_000):
    body = ("ASK { " + "a." * (size // 2) + " }").encode()

    def post():
        response = httpx.post(target.url + "/sparql", content=body, timeout=60,
                              headers={"content-type": "application/sparql-query"})
        return f"{response.status_code} {response.text[:60].strip()}"
    return looping(clients, seconds, post)


def row2_unread_constructs(target, seconds, clients=53):
    query = doubling_construct()
    request = (f"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
               f"Accept: text/turtle\r\nContent-Length: {len(query)}\r\n\r\n{query}").encode()
    host, port = target.url.rsplit("//", 1)[1].split(":")
    sockets = []
    for _ in range(clients):  # send, never read the answer
        connection = socket.create_connection((host, int(port)))
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        connection.sendall(request)
        sockets.append(connection)
    time.sleep(seconds)
    heads = []
    for connection in sockets:  # what did they get? (the first bytes only)
        connection.settimeout(0.5)
        try:
            heads.append(connection.recv(200).split(b"\r\n", 1)[0].decode(errors="replace"))
        except OSError:
            heads.append("no answer yet")
        connection.close()
    return {head: heads.count(head) for head in set(heads)}


def row3_exports(target, seconds, clients=45):
    def export():
        response = httpx.get(target.url + "/export/ks-taxonomy", timeout=120)
        return response.status_code
    return looping(clients, seconds, export)


def row4_runaway(target, seconds, clients=6):
    def runaway():
        started = time.monotonic()
        response = httpx.get(target.url + "/sparql", params={"query": EXPENSIVE}, timeout=60)
        took = time.monotonic() - started
        return f"{response.status_code} ({'>' if took > 6 else '≤'}6 s)"
    return looping(clients, seconds, runaway)


def row4_with_updates(build_dir: Path, workers: int, timeout: float, seconds: float, clients=6):
    """Row 4 with the update token set (on a copy of the build): the runaway clients, and an
    authorised INSERT DATA a second, each followed by a query that must see it."""
    copy = Path(tempfile.mkdtemp(prefix="sdggraph-attack-build-")) / "build"
    shutil.copytree(build_dir, copy)
    served = Served(copy, workers, timeout, env={"SDGGRAPH_UPDATE_TOKEN": TOKEN})
    target = Target(served.url, served.pid)
    headers = {"content-type": "application/sparql-update", "authorization": f"Bearer {TOKEN}"}

    def updates():
        outcomes: dict = {}
        stop_at = time.monotonic() + seconds
        for number in itertools.count():
            if time.monotonic() >= stop_at:
                return outcomes
            started = time.monotonic()
            update = httpx.post(served.url + "/sparql", headers=headers, timeout=60,
                                content=f"INSERT DATA {{ <urn:attack:s{number}> <urn:attack:p> {number} }}")
            seen = httpx.get(served.url + "/sparql", timeout=60,
                             params={"query": f"ASK {{ <urn:attack:s{number}> ?p {number} }}"})
            took = time.monotonic() - started
            outcome = (f"update {update.status_code}, seen {seen.status_code == 200 and seen.json()['boolean']}, "
                       f"{'>' if took > 1 else '≤'}1 s")
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            time.sleep(1)

    def attack():
        result: dict = {}
        thread = threading.Thread(target=lambda: result.update(updates()), daemon=True)
        thread.start()
        counts = row4_runaway(target, seconds, clients)
        thread.join(seconds + 60)
        return {**counts, **result}

    try:
        under_attack(target, f"4u {clients} clients looping the runaway COUNT, updates enabled, an INSERT a second",
                     attack)
    finally:
        served.stop()
        shutil.rmtree(copy.parent, ignore_errors=True)


def row9_connections(target, seconds, flood=3000, heads=20):
    """Not in the issue's table (its slowloris held): `flood` connections that send nothing or drip a
    header line a second, kept open or reopened for `seconds`, and `heads` connections each sending
    megabytes of header lines without end (server/connections bounds all three)."""
    host, port = target.url.rsplit("//", 1)[1].split(":")
    outcomes: dict = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def note(outcome):
        with lock:
            outcomes[outcome] = outcomes.get(outcome, 0) + 1

    def drip(slot):
        while time.monotonic() < stop_at:
            try:
                connection = socket.create_connection((host, int(port)), timeout=5)
            except OSError as error:
                note(f"connect failed: {type(error).__name__}")
                time.sleep(0.5)
                continue
            opened = time.monotonic()
            try:
                if slot % 2:
                    connection.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
                connection.settimeout(1)
                while time.monotonic() < stop_at:
                    if slot % 2:
                        connection.sendall(b"X-a: b\r\n")
                    try:
                        connection.recv(64)  # a 408 or the close: the server ended it
                        break
                    except socket.timeout:
                        continue
                note(f"{'dripping' if slot % 2 else 'silent'} closed by the server after "
                     f"{'<' if time.monotonic() - opened < 20 else '≥'}20 s")
            except OSError:
                note(f"{'dripping' if slot % 2 else 'silent'} reset by the server")
            finally:
                connection.close()

    def endless_head(_):
        while time.monotonic() < stop_at:
            sent = 0
            try:
                with socket.create_connection((host, int(port)), timeout=5) as connection:
                    connection.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
                    line = b"X-" + b"a" * 60 + b": " + b"b" * 1000 + b"\r\n"
                    while sent < 200 << 20 and time.monotonic() < stop_at:
                        connection.sendall(line * 64)
                        sent += len(line) * 64
            except OSError:  # the server closed it (the socket buffers took what was sent meanwhile)
                note("endless head closed by the server")
                continue
            note("endless head still open at the end")

    # The few endless heads first: starting 3000 threads that at once churn connections can take
    # longer than `seconds`, and a thread started after stop_at would ask nothing.
    threads = [threading.Thread(target=endless_head, args=(slot,), daemon=True) for slot in range(heads)]
    threads += [threading.Thread(target=drip, args=(slot,), daemon=True) for slot in range(flood)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 30)
    return outcomes


def row10_pipelining(target, seconds, clients=8):
    """Not in the issue's table: `clients` connections each pipelining `GET`s without reading any
    answer, for `seconds`, then closing (server/connections holds a connection's queue at 16)."""
    host, port = target.url.rsplit("//", 1)[1].split(":")
    batch = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n\r\n" * 1000

    def flood():
        with socket.create_connection((host, int(port)), timeout=5) as connection:
            connection.settimeout(1)
            stop_at = time.monotonic() + seconds
            try:
                while time.monotonic() < stop_at:
                    connection.sendall(batch)
            except OSError:  # blocked for a second: the server stopped reading
                time.sleep(max(stop_at - time.monotonic(), 0))
                return "held back: the server stopped reading"
        return "the server read every request sent"

    results: dict = {}
    threads = [threading.Thread(target=lambda: results.setdefault(flood(), []).append(1)) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 30)
    return {outcome: len(ones) for outcome, ones in results.items()}


def row8_cold_named_questions(target, seconds, clients=40):
    """Clients looping every named question with the result cache bypassed: the cheap ones are
    answered in threads of the server process (server/inprocess), the rest by the workers."""
    names = [entry["name"] for entry in httpx.get(target.url + "/queries", timeout=30).json()]
    turn = iter(range(10**9))

    def ask():
        name = names[next(turn) % len(names)]
        response = httpx.get(f"{target.url}/queries/{name}", headers={"Cache-Control": "no-cache"}, timeout=60)
        return response.status_code
    return looping(clients, seconds, ask)


def row5_drop_all(build_dir: Path, workers: int, timeout: float):
    copy = Path(tempfile.mkdtemp(prefix="sdggraph-attack-build-")) / "build"
    shutil.copytree(build_dir, copy)
    served = Served(copy, workers, timeout, env={"SDGGRAPH_UPDATE_TOKEN": TOKEN})
    views = {"sparql": "/sparql?query=" + quote("SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }"),
             "page": "/kommune/3203/indicator/HEL-01?format=turtle", "traverse": "/traverse/impact?goal=13",
             "export": "/export/ntriples", "coverage": "/report/coverage?format=json", "void": "/.well-known/void"}
    try:
        before = {name: httpx.get(served.url + path, timeout=60).content for name, path in views.items()}
        drop = httpx.post(served.url + "/sparql", content=b"DROP ALL", timeout=60,
                          headers={"content-type": "application/sparql-update", "authorization": f"Bearer {TOKEN}"})
        after = {name: httpx.get(served.url + path, timeout=60).content for name, path in views.items()}
        changed = {name: before[name] != after[name] for name in views}
        print(f"\n[5 DROP ALL then every view] DROP ALL → {drop.status_code}; view changed: {changed}")
    finally:
        served.stop()
        shutil.rmtree(copy.parent, ignore_errors=True)


def row6_log_forging(build_dir: Path, workers: int, timeout: float):
    for log_format in ("text", "json"):
        served = Served(build_dir, workers, timeout, log_format=log_format)
        try:
            fake = "2026-01-01 00:00:00,000 INFO sdggraph.server.requests: GET /admin 200 0.1 ms ok"
            httpx.get(served.url + "/kommune/x%0d%0a" + quote(fake), timeout=10,
                      headers={"user-agent": "evil\tagent\x7f"})
            # the variant within one line: a path and an agent that carry the fields' separators
            httpx.get(served.url + "/kommune/y" + quote(" 200 0.1 ms ok client=10.6.6.6"), timeout=10,
                      headers={"user-agent": 'curl" client="10.6.6.7'})
            time.sleep(0.3)
        finally:
            served.stop()
        lines = served.log_text().splitlines()
        forged = [line for line in lines if line.startswith("2026-01-01 00:00:00,000")]
        parsed = sum(1 for line in lines if _is_json(line))
        extra = f", {parsed}/{len(lines)} lines are JSON" if log_format == "json" else ""
        if log_format == "text":
            faked = [line for line in lines if "/kommune/y" in line
                     and (" 200 0.1 ms ok client=10.6.6.6" in line or 'client="10.6.6.7' in line)]
            extra = f", lines with a faked field (status, client): {len(faked)}"
        print(f"\n[6 forged log line, --log-format {log_format}] forged lines in the log: {len(forged)}{extra}")


def _is_json(line: str) -> bool:
    try:
        json.loads(line)
        return True
    except ValueError:
        return False


def row7_small(target, build_dir: Path | None, workers: int, timeout: float):
    print("\n[7 the small ones]")
    url = target.url + "/sparql"
    started = time.monotonic()
    response = httpx.post(url, data={"query": "ASK " + "{" * 10000 + "}" * 10000}, timeout=60)
    print(f"  10 000 nested braces → {response.status_code} in {time.monotonic() - started:.2f} s: "
          f"{response.text.strip()[:90]}")
    response = httpx.get(url, params={"query": "ASK {}"},
                         headers=[("accept", "text/csv"), ("accept", "application/sparql-results+json")])
    print(f"  two Accept headers → {response.status_code} {response.headers.get('content-type')}")
    response = httpx.get(url, params={"query": "ASK {}"},
                         headers={"accept": "text/csv;q=nan, application/sparql-results+xml;q=0.5"})
    print(f"  q=nan → {response.status_code} {response.headers.get('content-type')} (xml expected: nan is not 1)")
    response = httpx.get(url + "?query=ASK%7B%7D%FF")
    print(f"  invalid UTF-8 in GET → {response.status_code} {response.text.strip()[:70]}")
    if build_dir is not None:
        copy = Path(tempfile.mkdtemp(prefix="sdggraph-attack-build-")) / "build"
        shutil.copytree(build_dir, copy)
        served = Served(copy, workers, timeout, env={"SDGGRAPH_UPDATE_TOKEN": TOKEN})
        headers = {"content-type": "application/sparql-update", "authorization": f"Bearer {TOKEN}"}
        try:
            for update in ("DROP GRAPH <urn:missing>", "DROP SILENT GRAPH <urn:missing>",
                           "CREATE GRAPH <https://w3id.org/sdggraph/graph/asserted>",
                           "CREATE SILENT GRAPH <https://w3id.org/sdggraph/graph/asserted>"):
                response = httpx.post(served.url + "/sparql", content=update.encode(), headers=headers, timeout=30)
                print(f"  {update} → {response.status_code} {response.text.strip()[:70]}")
        finally:
            served.stop()
            shutil.rmtree(copy.parent, ignore_errors=True)
    workdir = Path(tempfile.mkdtemp(prefix="sdggraph-attack-files-"))
    try:
        laughs = workdir / "laughs.rdf"
        laughs.write_text(LAUGHS)
        big = workdir / "big.ttl"
        with big.open("wb") as handle:  # 100 MB of valid Turtle
            line = b"<urn:s> <urn:p> " + b'"' + b"x" * 200 + b'" .\n'
            handle.write(line * (100 * 1024 * 1024 // len(line)))
        build_args = ["--build-dir", str(build_dir)] if build_dir else []
        for path in (laughs, big):
            started = time.monotonic()
            done = subprocess.run([sys.executable, "-m", "sdggraph.cli", "validate", *build_args, str(path)],
                                  capture_output=True, text=True, timeout=600)
            print(f"  validate {path.name} ({path.stat().st_size} bytes) → exit {done.returncode} in "
                  f"{time.monotonic() - started:.1f} s: {done.stderr.strip()[-140:]}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def sigterm_under_load(build_dir: Path, workers: int, timeout: float):
    served = Served(build_dir, workers, timeout)
    target = Target(served.url, served.pid)
    load = threading.Thread(target=row1_tokenizer, args=(target, 6), daemon=True)
    runaway = threading.Thread(target=row4_runaway, args=(target, 6, 2), daemon=True)
    load.start()
    runaway.start()
    time.sleep(2)
    workers_before = descendants(served.pid)
    took = served.stop()
    left = [pid for pid in workers_before if Path(f"/proc/{pid}").exists() and _state(pid) != "Z"]
    print(f"\n[SIGTERM under row-1 and row-4 load] stopped in {took:.1f} s; processes left: {len(left)}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="attack this running server instead of starting one (loopback only)")
    parser.add_argument("--pid", type=int, help="with --url: the server's pid, for memory figures")
    parser.add_argument("--build-dir", type=Path, help="serve this build (default: build a fresh one)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=5)
    parser.add_argument("--seconds", type=float, default=10, help="how long each attack runs (default 10)")
    parser.add_argument("--only", default="1,2,3,4,4u,5,6,7,8,9,10,term", help="rows to run, e.g. 1,4,term")
    args = parser.parse_args(argv)
    rows = set(args.only.split(","))
    if args.url and not args.url.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]")):
        parser.error("the harness attacks loopback servers only")
    build_dir, fresh = args.build_dir, None
    if build_dir is None and (not args.url or rows & {"5", "6", "term"}):
        from sdggraph.compile.build import build
        fresh = Path(tempfile.mkdtemp(prefix="sdggraph-attack-")) / "build"
        print(f"building a fresh graph in {fresh} …")
        build(fresh)
        build_dir = fresh
    served = None
    try:
        if args.url:
            target = Target(args.url.rstrip("/"), args.pid)
        else:
            served = Served(build_dir, args.workers, args.timeout)
            target = Target(served.url, served.pid)
        print(f"target {target.url} (workers {args.workers}, timeout {args.timeout:g} s); "
              f"each attack {args.seconds:g} s")
        under_attack(target, "0 baseline: no attack", lambda: time.sleep(min(args.seconds, 5)) or "nothing sent")
        if "1" in rows:
            under_attack(target, "1 tokenizer: 40 clients POST ASK { a.a.a… } (60 KB)",
                         lambda: row1_tokenizer(target, args.seconds))
        if "2" in rows:
            under_attack(target, "2 53 CONSTRUCTs of ~84 MB, bodies never read",
                         lambda: row2_unread_constructs(target, args.seconds))
        if "3" in rows:
            under_attack(target, "3 45 concurrent GET /export/ks-taxonomy", lambda: row3_exports(target, args.seconds))
        if "4" in rows:
            under_attack(target, "4 6 clients looping a cartesian-product COUNT",
                         lambda: row4_runaway(target, args.seconds))
        if "8" in rows:
            under_attack(target, "8 40 clients looping every named question, result cache bypassed",
                         lambda: row8_cold_named_questions(target, args.seconds))
        if "9" in rows:
            under_attack(target, "9 3000 silent or dripping connections and 20 endless request heads",
                         lambda: row9_connections(target, args.seconds))
        if "10" in rows:
            under_attack(target, "10 8 connections pipelining GETs without reading an answer",
                         lambda: row10_pipelining(target, args.seconds))
        if "7" in rows:
            row7_small(target, build_dir, args.workers, args.timeout)
    finally:
        if served:
            served.stop()
    if "4u" in rows:
        row4_with_updates(build_dir, args.workers, args.timeout, args.seconds)
    if "5" in rows:
        row5_drop_all(build_dir, args.workers, args.timeout)
    if "6" in rows:
        row6_log_forging(build_dir, args.workers, args.timeout)
    if "term" in rows:
        sigterm_under_load(build_dir, args.workers, args.timeout)
    if fresh:
        shutil.rmtree(fresh.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
