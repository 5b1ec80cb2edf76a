"""The README is true: every command it shows is run here, as a user would copy it from the page.

Shell blocks and inline `sdggraph …` spans are read from README.md. A usage line (with [options]
or PLACEHOLDERS) is run with its placeholders filled in from EXAMPLES, and every option it names
must be one the command accepts. `sdggraph` lines run the installed command in a fresh directory
(after the README's own `sdggraph build`); curl lines and the Python example go to a live service;
HOST:7878 is a real Oxigraph server holding the pushed build. `make` and `pip install` are what
CI (.ci/run) and tests/test_install.py run.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from helpers import free_port, stop, wait_until_answering

README = Path(__file__).resolve().parents[1] / "README.md"
SDGGRAPH = str(Path(sys.executable).with_name("sdggraph"))
DOC_SERVICE = "http://127.0.0.1:8000"
EXAMPLES = {  # what a user would type for the README's placeholders
    "FROM_IRI": "indicator:KLI-01", "TO_IRI": "sdg:13", "IRI": "indicator:OKO-01", "PATH": "export.out",
    "FILE.zip": "opensdg.zip", "TOKEN": "a-token-of-sixteen-chars", "user:password": "user:password",
}
EXPORT_FORMATS = None  # filled from the CLI: `sdggraph export FORMAT` runs once per format

pytestmark = pytest.mark.slow


def code_blocks(text: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in re.finditer(r"```(\w*)\n(.*?)```", text, re.S)]


COMMANDS = ("sdggraph ", "curl ", "make ", "pip ")  # lines of a block that are commands, not shown output
COVERED_ELSEWHERE = {  # commands whose run needs what another test sets up
    "make test": ".ci/run", "make run": "test_make_run_serves_what_the_readme_says",
    "pip install .": "tests/test_install.py", ":8890/": "tests/test_push.py and tests/test_remote.py (Virtuoso)",
}


def shell_commands(block: str) -> list[str]:
    """Logical command lines as written: comments dropped, `\\` continuations and quoted newlines joined."""
    commands, pending = [], ""
    for line in block.splitlines():
        pending = f"{pending}\n{line}" if pending else line
        if pending.rstrip().endswith("\\"):
            pending = pending.rstrip()[:-1]
            continue
        try:
            words = shlex.split(pending, comments=True)
        except ValueError:  # an open quote: the command goes on
            continue
        if words and pending.lstrip().startswith(COMMANDS):
            commands.append(strip_comment(pending.strip()))
        pending = ""
    return commands


def strip_comment(command: str) -> str:
    """The command without a trailing `# …` (outside quotes)."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=False)
    lexer.whitespace_split, lexer.commenters = True, ""
    quote, out = None, []
    for index, char in enumerate(command):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or command[index - 1].isspace()):
            return "".join(out).rstrip()
        out.append(char)
    return command


def inline_commands(text: str) -> list[str]:
    """`sdggraph …` spans in the prose that are commands (not a bare command name or an elision)."""
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    return [span for span in re.findall(r"`(sdggraph [^`]+)`", prose)
            if "…" not in span and len(span.split()) > 2]


def readme_commands() -> list[str]:
    text = README.read_text(encoding="utf-8")
    commands = [c for kind, block in code_blocks(text) if kind in ("sh", "bash", "") for c in shell_commands(block)]
    return commands + inline_commands(text)


def covered_elsewhere(command: str) -> str | None:
    return next((where for pattern, where in COVERED_ELSEWHERE.items() if pattern in command), None)


