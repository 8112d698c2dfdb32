"""The nightly refresh, as a Prefect flow that reads like the job's table of contents.

All logic lives in `catalog/`; tasks wrap network I/O so each call retries on its own, and the
flow is the single writer to a staged copy of the DuckDB file, swapped in only when the data
checks pass.
"""

from __future__ import annotations

import pickle
import traceback
import uuid
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import duckdb
from prefect import Flow, flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.states import Failed
from prefect.task_runners import ThreadPoolTaskRunner

from catalog import calibration, checks, db, devices, exports, hub, store
from catalog.exports.render import Rendered
from catalog.failures import environment_error, one_line
from catalog.gguf import refresh as gguf_refresh
from catalog.hub.client import current_budget, hub_api, hub_token
from catalog.orchestration import runs
from catalog.orchestration.lock import AlreadyRunning, db_lock, exports_lock, run_lock
from catalog.orchestration.report import RunSummary, progress
from catalog.orchestration.staging import PublishBlocked, staged_database
from catalog.settings import Settings, load_settings


@task(cache_policy=NO_CACHE)
def fetch_model(endpoint: str | None, cache_dir: str, repo_id: str, listing: dict, known: dict,
                derivatives: list, trusted: tuple, untrusted_trees: int | None) -> hub.ModelBundle:
    """Hub I/O for one model and its GGUF repos; failures come back in bundle.errors."""
    return hub.fetch_bundle(hub_api(endpoint), repo_id, Path(cache_dir), listing=listing, known=known,
                            derivatives=derivatives, trusted=trusted, untrusted_trees=untrusted_trees)


@task(cache_policy=NO_CACHE)
def render_page(render: Callable[..., Rendered], rows: bytes, *args: Any) -> Rendered:
    """Assemble, write and check one model page (CPU only) on a Dask worker.

    The page's rows arrive pickled by this flow: Prefect and Dask both walk every value of a task's
    arguments looking for futures, and a page's rows are thousands of values (walking them took
    longer than rendering the page; Prefect's `opaque` does not survive Dask's own walk)."""
    return render(pickle.loads(rows), *args)


def page_submitter() -> Callable[..., Any] | None:
    """Pages go to the flow's task runner when it is a Dask cluster (the cores of many machines;
    the export folder must then be shared with the workers); on the flow's own threads they would
    share one GIL, so they go to local worker processes instead (None)."""
    runner = FlowRunContext.get().task_runner
    if type(runner).__name__ != "DaskTaskRunner":
        return None
    return lambda render, rows, *args: render_page.submit(render, pickle.dumps(rows), *args)


def refresh_models(con: duckdb.DuckDBPyConnection, summary: RunSummary, endpoint: str | None,
                   settings: Settings, cache_dir: str) -> None:
    """The Hub refresh (catalog.hub.refresh), its fetches run as tasks on the flow's task runner."""
    budget = hub.run_budget(settings.hub)   # installed for every Hub request of this run
    with budget.stage("models", settings.hub.stage_deadline_seconds):
        report = hub.refresh(
            hub_api(endpoint), con, settings.hub, Path(cache_dir), summary.run_id,
            submit=lambda **job: fetch_model.submit(endpoint, cache_dir, **job),
            progress=lambda items, total: progress(items, "fetching models", total=total))
    for key, n in {**report.counts, **report.plan_counts()}.items():
        summary.add(key, n)
    summary.add("removed", report.removed)
    for err in report.errors:
        summary.fail("hub", err.subject, f"{err.kind}: {err.message}")
    for repo_id, reason in report.quarantined.items():
        summary.fail("hub", repo_id, reason)


def read_gguf_headers(con: duckdb.DuckDBPyConnection, summary: RunSummary, endpoint: str | None,
                      settings: Settings) -> None:
    """Header of each model's canonical GGUF build (Range reads, resolvers bucket, cached by sha)."""
    if not settings.gguf.read_headers:
        return
    builds = gguf_refresh.canonical_builds(con)
    with current_budget().stage("gguf headers", settings.gguf.stage_deadline_seconds):
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


