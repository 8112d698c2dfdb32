"""Build a release in a staging folder, validate it, then swap it in atomically.

Layout under the exports root (see exports/README.md):

    releases/.staging-<run_id>/   being built (removed on failure; a killed run leaves it, the next
                                  run, holding the export lock, deletes it)
    releases/<run_id>/            a complete, validated release (the last 3 published are kept)
    latest -> releases/<run_id>   symlink, replaced with os.replace (readers never see a mix)

Incremental: a model's page and device-fit file are rebuilt only when the hash of what they are
computed from changed (catalog/exports/reuse.py); otherwise the previous release's files are
hard-linked in, and their checksums come from its manifest. The models to rebuild are computed in
batches, so device_fit is evaluated only for them.

Determinism: pages whose content (everything but `generated_at` and `provenance.fetched_at`) is
unchanged are copied byte for byte from the previous release, so their `generated_at` is the time
of their last content change. changes.json is likewise carried over when the content of the
whole set is unchanged. Only manifest.json names the run.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from catalog import paths as catalog_paths
from catalog.exports import changes as changes_mod
from catalog.exports import reuse, validate
from catalog.exports.fmt import dumps
from catalog.exports.page import PAGE_FIT_COLUMNS, SCHEMA_VERSION, PageRows, read_pages_rows
from catalog.exports.render import Rendered, Renderer, Submit, default_workers, load_json
from catalog.exports.slug import page_paths, safe_join
from catalog.exports.tables import DEVICE_FIT_COLUMNS, FIT_ORDER, fit_path, write_model_fit, write_tables
from catalog.files import atomic_write
from catalog.orchestration.staging import PublishBlocked

KEEP_RELEASES = 3
MAX_MODEL_DROP = 0.20
RELEASES = "releases"
LATEST = "latest"
STAGING_PREFIX = ".staging-"
CONTENT_EXCLUDED = ("changes.json", "manifest.json")
FIT_BATCH = 100   # models whose device_fit rows are computed together (≈1.5M rows at 300 devices)


class ExportRefused(PublishBlocked):
    """The new set failed validation or a sanity check; the published set is left as it was."""


@dataclass
class ExportResult:
    run_id: str
    release: Path
    published: bool
    changed: bool
    content_sha256: str
    rows: dict[str, int] = field(default_factory=dict)
    changes: dict[str, int] = field(default_factory=dict)   # this run's changes, counted ({}: none)
    skipped: list[str] = field(default_factory=list)     # models without a page, and why
    carried: int = 0                                      # models whose files the previous release had

    def summary_rows(self) -> dict[str, int]:
        """Rows of the top-level files, plus the page count (for the run report)."""
        out = {k: v for k, v in self.rows.items() if "/" not in k}
        out["models/*.json"] = sum(1 for k in self.rows if k.startswith("models/"))
        out["device_fit/*.parquet"] = sum(v for k, v in self.rows.items() if k.startswith("device_fit/"))
        return out


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def published_release(root: Path) -> Path | None:
    """The folder `latest` points to, if it is a complete release (has a manifest)."""
    link = root / LATEST
    if not link.is_symlink():
        return None
    target = (root / os.readlink(link)).resolve()
    return target if (target / "manifest.json").is_file() else None


def _generated_at(release: Path) -> str:
    manifest = load_json(release / "manifest.json") or {}
    return str(manifest.get("generated_at", ""))


def clean_leftovers(root: Path) -> list[Path]:
    """Remove what a killed run can leave: staging folders, temp symlinks, unpublished releases."""
    removed = []
    releases = root / RELEASES
    current = published_release(root)
    for tmp in root.glob(".latest-*"):
        tmp.unlink(missing_ok=True)
        removed.append(tmp)
    if not releases.is_dir():
        return removed
    current_time = _generated_at(current) if current else ""
    for entry in sorted(releases.iterdir()):
        if entry.name.startswith(".rejected-"):
            continue  # kept for inspection (only the newest), see _prune
        if not entry.name.startswith(STAGING_PREFIX):
            if current is not None and entry.resolve() == current:
                continue
            earlier = _generated_at(entry)
            if current is not None and earlier and earlier < current_time:
                continue  # an earlier published release, kept for readers still on it
        # a staging folder, or a release that was never swapped in (killed before the swap)
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed


def _prune(root: Path, keep: int = KEEP_RELEASES) -> None:
    releases = root / RELEASES
    current = published_release(root)
    done = [p for p in releases.iterdir() if not p.name.startswith(".") and (p / "manifest.json").is_file()]
    done.sort(key=lambda p: (_generated_at(p), p.name), reverse=True)
    kept = [p for p in done if p == current][:1] + [p for p in done if p != current]
    for old in kept[keep:]:
        shutil.rmtree(old, ignore_errors=True)
    rejected = sorted(releases.glob(".rejected-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in rejected[1:]:
        shutil.rmtree(old, ignore_errors=True)


def _content_sha(files: dict[str, Path], known: dict[str, dict[str, Any]] | None = None) -> str:
    """One hash over every file's path and sha256 (known: checksums already in a manifest)."""
    known = known or {}
    h = hashlib.sha256()
    for rel in sorted(files):
        if rel in CONTENT_EXCLUDED:
            continue
        sha = known[rel]["sha256"] if "sha256" in known.get(rel, {}) else _sha256(files[rel])
        h.update(f"{rel}\0{sha}\n".encode())
    return h.hexdigest()


