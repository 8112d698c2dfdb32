"""Store: one bundle's observations and resolved rows in one transaction (the flow is the only
writer), watermarks, canonical builds, and what a complete scan lets us mark removed."""

from __future__ import annotations

import json
import logging
from typing import Any

import duckdb

from catalog import store
from catalog.hub import resolve, source
from catalog.hub.attention import attention_rows
from catalog.hub.discover import Discovery
from catalog.hub.fetch import ModelBundle, derivative_listing_url
from catalog.hub.lineage import Alias
from catalog.hub.params import gguf_candidate, resolve_params

log = logging.getLogger(__name__)


def load_watermarks(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], str]:
    """{(repo_id, 'model' | 'gguf'): sha} of every settled repo."""
    rows = con.execute("SELECT repo_id, kind, sha FROM hub_watermarks").fetchall()
    return {(r, k): s for r, k, s in rows}


def load_aliases(con: duckdb.DuckDBPyConnection) -> dict[str, Alias]:
    """{lower-case id: Alias} of every id looked up in an earlier run (cached forever)."""
    rows = con.execute("SELECT alias_key, named, repo_id, base_models FROM hub_aliases").fetchall()
    return {key: Alias(named, repo_id, tuple(bases or ())) for key, named, repo_id, bases in rows}


def _listing_only(con: duckdb.DuckDBPyConnection, repo_id: str, info: dict[str, Any],
                  listing: dict[str, Any] | None) -> dict[str, Any]:
    """trending_score and children_count: `GET /api/models/{id}` leaves them out, so they come
    from this run's listing entry, else from the row we had (never replaced by nothing)."""
    row = con.execute("SELECT trending_score, children_count FROM hub_models WHERE repo_id = ?",
                      [repo_id]).fetchone() or (None, None)
    listing = listing or {}
    values = {}
    for (key, info_key), stored in zip((("trending_score", "trending_score"),
                                        ("children_count", "children_model_count")), row, strict=True):
        for value in (info.get(info_key), listing.get(info_key), stored):
            if value is not None:
                values[key] = value
                break
        else:
            values[key] = None
    return values


def _last_config(con: duckdb.DuckDBPyConnection, repo_id: str) -> tuple[dict[str, Any] | None, str | None]:
    row = con.execute(     # the config the resolved row was built from (not a quarantined newer one)
        """SELECT r.payload, r.repo_sha FROM raw_hub_responses r
           JOIN hub_models m ON m.repo_id = r.repo_id AND m.config_sha = r.repo_sha
           WHERE r.repo_id = ? AND r.kind = 'config' AND r.payload IS NOT NULL
             AND r.payload::VARCHAR <> 'null'
           ORDER BY r.fetched_at DESC LIMIT 1""", [repo_id]).fetchone()
    if not row:
        return None, None
    return json.loads(row[0]), row[1]


def _watermark_row(repo_id: str, kind: str, sha: str, last_modified: Any, status: str,
                   run_id: str) -> dict[str, Any]:
    return {"repo_id": repo_id, "kind": kind, "sha": sha, "last_modified": last_modified,
            "status": status, "run_id": run_id, "checked_at": store.now()}


