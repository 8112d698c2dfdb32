"""Acceptance: `fitcat serve` on a real Prefect server on loopback, a run triggered through the API.

A real `prefect server start` subprocess (own PREFECT_HOME, analytics off) — the temporary
server never fires schedules, so this is what an operator runs. Every wait polls with a
deadline; every subprocess runs in its own process group and is killed at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest

from catalog import paths
from catalog.commands import serve
from catalog.fakehub import FakeHub, Snapshot
from catalog.orchestration import prefect_server

pytestmark = [pytest.mark.slow, pytest.mark.acceptance]

SAMPLE_SCOPE = paths.SAMPLE_HUB / "fitcat.toml"   # the scope `fitcat demo` uses on the sample Hub
RUN_DEADLINE = 180.0   # a whole flow run, from trigger to final state
SERVE_DEADLINE = 90.0  # `fitcat serve` up and its deployment registered


@pytest.fixture(scope="module")
def server_home(tmp_path_factory) -> Path:
    """One PREFECT_HOME for the module's servers: the second start skips the migrations (~8 s)."""
    return tmp_path_factory.mktemp("prefect-server-home")


def _fitcat() -> list[str]:
    script = Path(sys.executable).with_name("fitcat")
    return [str(script)] if script.exists() else [sys.executable, "-m", "catalog.cli"]


def _env(**updates: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    env["PREFECT_RUNNER_POLL_FREQUENCY"] = "1"      # the runner looks for runs every second
    env["PREFECT_LOGGING_LEVEL"] = "INFO"
    env["PYTHONFAULTHANDLER"] = "1"   # a stop that hangs dumps every thread's stack (see _stop_group)
    for key, value in updates.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


@contextlib.contextmanager
def _process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """A subprocess in its own process group; SIGINT then SIGKILL to the group at the end."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(args, cwd=paths.ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield proc
    finally:
        _stop_group(proc)


def _stop_group(proc: subprocess.Popen, sig: int = signal.SIGINT, grace: float = 30.0) -> int:
    """Stop as an operator would (Ctrl-C: SIGINT; systemd: SIGTERM). After the grace period
    SIGABRT, so that faulthandler writes where each thread hung into the log, then SIGKILL."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            return proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            for last in (signal.SIGABRT, signal.SIGKILL):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, last)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=10)
                    break
    return proc.returncode


def _poll(what: str, check: Callable[[], object], deadline_s: float, proc: subprocess.Popen | None,
          log: Path | None, interval: float = 0.5):
    """check() until it returns something truthy; fail at the deadline or when proc dies."""
    deadline = time.monotonic() + deadline_s
    while True:
        value = check()
        if value:
            return value
        tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"{what}: process exited with {proc.returncode}\n{tail}")
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {deadline_s:.0f} s\n{tail}")
        if proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=interval)   # the poll interval; returns at once if it died
        else:
            time.sleep(interval)


def _deployment(api_url: str):
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
        try:
            return client.read_deployment_by_name(serve.FULL_NAME)
        except ObjectNotFound:
            return None


def test_serve_registers_the_schedule_runs_a_triggered_run_and_prefect_yaml_deploys_it(tmp_path, server_home):
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    hub = FakeHub(Snapshot.load(paths.SAMPLE_HUB))
    hub.granted_tokens.add("hf_granted")
    db_file, out = tmp_path / "catalog.duckdb", tmp_path / "exports"
    settings_file = SAMPLE_SCOPE
    with hub.running() as hub_url, prefect_server.running(server_home, ui=False) as server:
        params = serve.flow_parameters(db_file, out, hub_url, settings_file, vendor_pages=False)

        # 1. Registration alone (what `fitcat serve` does before it blocks), read back via the API.
        with temporary_settings({PREFECT_API_URL: server.api_url}):
            deployment_id = serve.register(cron="0 3 * * *", timezone="UTC", parameters=params)
        deployment = _deployment(server.api_url)
        assert deployment is not None and deployment.id == deployment_id
        [schedule] = deployment.schedules
        assert (schedule.schedule.cron, schedule.schedule.timezone, schedule.active) == \
            ("0 3 * * *", "UTC", True)
        assert deployment.parameters == params and not deployment.paused
        assert deployment.work_pool_name is None   # served by `fitcat serve`, not a work pool

        # 2. `fitcat serve` itself, pointed at that server, runs a run triggered through the API.
        log = tmp_path / "serve.log"
        args = [*_fitcat(), "--db", str(db_file), "serve", "--endpoint", hub_url, "--out", str(out),
                "--settings", str(settings_file), "--skip-vendor-pages"]
        env = _env(PREFECT_API_URL=server.api_url, PREFECT_HOME=str(tmp_path / "client-home"),
                   HF_TOKEN="hf_granted", FITCAT_TASK_RUNNER=None)
        with _process(args, env, log) as proc:
            with temporary_settings({PREFECT_API_URL: server.api_url}):
                flow_run = run_deployment(serve.FULL_NAME, timeout=0)

                def final_state():
                    with get_client(sync_client=True) as client:
                        state = client.read_flow_run(flow_run.id).state
                    return state if state is not None and state.is_final() else None

                state = _poll("the triggered run", final_state, RUN_DEADLINE, proc, log)
            assert state.is_completed(), f"{state}\n{log.read_text(errors='replace')[-3000:]}"
            assert proc.poll() is None, "fitcat serve stopped after one run"
            code = _stop_group(proc)
        assert code == 0, log.read_text(errors="replace")[-8000:]
        # Shut down cleanly: Prefect paused the schedule so no runs pile up unserved.
        assert _deployment(server.api_url).paused

        # 3. prefect.yaml describes the same deployment, for a work pool.
        _deploy_prefect_yaml(server.api_url, tmp_path)

    # The run used the deployment's parameters: our catalogue file, from the fake Hub.
    assert any(r.path.startswith("/api/models") for r in hub.requests)
    con = duckdb.connect(str(db_file), read_only=True)
    try:
        [(status, counts, errors)] = con.execute("SELECT status, counts, errors FROM runs").fetchall()
        n_models = con.execute("SELECT count(*) FROM hub_models").fetchone()[0]
    finally:
        con.close()
    assert status == "completed", errors
    assert json.loads(counts)["models"] == n_models >= 4
    assert any(out.rglob("quantizations.csv")), "nothing exported"


