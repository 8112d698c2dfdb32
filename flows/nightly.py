"""The nightly refresh, as a Prefect flow that reads like the job's table of contents.

All logic lives in `catalog/`; tasks wrap the network I/O so each call retries on its own,
and the flow is the single writer to the (staged) DuckDB file.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from catalog import db, export, hub, runs, store
from catalog.hub.client import hub_api
from catalog.settings import load_settings
from catalog.staging import staged_database


@dataclass
class RunSummary:
    run_id: str
    status: str
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)
    exports: dict[str, int] = field(default_factory=dict)


@task(retries=2, retry_delay_seconds=[1, 4], retry_jitter_factor=0.5, cache_policy=NO_CACHE)
def discover_models(endpoint: str | None, settings_path: str | None) -> list[str]:
    scope = load_settings(Path(settings_path) if settings_path else None).hub
    return hub.discover(hub_api(endpoint), scope)


@task(cache_policy=NO_CACHE)
def fetch_model(endpoint: str | None, repo_id: str, cache_dir: str) -> hub.ModelBundle:
    return hub.fetch_bundle(hub_api(endpoint), repo_id, Path(cache_dir))


@flow(name="nightly-refresh", task_runner=ThreadPoolTaskRunner(max_workers=4))
def nightly_refresh(db_path: str, exports_dir: str, endpoint: str | None = None,
                    settings_path: str | None = None) -> RunSummary:
    """Discover → fetch models and GGUF builds → store → (views) → export → record the run."""
    log = get_run_logger()
    run_id = str(uuid.uuid4())
    cache_dir = str(Path(db_path).parent / "hub-cache")
    with staged_database(Path(db_path)) as work:
        con = db.connect(work)
        runs.start(con, run_id, "nightly-refresh", endpoint)
        summary = RunSummary(run_id, "completed", counts={"models": 0, "gguf_files": 0})

        repo_ids = discover_models(endpoint, settings_path)
        futures = {rid: fetch_model.submit(endpoint, rid, cache_dir) for rid in repo_ids}
        for repo_id, future in futures.items():
            state = future.wait() or future.state
            if state.is_completed():
                for key, n in hub.store_bundle(con, future.result(), run_id).items():
                    summary.counts[key] += n
            else:
                error = state.result(raise_on_failure=False)
                store.record_error(con, run_id=run_id, source="hub", subject=repo_id, error=error)
                summary.errors.append({"source": "hub", "subject": repo_id, "error": str(error)[:300]})
                log.warning("hub: %s failed (%s); its last good data is kept", repo_id, error)

        summary.exports = export.export_all(con, Path(exports_dir))
        summary.status = "failed" if summary.errors else "completed"
        runs.finish(con, run_id, status=summary.status, counts=summary.counts, requests={},
                    errors=summary.errors)
        con.execute("CHECKPOINT")
        con.close()
    log.info("run %s %s: %s", run_id, summary.status, summary.counts)
    return summary
