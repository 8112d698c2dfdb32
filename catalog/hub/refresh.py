"""The Hub refresh, one definition for the flow, the benchmark and the tests:

    discover → fetch what changed (concurrently, at most `width` ahead) → store each → finish

Fetching is I/O and may run anywhere: `submit` hands one job to whatever runs it (the flow's
Prefect task runner, a thread pool, or this thread by default) and returns something with
`.result()`. Storing is done here, in order, by the single writer. A repo whose data breaks
the resolver is rolled back alone and reported; the rest of the night goes on.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import duckdb
from huggingface_hub import HfApi

from catalog import store as records
from catalog.failures import one_line
from catalog.hub.client import Budget, use_budget
from catalog.hub.discover import discover
from catalog.hub.errors import HubError
from catalog.hub.fetch import ModelBundle, fetch_bundle
from catalog.hub.store import finish_discovery, load_watermarks, store_bundle
from catalog.settings import HubScope

log = logging.getLogger(__name__)


class Pending(Protocol):
    def result(self) -> ModelBundle: ...


class Submit(Protocol):
    """Start fetching one repo: `submit(repo_id=, listing=, known=, derivatives=)`."""

    def __call__(self, *, repo_id: str, listing: dict[str, Any], known: dict[tuple[str, str], str],
                 derivatives: list[dict[str, Any]]) -> Pending: ...


@dataclass
class Done:
    """A fetch that already ran in this thread."""

    bundle: ModelBundle

    def result(self) -> ModelBundle:
        return self.bundle


def in_this_thread(api: HfApi, cache_dir: Path) -> Submit:
    """The default runner: fetch each repo here, one after another."""
    def submit(**job: Any) -> Pending:
        return Done(fetch_bundle(api, job.pop("repo_id"), cache_dir, **job))
    return submit


@dataclass
class RefreshReport:
    found: int = 0
    fetched: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[HubError] = field(default_factory=list)
    quarantined: dict[str, str] = field(default_factory=dict)      # repo id -> reason
    counts: dict[str, int] = field(default_factory=lambda: {"models": 0, "gguf_files": 0, "errors": 0})
    removed: int = 0


def run_budget(scope: HubScope, **overrides: Any) -> Budget:
    """A fresh request budget for one run from [hub] settings, installed for every Hub call."""
    return use_budget(Budget.from_scope(scope, **overrides))


def windowed(jobs: Iterable[tuple[str, Callable[[], Pending]]], width: int) -> Iterator[tuple[str, Pending]]:
    """Start at most `width` fetches ahead of the one being stored, and hand them back in order."""
    ahead: deque[tuple[str, Pending]] = deque()
    for key, start in jobs:
        ahead.append((key, start()))
        if len(ahead) >= max(1, width):
            yield ahead.popleft()
    yield from ahead


Progress = Callable[[Iterator[Any], int], Iterator[Any]]


def refresh(api: HfApi, con: duckdb.DuckDBPyConnection, scope: HubScope, cache_dir: Path, run_id: str, *,
            submit: Submit | None = None, width: int | None = None,
            progress: Progress = lambda items, total: items) -> RefreshReport:
    """Discover, fetch what changed, store, finish: the whole Hub refresh of one run."""
    submit = submit or in_this_thread(api, cache_dir)
    found = discover(api, scope)
    known = load_watermarks(con)
    report = RefreshReport(found=len(found.listings), errors=list(found.errors))
    jobs = ((rid, lambda rid=rid, listing=listing: submit(
                repo_id=rid, listing=listing, known=known, derivatives=found.derivatives.get(rid, [])))
            for rid, listing in found.listings.items())
    for repo_id, pending in progress(windowed(jobs, width or scope.max_workers), len(found.listings)):
        try:
            bundle = pending.result()
        except Exception as exc:        # the task itself failed (a worker died, a bug in fetch)
            report.errors.append(_failed(con, run_id, repo_id, exc))
            continue
        (report.unchanged if bundle.unchanged else report.fetched).append(repo_id)
        report.errors += bundle.errors
        try:
            counts = store_bundle(con, bundle, run_id, scope.gguf_publishers)
        except Exception as exc:        # its data broke the resolver: rolled back, the night goes on
            reason = f"quarantined, last good data kept: {one_line(exc)}"
            records.record_error(con, run_id=run_id, source="hub", subject=repo_id, error=reason,
                                 error_type="quarantined")
            report.quarantined[repo_id] = reason
            log.warning("hub: %s %s", repo_id, reason)
            continue
        for key, n in counts.items():
            report.counts[key] = report.counts.get(key, 0) + n
    report.removed = finish_discovery(con, found, run_id)
    for err in report.errors:
        log.warning("hub: %s failed (%s); its last good data is kept", err.subject, err.kind)
    return report


def _failed(con: duckdb.DuckDBPyConnection, run_id: str, repo_id: str, exc: BaseException) -> HubError:
    records.record_error(con, run_id=run_id, source="hub", subject=repo_id, error=exc)
    return HubError(repo_id, "error", one_line(exc))