def _deploy_prefect_yaml(api_url: str, tmp_path: Path) -> None:
    """`prefect deploy` of the repo's prefect.yaml: the same schedule, now on the `fitcat` pool."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from prefect.workers.process import ProcessWorker

    with temporary_settings({PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
        client.create_work_pool(WorkPoolCreate(
            name="fitcat", type="process", base_job_template=ProcessWorker.get_default_base_job_template()))
    prefect = Path(sys.executable).with_name("prefect")
    result = subprocess.run(
        [str(prefect), "--no-prompt", "deploy", "--all"], cwd=paths.ROOT, capture_output=True, text=True,
        timeout=120, env=_env(PREFECT_API_URL=api_url, PREFECT_HOME=str(tmp_path / "deploy-home"),
                              PWD=str(paths.ROOT)),
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    deployment = _deployment(api_url)
    assert deployment.work_pool_name == "fitcat"
    assert deployment.entrypoint == "flows/nightly.py:nightly_refresh"
    [schedule] = deployment.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone, schedule.active) == \
        (serve.DEFAULT_CRON, serve.DEFAULT_TIMEZONE, True)
    assert set(deployment.parameters) == set(serve.flow_parameters())
    assert deployment.pull_steps == [{"prefect.deployments.steps.set_working_directory": {
        "directory": str(paths.ROOT)}}]


def test_serve_without_api_url_starts_its_own_server_and_updates_the_schedule(
    tmp_path, server_home, settings_file
):
    port = prefect_server.free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    log = tmp_path / "serve.log"
    args = [*_fitcat(), "--db", str(tmp_path / "catalog.duckdb"), "serve",
            "--cron", "30 4 * * 1-5", "--timezone", "Europe/Berlin", "--server-port", str(port),
            "--endpoint", "http://127.0.0.1:9", "--settings", str(settings_file), "--skip-vendor-pages"]
    env = _env(PREFECT_API_URL=None, PREFECT_HOME=str(server_home), PREFECT_UI_ENABLED="false")
    server_pid = None
    try:
        with _process(args, env, log) as proc:
            def registered():
                if not log.exists() or f"on {api_url}" not in log.read_text(errors="replace"):
                    return None
                d = _deployment(api_url)
                return d if d and d.schedules and d.schedules[0].schedule.cron == "30 4 * * 1-5" else None

            deployment = _poll("fitcat serve with its own server", registered, SERVE_DEADLINE, proc, log)
            text = log.read_text(errors="replace")
            server_pid = int(text.split("local Prefect server (pid ")[1].split(")")[0])
            schedule = deployment.schedules[0]
            assert (schedule.schedule.timezone, schedule.active, deployment.paused) == \
                ("Europe/Berlin", True, False)
            assert deployment.parameters["endpoint"] == "http://127.0.0.1:9"
            assert deployment.work_pool_name is None   # served here again, whatever was deployed before
            assert deployment.parameters["db_path"] == str((tmp_path / "catalog.duckdb").resolve())
            assert _stop_group(proc, signal.SIGTERM) == 0, log.read_text(errors="replace")[-8000:]
        # Its server went down with it.
        assert not prefect_server.port_in_use("127.0.0.1", port)
    finally:
        if server_pid is not None:   # only if fitcat serve failed to stop its server
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(server_pid, signal.SIGKILL)


def test_serve_stopped_during_start_up_leaves_no_server_behind(tmp_path, server_home):
    """SIGTERM between the server start and the runner's own handler still stops the server."""
    port = prefect_server.free_port()
    log = tmp_path / "serve.log"
    args = [*_fitcat(), "--db", str(tmp_path / "catalog.duckdb"), "serve", "--server-port", str(port),
            "--skip-vendor-pages"]
    env = _env(PREFECT_API_URL=None, PREFECT_HOME=str(server_home), PREFECT_UI_ENABLED="false")
    server_pid = None
    try:
        with _process(args, env, log) as proc:
            def server_up():
                text = log.read_text(errors="replace") if log.exists() else ""
                return text.split("local Prefect server (pid ")[1].split(")")[0] if "(pid " in text else None

            server_pid = int(_poll("the local server", server_up, SERVE_DEADLINE, proc, log))
            assert _stop_group(proc, signal.SIGTERM) == 0, log.read_text(errors="replace")[-8000:]
        assert not prefect_server.port_in_use("127.0.0.1", port)
        with pytest.raises(ProcessLookupError):
            os.kill(server_pid, 0)
    finally:
        if server_pid is not None:   # only if fitcat serve failed to stop its server
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(server_pid, signal.SIGKILL)
