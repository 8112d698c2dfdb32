"""Scale-out: the same nightly flow with prefect-dask's DaskTaskRunner, against the fake Hub.

A local Dask cluster stands in for a real one: the flow reaches it by scheduler address,
exactly as `fitcat refresh --dask-address tcp://...` does. Its worker runs in this process
(processes=False) to keep the test fast; the tasks still go through the Dask scheduler.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from distributed import LocalCluster  # prefect-dask is in the dev extra
from prefect_dask import DaskTaskRunner

from catalog import paths
from catalog.fakehub import FakeHub
from catalog.orchestration import task_runners
from flows.nightly import nightly_refresh, run_nightly

pytestmark = pytest.mark.slow  # Dask clusters and flow runs


@pytest.fixture
def sample_scope() -> Path:
    """The scope `fitcat demo` uses on the sample Hub (no GGUF header bytes to read there)."""
    return paths.SAMPLE_HUB / "fitcat.toml"


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(n_workers=1, threads_per_worker=4, processes=False, dashboard_address=":0") as c:
        yield c


def _executed(cluster: LocalCluster) -> int:
    return sum(w.state.executed_count for w in cluster.workers.values())


def _run(flow, tmp: Path, hub: FakeHub, settings: Path):
    return run_nightly(flow, db_path=str(tmp / "catalog.duckdb"), exports_dir=str(tmp / "out"),
                       endpoint=hub.url, settings_path=str(settings), vendor_pages=False)


def _models(tmp: Path) -> int:
    con = duckdb.connect(str(tmp / "catalog.duckdb"), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM hub_models WHERE removed_at IS NULL").fetchone()[0]
    finally:
        con.close()


def _rows(tmp: Path) -> list[tuple]:
    con = duckdb.connect(str(tmp / "catalog.duckdb"), read_only=True)
    try:
        sql = ("SELECT * EXCLUDE (fetched_at, run_id, source_url),"
               " regexp_replace(source_url, '^http://[^/]+', '')"   # each fake Hub has its own port
               " FROM hub_models ORDER BY repo_id")
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _published(out: Path) -> dict[str, bytes]:
    """The published export files, except the manifest (the one file that names the run)."""
    root = out / "latest" if (out / "latest").is_dir() else out
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and p.name != "manifest.json"}


@pytest.mark.usefixtures("prefect_harness")
def test_flow_on_a_dask_cluster_gives_the_same_catalogue_as_on_threads(
    tmp_path, fake_hub, sample_scope, monkeypatch, cluster, demo_db
):
    """The demo catalogue (the same flow, scope and sample Hub, on threads) is the reference."""
    monkeypatch.setenv("HF_TOKEN", "hf_granted")
    threads = demo_db.parent
    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        threads_counts = json.loads(con.execute("SELECT counts FROM runs WHERE status = 'completed'"
                                                " ORDER BY started_at LIMIT 1").fetchone()[0])
    finally:
        con.close()

    before = _executed(cluster)
    runner = task_runners.choose(address=cluster.scheduler_address)
    assert isinstance(runner, DaskTaskRunner) and runner.address == cluster.scheduler_address
    dask = _run(task_runners.with_runner(nightly_refresh, runner), tmp_path, fake_hub, sample_scope)

    assert dask.status == "completed", dask.errors
    assert dask.counts == threads_counts and _models(tmp_path) == _models(threads) >= 4
    # One fetch per repo and one render per model page went through the cluster (threads: none).
    pages = dask.exports["models/*.json"]
    assert pages >= 7 and _executed(cluster) - before >= threads_counts["models"] + pages
    assert _rows(tmp_path) == _rows(threads)
    threads_out, dask_out = _published(threads / "exports"), _published(tmp_path / "out")
    assert sorted(dask_out) == sorted(threads_out)
    csvs = [name for name in threads_out if name.endswith(".csv")]   # JSON files carry generated_at
    assert csvs and all(dask_out[name] == threads_out[name] for name in csvs)


@pytest.mark.usefixtures("prefect_harness")
def test_a_failed_task_on_dask_is_reported_per_repo(tmp_path, fake_hub, sample_scope, monkeypatch, cluster):
    # The repo is listed, then gone: its fetch fails on the worker and comes back as a state.
    monkeypatch.setenv("HF_TOKEN", "hf_granted")
    gone = "Qwen/Qwen2-0.5B-Instruct"
    fake_hub.add_fault(r"^/api/models/Qwen/Qwen2-0\.5B-Instruct(/revision/[^/]+)?$", status=404,
                       headers={"X-Error-Code": "RepoNotFound", "X-Error-Message": "Repository not found"},
                       body='{"error": "Repository not found"}', times=None)
    runner = DaskTaskRunner(address=cluster.scheduler_address)
    summary = _run(nightly_refresh.with_options(task_runner=runner), tmp_path, fake_hub, sample_scope)
    assert summary.status == "failed"
    assert gone in {e["subject"] for e in summary.errors}
    assert _models(tmp_path) >= 4  # the others were stored


@pytest.mark.usefixtures("prefect_harness")
def test_local_cluster_from_cluster_kwargs(tmp_path, fake_hub, sample_scope, monkeypatch):
    """The runner starts (and stops) its own in-process cluster, as `--dask` does with workers."""
    monkeypatch.setenv("HF_TOKEN", "hf_granted")
    runner = DaskTaskRunner(cluster_kwargs={"n_workers": 1, "processes": False, "dashboard_address": ":0"})
    summary = _run(nightly_refresh.with_options(task_runner=runner), tmp_path, fake_hub, sample_scope)
    assert summary.status == "completed", summary.errors
    assert _models(tmp_path) >= 4


@pytest.mark.usefixtures("prefect_harness")
def test_fitcat_refresh_dask_address_runs_the_tasks_on_that_cluster(
    tmp_path, fake_hub, sample_scope, monkeypatch, cluster, capsys
):
    from catalog import cli

    monkeypatch.setenv("HF_TOKEN", "hf_granted")
    before = _executed(cluster)
    code = cli.main(["--db", str(tmp_path / "catalog.duckdb"), "refresh", "--endpoint", fake_hub.url,
                     "--out", str(tmp_path / "out"), "--settings", str(sample_scope), "--skip-vendor-pages",
                     "--dask-address", cluster.scheduler_address])
    assert code == 0, capsys.readouterr()
    assert _executed(cluster) - before >= _models(tmp_path) >= 4


def _args(**kw) -> argparse.Namespace:
    return argparse.Namespace(dask=kw.get("dask", False), dask_address=kw.get("dask_address"))


def test_task_runner_choice_flags_beat_the_environment(monkeypatch):
    monkeypatch.delenv("FITCAT_TASK_RUNNER", raising=False)
    monkeypatch.delenv("FITCAT_DASK_ADDRESS", raising=False)
    assert task_runners.from_args(_args()) is None
    assert isinstance(task_runners.from_args(_args(dask=True)), DaskTaskRunner)
    assert task_runners.from_args(_args(dask_address="tcp://10.0.0.5:8786")).address == "tcp://10.0.0.5:8786"

    monkeypatch.setenv("FITCAT_TASK_RUNNER", "dask")
    local = task_runners.from_args(_args())
    assert isinstance(local, DaskTaskRunner) and local.address is None
    assert local.cluster_kwargs["processes"] is False   # in-process: no temporary server per worker
    monkeypatch.setenv("FITCAT_DASK_ADDRESS", "tcp://10.0.0.6:8786")
    assert task_runners.from_args(_args()).address == "tcp://10.0.0.6:8786"
    assert task_runners.from_args(_args(dask_address="tcp://h:1")).address == "tcp://h:1"

    monkeypatch.delenv("FITCAT_DASK_ADDRESS")
    monkeypatch.setenv("FITCAT_TASK_RUNNER", "thread")
    assert task_runners.from_args(_args()) is None
    monkeypatch.setenv("FITCAT_TASK_RUNNER", "ray")
    with pytest.raises(SystemExit, match="thread' or 'dask"):
        task_runners.from_args(_args())
