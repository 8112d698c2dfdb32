"""The nightly refresh, as a Prefect flow that reads like the job's table of contents.

All logic lives in `catalog/`; tasks wrap network I/O so each call retries on its own, and the
flow is the single writer to a staged copy of the DuckDB file, swapped in only when the data
checks pass.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import duckdb
from prefect import Flow, flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.states import Failed
from prefect.task_runners import ThreadPoolTaskRunner

from catalog import calibration, checks, db, devices, exports, hub, store
from catalog.gguf import refresh as gguf_refresh
from catalog.hub.client import current_budget, hub_api, hub_token
from catalog.orchestration import runs
from catalog.orchestration.report import RunSummary, progress
from catalog.orchestration.staging import PublishBlocked, staged_database
from catalog.settings import Settings, load_settings


@task(cache_policy=NO_CACHE)
def discover_models(endpoint: str | None, settings: Settings) -> hub.Discovery:
    """Listing requests only; a failed listing makes the scan partial (nothing is removed)."""
    return hub.discover(hub_api(endpoint), settings.hub)


@task(cache_policy=NO_CACHE)
def fetch_model(endpoint: str | None, repo_id: str, cache_dir: str, listing: dict,
                known: dict, derivatives: list) -> hub.ModelBundle:
    """Hub I/O for one model and its GGUF repos; failures come back in bundle.errors."""
    return hub.fetch_bundle(hub_api(endpoint), repo_id, Path(cache_dir), listing=listing, known=known,
                            derivatives=derivatives)


def _windowed(submissions: Iterable[tuple[str, Callable[[], PrefectFuture]]],
              width: int) -> Iterator[tuple[str, PrefectFuture]]:
    """Submit at most `width` fetches ahead of the one being stored ([hub] max_workers), in order."""
    ahead: deque[tuple[str, PrefectFuture]] = deque()
    for key, submit in submissions:
        ahead.append((key, submit()))
        if len(ahead) >= width:
            yield ahead.popleft()
    yield from ahead


def refresh_models(con: duckdb.DuckDBPyConnection, summary: RunSummary, endpoint: str | None,
                   settings: Settings, cache_dir: str) -> None:
    """Discover → fetch what changed, concurrently → store each result (the flow writes alone)."""
    log = get_run_logger()
    hub.run_budget(settings.hub)   # installed for every Hub request of this run
    found = discover_models(endpoint, settings)
    known = hub.load_watermarks(con)
    futures = _windowed(
        ((rid, lambda rid=rid, listing=listing: fetch_model.submit(
            endpoint, rid, cache_dir, listing, known, found.derivatives.get(rid, [])))
         for rid, listing in found.listings.items()),
        settings.hub.max_workers)
    for repo_id, future in progress(futures, "fetching models", total=len(found.listings)):
        state = future.wait() or future.state
        if state.is_completed():
            bundle = future.result()
            for key, n in hub.store_bundle(con, bundle, summary.run_id, settings.hub.gguf_publishers).items():
                summary.add(key, n)
            for err in bundle.errors:
                summary.fail("hub", err.subject, f"{err.kind}: {err.message}")
        else:
            error = state.result(raise_on_failure=False)
            store.record_error(con, run_id=summary.run_id, source="hub", subject=repo_id, error=error)
            summary.fail("hub", repo_id, error)
            log.warning("hub: %s failed (%s); its last good data is kept", repo_id, error)
    summary.add("removed", hub.finish_discovery(con, found, summary.run_id))
    for err in found.errors:
        summary.fail("hub", err.subject, f"{err.kind}: {err.message}")


def read_gguf_headers(con: duckdb.DuckDBPyConnection, summary: RunSummary, endpoint: str | None,
                      settings: Settings) -> None:
    """Header of each model's canonical GGUF build (Range reads, resolvers bucket, cached by sha)."""
    if not settings.gguf.read_headers:
        return
    builds = gguf_refresh.canonical_builds(con)
    result = gguf_refresh.read_canonical_headers(
        con, hub_api(endpoint).endpoint, hub_token(), builds[: settings.gguf.max_builds],
        summary.run_id, budget=current_budget())
    summary.add("gguf_headers_read", len(result.read))
    summary.add("gguf_headers_cached", len(result.cached))
    summary.add("gguf_headers_deferred", len(result.deferred))
    for subject, message in result.failed.items():
        summary.fail("gguf_header", subject, message.removeprefix(f"{subject}: "))


