"""The HuggingFace source: discover base models, fetch what changed, store with provenance.

    found = discover(api, scope)                      # listing requests only
    known = load_watermarks(con)                      # {(repo_id, kind): sha} settled
    bundle = fetch_bundle(api, repo_id, cache_dir, listing=found.listings[repo_id], known=known,
                          derivatives=found.derivatives.get(repo_id, ()))  # I/O, concurrent-safe
    store_bundle(con, bundle, run_id, scope.gguf_publishers)   # single writer, one transaction
    finish_discovery(con, found, run_id)              # removals, only after complete listings

`refresh(api, con, scope, cache_dir, run_id)` runs the same steps in order (tests, CLI).
Change detection is done from listing pages: base models from the author / top / explicit
listings, GGUF repos of the trusted publishers (`scope.gguf_publishers`) from one
`author={publisher}&filter=gguf` listing each, attached to the base models in scope that their
`base_model:quantized:{id}` tags name. A repo whose listed sha equals its watermark costs no
detail request; its counters (downloads, likes, trending) are refreshed from the listing.
The per-base derivative listing (which also finds untrusted publishers' builds) runs only for
a base model that is new or whose sha changed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from huggingface_hub import HfApi
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    RepositoryNotFoundError,
)

from catalog import store
from catalog.hub import resolve, source, validate
from catalog.hub.attention import attention_rows
from catalog.hub.client import Budget, RequestCapExceeded, use_budget
from catalog.hub.params import gguf_candidate, resolve_params
from catalog.hub.source import ConfigError
from catalog.settings import HubScope

log = logging.getLogger(__name__)
PERMANENT = {"gated", "not_found", "bad_config"}

__all__ = ["Discovery", "GgufRepo", "HubError", "ModelBundle", "discover", "fetch_bundle",
           "finish_discovery", "load_watermarks", "refresh", "run_budget", "store_bundle"]


@dataclass
class HubError:
    """A per-repo failure: recorded in source_errors, the repo's last good rows stay."""

    subject: str
    kind: str  # gated | not_found | bad_config | unsafe | rate_limited | cap | timeout | http | error
    message: str

    @property
    def permanent(self) -> bool:
        """Settled for this commit: re-read only when the repo's sha changes."""
        return self.kind in PERMANENT


def classify(subject: str, exc: BaseException) -> HubError:
    """Name a failure without leaking anything but its kind and first line (never headers)."""
    if isinstance(exc, GatedRepoError):
        kind = "gated"
    elif isinstance(exc, RepositoryNotFoundError):
        kind = "not_found"
    elif isinstance(exc, ConfigError):
        kind = "bad_config"
    elif isinstance(exc, validate.UnsafeHubValue):
        kind = "unsafe"
    elif isinstance(exc, RequestCapExceeded):
        kind = "cap"
    elif isinstance(exc, HfHubHTTPError):
        status = exc.response.status_code if exc.response is not None else None
        kind = "rate_limited" if status == 429 else "http"
    elif "timeout" in type(exc).__name__.lower() or "timed out" in str(exc).lower():
        kind = "timeout"
    else:
        kind = "error"
    message = (str(exc).splitlines() or [type(exc).__name__])[0][:300]
    return HubError(subject, kind, f"{type(exc).__name__}: {message}")


@dataclass
class Discovery:
    """Base models in scope, each with its listing entry (sha, lastModified, counters)."""

    listings: dict[str, dict[str, Any]] = field(default_factory=dict)
    complete: bool = True                     # every base-model listing succeeded
    errors: list[HubError] = field(default_factory=list)
    # trusted publisher -> all its GGUF repos; only publishers whose listing completed
    gguf_listings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # base repo id (in scope) -> the trusted GGUF repos whose base_model:quantized tag names it
    derivatives: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # repos listed with an unsafe sha: skipped this run, but not "gone" (never marked removed)
    protected: set[str] = field(default_factory=set)
    endpoint: str = ""

    def keep_safe(self, items: list[dict[str, Any]], subject: str) -> list[dict[str, Any]]:
        """The listing entries whose id and sha may be used; the others are reported."""
        good, bad = source.checked_listing(items, subject)
        for problem in bad:
            self.errors.append(classify(problem.subject, problem))
            self.protected.add(problem.subject)
        return good

    @property
    def repo_ids(self) -> list[str]:
        return list(self.listings)


