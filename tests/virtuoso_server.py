"""Start a private Virtuoso (Debian's virtuoso-opensource) on free loopback ports.

Used by the `virtuoso_server` fixture in conftest.py and by the push-then-kill tests. The
Debian package is installed when missing (as root, with the dba password preseeded and the
system service kept from starting); the instance here has its own virtuoso.ini and database in
a temporary directory, listens on 127.0.0.1 only (HTTP and ISQL on free ports) and never
touches the system instance's 8890/1111. A fresh database's dba password is "dba".
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from helpers import free_port, stop

PACKAGE = "virtuoso-opensource"
SERVICE = "virtuoso-opensource-7"
BINARY_NAMES = ("virtuoso-t",)
USER, PASSWORD = "dba", "dba"
START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 20.0
INSTALL_TIMEOUT_S = 900
POLICY_RC = Path("/usr/sbin/policy-rc.d")

INI = """\
; A private test instance: loopback only, its own files; written by tests/virtuoso_server.py
[Database]
DatabaseFile       = {dir}/virtuoso.db
ErrorLogFile       = {dir}/virtuoso.log
LockFile           = {dir}/virtuoso.lck
TransactionFile    = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {dir}/virtuoso-temp.db
TransactionFile    = {dir}/virtuoso-temp.trx
Striping           = 0

[Parameters]
ServerPort         = 127.0.0.1:{isql_port}
DisableUnixSocket  = 1
CheckpointInterval = 60
CaseMode           = 2
DirsAllowed        = .
NumberOfBuffers    = 10000
MaxDirtyBuffers    = 6000
ThreadsPerQuery    = 2
MaxClientConnections = 8

[HTTPServer]
ServerPort         = 127.0.0.1:{http_port}
ServerRoot         = {dir}/vsp
ServerThreads      = 4
MaxClientConnections = 8
MaxKeepAlives      = 8
KeepAliveTimeout   = 10
Charset            = UTF-8

[SPARQL]
; Virtuoso's default of 10 000 rows would cut results short; ours are far smaller.
ResultSetMaxRows           = 1000000
MaxQueryExecutionTime      = 300
MaxQueryCostEstimationTime = 0
"""


def virtuoso_binary() -> str | None:
    for name in BINARY_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def install_virtuoso() -> str:
    """Install Debian's virtuoso-opensource when missing; '' when installed, else why not."""
    if virtuoso_binary():
        return ""
    if not shutil.which("apt-get"):
        return "Virtuoso is not installed and there is no apt-get to install it"
    if os.geteuid() != 0:
        return f"Virtuoso is not installed and installing {PACKAGE} needs root (apt-get)"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    # The package asks for the system instance's dba password; a fresh private database has its own.
    selections = "".join(f"{SERVICE} {SERVICE}/{key} password {PASSWORD}\n"
                         for key in ("dba-password", "dba-password-again"))
    subprocess.run(["debconf-set-selections"], input=selections, text=True, env=env, capture_output=True)
    # Keep the system service from starting on 8890/1111 during installation.
    made_policy = False
    if not POLICY_RC.exists():
        POLICY_RC.write_text("#!/bin/sh\nexit 101\n")
        POLICY_RC.chmod(0o755)
        made_policy = True
    try:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=INSTALL_TIMEOUT_S)
        done = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", PACKAGE], env=env,
                              capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
    finally:
        if made_policy:
            POLICY_RC.unlink(missing_ok=True)
    if shutil.which("service"):  # in case it started anyway
        subprocess.run(["service", SERVICE, "stop"], env=env, capture_output=True, timeout=60)
    if not virtuoso_binary():
        return f"apt-get install {PACKAGE} failed: {(done.stderr or done.stdout)[-800:]}"
    return ""


@dataclass
class VirtuosoServer:
    base: str  # http://127.0.0.1:<port>
    process: subprocess.Popen
    directory: Path
    engine: str = "virtuoso"
    user: str = USER
    password: str = PASSWORD

    @property
    def query_url(self) -> str:    # SPARQL 1.1 Protocol, anonymous read
        return self.base + "/sparql"

    @property
    def update_url(self) -> str:   # SPARQL 1.1 Protocol with digest auth: query and update
        return self.base + "/sparql-auth"

    @property
    def store_url(self) -> str:    # SPARQL 1.1 Graph Store HTTP Protocol, digest auth
        return self.base + "/sparql-graph-crud-auth"

    @property
    def auth(self) -> httpx.Auth:
        return httpx.DigestAuth(self.user, self.password)

    @property
    def credentials(self) -> str:
        return f"{self.user}:{self.password}"


def _log_tail(directory: Path) -> str:
    texts = []
    for name in ("virtuoso.log", "stdout.log"):
        path = directory / name
        if path.is_file():
            texts.append(path.read_text(errors="replace")[-1500:])
    return "\n".join(texts)


def _wait_until_up(process: subprocess.Popen, base: str, directory: Path) -> bool:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False  # a port was taken between probe and bind, or a real failure
        try:
            if httpx.get(base + "/sparql", params={"query": "ASK {}"}, timeout=2.0).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"Virtuoso did not answer on {base} within {START_TIMEOUT_S:g} s: {_log_tail(directory)}")


@contextlib.contextmanager
def running_virtuoso(directory: Path, binary: str | None = None, attempts: int = 3):
    """virtuoso-t in the foreground with DIRECTORY/virtuoso.ini (written here on free ports);
    the database stays in DIRECTORY, so a second start on it sees what the first one kept."""
    binary = binary or virtuoso_binary()
    if binary is None:
        raise FileNotFoundError(f"Virtuoso is not installed (apt-get install {PACKAGE})")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "vsp").mkdir(exist_ok=True)
    for _ in range(attempts):
        http_port, isql_port = free_port(), free_port()
        while isql_port == http_port:
            isql_port = free_port()
        (directory / "virtuoso.ini").write_text(INI.format(dir=directory, http_port=http_port, isql_port=isql_port))
        base = f"http://127.0.0.1:{http_port}"
        with (directory / "stdout.log").open("w") as out:
            process = subprocess.Popen([binary, "+foreground", "+configfile", str(directory / "virtuoso.ini")],
                                       cwd=directory, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            if _wait_until_up(process, base, directory):
                yield VirtuosoServer(base, process, directory)
                return
        finally:
            stop(process, STOP_TIMEOUT_S)
    raise RuntimeError(f"Virtuoso would not start ({attempts} attempts): {_log_tail(directory)}")