def _watermark(con: duckdb.DuckDBPyConnection, repo_id: str, kind: str, sha: str,
               last_modified: Any, status: str, run_id: str) -> None:
    store.insert_rows(con, "hub_watermarks",
                      [_watermark_row(repo_id, kind, sha, last_modified, status, run_id)], replace=True)


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
                """UPDATE hub_models SET downloads = ?, likes = ?,
                          trending_score = coalesce(?, trending_score),
                          children_count = coalesce(?, children_count), removed_at = NULL
                   WHERE repo_id = ?""",
                [lst.get("downloads"), lst.get("likes"), lst.get("trending_score"),
                 lst.get("children_model_count"), repo_id])
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
    row = {**resolve.model_row(info, config, params, config_sha),
           **_listing_only(con, repo_id, info, bundle.listing)}
    store.insert_rows(con, "hub_models", [{**row, **provenance, "removed_at": None, "missed_scans": 0}],
                      replace=True)
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
    ids = [g.listing["id"] for g in bundle.gguf_repos] or [""]
    existing = {r[0]: r[1:] for r in con.execute(
        """SELECT gguf_repo_id, tree_sha, gguf_total_params, gguf_architecture, gguf_context_length
           FROM hub_gguf_repos WHERE list_contains(?, gguf_repo_id)""", [ids]).fetchall()}
    repo_rows, file_rows, marks = [], [], []
    for g in bundle.gguf_repos:
        gl, gid = g.listing, g.listing["id"]
        publisher = gl.get("author") or gid.split("/")[0]
        tree_sha, *had = existing.get(gid, (None, None, None, None))
        # `gguf` comes with the derivative listing only (docs/hub.md): else keep what we had
        gguf_meta = gl.get("gguf") or dict(zip(("total", "architecture", "context_length"), had, strict=True))
        if g.tree is not None:
            url = f"{bundle.endpoint}/api/models/{gid}/tree/{gl['sha']}?recursive=true"
            store.record_raw(con, run_id=run_id, repo_id=gid, repo_sha=gl["sha"], kind="tree",
                             source_url=url, payload=g.tree)
            con.execute("DELETE FROM hub_gguf_files WHERE gguf_repo_id = ?", [gid])
            extra = {"source_url": url, "fetched_at": fetched_at, "run_id": run_id}
            file_rows += [{**r, **extra} for r in resolve.gguf_file_rows(gid, base, gl["sha"], g.tree)]
            tree_sha = gl["sha"]
            marks.append(_watermark_row(gid, "gguf", gl["sha"], gl.get("last_modified"), "ok", run_id))
        repo_rows.append({
            "gguf_repo_id": gid, "base_repo_id": base, "publisher": publisher, "sha": gl["sha"],
            "last_modified": gl.get("last_modified"), "downloads": gl.get("downloads"),
            "likes": gl.get("likes"), "trusted_rank": resolve.trusted_rank(publisher, trusted),
            "is_canonical": False, "gguf_total_params": gguf_meta.get("total"),
            "gguf_architecture": gguf_meta.get("architecture"),
            "gguf_context_length": gguf_meta.get("context_length"), "tree_sha": tree_sha,
            "source_url": g.source_url, "fetched_at": fetched_at, "run_id": run_id, "removed_at": None,
            "attached_by": g.attached_by, "attached_via": g.named,
        })
    counts["gguf_files"] += store.insert_rows(con, "hub_gguf_files", file_rows)
    store.insert_rows(con, "hub_watermarks", marks, replace=True)
    store.insert_rows(con, "hub_gguf_repos", repo_rows, replace=True)
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


def finish_discovery(con: duckdb.DuckDBPyConnection, found: Discovery, run_id: str,
                     drop_after_scans: int = 1) -> int:
    """Record the scan and the look-ups it made; after a complete scan, count one more missed
    scan for each tracked base model outside the scope, and mark removed those that have missed
    `drop_after_scans` complete scans in a row (a model back in scope starts again at 0).
    Returns how many were marked. A partial scan (a listing failed) counts and removes nothing.

    Likewise per trusted GGUF publisher: after its listing completed, its GGUF repos that the
    listing no longer shows are marked removed (and their base models' canonical build redone);
    a publisher whose listing failed keeps all its repos."""
    removed = 0
    now = store.now()
    with store.transaction(con):
        for err in found.errors:
            store.record_error(con, run_id=run_id, source="hub", subject=err.subject,
                               error=err.message, error_type=err.kind)
        store.insert_rows(con, "hub_aliases", [{
            "alias_key": a.named.lower(), "named": a.named, "repo_id": a.repo_id,
            "base_models": list(a.base_models), "fetched_at": now, "run_id": run_id,
            "source_url": f"{found.endpoint}/api/models/{a.named}?expand=cardData"}
            for a in found.looked_up], replace=True)
        if found.complete:
            in_scope = [*found.listings, *found.protected] or [""]      # a typed, never-empty list
            con.execute("UPDATE hub_models SET missed_scans = 0 WHERE removed_at IS NULL"
                        " AND list_contains(?, repo_id)", [in_scope])
            con.execute("UPDATE hub_models SET missed_scans = coalesce(missed_scans, 0) + 1"
                        " WHERE removed_at IS NULL AND NOT list_contains(?, repo_id)", [in_scope])
            for (repo_id,) in con.execute(
                    "SELECT repo_id FROM hub_models WHERE removed_at IS NULL AND missed_scans >= ?",
                    [drop_after_scans]).fetchall():
                con.execute("UPDATE hub_models SET removed_at = ? WHERE repo_id = ?", [now, repo_id])
                con.execute("UPDATE hub_gguf_repos SET removed_at = ? WHERE base_repo_id = ?"
                            " AND removed_at IS NULL", [now, repo_id])
                removed += 1
        gguf_removed, bases = 0, set()
        attached = {d.listing["id"] for items in found.derivatives.values() for d in items}
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
