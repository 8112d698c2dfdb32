"""The operator's promises: a killed refresh corrupts nothing; analysts reading never block it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from catalog import checks
from catalog.exports.validate import validate_release
from catalog.fakehub import FakeHub

pytestmark = pytest.mark.slow  # real processes: the flow, Prefect, signals

ROOT = Path(__file__).resolve().parent.parent
DEADLINE = 120.0   # seconds any one wait may take before the test fails (not a timing assertion)


@pytest.fixture
def api_url(prefect_harness) -> str:
    """The session's Prefect server, shared with subprocesses (no temporary server each)."""
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value()


def _refresh(tmp_path: Path, hub: FakeHub, settings: Path, api_url: str) -> subprocess.Popen:
    env = {**os.environ, "PREFECT_API_URL": api_url, "HF_TOKEN": "hf_granted", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "catalog.cli", "--db", str(tmp_path / "data" / "catalog.duckdb"), "refresh",
         "--endpoint", hub.url, "--settings", str(settings), "--out", str(tmp_path / "out"),
         "--skip-vendor-pages"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT, env=env,
        start_new_session=True,
    )


def _lines(proc: subprocess.Popen) -> Iterator[str]:
    assert proc.stdout is not None
    yield from proc.stdout


def _kill_when(proc: subprocess.Popen, marker: str) -> bool:
    """SIGKILL the refresh as soon as its log shows marker; False if it ended first."""
    for line in _lines(proc):
        if marker in line:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(DEADLINE)
            return True
    proc.wait(DEADLINE)
    return False


def _assert_published_intact(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "data" / "catalog.duckdb"), read_only=True)
    try:
        results = checks.run_checks(con)
        assert all(r.passed for r in results), [(r.name, r.error, r.violations[:2]) for r in results]
        assert con.execute("SELECT count(*) FROM hub_models").fetchone()[0] > 0
    finally:
        con.close()
    assert validate_release(tmp_path / "out" / "latest", with_manifest=True) == []


def _settle(tmp_path: Path, fake_hub: FakeHub, settings: Path, api_url: str) -> None:
    proc = _refresh(tmp_path, fake_hub, settings, api_url)
    output = "".join(_lines(proc))
    assert proc.wait(DEADLINE) == 0, output[-3000:]


@pytest.mark.parametrize("kill_at", ["fetch", "stage: data checks", "stage: export", "stage: publish"])
def test_a_refresh_killed_at_any_stage_leaves_the_published_catalogue_valid(
    tmp_path, after_first_night, fake_hub, settings_file, api_url, kill_at
):
    published = (tmp_path / "data" / "catalog.duckdb").read_bytes()
    latest = os.readlink(tmp_path / "out" / "latest")

    fake_hub.snapshot.touch("Qwen/Qwen2.5-7B-Instruct")
    if kill_at == "fetch":
        # Hold the changed repo's detail request open; kill once the refresh is waiting on it.
        fake_hub.add_fault(r"^/api/models/Qwen/Qwen2\.5-7B-Instruct$", hang=True)
        proc = _refresh(tmp_path, fake_hub, settings_file, api_url)
        start = time.monotonic()
        while not any(r.path == "/api/models/Qwen/Qwen2.5-7B-Instruct" for r in fake_hub.requests):
            assert proc.poll() is None and time.monotonic() - start < DEADLINE
            time.sleep(0.05)   # polling for an event, with a deadline: not a timing assertion
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(DEADLINE)
        killed = True
        fake_hub.faults.clear()
    else:
        killed = _kill_when(_refresh(tmp_path, fake_hub, settings_file, api_url), kill_at)
    assert killed, "the refresh ended before reaching the kill point"

    # Killed before the database swap: byte for byte the old catalogue; after it: the new one,
    # whole. Either way it opens, passes every data check, and the exports validate.
    if kill_at != "stage: publish":
        assert (tmp_path / "data" / "catalog.duckdb").read_bytes() == published
    if kill_at in ("fetch", "stage: data checks"):
        assert os.readlink(tmp_path / "out" / "latest") == latest
    _assert_published_intact(tmp_path)

    # The next run cleans up the leftovers and publishes the change.
    _settle(tmp_path, fake_hub, settings_file, api_url)
    _assert_published_intact(tmp_path)
    assert not list((tmp_path / "data").glob("*.next.duckdb*"))
    assert not list((tmp_path / "out" / "releases").glob(".staging-*"))
    con = duckdb.connect(str(tmp_path / "data" / "catalog.duckdb"), read_only=True)
    sha = con.execute("SELECT sha FROM hub_models WHERE repo_id = 'Qwen/Qwen2.5-7B-Instruct'").fetchone()[0]
    con.close()
    assert sha == fake_hub.snapshot.repos["Qwen/Qwen2.5-7B-Instruct"].sha


ANALYST = """
import duckdb, json, sys
con = duckdb.connect(sys.argv[1], read_only=True)
print("ready", flush=True)
for line in sys.stdin:
    print(json.dumps(con.execute(line).fetchall(), default=str), flush=True)
"""


def test_an_analyst_holding_the_catalogue_open_neither_blocks_nor_sees_a_half_refresh(
    tmp_path, after_first_night, fake_hub, settings_file, api_url
):
    db_file = str(tmp_path / "data" / "catalog.duckdb")
    analyst = subprocess.Popen([sys.executable, "-c", ANALYST, db_file], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    assert analyst.stdout.readline().strip() == "ready"

    def ask(sql: str):
        analyst.stdin.write(sql + "\n")
        analyst.stdin.flush()
        return json.loads(analyst.stdout.readline())

    query = "SELECT sha FROM hub_models WHERE repo_id = 'Qwen/Qwen2.5-7B-Instruct'"
    old = ask(query)
    new_sha = fake_hub.snapshot.touch("Qwen/Qwen2.5-7B-Instruct")
    try:
        _settle(tmp_path, fake_hub, settings_file, api_url)        # succeeds while the analyst reads
        assert ask(query) == old                                    # the analyst keeps a whole snapshot
        assert ask("SELECT count(*) FROM quantizations")[0][0] > 0
    finally:
        analyst.stdin.close()
        analyst.wait(DEADLINE)
    fresh = duckdb.connect(db_file, read_only=True)               # a new connection sees the new one
    assert fresh.execute(query).fetchall() == [(new_sha,)]
    fresh.close()
