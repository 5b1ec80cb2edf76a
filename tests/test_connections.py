"""Connections before a request reaches the app (server/connections, middleware.BodyLimit), against
`sdggraph serve`: a request head is bounded in bytes and in time, a body in time, the open
connections in number (the longest idle is closed for a newcomer), and none of it costs the
server memory. Each test fails if its bound is removed (uvicorn alone has none of them)."""

from __future__ import annotations

import os
import re
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from sdggraph.server import connections

REQUEST_SECONDS = 1.0
MAX_CONNECTIONS = 40
ASK = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\nAccept: application/sparql-results+json\r\n"


@pytest.fixture(scope="module")
def server(build_dir):
    """(port, pid) of `sdggraph serve` with a 1 s request deadline and 40 connections at most."""
    from helpers import free_port, stop, wait_until_answering

    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "sdggraph.cli", "serve", "--port", str(port), "--workers", "1",
                                "--build-dir", str(build_dir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=dict(os.environ, SDGGRAPH_REQUEST_SECONDS=str(REQUEST_SECONDS),
                                        SDGGRAPH_MAX_CONNECTIONS=str(MAX_CONNECTIONS)))
    try:
        wait_until_answering(process, f"http://127.0.0.1:{port}/sparql?query=ASK%7B%7D", limit_s=120)
    except RuntimeError as error:
        pytest.fail(str(error))
    yield port, process.pid
    stop(process)


def _connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def _status(sock: socket.socket) -> bytes:
    """The status line of the next answer on sock (b"" if it was closed without one)."""
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    except ConnectionResetError:
        pass
    return data.split(b"\r\n")[0]


def _closed(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def _rss_mb(pid: int) -> float:
    line = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("VmRSS"))
    return int(line.split()[1]) / 1024


def _bystander(port: int) -> int:
    return httpx.get(f"http://127.0.0.1:{port}/sparql", params={"query": "ASK {}"}, timeout=5).status_code


def test_a_request_head_past_the_cap_is_431_and_costs_no_memory(server):
    port, pid = server
    with _connect(port) as sock:
        sock.sendall(ASK + b"X-Big: " + b"a" * 60_000 + b"\r\n\r\n")
        assert _status(sock) == b"HTTP/1.1 200 OK"  # a large head within the cap is answered
    with _connect(port) as sock:
        sock.sendall(ASK + b"X-Big: " + b"a" * 70_000 + b"\r\n\r\n")
        assert _status(sock) == b"HTTP/1.1 431 Request Header Fields Too Large"
    before = _rss_mb(pid)
    with _connect(port) as sock:  # header lines without end: uvicorn alone kept every one
        sock.sendall(ASK)
        line = b"X-" + b"a" * 60 + b": " + b"b" * 1000 + b"\r\n"
        sent = 0
        try:
            while sent < 100 << 20:
                sock.sendall(line * 64)
                sent += len(line) * 64
        except OSError:
            pass
    assert sent < 10 << 20, "the server read 10 MB of request head"
    assert _rss_mb(pid) - before < 20
    assert _bystander(port) == 200


def test_a_head_that_does_not_arrive_in_time_is_408_and_a_silent_connection_is_closed(server):
    port, _ = server
    with _connect(port) as dripping, _connect(port) as silent:
        started = time.monotonic()
        dripping.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        for _ in range(3):  # a header line now and then does not keep it open
            time.sleep(REQUEST_SECONDS / 3)
            try:
                dripping.sendall(b"X-a: b\r\n")
            except OSError:
                break
        assert _status(dripping) == b"HTTP/1.1 408 Request Timeout"
        assert _closed(silent)
        assert time.monotonic() - started < REQUEST_SECONDS + 3


def test_a_body_that_does_not_arrive_in_time_is_408(server):
    port, _ = server
    with _connect(port) as sock:
        started = time.monotonic()
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     b"Content-Length: 100\r\n\r\nquery=ASK")
        assert _status(sock) == b"HTTP/1.1 408 Request Timeout"
        assert REQUEST_SECONDS - 0.2 < time.monotonic() - started < REQUEST_SECONDS + 3