def _csv_rows(path: Path) -> int:
    with open(path, newline="", encoding="utf-8") as fh:
        return max(0, sum(1 for _ in csv.reader(fh)) - 1)


@contextlib.contextmanager
def fit_batch(con: duckdb.DuckDBPyConnection, repo_ids: list[str]) -> Iterator[dict[str, int]]:
    """device_fit for these models only, as a temp table shadowing the view (the filter reaches
    model_quant_memory, so the cost is per model, whatever the size of the catalogue).

    Yields each model's position in the batch, stored with its rows (`batch_pos`): a model's
    device-fit file filters on that integer, whose zone maps skip every other model's rows. Repo
    ids cannot do that (DuckDB keeps 8-byte prefixes as string statistics, and the ids of a batch
    share their publisher's): filtering on them scanned the whole batch, 11 of a file's 35 ms of
    CPU. The table is sorted once on the position and the files' row order, so each file is a
    range read in order rather than a sort of its own; it holds only the columns the files and
    pages read, without which that sort costs more than it saves (docs/performance.md)."""
    columns = ", ".join(dict.fromkeys([*DEVICE_FIT_COLUMNS, *PAGE_FIT_COLUMNS]))
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE device_fit AS "
                    f"SELECT list_position($ids, repo_id) AS batch_pos, {columns} FROM main.device_fit "
                    f"WHERE list_contains($ids, repo_id) ORDER BY batch_pos, {FIT_ORDER}", {"ids": repo_ids})
        yield {rid: pos for pos, rid in enumerate(repo_ids, 1)}
    finally:
        con.execute("DROP TABLE IF EXISTS temp.device_fit")


def rebuild_models(con: duckdb.DuckDBPyConnection, repo_ids: list[str], paths: dict[str, str], staging: Path,
                   previous: Path | None, now: str, workers: int | None = None, submit: Submit | None = None,
                   ) -> tuple[list[Rendered], dict[str, int], list[str]]:
    """Write these models' device-fit files and pages into staging.

    device_fit is computed for FIT_BATCH models at a time; rows are read here, pages assembled,
    written and checked by `workers` processes (default: one per core when there are many), or by
    whatever `submit` hands them to (the flow's Dask cluster).
    Returns the rendered pages, rows per device-fit file, and the models without a page (why).
    """
    fit_rows: dict[str, int] = {}
    skipped: list[str] = []
    with Renderer(default_workers(len(repo_ids)) if workers is None else workers, submit) as renderer:
        for start in range(0, len(repo_ids), FIT_BATCH):
            batch = repo_ids[start:start + FIT_BATCH]
            with fit_batch(con, batch) as positions:
                found = read_pages_rows(con, batch)
                for rid in batch:
                    page_rows = found.get(rid)
                    if not isinstance(page_rows, PageRows):   # in the analyst CSVs, no page until facts exist
                        skipped.append(str(page_rows or f"{rid}: not in the catalogue"))
                        continue
                    fit = fit_path(paths[rid])
                    fit_rows[fit] = write_model_fit(con, rid, positions[rid], safe_join(staging, fit))
                    renderer.submit(page_rows, paths[rid], staging, previous, now)
        return renderer.results(), fit_rows, skipped


@dataclass
class Built:
    """What build_release wrote into staging, for validation and the manifest."""
    rows: dict[str, int]                  # rows per file
    changes: dict[str, Any]               # the changes document
    skipped: list[str]                    # models left without a page, and why
    ledger: dict[str, dict[str, Any]]     # per-model files: inputs; carried: the previous entry
    problems: list[str]                   # of the pages built (checked as they were written)

    def trusted(self) -> set[str]:
        """Per-model files already checked: carried over, or pages checked as they were written."""
        return {path for path, known in self.ledger.items() if "sha256" in known or known.get("checked")}

    def carried(self) -> int:
        return sum(1 for path, known in self.ledger.items()
                   if path.startswith("models/") and "sha256" in known)


