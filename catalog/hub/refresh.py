"""The Hub refresh, one definition for the flow, the benchmark and the tests:

    discover → fetch what changed (concurrently, at most `width` ahead) → store each → finish

Fetching is I/O and may run anywhere: `submit` hands one job to whatever runs it (the flow's
Prefect task runner, a thread pool, or this thread by default) and returns something with
`.result()`. Storing is done here, in order, by the single writer. A repo whose data breaks
the resolver is rolled back alone and reported; the rest of the night goes on.

Quota-aware: base models are fetched in priority order (discover's ranking). Before a job
starts, its cost is bounded from what is known (model_info, config.json unless cached, the
derivative listing, one tree per changed trusted build, `[hub] untrusted_trees`); a job that
no longer fits in what is left of `request_cap` stops the run there, cleanly: it and every job
after it are deferred, not failed. Nothing deferred has a watermark, so the next night starts
exactly there (what was done is not repeated); the report says how many requests the backlog
needs and how many nights that is at this cap.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import duckdb
from huggingface_hub import HfApi

from catalog import store as records
from catalog.failures import one_line
from catalog.hub import source
from catalog.hub.client import Budget, current_budget, use_budget
from catalog.hub.discover import Derivative, discover
from catalog.hub.errors import HubError
from catalog.hub.fetch import ModelBundle, fetch_bundle
from catalog.hub.store import finish_discovery, load_aliases, load_watermarks, store_bundle
from catalog.hub.validate import UnsafeHubValue
from catalog.settings import HubScope

log = logging.getLogger(__name__)


class Pending(Protocol):
    def result(self) -> ModelBundle: ...


class Submit(Protocol):
    """Start fetching one repo: `submit(repo_id=, listing=, known=, derivatives=, trusted=,
    untrusted_trees=)`, the keyword arguments of `fetch_bundle`."""

    def __call__(self, *, repo_id: str, listing: dict[str, Any], known: dict[tuple[str, str], str],
                 derivatives: list[Derivative], trusted: tuple[str, ...],
                 untrusted_trees: int | None) -> Pending: ...


@dataclass
class Done:
    """A fetch that already ran in this thread."""

    bundle: ModelBundle

    def result(self) -> ModelBundle:
        return self.bundle

    def add_done_callback(self, fn: Callable[[Any], None]) -> None:
        fn(self)


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
    deferred: list[str] = field(default_factory=list)   # not reached within request_cap: next night
    backlog_requests: int = 0        # what the deferred base models need, at most
    nights_needed: int = 0           # further nights the backlog needs at this request_cap
    discovery_requests: int = 0      # Hub requests discovery took (listings, look-ups)
    lookups: int = 0                 # ids looked up (renamed / re-uploaded bases), cached from now on

    def plan_counts(self) -> dict[str, int]:
        """The planning figures for the run summary and the ledger."""
        return {"hub_deferred": len(self.deferred), "hub_backlog_requests": self.backlog_requests,
                "hub_nights_needed": self.nights_needed, "hub_lookups": self.lookups,
                "hub_discovery_requests": self.discovery_requests}


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


@dataclass
class Plan:
    """Admit jobs while their cost bound fits in what is left of the budget's cap: requests sent
    so far, plus the bound of every fetch still running (released as it finishes)."""

    budget: Budget
    in_flight: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def admit(self, repo_id: str, cost: int) -> bool:
        with self._lock:
            if self.budget.cap is not None and \
                    self.budget.sent + sum(self.in_flight.values()) + cost > self.budget.cap:
                return False
            self.in_flight[repo_id] = cost
            return True

    def done(self, repo_id: str) -> None:
        with self._lock:
            self.in_flight.pop(repo_id, None)

    def watch(self, repo_id: str, pending: Pending) -> Pending:
        """Release the job's reservation when its fetch finishes (a future's done callback),
        else when its result is taken."""
        on_done = getattr(pending, "add_done_callback", None)
        if on_done is not None:
            on_done(lambda _: self.done(repo_id))
        return pending


def job_cost(repo_id: str, listing: dict[str, Any], known: dict[tuple[str, str], str],
             derivatives: list[Derivative], untrusted_trees: int | None, cache_dir: Path) -> int:
    """At most the capped requests one base model's fetch sends (tree pages past the first and
    retries aside): a tree per changed trusted build; if the base is new or changed, model_info,
    its derivative listing, config.json unless cached, `untrusted_trees` trees."""
    cost = sum(1 for d in derivatives if known.get((d.listing["id"], "gguf")) != d.listing.get("sha"))
    sha = listing.get("sha")
    if sha is None or known.get((repo_id, "model")) != sha:
        try:
            cached = sha is not None and source.config_cache_path(cache_dir, repo_id, sha).exists()
        except UnsafeHubValue:
            cached = False
        cost += 2 + (0 if cached else 1) + (untrusted_trees or 0)
    return cost


def refresh(api: HfApi, con: duckdb.DuckDBPyConnection, scope: HubScope, cache_dir: Path, run_id: str, *,
            submit: Submit | None = None, width: int | None = None,
            progress: Progress = lambda items, total: items) -> RefreshReport:
    """Discover, fetch what changed (in priority order, within the cap), store, finish."""
    submit = submit or in_this_thread(api, cache_dir)
    budget = current_budget()
    before = budget.sent
    found = discover(api, scope, load_aliases(con))
    known = load_watermarks(con)
    report = RefreshReport(found=len(found.listings), errors=list(found.errors),
                           discovery_requests=budget.sent - before, lookups=len(found.looked_up))
    plan = Plan(budget)
    trusted = tuple(scope.gguf_publishers)

    def jobs() -> Iterator[tuple[str, Callable[[], Pending]]]:
        order = list(found.listings.items())
        for i, (rid, listing) in enumerate(order):
            derivatives = found.derivatives.get(rid, [])
            cost = job_cost(rid, listing, known, derivatives, scope.untrusted_trees, cache_dir)
            if not plan.admit(rid, cost):            # a priority boundary: the rest waits
                report.deferred = [r for r, _ in order[i:]]
                report.backlog_requests = sum(
                    job_cost(r, lst, known, found.derivatives.get(r, []), scope.untrusted_trees, cache_dir)
                    for r, lst in order[i:])
                return
            yield rid, lambda rid=rid, listing=listing, derivatives=derivatives: plan.watch(rid, submit(
                repo_id=rid, listing=listing, known=known, derivatives=derivatives, trusted=trusted,
                untrusted_trees=scope.untrusted_trees))

    for repo_id, pending in progress(windowed(jobs(), width or scope.max_workers), len(found.listings)):
        try:
            bundle = pending.result()
        except Exception as exc:        # the task itself failed (a worker died, a bug in fetch)
            report.errors.append(_failed(con, run_id, repo_id, exc))
            continue
        finally:
            plan.done(repo_id)
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
    if report.deferred and budget.cap is not None:
        nightly = max(1, budget.cap - found.listing_requests)     # listings recur every night
        report.nights_needed = math.ceil(report.backlog_requests / nightly)
        log.warning("hub: request cap reached at a priority boundary: %d base models deferred "
                    "(~%d requests, %d more night(s) at request_cap %d)", len(report.deferred),
                    report.backlog_requests, report.nights_needed, budget.cap)
    report.removed = finish_discovery(con, found, run_id, scope.drop_after_scans)
    for err in report.errors:
        log.warning("hub: %s failed (%s); its last good data is kept", err.subject, err.kind)
    return report


def _failed(con: duckdb.DuckDBPyConnection, run_id: str, repo_id: str, exc: BaseException) -> HubError:
    records.record_error(con, run_id=run_id, source="hub", subject=repo_id, error=exc)
    return HubError(repo_id, "error", one_line(exc))