def usage_to_runs(command: str) -> list[str]:
    """A usage line → concrete command lines: `[--opt a|b]` → `--opt a`, `[FILES...]` → nothing,
    placeholders → EXAMPLES; `export FORMAT` → one line per export format."""
    line = re.sub(r"\[([A-Z_]+)\.\.\.\]", "", command)
    line = re.sub(r"\[(--[\w-]+) ([^\]|]+)(\|[^\]]*)?\]", r"\1 \2", line)
    line = re.sub(r"\[(--[\w-]+(?: [^\]]*)?)\]", r"\1", line)
    for placeholder, example in sorted(EXAMPLES.items(), key=lambda item: -len(item[0])):
        line = re.sub(rf"(?<![\w:/.-]){re.escape(placeholder)}(?![\w-])", example, line)
    if " FORMAT" in line:
        return [line.replace(" FORMAT", f" {name}", 1).replace(EXAMPLES["PATH"], f"export-{name}.out")
                for name in EXPORT_FORMATS]
    return [line]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A fresh directory where the README's `sdggraph build` has run."""
    global EXPORT_FORMATS
    from sdggraph.export import FORMATS

    EXPORT_FORMATS = sorted(FORMATS)
    work = tmp_path_factory.mktemp("readme")
    done = subprocess.run([SDGGRAPH, "build"], cwd=work, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    return work


@pytest.fixture(scope="module")
def store(workdir, tmp_path_factory):
    """HOST:7878 in the README: an Oxigraph server holding the pushed build."""
    from oxigraph_server import running_oxigraph

    with running_oxigraph(tmp_path_factory.mktemp("oxigraph") / "db") as server:
        done = subprocess.run([SDGGRAPH, "push", "--endpoint", server.store_url], cwd=workdir, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        yield server


def concrete(command: str, store_base: str) -> str:
    return command.replace("http://HOST:7878", store_base)


def test_the_readme_shows_commands():
    commands = readme_commands()
    assert sum(c.startswith("sdggraph ") for c in commands) >= 15
    assert any(c.startswith("curl ") for c in commands)


@pytest.mark.parametrize("command", [c for c in readme_commands() if c.startswith("sdggraph ")
                                     and not c.startswith("sdggraph serve") and not covered_elsewhere(c)])
def test_every_sdggraph_command_runs(command, workdir, store):
    for line in usage_to_runs(command):
        line = concrete(line, store.base)
        words = shlex.split(line)
        done = subprocess.run([SDGGRAPH, *words[1:]], cwd=workdir, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, f"`{line}` exited {done.returncode}:\n{done.stderr[-3000:]}"
        assert done.stdout.strip() or list(workdir.iterdir()), f"`{line}` printed nothing"


def test_every_option_in_a_usage_line_exists(workdir):
    """Usage lines name only options their command takes."""
    for command in readme_commands():
        if not command.startswith("sdggraph ") or "[" not in command:
            continue
        words = shlex.split(command)
        sub = [w for w in words[1:] if not w.startswith("-")][:1]
        helped = subprocess.run([SDGGRAPH, *sub, "--help"], capture_output=True, text=True, timeout=120).stdout
        for option in re.findall(r"--[\w-]+", command):
            if option in ("--sparql-endpoint", "--sparql-graph"):
                continue  # options of the command itself, before the sub-command
            assert option in helped, f"{option} of `{command}` is not an option of `sdggraph {' '.join(sub)}`"


def test_serve_as_the_readme_says(workdir):
    port = free_port()
    command = next(c for c in readme_commands() if c.startswith("sdggraph serve"))
    words = shlex.split(usage_to_runs(command)[0].replace("--port 8000", f"--port {port}"))
    if "--port" not in words:
        words += ["--port", str(port)]
    server = subprocess.Popen([SDGGRAPH, *words[1:]], cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until_answering(server, f"http://127.0.0.1:{port}/sparql?query=ASK%7B%7D", limit_s=120)
    finally:
        stop(server)


def run_curl(command: str, base: str) -> httpx.Response:
    """The README's curl lines, done with httpx (curl need not be installed): -H, -I, -X,
    --data-urlencode, -d/--data."""
    words = shlex.split(command.replace(DOC_SERVICE, base))[1:]
    headers, data, method, url = {}, [], None, None
    index = 0
    while index < len(words):
        word = words[index]
        if word in ("-H", "--header"):
            name, _, value = words[index + 1].partition(":")
            headers[name.strip()] = value.strip()
            index += 1
        elif word in ("--data-urlencode",):
            name, _, value = words[index + 1].partition("=")
            data.append((name, value))
            index += 1
        elif word in ("-o", "-w", "--output", "--write-out"):
            index += 1  # where curl writes, what it prints: no effect on what is asked
        elif word in ("-d", "--data"):
            data.extend(httpx.QueryParams(words[index + 1]).multi_items())
            index += 1
        elif word in ("-I", "--head"):
            method = "HEAD"
        elif word == "-X":
            method = words[index + 1]
            index += 1
        elif word.startswith("-"):
            pass  # -s, -i, --compressed: no effect on what is asked
        else:
            url = word
        index += 1
    method = method or ("POST" if data else "GET")
    if '"…"' in headers.get("If-None-Match", ""):  # the README's stand-in for the ETag the previous answer gave
        headers["If-None-Match"] = httpx.get(url, timeout=60).headers["etag"]
    return httpx.request(method, url, headers=headers, data=dict(data) if data else None, timeout=60)


def test_commands_not_run_here_are_run_elsewhere():
    for command in readme_commands():
        if covered_elsewhere(command) is None:
            assert command.startswith(("sdggraph ", "curl ")), f"`{command}` is run by no test"


def test_every_curl_example_works(live_service):
    curls = [c for c in readme_commands() if c.startswith("curl ")]
    assert curls
    for command in curls:
        response = run_curl(command, live_service)
        assert response.status_code in (200, 304), f"`{command}` → {response.status_code}: {response.text[:500]}"


def test_the_python_example_runs(live_service, capsys):
    (source,) = [block for kind, block in code_blocks(README.read_text(encoding="utf-8")) if kind == "python"]
    exec(compile(source.replace(DOC_SERVICE, live_service), "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 10 and all(line.startswith("https://w3id.org/sdggraph/kommune/3203/indicator/")
                                      for line in printed)


def test_make_run_serves_what_the_readme_says():
    dry = subprocess.run(["make", "-n", "run"], cwd=README.parent, capture_output=True, text=True, timeout=60)
    assert dry.returncode == 0 and "sdggraph serve --host 127.0.0.1 --port 8000" in dry.stdout