@dataclass
class GgufRepo:
    listing: dict[str, Any]
    tree: list[dict[str, Any]] | None = None      # None: unchanged since the watermark
    source_url: str = ""                          # the listing it came from


@dataclass
class ModelBundle:
    """Everything one refresh learned about one base model."""

    repo_id: str
    source_url: str
    listing: dict[str, Any] | None = None
    info: dict[str, Any] | None = None            # None: unchanged, or failed (see errors)
    config: dict[str, Any] | None = None
    config_read: bool = False                     # config.json was fetched (or cached) at info.sha
    gguf_listed: bool = False                     # the per-base derivative listing ran and completed
    gguf_listing: list[dict[str, Any]] = field(default_factory=list)   # ... and what it answered
    gguf_repos: list[GgufRepo] = field(default_factory=list)
    errors: list[HubError] = field(default_factory=list)
    endpoint: str = ""

    @property
    def unchanged(self) -> bool:
        return self.info is None and not self.errors


def _is_base_model(m: dict[str, Any]) -> bool:
    tags = m.get("tags") or []
    return "gguf" not in tags and not any(str(t).startswith("base_model:quantized:") for t in tags)


def discover(api: HfApi, scope: HubScope) -> Discovery:
    """Base models in scope from listing pages only: explicit ids, each author's top models,
    the Hub's top text-generation models by downloads and trending score; then every GGUF repo
    of each trusted publisher (one listing, a request per page of 1,000), attached to the first
    base model in scope its `base_model:quantized:{id}` tags name (others are ignored)."""
    found = Discovery(endpoint=api.endpoint)

    def add(items: list[dict[str, Any]], subject: str) -> None:
        for m in found.keep_safe(items, subject):
            if _is_base_model(m):
                found.listings.setdefault(m["id"], m)

    for repo_id in scope.models:
        try:
            m = source.list_exact(api, repo_id)
        except Exception as exc:
            found.complete = False
            found.errors.append(classify(repo_id, exc))
            continue
        if m is None:
            found.errors.append(HubError(repo_id, "not_found", "not listed on the Hub"))
        else:
            for safe in found.keep_safe([m], repo_id):
                found.listings.setdefault(safe["id"], safe)
    steps: list[tuple[str, Callable[[], list[dict[str, Any]]]]] = [
        (f"author:{a}", lambda a=a: source.list_author(api, a, scope.per_author)) for a in scope.authors]
    if scope.top_downloads:
        steps.append(("top:downloads", lambda: source.list_top(api, "downloads", scope.top_downloads)))
    if scope.top_trending:
        steps.append(("top:trending", lambda: source.list_top(api, "trendingScore", scope.top_trending)))
    for subject, call in steps:
        try:
            add(call(), subject)
        except Exception as exc:
            found.complete = False
            found.errors.append(classify(subject, exc))
    for publisher in scope.gguf_publishers:
        try:
            found.gguf_listings[publisher] = found.keep_safe(
                source.list_gguf_publisher(api, publisher), f"gguf:{publisher}")
        except Exception as exc:      # this publisher's repos are neither refreshed nor removed
            found.errors.append(classify(f"gguf:{publisher}", exc))
    for items in found.gguf_listings.values():
        for g in items:
            base = next((b for b in source.quantized_bases(g) if b in found.listings), None)
            if base is not None:
                found.derivatives.setdefault(base, []).append(g)
    return found


def run_budget(scope: HubScope, **overrides: Any) -> Budget:
    """A fresh request budget for one run from [hub] settings, installed for every Hub call."""
    return use_budget(Budget(cap=scope.request_cap, reserve=scope.reserve,
                             max_retries=scope.max_retries, timeout=scope.timeout_seconds,
                             backoff=scope.backoff_seconds, jitter=scope.backoff_jitter,
                             **overrides))


