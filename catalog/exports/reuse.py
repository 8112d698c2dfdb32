"""Carry a model's unchanged files over from the previous release instead of rebuilding them.

A model's page and device-fit file are functions of its rows in the catalogue (hashed by the view
`page_inputs`) and of the exporter's code (hashed here). The manifest records that hash per file
(`inputs`). When a model's hash equals the one its previous files were built from, they are
hard-linked into the new release: the same bytes, already validated, with no query, no JSON and
no schema check. A nightly run thus rebuilds only the models that changed; a change to a device,
a runtime profile, the SQL or the exporter changes every hash and rebuilds everything.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from catalog import paths
from catalog.exports.page import SCHEMA_VERSION

# What the per-model files (and their models.json entries) are computed and checked with, besides
# the rows page_inputs hashes: a change to any of these rebuilds every model.
# (folder, pattern): the package's exporter modules, the schemas, the SQL (found in a checkout
# and in an installed wheel alike).
CODE = ((paths.PACKAGE, "exports/render.py"), (paths.PACKAGE, "exports/page/*.py"),
        (paths.PACKAGE, "exports/fmt.py"), (paths.PACKAGE, "exports/slug.py"),
        (paths.PACKAGE, "exports/tables.py"), (paths.PACKAGE, "exports/validate.py"),
        (paths.PACKAGE, "units.py"), (paths.PACKAGE, "slug.py"), (paths.SCHEMA_DIR, "*/*.schema.json"),
        (paths.SQL_DIR, "macros/*.sql"), (paths.SQL_DIR, "views/*.sql"))


@cache
def code_hash() -> str:
    """sha256 over the exporter's code and SQL, and the schema version."""
    h = hashlib.sha256(SCHEMA_VERSION.encode())
    for folder, pattern in CODE:
        for file in sorted(folder.glob(pattern)):
            h.update(f"\0{file.relative_to(folder).as_posix()}\0".encode())
            h.update(file.read_bytes())
    return h.hexdigest()


def model_inputs(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """repo id → the hash its page and device-fit file are built from (code + catalogue rows).

    Computed on one DuckDB thread: on two, the same 10,000-model catalogue gave 246 to 1,720
    models a different page_inputs hash from one query to the next (each of its parts, queried
    alone, was stable; on one thread, none differed), so a nightly release rebuilt pages whose
    rows had not changed (docs/performance.md)."""
    code = code_hash()
    threads = int(con.execute("SELECT current_setting('threads')").fetchone()[0])
    con.execute("SET threads = 1")
    try:
        found = con.execute("SELECT repo_id, inputs_hash FROM page_inputs").fetchall()
    finally:
        con.execute(f"SET threads = {threads}")
    return {rid: hashlib.sha256(f"{code}:{rows}".encode()).hexdigest() for rid, rows in found}


@dataclass(frozen=True)
class Carried:
    """A model's files linked from the previous release, with what the manifest said of them."""
    index_entry: dict[str, Any]
    files: dict[str, dict[str, Any]]   # path → its previous manifest entry (sha256, bytes, rows, inputs)


class PreviousRelease:
    """The published release's manifest and index, to decide what can be carried over."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.files: dict[str, dict[str, Any]] = {}
        self.index: dict[str, dict[str, Any]] = {}
        if folder is None:
            return
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            index = json.loads((folder / "models.json").read_text(encoding="utf-8"))
            if manifest.get("schema_version") != SCHEMA_VERSION:
                return
            self.files = {e["path"]: e for e in manifest["files"]}
            self.index = {e["id"]: e for e in index["models"]}
        except (OSError, ValueError, KeyError, TypeError):
            self.files, self.index = {}, {}   # unreadable: nothing is carried, everything is rebuilt

    def carry(self, repo_id: str, rels: list[str], inputs: str, staging: Path) -> Carried | None:
        """Link rels (the model's page first) into staging if all were built from inputs."""
        entry = self.index.get(repo_id)
        records = [self.files.get(rel) for rel in rels]
        if self.folder is None or entry is None or entry.get("page_path") != rels[0] \
                or any(r is None or r.get("inputs") != inputs for r in records):
            return None
        # rels come from slug.page_paths, safe by construction; resolving every path again
        # (safe_join) was a third of an unchanged night's export (validate_release still does).
        pairs = [(self.folder / rel, staging / rel) for rel in rels]
        if not all(src.is_file() for src, _ in pairs):
            return None
        for src, dst in pairs:
            dst.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(src, dst)
            except OSError:
                shutil.copyfile(src, dst)   # another file system: a copy, still the same bytes
        return Carried(index_entry=entry, files=dict(zip(rels, records, strict=True)))