def build_release(con: duckdb.DuckDBPyConnection, staging: Path, previous: Path | None,
                  now: str, workers: int | None = None, submit: Submit | None = None) -> Built:
    """Write every file of a release into staging: the analyst CSVs, then per model its page
    and device-fit file (carried over when its inputs are unchanged, else rebuilt, the pages
    assembled and checked by `workers` processes), models.json and changes.json."""
    rows = write_tables(con, staging)
    ids = [r[0] for r in con.execute("SELECT repo_id FROM models ORDER BY repo_id").fetchall()]
    paths = page_paths(ids)
    inputs = reuse.model_inputs(con)
    before = reuse.PreviousRelease(previous)
    index: dict[str, dict[str, Any]] = {}
    ledger: dict[str, dict[str, Any]] = {}
    todo: list[str] = []
    problems: list[str] = []
    for rid in ids:
        rel = paths[rid]
        carried = before.carry(rid, [rel, fit_path(rel)], inputs[rid], staging)
        if carried is None:
            todo.append(rid)
            continue
        index[rid] = carried.index_entry
        ledger.update(carried.files)
        rows.update({path: entry["rows"] for path, entry in carried.files.items()})
    results, fit_rows, skipped = rebuild_models(con, todo, paths, staging, previous, now, workers, submit)
    rows.update(fit_rows)
    for done in results:
        rel = paths[done.repo_id]
        index[done.repo_id], rows[rel] = done.index_entry, done.quants
        problems += done.problems
        ledger[rel] = {"inputs": inputs[done.repo_id], "checked": True}
        ledger[fit_path(rel)] = {"inputs": inputs[done.repo_id]}
    entries = [index[rid] for rid in ids if rid in index]
    atomic_write(staging / "models.json", dumps({"schema_version": SCHEMA_VERSION, "models": entries}))
    rows["models.json"] = len(entries)

    shutil.copytree(validate.SCHEMA_DIR / validate.SCHEMA_MAJOR, staging / "schema" / validate.SCHEMA_MAJOR)
    # The formulas and accuracy behind every figure, for sites built from the release alone
    # (a page's provenance.methodology names it; `fitcat site` renders it).
    shutil.copyfile(catalog_paths.METHODOLOGY, staging / validate.METHODOLOGY)
    files = {p.relative_to(staging).as_posix(): p for p in staging.rglob("*") if p.is_file()}
    content = _content_sha(files, ledger)
    prev_manifest = load_json(previous / "manifest.json") if previous else None
    if prev_manifest and prev_manifest.get("content_sha256") == content \
            and (previous / "changes.json").is_file():
        shutil.copyfile(previous / "changes.json", staging / "changes.json")
        doc = json.loads((staging / "changes.json").read_text(encoding="utf-8"))
    else:
        doc = changes_mod.changes_document(
            previous, staging, generated_at=now,
            from_content=prev_manifest.get("content_sha256") if prev_manifest else None, to_content=content)
        atomic_write(staging / "changes.json", dumps(doc))
    rows["changes.json"] = changes_mod.count(doc)
    return Built(rows, doc, skipped, ledger, problems)


def write_manifest(staging: Path, run_id: str, now: str, rows: dict[str, int], changed: bool,
                   ledger: dict[str, dict[str, Any]] | None = None) -> dict:
    """manifest.json, written last; checksums of carried files come from the ledger."""
    ledger = ledger or {}
    files = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())
    entries = []
    for rel in files:
        if rel == "manifest.json":
            continue
        path = staging / rel
        known = ledger.get(rel, {})
        n = rows.get(rel)
        if n is None and rel.endswith(".csv"):
            n = _csv_rows(path)
        if "sha256" in known:   # carried: the same inode as the previous release's file
            entry = {"path": rel, "sha256": known["sha256"], "bytes": known["bytes"], "rows": n}
        else:
            entry = {"path": rel, "sha256": _sha256(path), "bytes": path.stat().st_size, "rows": n}
        if "inputs" in known:
            entry["inputs"] = known["inputs"]
        entries.append(entry)
    manifest = {
        "run_id": run_id, "schema_version": SCHEMA_VERSION, "generated_at": now,
        "content_sha256": _content_sha({e["path"]: staging / e["path"] for e in entries}, ledger),
        "changed": changed, "files": entries,
    }
    path = staging / "manifest.json"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(dumps(manifest))
        fh.flush()
        os.fsync(fh.fileno())
    return manifest


