"""The W3C SPARQL 1.1 Protocol and Service Description tests (../shared/reference/w3c-sparql11-protocol).

The runner (tests/w3c_protocol_runner.py) reads the manifests and issues every request against
the app; this test prints its table (visible with `pytest -rA` and in the failure message) and
asserts that every applicable test passes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import w3c_protocol_runner as runner  # noqa: E402  (a helper module next to this file)

PROTOCOL_TESTS = 34  # entries in protocol/manifest.ttl
SERVICE_DESCRIPTION_TESTS = 3


@pytest.fixture(scope="module")
def suite(shared_dir) -> Path:
    path = shared_dir / "reference" / "w3c-sparql11-protocol"
    assert (path / "protocol" / "manifest.ttl").is_file(), f"the W3C protocol tests are missing from {path}"
    return path


def test_w3c_protocol_suite(suite, build_dir, tmp_path):
    # The service-description tests run against the app over Asker's real build.
    results = runner.run_all(suite, tmp_path, include_updates=True, sd_build=build_dir)
    report = runner.table(results)
    print(report)
    assert len([r for r in results if r.suite == "protocol"]) == PROTOCOL_TESTS, report
    assert len([r for r in results if r.suite == "service-description"]) == SERVICE_DESCRIPTION_TESTS, report
    failed = [r for r in results if r.verdict == "FAIL"]
    assert not failed, report
    skipped = [r for r in results if r.verdict == "SKIP"]
    assert all(r.detail for r in skipped), report  # every skip says why


def test_read_only_service_skips_only_update_tests(suite, tmp_path):
    """Without updates enabled, the tests whose update must succeed are skipped with the reason;
    the bad_update_* tests still run (and pass: a read-only service refuses them too)."""
    results = runner.run_protocol_suite(suite, tmp_path, include_updates=False)
    report = runner.table(results)
    print(report)
    assert not [r for r in results if r.verdict == "FAIL"], report
    skipped = {r.id for r in results if r.verdict == "SKIP"}
    assert skipped == {r.id for r in results if r.id.startswith("update_")}, report
    assert all(r.verdict == "PASS" for r in results if r.id.startswith("bad_update_")), report
    assert all("not applicable to a read-only" in r.detail for r in results if r.verdict == "SKIP")