def test_past_the_connection_cap_the_longest_idle_is_closed_and_a_newcomer_is_served(server):
    port, _ = server
    started = time.monotonic()
    idle = [_connect(port) for _ in range(3 * MAX_CONNECTIONS)]
    try:
        assert _bystander(port) == 200  # uvicorn alone: a flood of them until the descriptors run out
        time.sleep(0.1)
        closed = 0
        for sock in idle[:2 * MAX_CONNECTIONS]:  # the oldest made room for the newer ones
            sock.settimeout(0.01)
            try:
                closed += sock.recv(1) == b""
            except socket.timeout:
                pass
            except ConnectionResetError:
                closed += 1
        assert time.monotonic() - started < REQUEST_SECONDS  # so none was closed for its lateness
        assert closed >= 2 * MAX_CONNECTIONS - 5
        idle[-1].sendall(ASK + b"\r\n")  # the newest is still served
        assert _status(idle[-1]) == b"HTTP/1.1 200 OK"
    finally:
        for sock in idle:
            sock.close()


def test_large_bodies_and_pipelined_requests_still_pass(server):
    port, _ = server
    body = b"query=" + b"%20" * 200_000 + b"ASK%7B%7D"
    with _connect(port) as sock:
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     b"Accept: application/sparql-results+json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        assert _status(sock) == b"HTTP/1.1 200 OK"
    with _connect(port) as sock:
        sock.sendall((ASK + b"\r\n") * 20)
        sock.settimeout(2)
        answers = b""
        try:
            while answers.count(b"HTTP/1.1 200") < 20:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                answers += chunk
        except socket.timeout:
            pass
        assert answers.count(b"HTTP/1.1 200") == 20


def _numbered(number: int) -> bytes:
    query = quote(f"SELECT ({number} AS ?n) {{}}")
    return (f"GET /sparql?query={query} HTTP/1.1\r\nHost: x\r\n"
            "Accept: application/sparql-results+json\r\n\r\n").encode()


def test_pipelined_requests_past_the_queue_bound_are_all_answered_in_order(server):
    port, _ = server
    body = b"query=ASK%7B%7D"
    post = (b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Accept: application/sparql-results+json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    count = 20 * connections.MAX_PIPELINED  # more than the queue and than one piece fed to the parser
    with _connect(port) as sock:
        sock.sendall(post + b"".join(_numbered(number) for number in range(count)))  # a body, then heads
        answers = b""
        sock.settimeout(10)
        # until the last body is in: its head may arrive in one piece and its body in the next
        while answers.count(b"HTTP/1.1 200") < count + 1 or not answers.endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answers += chunk
    numbers = [int(found) for found in re.findall(rb'"value":"(\d+)"', answers)]
    assert numbers == list(range(count))
    assert b'"boolean":true' in answers.split(b"HTTP/1.1 200")[1]  # the POST's, first


def test_a_client_that_pipelines_without_reading_is_held_back_and_costs_no_memory(server):
    port, pid = server
    before = _rss_mb(pid)
    batch = (ASK + b"\r\n") * 1000
    sent = 0
    with _connect(port) as sock:
        sock.settimeout(1)
        try:
            while sent < 200_000:  # ~19 MB of requests; uvicorn alone read and queued every one
                sock.sendall(batch)
                sent += 1000
        except OSError:  # the server stopped reading: the socket buffers are full
            pass
        grown = _rss_mb(pid) - before
        assert sent < 200_000, "the server read every pipelined request"
        assert grown < 30, f"the server grew by {grown:.0f} MB"
        assert _bystander(port) == 200


def test_the_soft_descriptor_limit_is_raised_for_the_connections(monkeypatch):
    limits = {"now": (1024, 4096)}
    monkeypatch.setattr(resource, "getrlimit", lambda kind: limits["now"])
    monkeypatch.setattr(resource, "setrlimit", lambda kind, value: limits.update(now=value))
    assert connections.raise_descriptor_limit(2000) == 2000 + connections.SPARE_DESCRIPTORS
    limits["now"] = (1024, 1500)  # the hard limit is as far as it goes
    assert connections.raise_descriptor_limit(2000) == 1500