def _swap(root: Path, release: Path, run_id: str) -> None:
    tmp = root / f".latest-{run_id}"
    tmp.unlink(missing_ok=True)
    os.symlink(os.path.relpath(release, root), tmp)
    os.replace(tmp, root / LATEST)
    dir_fd = os.open(root, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


# The views a release reads, with the key their readers filter on. During an export each is
# materialized once as a temp table of the same name (temp objects shadow the views), sorted so a
# page's `WHERE repo_id = ?` reads only its own row groups: without it, every page recomputed
# catalogue-wide views, and page time grew with the catalogue (docs/performance.md). device_fit is
# not among them: 150M rows at 10,000 models; it is computed per batch of rebuilt models (fit_batch).
# gguf_builds and quant_bits come first: catalogue-wide inputs of model_quant_memory (every build,
# medians over all of them) that a batch's repo filter cannot reach; unmaterialized, each batch of
# 100 recomputed them (at 10,000 models, 4.0 s of CPU per batch's device_fit instead of 2.3 s).
MATERIALIZED = {"gguf_builds": "repo_id", "quant_bits": "quant",
                "models": "repo_id", "quantizations": "repo_id", "context_memory": "repo_id",
                "devices": "device_id", "gguf_files": "base_repo_id"}


@contextlib.contextmanager
def materialized(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Compute the exported views once for this connection; drop the copies afterwards."""
    try:
        for view, key in MATERIALIZED.items():
            con.execute(f"CREATE OR REPLACE TEMP TABLE {view} AS SELECT * FROM main.{view} ORDER BY {key}")
        yield
    finally:
        for view in MATERIALIZED:
            con.execute(f"DROP TABLE IF EXISTS temp.{view}")


def publish_exports(con: duckdb.DuckDBPyConnection, root: Path, run_id: str, *, force: bool = False,
                    workers: int | None = None, submit: Submit | None = None) -> ExportResult:
    """Build, validate and publish a release under root; raise ExportRefused instead of publishing
    a set that fails its schemas or sanity checks (the published set is then left untouched).

    workers: processes assembling pages (default: one per core when there are many to rebuild);
    submit: hand pages to this instead (`submit(render, *args)` -> a future; the flow's Dask tasks)."""
    if not run_id or "/" in run_id or run_id.startswith("."):
        raise ValueError(f"bad run id {run_id!r}")
    root = Path(root)
    (root / RELEASES).mkdir(parents=True, exist_ok=True)
    clean_leftovers(root)
    previous = published_release(root)
    staging = root / RELEASES / f"{STAGING_PREFIX}{run_id}"
    release = root / RELEASES / run_id
    if release.exists():
        raise ValueError(f"release {release} already exists")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        return _publish(con, root, run_id, staging, release, previous, force, workers, submit)
    except BaseException:            # a full disk is not left full: the partial set goes at once
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _publish(con: duckdb.DuckDBPyConnection, root: Path, run_id: str, staging: Path, release: Path,
             previous: Path | None, force: bool, workers: int | None, submit: Submit | None) -> ExportResult:
    now = utc_now()
    with materialized(con):
        built = build_release(con, staging, previous, now, workers, submit)
    rows = built.rows
    problems = built.problems + validate.validate_release(staging, trusted=built.trusted())
    prev_manifest = load_json(previous / "manifest.json") if previous else None
    if prev_manifest and not force:
        before = next((f["rows"] for f in prev_manifest["files"] if f["path"] == "models.json"), None)
        after = rows["models.json"]
        if before and after < before * (1 - MAX_MODEL_DROP):
            problems.append(f"model count dropped from {before} to {after} (more than "
                            f"{MAX_MODEL_DROP:.0%}); publish with force=True if intended")
    content = _content_sha({p.relative_to(staging).as_posix(): p for p in staging.rglob("*") if p.is_file()},
                           built.ledger)
    changed = not (prev_manifest and prev_manifest.get("content_sha256") == content)
    if problems:
        rejected = root / RELEASES / f".rejected-{run_id}"
        os.replace(staging, rejected)
        _prune(root)
        raise ExportRefused(f"exports not published ({len(problems)} problem(s), set kept in {rejected}): "
                            + "; ".join(problems[:5]))
    write_manifest(staging, run_id, now, rows, changed, built.ledger)
    os.rename(staging, release)
    _swap(root, release, run_id)
    _prune(root)
    return ExportResult(run_id=run_id, release=release, published=True, changed=changed,
                        content_sha256=content, rows=rows,
                        changes=built.changes["counts"] if changed else {},
                        skipped=built.skipped, carried=built.carried())