def refresh_device_specs(con: duckdb.DuckDBPyConnection, summary: RunSummary, vendor_pages: bool) -> None:
    """Curated registry, verified against vendor pages (skipped offline: the registry stands)."""
    report = devices.refresh_devices(con, summary.run_id, pages=devices.DEFAULT_PAGES if vendor_pages else ())
    summary.add("devices", report.devices)
    summary.add("device_conflicts", report.conflicts)
    for failed in report.failed:
        summary.fail("devices", failed.url, failed.reason)


def run_data_checks(con: duckdb.DuckDBPyConnection, summary: RunSummary) -> None:
    """Every sql/tests check must pass before anything is published."""
    results = checks.run_checks(con)
    summary.checks = {r.name: (-1 if r.error else len(r.violations)) for r in results}
    failed = [r for r in results if not r.passed]
    if failed:
        detail = "; ".join(f"{r.name}: {r.error or r.violations[:3]}" for r in failed)
        raise PublishBlocked(f"data checks failed, nothing published: {detail}")


def stage(name: str) -> None:
    """Mark the start of a stage in the run's log (operators and the crash tests read it)."""
    get_run_logger().info("stage: %s", name)


def report(summary: RunSummary) -> None:
    get_run_logger().info("run %s %s: %s", summary.run_id, summary.status, summary.counts)
    create_markdown_artifact(key="nightly-refresh-report", markdown=summary.markdown(),
                             description=f"nightly-refresh {summary.status}")


# The pool's ceiling; [hub] max_workers sets how many fetches are really in flight (≤ this).
@flow(name="nightly-refresh", task_runner=ThreadPoolTaskRunner(max_workers=16))
def nightly_refresh(db_path: str, exports_dir: str, endpoint: str | None = None,
                    settings_path: str | None = None, vendor_pages: bool = True) -> RunSummary | Failed:
    """Discover → models → GGUF headers → devices → calibration → data checks → export → report."""
    settings = load_settings(Path(settings_path) if settings_path else None)
    summary = RunSummary(str(uuid.uuid4()))
    cache_dir = str(Path(db_path).parent / "hub-cache")
    try:
        with staged_database(Path(db_path)) as work, closing(db.connect(work)) as con:
            runs.start(con, summary.run_id, "nightly-refresh", endpoint)
            stage("models")
            refresh_models(con, summary, endpoint, settings, cache_dir)
            stage("gguf headers")
            read_gguf_headers(con, summary, endpoint, settings)
            stage("devices")
            refresh_device_specs(con, summary, vendor_pages)
            stage("calibration")
            summary.add("recalibrated_quants", len(calibration.recalibrate(con, summary.run_id)))
            stage("data checks")
            run_data_checks(con, summary)
            stage("export")
            published = exports.publish_exports(con, Path(exports_dir), summary.run_id)
            summary.exports, summary.changes = published.summary_rows(), published.changes
            summary.add("pages_carried_over", published.carried)
            for reason in published.skipped:
                get_run_logger().warning("export: no page for %s", reason)
            stage("publish")
            summary.requests = current_budget().counts()
            summary.status = "failed" if summary.errors else "completed"
            runs.finish(con, summary)
            con.execute("CHECKPOINT")
        summary.published = True
    except PublishBlocked as blocked:
        summary.status = "failed"
        summary.fail("checks", "publish", blocked)
    report(summary)
    if summary.status == "failed":   # Prefect shows the run Failed; the summary rides along as data
        failed_sources = sorted({e["source"] for e in summary.errors})
        return Failed(message=f"{len(summary.errors)} failure(s) in {', '.join(failed_sources)}; "
                              f"published: {'yes' if summary.published else 'no'}", data=summary)
    return summary


def run_nightly(flow: Flow | None = None, **parameters: Any) -> RunSummary:
    """Run the flow (or a variant, e.g. with another task runner) and return its RunSummary,
    whether the run ended Completed or Failed; a crash (an exception) is raised."""
    state = (flow or nightly_refresh)(**parameters, return_state=True)
    result = state.result(raise_on_failure=False)
    if isinstance(result, BaseException):
        raise result
    return result
