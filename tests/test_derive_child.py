"""server/derive_child: exports and reports are computed in a child process, which hands back
results and errors as the server process would see them, and is replaced when it dies, overruns
or idles."""

from __future__ import annotations

import os
import time

import pytest

from sdggraph.errors import BuildMissingError, CheckFailed, SdggraphError
from sdggraph.server.derive_child import ChildFailed, DeriveChild


def where() -> int:
    return os.getpid()


def fails(kind: str):
    if kind == "check":
        raise CheckFailed("the export does not pass its profile")
    if kind == "input":
        raise SdggraphError("bad input")
    if kind == "missing":
        raise BuildMissingError("/nowhere")
    if kind == "memory":
        return bytearray(512 << 20)  # above the child's 256 MB cap
    if kind == "exit":
        os._exit(3)
    if kind == "slow":
        time.sleep(30)
    raise ValueError("a bug")


@pytest.fixture
def child():
    made = DeriveChild(memory_mb=256, seconds=5)
    yield made
    made.close()


def test_a_computation_runs_in_another_process_and_its_result_comes_back(child):
    assert child.call(where) != os.getpid()
    assert child.call(where) == child.call(where) and child.started == 1  # the same child, kept


@pytest.mark.parametrize("kind, error, message", [
    ("check", CheckFailed, "the export does not pass its profile"),
    ("input", SdggraphError, "bad input"),
    ("missing", BuildMissingError, "no built graph in /nowhere: run `sdggraph build` first"),
    ("bug", RuntimeError, "ValueError: a bug"),
])
def test_errors_come_back_as_the_server_would_have_met_them(child, kind, error, message):
    with pytest.raises(error) as raised:
        child.call(fails, kind)
    assert str(raised.value) == message and type(raised.value) is error
    assert child.call(where) != os.getpid() and child.started == 1  # an error does not cost the child


@pytest.mark.parametrize("kind", ["memory", "exit", "slow"])
def test_a_child_that_dies_or_overruns_is_replaced(child, kind):
    started = time.monotonic()
    with pytest.raises(ChildFailed):
        child.call(fails, kind)
    assert time.monotonic() - started < 15
    assert child.call(where) != os.getpid()
    assert child.started == 2 if kind != "memory" else child.started in (1, 2)  # MemoryError: caught in the child


def test_an_idle_child_stops_and_the_next_call_starts_another():
    child = DeriveChild(idle_seconds=0.3)
    try:
        first = child.call(where)
        time.sleep(1.0)
        assert child._process is None  # stopped: its memory is back
        assert child.call(where) != first and child.started == 2
    finally:
        child.close()


def test_closing_stops_a_child_mid_computation_at_once():
    """SIGTERM must not wait for an export: close() kills the child, the waiting call lets go."""
    import threading

    child, raised = DeriveChild(seconds=60), []
    child.call(where)  # started

    def slow():
        try:
            child.call(fails, "slow")
        except ChildFailed as error:
            raised.append(error)

    caller = threading.Thread(target=slow)
    caller.start()
    time.sleep(0.5)
    started = time.monotonic()
    child.close()
    caller.join(5)
    assert time.monotonic() - started < 3 and raised and not caller.is_alive()
    with pytest.raises(ChildFailed):
        child.call(where)  # closed: no new child