def load_watermarks(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], str]:
    """{(repo_id, 'model' | 'gguf'): sha} of every settled repo."""
    rows = con.execute("SELECT repo_id, kind, sha FROM hub_watermarks").fetchall()
    return {(r, k): s for r, k, s in rows}


def fetch_bundle(api: HfApi, repo_id: str, cache_dir: Path, *, listing: dict[str, Any] | None = None,
                 known: dict[tuple[str, str], str] | None = None,
                 derivatives: Iterable[dict[str, Any]] = ()) -> ModelBundle:
    """All Hub I/O for one base model; never raises for a Hub failure (see bundle.errors).

    When the base model is new or its listed sha differs from its watermark: model_info,
    config.json and the per-base GGUF derivative listing (one listing request; it also finds
    builds of untrusted publishers). Otherwise no request for the base model itself.
    `derivatives` are the trusted publishers' GGUF repos that discover() attached to it (from
    listing pages, no request here). A GGUF repo's tree is read only when its listed sha
    differs from its watermark.
    """
    known = known or {}
    bundle = ModelBundle(repo_id, source.model_url(api, repo_id), listing=listing, endpoint=api.endpoint)
    pub_url = source.gguf_publisher_url
    candidates = {g["id"]: GgufRepo(g, source_url=pub_url(api.endpoint, g["id"].split("/")[0]))
                  for g in derivatives}
    listed_sha = (listing or {}).get("sha")
    if listed_sha is None or known.get((repo_id, "model")) != listed_sha:
        try:
            bundle.info = source.fetch_model_info(api, repo_id)
        except Exception as exc:
            bundle.errors.append(classify(repo_id, exc))
            return bundle
        try:
            bundle.config = source.fetch_config(api, repo_id, bundle.info["sha"], cache_dir)
            bundle.config_read = True
        except Exception as exc:
            bundle.errors.append(classify(repo_id, exc))
        try:
            listed, unsafe = source.checked_listing(source.find_gguf_repos(api, repo_id),
                                                    f"{repo_id} (gguf listing)")
            bundle.errors += [classify(problem.subject, problem) for problem in unsafe]
            bundle.gguf_listed, bundle.gguf_listing = not unsafe, listed
        except Exception as exc:      # the base model's watermark waits: the listing is retried
            bundle.errors.append(classify(f"{repo_id} (gguf listing)", exc))
            listed = []
        url = derivative_listing_url(api.endpoint, repo_id)
        for gl in listed:
            candidates.setdefault(gl["id"], GgufRepo(gl, source_url=url))
    for gguf in candidates.values():
        gl = gguf.listing
        if known.get((gl["id"], "gguf")) != gl.get("sha"):
            try:
                gguf.tree = source.fetch_tree(api, gl["id"], gl["sha"])
            except Exception as exc:
                bundle.errors.append(classify(gl["id"], exc))
        bundle.gguf_repos.append(gguf)
    return bundle


def derivative_listing_url(endpoint: str, base: str) -> str:
    return f"{endpoint}/api/models?filter=gguf&filter=base_model:quantized:{base}"


def _last_config(con: duckdb.DuckDBPyConnection, repo_id: str) -> tuple[dict[str, Any] | None, str | None]:
    row = con.execute(     # the config the resolved row was built from (not a quarantined newer one)
        """SELECT r.payload, r.repo_sha FROM raw_hub_responses r
           JOIN hub_models m ON m.repo_id = r.repo_id AND m.config_sha = r.repo_sha
           WHERE r.repo_id = ? AND r.kind = 'config' AND r.payload IS NOT NULL
             AND r.payload::VARCHAR <> 'null'
           ORDER BY r.fetched_at DESC LIMIT 1""", [repo_id]).fetchone()
    if not row:
        return None, None
    import json
    return json.loads(row[0]), row[1]