def run_data_checks(con: duckdb.DuckDBPyConnection, summary: RunSummary, published: Path) -> None:
    """sql/tests checks: a model or device with bad rows is quarantined (its last good rows
    replace them, the rest is published); catalogue-wide breakage blocks the release."""
    results = checks.run_checks(con)
    bad = checks.to_quarantine(results)
    if bad and not any(r.blocking for r in results):
        checks.restore_last_good(con, published, sorted(bad))
        for subject, reasons in sorted(bad.items()):
            reason = "quarantined, last good data kept: " + "; ".join(reasons[:3])
            store.record_error(con, run_id=summary.run_id, source="checks", subject=subject,
                               error=reason, error_type="quarantined")
            summary.fail("checks", subject, reason)
        summary.add("quarantined", len(bad))
        results = checks.run_checks(con)          # the restored rows must pass too
    summary.checks = {r.name: (-1 if r.error else len(r.violations)) for r in results}
    failed = [r for r in results if not r.passed]
    if failed:
        detail = "; ".join(f"{r.name}: {(r.blocking or [v.subject for v in r.violations])[:3]}"
                           for r in failed)
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
    """Lock → discover → models → GGUF headers → devices → calibration → checks → export → report.

    One run per catalogue (a second one ends at once, status `locked`); every run that gets the
    lock ends with a ledger row, a crash included (docs/operations.md)."""
    settings = load_settings(Path(settings_path) if settings_path else None)
    summary = RunSummary(str(uuid.uuid4()))
    db_file, out = Path(db_path), Path(exports_dir)
    try:
        with run_lock(summary.run_id, db_lock(db_file), exports_lock(out)) as held:
            for lock in held:
                if lock.stale:
                    get_run_logger().warning("took over %s from run %s (pid %s), which is gone",
                                             lock.path, lock.stale.get("run_id"), lock.stale.get("pid"))
            journal = runs.Journal(runs.journal_path(db_file))
            journal.started(summary.run_id, "nightly-refresh", endpoint)
            try:
                refresh(db_file, out, endpoint, settings, vendor_pages, summary, journal)
            except Exception as exc:     # a crash: disk full, read-only folder, a bug
                summary.status, summary.environment = "crashed", environment_error(exc)
                summary.fail("run", "run", summary.environment or crash_report(db_file, summary.run_id, exc))
                get_run_logger().error("run %s crashed: %s", summary.run_id, summary.errors[-1]["error"])
                journal.ended(summary)
            except BaseException:        # interrupted: the journal's start line records it
                summary.status = "crashed"
                journal.ended(summary)
                raise
            else:
                journal.ended(summary)
                if summary.published:       # the published ledger now holds every journal run
                    journal.forget(set(journal.runs()))
    except AlreadyRunning as exc:
        summary.status = "locked"
        summary.fail("run", "lock", exc)
        get_run_logger().warning("%s", exc)
        return Failed(message=str(exc), data=summary)
    report(summary)
    if summary.status != "completed":   # Prefect shows the run Failed; the summary rides along as data
        failed_sources = sorted({e["source"] for e in summary.errors})
        return Failed(message=f"{len(summary.errors)} failure(s) in {', '.join(failed_sources)}; "
                              f"published: {'yes' if summary.published else 'no'}", data=summary)
    return summary


def refresh(db_file: Path, out: Path, endpoint: str | None, settings: Settings, vendor_pages: bool,
            summary: RunSummary, journal: runs.Journal) -> None:
    """The stages, on a staged copy of the catalogue that replaces it at the end."""
    cache_dir = str(db_file.parent / "hub-cache")
    try:
        with staged_database(db_file, summary.run_id) as work, closing(db.connect(work)) as con:
            runs.start(con, summary.run_id, "nightly-refresh", endpoint)
            summary.add("recovered_runs", len(runs.record_unrecorded(con, journal, summary.run_id)))
            stage("models")
            refresh_models(con, summary, endpoint, settings, cache_dir)
            stage("gguf headers")
            read_gguf_headers(con, summary, endpoint, settings)
            stage("devices")
            refresh_device_specs(con, summary, vendor_pages)
            stage("calibration")
            summary.add("recalibrated_quants", len(calibration.recalibrate(con, summary.run_id)))
            stage("data checks")
            run_data_checks(con, summary, db_file)
            stage("export")
            published = exports.publish_exports(con, out, summary.run_id, submit=page_submitter())
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


def crash_report(db_file: Path, run_id: str, exc: Exception) -> str:
    """One line for the ledger; the traceback goes to a file beside the catalogue (best effort)."""
    path = db_file.parent / "logs" / f"crash-{run_id}.txt"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
    except OSError:
        return one_line(exc)
    return f"{one_line(exc)} (traceback: {path})"


def run_nightly(flow: Flow | None = None, **parameters: Any) -> RunSummary:
    """Run the flow (or a variant, e.g. with another task runner) and return its RunSummary,
    however it ended: completed, failed, crashed (status `crashed`, one line in its errors) or
    locked; only an interrupt is raised."""
    state = (flow or nightly_refresh)(**parameters, return_state=True)
    result = state.result(raise_on_failure=False)
    if isinstance(result, BaseException):
        raise result
    return result
