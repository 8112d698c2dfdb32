"""Reliability (issue #14): hostile Hub values, one bad repo, concurrent runs, crashes.

Each test runs the real nightly flow against the fake Hub on loopback and asserts that the
published catalogue and `exports/latest` stay intact, nothing is written outside the data and
export folders, and every run leaves its ledger row.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from catalog.commands import doctor
from catalog.fakehub import FakeHub
from catalog.hub import source
from catalog.orchestration import lock, runs
from flows.nightly import run_nightly

pytestmark = pytest.mark.usefixtures("prefect_harness")
SMALL = "Qwen/Qwen2-0.5B-Instruct"
LIKES = "SELECT likes FROM hub_models WHERE repo_id = 'Qwen/Qwen2.5-7B-Instruct'"


def _run(root: Path, hub: FakeHub, settings: Path, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_granted")
    return run_nightly(db_path=str(root / "data" / "catalog.duckdb"), exports_dir=str(root / "out"),
                       endpoint=hub.url, settings_path=str(settings), vendor_pages=False)


def _query(root: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(root / "data" / "catalog.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _snapshot(root: Path) -> dict[str, bytes]:
    """The published catalogue and export set (manifest aside, nothing else may change them)."""
    latest = root / "out" / "latest"
    files = {p.relative_to(latest).as_posix(): p.read_bytes() for p in latest.rglob("*") if p.is_file()}
    return files | {"catalog.duckdb": (root / "data" / "catalog.duckdb").read_bytes()}


def _files_outside(root: Path, *allowed: str) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() and not p.relative_to(root).as_posix().startswith(allowed))


# -- upstream values that become paths, sizes, loop bounds ----------------------------------
@pytest.mark.slow  # runs the nightly flow
def test_a_hostile_commit_sha_never_becomes_a_path(
        tmp_path, after_first_night, fake_hub, settings_file, monkeypatch):
    good_sha = _query(tmp_path, "SELECT sha FROM hub_models WHERE repo_id = ?", [SMALL])[0][0]
    fake_hub.snapshot.touch(SMALL)                                  # a new commit to fetch
    hostile = dict(fake_hub.snapshot.repos[SMALL].info, sha="../../../../PWNED_by_sha")
    fake_hub.add_fault(rf"^/api/models/{SMALL}$", status=200, body=json.dumps(hostile), times=None)
    fake_hub.add_fault(r"PWNED", status=200, body='{"num_hidden_layers": 2}', times=None)

    summary = _run(tmp_path, fake_hub, settings_file, monkeypatch)

    assert not [p for p in tmp_path.rglob("*") if "PWNED" in p.name]
    assert _files_outside(tmp_path, "data/", "out/", "fitcat.toml") == []
    assert [e for e in summary.errors if e["subject"] == SMALL and "commit sha" in e["error"]]
    assert summary.published and summary.status == "failed"
    assert _query(tmp_path, "SELECT sha FROM hub_models WHERE repo_id = ?", [SMALL])[0][0] == good_sha
    latest = tmp_path / "out" / "latest"
    assert not any("PWNED" in p.read_text(errors="ignore") for p in latest.rglob("*") if p.is_file())
    errors = _query(tmp_path, "SELECT error_type FROM source_errors WHERE run_id = ? AND subject = ?",
                    [summary.run_id, SMALL])
    assert ("unsafe",) in errors


@pytest.mark.slow  # runs the nightly flow
def test_a_hostile_sha_in_a_listing_skips_the_repo_without_removing_it(
        tmp_path, after_first_night, fake_hub, settings_file, monkeypatch):
    fake_hub.snapshot.repos[SMALL].info["sha"] = "0" * 39 + "/"       # what no commit id is
    summary = _run(tmp_path, fake_hub, settings_file, monkeypatch)
    assert [e for e in summary.errors if e["subject"] == SMALL and "unsafe" in e["error"]]
    assert _query(tmp_path, "SELECT removed_at FROM hub_models WHERE repo_id = ?", [SMALL]) == [(None,)]
    assert summary.counts.get("removed", 0) == 0


@pytest.mark.slow  # runs the nightly flow
def test_a_tree_path_that_climbs_out_refuses_the_tree_and_keeps_the_files(
        tmp_path, after_first_night, fake_hub, settings_file, monkeypatch):
    from catalog.fakehub.snapshot import RepoFile

    files = "SELECT path, size_bytes FROM hub_gguf_files WHERE gguf_repo_id = ? ORDER BY path"
    gguf_id = "bartowski/Qwen2-0.5B-Instruct-GGUF"
    before = _query(tmp_path, files, [gguf_id])
    repo = fake_hub.snapshot.repos[gguf_id]
    repo.files["../../etc/Qwen2-0.5B-Instruct-Q4_0.gguf"] = RepoFile(
        "../../etc/Qwen2-0.5B-Instruct-Q4_0.gguf", size=10**9, sha256="ab" * 32)
    fake_hub.snapshot.touch(gguf_id)
    summary = _run(tmp_path, fake_hub, settings_file, monkeypatch)
    assert [e for e in summary.errors if e["subject"] == gguf_id and "file path" in e["error"]]
    assert _query(tmp_path, files, [gguf_id]) == before


@pytest.mark.slow  # runs the nightly flow
@pytest.mark.parametrize(("field", "value", "shown"), [
    ("num_hidden_layers", 10**20, "num_hidden_layers"),        # OverflowError in layer_kinds
    ("num_hidden_layers", 10**8, "num_hidden_layers"),         # minutes of list building
    ("max_position_embeddings", -5, "max_position_embeddings"),  # failed the catalogue-wide check
])
def test_an_absurd_config_quarantines_its_repo_and_the_night_goes_on(
        tmp_path, after_first_night, fake_hub, settings_file, monkeypatch, field, value, shown):
    before = _query(tmp_path, "SELECT n_layers, context_length FROM hub_models WHERE repo_id = ?", [SMALL])
    repo = fake_hub.snapshot.repos[SMALL]
    config = json.loads(repo.files["config.json"].content)
    repo.files["config.json"].content = json.dumps({**config, field: value}).encode()
    repo.files["config.json"].size = len(repo.files["config.json"].content)
    fake_hub.snapshot.touch(SMALL)
    fake_hub.snapshot.touch("Qwen/Qwen2.5-7B-Instruct", likes=4242)

    summary = _run(tmp_path, fake_hub, settings_file, monkeypatch)

    assert summary.published, summary.errors
    bad = [e for e in summary.errors if e["subject"] == SMALL]
    assert bad and shown in bad[0]["error"] and "bad_config" in bad[0]["error"]
    assert _query(tmp_path, "SELECT n_layers, context_length FROM hub_models WHERE repo_id = ?",
                  [SMALL]) == before, "its last good config stands"
    assert _query(tmp_path, LIKES) == [(4242,)], "every other repo is published"
    status = _query(tmp_path, "SELECT status FROM hub_watermarks WHERE repo_id = ? AND kind = 'model'",
                    [SMALL])
    assert status == [("bad_config",)], "settled for this commit: not re-read every night"

    fake_hub.reset_log()
    _run(tmp_path, fake_hub, settings_file, monkeypatch)
    assert not [r for r in fake_hub.requests if r.path.startswith((f"/api/models/{SMALL}", f"/{SMALL}/"))]


@pytest.mark.slow  # runs the nightly flow
def test_a_repo_that_breaks_the_resolver_is_quarantined_alone(
        tmp_path, after_first_night, fake_hub, settings_file, monkeypatch):
    from catalog.hub import store

    real = store.resolve_params

    def broken(safetensors, config, gguf):
        if config and config.get("hidden_size") == 896:               # Qwen2-0.5B only
            raise MemoryError("simulated")
        return real(safetensors, config, gguf)

    monkeypatch.setattr(store, "resolve_params", broken)
    fake_hub.snapshot.touch(SMALL)
    fake_hub.snapshot.touch("Qwen/Qwen2.5-7B-Instruct", likes=4242)
    summary = _run(tmp_path, fake_hub, settings_file, monkeypatch)
    assert summary.published
    assert [e for e in summary.errors if e["subject"] == SMALL and "quarantined" in e["error"]]
    assert _query(tmp_path, LIKES) == [(4242,)], "every other repo is published"


def test_config_values_are_checked_before_any_arithmetic():
    with pytest.raises(source.ConfigError, match="num_hidden_layers"):
        source.parse_config("x/y", b'{"num_hidden_layers": 1e20}')
    with pytest.raises(source.ConfigError, match=r"text_config\.num_attention_heads"):
        source.parse_config("x/y", b'{"text_config": {"num_attention_heads": -1}}')
    with pytest.raises(source.ConfigError, match="not valid JSON"):
        source.parse_config("x/y", b'{"rope_theta": NaN}')
    with pytest.raises(source.ConfigError, match="nested"):
        source.parse_config("x/y", b'{"a": ' * 5000 + b"1" + b"}" * 5000)
    assert source.parse_config("x/y", b'{"num_hidden_layers": 32.0, "rope_theta": 1e6}')["rope_theta"] == 1e6


@pytest.mark.slow  # runs the nightly flow
def test_a_stage_past_its_deadline_stops_its_requests_and_the_run_still_ends(
        tmp_path, after_first_night, fake_hub, settings_file, monkeypatch):
    before = _snapshot(tmp_path)
    settings_file.write_text(settings_file.read_text().replace(
        "per_author = 10\n", "per_author = 10\nstage_deadline_seconds = 1e-9\n"))
    fake_hub.snapshot.touch("Qwen/Qwen2.5-7B-Instruct", likes=4242)
    fake_hub.reset_log()
    summary = _run(tmp_path, fake_hub, settings_file, monkeypatch)
    assert fake_hub.requests == [], "the deadline had passed before the first request"
    assert summary.published and summary.status == "failed"
    assert {e["error"].split(":")[0] for e in summary.errors if e["source"] == "hub"} == {"deadline"}
    assert _query(tmp_path, LIKES) != [(4242,)] and summary.counts["removed"] == 0
    assert _snapshot(tmp_path)["catalog.duckdb"] != before["catalog.duckdb"]   # the ledger row landed


# -- one run at a time ----------------------------------------------------------------------
@pytest.mark.slow  # runs the nightly flow
def test_a_second_refresh_exits_at_once_and_changes_nothing(
        tmp_path, after_first_night, fake_hub, settings_file, monkeypatch):
    before = _snapshot(tmp_path)
    fake_hub.snapshot.touch("Qwen/Qwen2.5-7B-Instruct", likes=4242)
    fake_hub.reset_log()
    db = tmp_path / "data" / "catalog.duckdb"
    with lock.run_lock("the-other-run", lock.db_lock(db)):
        summary = _run(tmp_path, fake_hub, settings_file, monkeypatch)
        with pytest.raises(lock.AlreadyRunning, match="the-other-run"):
            lock.probe(lock.db_lock(db))
    assert summary.status == "locked" and "the-other-run" in summary.errors[0]["error"]
    assert fake_hub.requests == [], "not a single Hub request"
    assert _snapshot(tmp_path) == before
    assert not list(tmp_path.glob("data/*.next*"))
    assert not list((tmp_path / "out").glob("releases/.staging-*"))
    assert runs.Journal(runs.journal_path(db)).runs() == {}, "a locked-out run is not a run"


@pytest.mark.slow  # runs the nightly flow
def test_the_export_folder_is_locked_too(tmp_path, fake_hub, settings_file, monkeypatch):
    """Two catalogues publishing into one export folder must not interleave either."""
    (tmp_path / "out").mkdir()
    with lock.run_lock("exporter", lock.exports_lock(tmp_path / "out")):
        summary = _run(tmp_path, fake_hub, settings_file, monkeypatch)
    assert summary.status == "locked" and not (tmp_path / "data" / "catalog.duckdb").exists()


@pytest.mark.slow  # runs the nightly flow
def test_a_stale_lock_and_leftovers_of_a_killed_run_are_taken_over(
        tmp_path, after_first_night, fake_hub, settings_file, monkeypatch):
    db = tmp_path / "data" / "catalog.duckdb"
    # What `kill -9` mid-run leaves: a filled lock file (no one holds it), the journal's start line,
    # a working copy and an export staging folder.
    journal = runs.Journal(runs.journal_path(db))
    journal.started("killed-run", "nightly-refresh", fake_hub.url)
    lock.db_lock(db).write_text(json.dumps({"run_id": "killed-run", "pid": 999999}))
    shutil.copy2(db, db.with_name("catalog.next-killed-run.duckdb"))
    (tmp_path / "out" / "releases" / ".staging-killed-run").mkdir()

    summary = _run(tmp_path, fake_hub, settings_file, monkeypatch)

    assert summary.status == "completed" and summary.counts["recovered_runs"] == 1
    assert _query(tmp_path, "SELECT status FROM runs WHERE run_id = 'killed-run'") == [("crashed",)]
    assert not db.with_name("catalog.next-killed-run.duckdb").exists()
    assert not (tmp_path / "out" / "releases" / ".staging-killed-run").exists()
    assert lock.db_lock(db).read_text() == "", "released cleanly"
    assert journal.runs() == {}, "recorded in the published ledger: forgotten by the journal"


# -- every run leaves a ledger row ----------------------------------------------------------
@pytest.mark.slow  # runs the nightly flow
def test_a_crash_on_a_full_disk_is_one_line_and_leaves_a_ledger_row(
        tmp_path, after_first_night, fake_hub, settings_file, monkeypatch):
    from catalog.exports import publish

    before = _snapshot(tmp_path)
    db = tmp_path / "data" / "catalog.duckdb"
    real = publish.write_tables

    def full_disk(con, staging):
        (staging / "models.csv").write_text("repo_id,na")          # half a file, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device", str(staging / "models.csv"))

    monkeypatch.setattr(publish, "write_tables", full_disk)
    crashed = _run(tmp_path, fake_hub, settings_file, monkeypatch)

    assert crashed.status == "crashed" and not crashed.published
    assert crashed.environment.startswith("disk full: cannot write ")
    assert crashed.errors[-1]["error"] == crashed.environment and "\n" not in crashed.environment
    assert _snapshot(tmp_path) == before
    assert not list(tmp_path.glob("data/*.next*")), "the working copy goes at once"
    assert not list((tmp_path / "out" / "releases").glob(".staging-*")), "so does the partial export"
    con = duckdb.connect(str(db), read_only=True)
    try:     # before the next run: the doctor already sees it, from the journal
        report = doctor.diagnose(con, stale_days=2, now=dt.datetime.now(dt.UTC),
                                 unrecorded=runs.unrecorded(con, runs.Journal(runs.journal_path(db))))
    finally:
        con.close()
    last = next(ch for ch in report["checks"] if ch["check"] == "last_run")
    assert last["status"] == "fail" and crashed.run_id in last["detail"] and "disk full" in last["detail"]

    monkeypatch.setattr(publish, "write_tables", real)
    after = _run(tmp_path, fake_hub, settings_file, monkeypatch)
    assert after.status == "completed" and after.counts["recovered_runs"] == 1
    status, errors = _query(tmp_path, "SELECT status, errors FROM runs WHERE run_id = ?", [crashed.run_id])[0]
    assert status == "crashed" and "disk full" in errors


@pytest.mark.slow  # runs the nightly flow
def test_a_bug_crash_keeps_its_traceback_beside_the_catalogue(tmp_path, fake_hub, settings_file, monkeypatch):
    from catalog import calibration

    def bug(con, run_id):
        raise KeyError("a bug")

    monkeypatch.setattr(calibration, "recalibrate", bug)
    summary = _run(tmp_path, fake_hub, settings_file, monkeypatch)
    assert summary.status == "crashed" and summary.environment is None
    line = summary.errors[-1]["error"]
    assert line.startswith("KeyError: 'a bug' (traceback: ")
    report = Path(line.split("(traceback: ")[1].rstrip(")"))
    assert report.parent == tmp_path / "data" / "logs" and "recalibrate" in report.read_text()
    assert not (tmp_path / "data" / "catalog.duckdb").exists() and not list(tmp_path.glob("data/*.next*"))


@pytest.mark.slow  # runs the nightly flow
def test_a_failed_copy_leaves_no_partial_working_copy(
        tmp_path, after_first_night, fake_hub, settings_file, monkeypatch):
    from catalog.orchestration import staging

    before = _snapshot(tmp_path)

    def copy_then_fill_the_disk(src, dst, **kwargs):
        Path(dst).write_bytes(Path(src).read_bytes()[:4096])
        raise OSError(errno.ENOSPC, "No space left on device", str(dst))

    monkeypatch.setattr(staging.shutil, "copy2", copy_then_fill_the_disk)
    summary = _run(tmp_path, fake_hub, settings_file, monkeypatch)
    assert summary.status == "crashed" and summary.environment.startswith("disk full")
    assert not list(tmp_path.glob("data/*.next*"))
    assert _snapshot(tmp_path) == before


def test_the_cli_tells_an_error_of_the_machine_in_one_line(demo_db, tmp_path, capsys, monkeypatch):
    from catalog.cli import main
    from catalog.exports import publish

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path / "out" / "releases"))

    monkeypatch.setattr(publish, "publish_exports", read_only)
    code = main(["--db", str(demo_db), "export", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 7
    assert err == f"fitcat export: read-only file system: cannot write {tmp_path / 'out' / 'releases'} " \
                  "(Read-only file system)\n"