def _watermark(con: duckdb.DuckDBPyConnection, repo_id: str, kind: str, sha: str,
               last_modified: Any, status: str, run_id: str) -> None:
    store.insert_rows(con, "hub_watermarks", [{
        "repo_id": repo_id, "kind": kind, "sha": sha, "last_modified": last_modified,
        "status": status, "run_id": run_id, "checked_at": store.now()}], replace=True)


def store_bundle(con: duckdb.DuckDBPyConnection, bundle: ModelBundle, run_id: str,
                 trusted: tuple[str, ...] = ()) -> dict[str, int]:
    """Write one model's observations and resolved rows atomically; returns row counts.

    Errors go to source_errors; rows from earlier runs are only replaced by newer good data.
    """
    fetched_at = store.now()
    counts = {"models": 0, "gguf_files": 0, "errors": len(bundle.errors)}
    repo_id = bundle.repo_id
    with store.transaction(con):
        for err in bundle.errors:
            store.record_error(con, run_id=run_id, source="hub", subject=err.subject,
                               error=err.message, error_type=err.kind)
        if bundle.info is None and bundle.listing and bundle.unchanged:
            lst = bundle.listing
            con.execute(
                """UPDATE hub_models SET downloads = ?, likes = ?, trending_score = ?, removed_at = NULL
                   WHERE repo_id = ?""",
                [lst.get("downloads"), lst.get("likes"), lst.get("trending_score"), repo_id])
        if bundle.info is not None:
            _store_model(con, bundle, run_id, fetched_at, counts)
        if bundle.gguf_listed or bundle.gguf_repos:
            _store_ggufs(con, bundle, run_id, fetched_at, trusted, counts)
    return counts


def _store_model(con: duckdb.DuckDBPyConnection, bundle: ModelBundle, run_id: str,
                 fetched_at: Any, counts: dict[str, int]) -> None:
    info, repo_id = bundle.info or {}, bundle.repo_id
    sha = info["sha"]
    store.record_raw(con, run_id=run_id, repo_id=repo_id, repo_sha=sha, kind="model_info",
                     source_url=bundle.source_url, payload=info)
    config, config_sha = bundle.config, sha
    if bundle.config_read:
        store.record_raw(con, run_id=run_id, repo_id=repo_id, repo_sha=sha, kind="config",
                         source_url=f"{bundle.endpoint}/{repo_id}/resolve/{sha}/config.json",
                         payload=bundle.config)
    else:                                 # gated / unreadable now: the last config we had, if any
        config, config_sha = _last_config(con, repo_id)
    gguf = None
    for g in bundle.gguf_repos:
        gguf = gguf or gguf_candidate(g.listing.get("gguf"), g.listing["id"])
    params = resolve_params(info.get("safetensors"), config, gguf)
    provenance = {"source_url": bundle.source_url, "fetched_at": fetched_at, "run_id": run_id}
    row = resolve.model_row(info, config, params, config_sha)
    store.insert_rows(con, "hub_models", [{**row, **provenance, "removed_at": None}], replace=True)
    con.execute("DELETE FROM param_candidates WHERE repo_id = ?", [repo_id])
    store.insert_rows(con, "param_candidates", [
        {**c, "run_id": run_id, "fetched_at": fetched_at}
        for c in resolve.candidate_rows(repo_id, sha, params)])
    rows = attention_rows(repo_id, config)
    if rows:                               # no layout from this run: keep the previous one
        con.execute("DELETE FROM attention_components WHERE repo_id = ?", [repo_id])
        store.insert_rows(con, "attention_components", rows)
    counts["models"] += 1
    transient = [e for e in bundle.errors if e.subject == repo_id and not e.permanent]
    if not transient and bundle.gguf_listed:     # else details and derivative listing next run
        status = next((e.kind for e in bundle.errors if e.subject == repo_id), "ok")
        _watermark(con, repo_id, "model", sha, info.get("last_modified"), status, run_id)


