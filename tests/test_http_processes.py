"""`sdggraph serve --http-processes N` (server/processes): N server processes accept from one
socket; SIGTERM stops them all and their workers within seconds; one that dies is started again;
updates refuse more than one; a file derived from the build is made once across processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from helpers import child_pids

from sdggraph.errors import SdggraphError
from sdggraph.server.derived import Derived
from sdggraph.server.settings import Settings


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _started_servers(log: Path) -> int:
    return log.read_text(errors="replace").count("Started server process")


def test_several_processes_answer_restart_and_stop_together(build_dir, tmp_path):
    from helpers import free_port, wait_until_answering

    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "sdggraph.cli", "serve", "--port", str(port),
                                    "--http-processes", "2", "--workers", "1", "--fast-workers", "0",
                                    "--build-dir", str(build_dir)], stdout=subprocess.DEVNULL, stderr=stderr)
    url = f"http://127.0.0.1:{port}/queries/indikator-tidsserie"
    try:
        wait_until_answering(process, url, limit_s=120)
        deadline = time.monotonic() + 60
        while _started_servers(log) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        servers = child_pids(process.pid)
        assert len(servers) == 2 and _started_servers(log) == 2, log.read_text()[-2000:]
        assert all(child_pids(server) for server in servers)  # each has its own query worker

        # a connection each: the kernel hands them to both processes
        answers = [httpx.get(url, headers={"Cache-Control": "no-cache"}, timeout=30) for _ in range(20)]
        assert {answer.status_code for answer in answers} == {200}
        assert len({answer.content for answer in answers}) == 1

        time.sleep(10)  # past its start-up: a later death is a crash, not a failed start
        os.kill(servers[0], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (_started_servers(log) < 3 or len(child_pids(process.pid)) < 2):
            time.sleep(0.2)
        assert _started_servers(log) == 3 and servers[0] not in child_pids(process.pid), "not started again"
        wait_until_answering(process, url, limit_s=60)

        everything = [process.pid, *child_pids(process.pid)]
        everything += [worker for server in child_pids(process.pid) for worker in child_pids(server)]
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
        took = time.monotonic() - started
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert took < 10, f"SIGTERM took {took:.1f} s"
    time.sleep(0.5)
    assert not [pid for pid in everything if _alive(pid)], "a server process or worker outlived the stop"


def test_updates_need_a_single_process(build_dir):
    with pytest.raises(SdggraphError, match="single HTTP process"):
        Settings(build_dir=build_dir, update_token="x" * 32, http_processes=2)
    with pytest.raises(SdggraphError):
        Settings(build_dir=build_dir, http_processes=0)


def test_a_derived_file_is_made_once_across_processes(tmp_path):
    """Each server process has its own Derived (its own thread locks): the file lock makes the
    second wait for the first's file instead of computing it again."""
    made = []

    def make(target: Path) -> None:
        made.append(target)
        time.sleep(0.3)
        target.write_text("made", encoding="utf-8")

    path = tmp_path / "v1" / "export-dcat-ttl"
    first, second = Derived(), Derived()  # as two processes would hold them
    threads = [threading.Thread(target=derived.ensure, args=(path, make)) for derived in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 1 and path.read_text(encoding="utf-8") == "made"
    first.close()
    second.close()