def _store_ggufs(con: duckdb.DuckDBPyConnection, bundle: ModelBundle, run_id: str,
                 fetched_at: Any, trusted: tuple[str, ...], counts: dict[str, int]) -> None:
    base = bundle.repo_id
    if bundle.gguf_listed:
        # the per-base derivative listing ran and completed: derivatives that neither it nor a
        # trusted publisher's listing shows are gone. Without it (base unchanged), the stored
        # derivatives stay; trusted publishers' repos are removed by finish_discovery.
        listing_url = derivative_listing_url(bundle.endpoint, base)
        store.record_raw(con, run_id=run_id, repo_id=base, repo_sha=None, kind="gguf_listing",
                         source_url=listing_url, payload=bundle.gguf_listing)
        listed = {g.listing["id"] for g in bundle.gguf_repos}
        previous = [r[0] for r in con.execute(
            "SELECT gguf_repo_id FROM hub_gguf_repos WHERE base_repo_id = ? AND removed_at IS NULL",
            [base]).fetchall()]
        for gone in set(previous) - listed:
            con.execute("UPDATE hub_gguf_repos SET removed_at = ? WHERE gguf_repo_id = ?", [fetched_at, gone])
    for g in bundle.gguf_repos:
        gl, gid = g.listing, g.listing["id"]
        gguf_meta = gl.get("gguf") or {}
        publisher = gl.get("author") or gid.split("/")[0]
        existing = con.execute("SELECT tree_sha FROM hub_gguf_repos WHERE gguf_repo_id = ?", [gid]).fetchone()
        tree_sha = existing[0] if existing else None
        if g.tree is not None:
            url = f"{bundle.endpoint}/api/models/{gid}/tree/{gl['sha']}?recursive=true"
            store.record_raw(con, run_id=run_id, repo_id=gid, repo_sha=gl["sha"], kind="tree",
                             source_url=url, payload=g.tree)
            rows = resolve.gguf_file_rows(gid, base, gl["sha"], g.tree)
            con.execute("DELETE FROM hub_gguf_files WHERE gguf_repo_id = ?", [gid])
            extra = {"source_url": url, "fetched_at": fetched_at, "run_id": run_id}
            counts["gguf_files"] += store.insert_rows(con, "hub_gguf_files", [{**r, **extra} for r in rows])
            tree_sha = gl["sha"]
            _watermark(con, gid, "gguf", gl["sha"], gl.get("last_modified"), "ok", run_id)
        store.insert_rows(con, "hub_gguf_repos", [{
            "gguf_repo_id": gid, "base_repo_id": base, "publisher": publisher, "sha": gl["sha"],
            "last_modified": gl.get("last_modified"), "downloads": gl.get("downloads"),
            "likes": gl.get("likes"), "trusted_rank": resolve.trusted_rank(publisher, trusted),
            "is_canonical": False, "gguf_total_params": gguf_meta.get("total"),
            "gguf_architecture": gguf_meta.get("architecture"),
            "gguf_context_length": gguf_meta.get("context_length"), "tree_sha": tree_sha,
            "source_url": g.source_url, "fetched_at": fetched_at, "run_id": run_id, "removed_at": None,
        }], replace=True)
    _mark_canonical(con, base)


def _mark_canonical(con: duckdb.DuckDBPyConnection, base: str) -> None:
    repos = con.execute(
        """SELECT r.gguf_repo_id, r.trusted_rank, r.downloads, r.removed_at,
                  EXISTS (SELECT 1 FROM hub_gguf_files f
                          WHERE f.gguf_repo_id = r.gguf_repo_id AND f.quant IS NOT NULL)
           FROM hub_gguf_repos r WHERE r.base_repo_id = ?""", [base]).fetchall()
    canonical = resolve.canonical_gguf([
        {"gguf_repo_id": g, "trusted_rank": t, "downloads": d, "removed_at": rm, "has_quants": q}
        for g, t, d, rm, q in repos])
    con.execute("UPDATE hub_gguf_repos SET is_canonical = coalesce(gguf_repo_id = ?, false)"
                " WHERE base_repo_id = ?",  # no live build left: none is canonical
                [canonical, base])


def finish_discovery(con: duckdb.DuckDBPyConnection, found: Discovery, run_id: str) -> int:
    """Record the scan; after a complete one, mark base models it no longer lists removed.
    Returns how many were marked. A partial scan (a listing failed) removes nothing.

    Likewise per trusted GGUF publisher: after its listing completed, its GGUF repos that the
    listing no longer shows are marked removed (and their base models' canonical build redone);
    a publisher whose listing failed keeps all its repos."""
    removed = 0
    now = store.now()
    with store.transaction(con):
        for err in found.errors:
            store.record_error(con, run_id=run_id, source="hub", subject=err.subject,
                               error=err.message, error_type=err.kind)
        if found.complete:
            live = [r[0] for r in con.execute(
                "SELECT repo_id FROM hub_models WHERE removed_at IS NULL").fetchall()]
            for repo_id in set(live) - set(found.listings) - found.protected:
                con.execute("UPDATE hub_models SET removed_at = ? WHERE repo_id = ?", [now, repo_id])
                con.execute("UPDATE hub_gguf_repos SET removed_at = ? WHERE base_repo_id = ?"
                            " AND removed_at IS NULL", [now, repo_id])
                removed += 1
        gguf_removed, bases = 0, set()
        attached = {g["id"] for items in found.derivatives.values() for g in items}
        for publisher, items in found.gguf_listings.items():
            # repo_id of a publisher listing: the publisher (a per-base listing: the base model).
            # Kept: the entries of repos attached to a base in scope (a publisher lists thousands).
            store.record_raw(con, run_id=run_id, repo_id=publisher, repo_sha=None, kind="gguf_listing",
                             source_url=source.gguf_publisher_url(found.endpoint, publisher),
                             payload=[g for g in items if g["id"] in attached])
            listed = {g["id"] for g in items}
            for gid, base in con.execute(
                    """SELECT gguf_repo_id, base_repo_id FROM hub_gguf_repos
                       WHERE lower(publisher) = lower(?) AND removed_at IS NULL""", [publisher]).fetchall():
                if gid not in listed and gid not in found.protected:
                    con.execute("UPDATE hub_gguf_repos SET removed_at = ? WHERE gguf_repo_id = ?", [now, gid])
                    bases.add(base)
                    gguf_removed += 1
        for base in sorted(bases):
            _mark_canonical(con, base)
        if gguf_removed:
            log.info("hub: %d trusted GGUF repos no longer listed, marked removed", gguf_removed)
        store.insert_rows(con, "hub_scans", [{
            "run_id": run_id, "complete": found.complete, "found": len(found.listings),
            "removed": removed, "scanned_at": now}], replace=True)
    return removed


@dataclass
class RefreshReport:
    found: int
    fetched: list[str]
    unchanged: list[str]
    errors: list[HubError]
    counts: dict[str, int]
    removed: int


def refresh(api: HfApi, con: duckdb.DuckDBPyConnection, scope: HubScope, cache_dir: Path,
            run_id: str) -> RefreshReport:
    """Discover, fetch what changed, store, finish: the whole Hub refresh, sequentially."""
    found = discover(api, scope)
    known = load_watermarks(con)
    counts = {"models": 0, "gguf_files": 0, "errors": 0}
    fetched, unchanged, errors = [], [], list(found.errors)
    for repo_id, listing in found.listings.items():
        bundle = fetch_bundle(api, repo_id, cache_dir, listing=listing, known=known,
                              derivatives=found.derivatives.get(repo_id, ()))
        (unchanged if bundle.info is None and not bundle.errors else fetched).append(repo_id)
        errors += bundle.errors
        for key, n in store_bundle(con, bundle, run_id, scope.gguf_publishers).items():
            counts[key] += n
    removed = finish_discovery(con, found, run_id)
    for err in errors:
        log.warning("hub: %s failed (%s); its last good data is kept", err.subject, err.kind)
    return RefreshReport(len(found.listings), fetched, unchanged, errors, counts, removed)
