"""Opening the catalogue for a command: read-only, never migrated, with a message that says what to
do when it is missing, locked, not a catalogue, or built by another fitcat version."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

import duckdb

from catalog import db, paths
from catalog.commands.errors import LOCKED, USAGE, CliError

# Views a catalogue built by `fitcat refresh` / `make demo` always has.
REQUIRED_VIEWS = ("models", "quantizations", "devices", "device_fit")
BUILD_ONE = "run `fitcat refresh` or `make demo` to build one"


def db_file(args: argparse.Namespace) -> Path:
    return paths.db_path(getattr(args, "db", None))


def open_db(args: argparse.Namespace, *, sealed: bool = False, same_version: bool = True,
            writable_folder: Path | None = None) -> duckdb.DuckDBPyConnection:
    """The catalogue, read-only. `sealed`: nothing outside it either (no file read or written, no
    extension, no other database: DuckDB's enable_external_access off, then configuration locked),
    except `writable_folder` (allowed_directories), a private folder for exact output.
    `same_version`: refuse a catalogue another fitcat version built (its views may not match)."""
    path = db_file(args)
    if path.is_dir():
        raise CliError(f"--db {path} is a folder, not a catalogue file: point it at a catalog.duckdb", USAGE)
    if not path.exists():
        raise CliError(f"no catalogue at {path}: {BUILD_ONE} (or point --db / FITCAT_DB at one)", USAGE)
    try:
        con = db.connect(path, read_only=True)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            holder = re.search(r"held in (.+?)(?:\. See also|$)", text)
            who = f" by {holder.group(1).strip()}" if holder else ""
            raise CliError(f"the catalogue {path} is locked{who}: a writer (probably `fitcat refresh`) "
                           "has it open. Wait for it to finish and retry.", LOCKED) from exc
        raise CliError(f"cannot open {path} ({text.splitlines()[0]}): point --db at a catalogue, or "
                       f"{BUILD_ONE}", USAGE) from exc
    except duckdb.Error as exc:
        raise CliError(f"{path} is not a DuckDB catalogue: {BUILD_ONE}", USAGE) from exc
    try:
        _check(con, path, same_version)
        if sealed:
            if writable_folder is not None:
                con.execute("SET allowed_directories = $dirs", {"dirs": [f"{writable_folder}/"]})
            con.execute("SET enable_external_access = false")
            con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def check_target(path: Path) -> None:
    """Before a refresh writes `path`: absent, or a catalogue (or empty DuckDB file) it may update.
    A text file or another application's database is refused, untouched."""
    if not path.exists():
        return
    if not path.is_file():
        raise CliError(f"--db {path} is not a file: point it at a catalogue file", USAGE)
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            return            # a writer holds it: the run lock reports who, with its own exit code
        raise CliError(f"--db {path} is not a DuckDB file: refusing to overwrite it; {BUILD_ONE} "
                       "elsewhere", USAGE) from exc
    except duckdb.Error as exc:
        raise CliError(f"--db {path} is not a DuckDB file: refusing to overwrite it", USAGE) from exc
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    finally:
        con.close()
    if tables and "schema_migrations" not in tables:
        raise CliError(f"--db {path} is a DuckDB database but not a fitcat catalogue ({len(tables)} "
                       "tables of something else): refusing to change it", USAGE)


def _check(con: duckdb.DuckDBPyConnection, path: Path, same_version: bool) -> None:
    views = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_type = 'VIEW'").fetchall()}
    missing = [v for v in REQUIRED_VIEWS if v not in views]
    if missing:
        raise CliError(f"{path} is not a fitcat catalogue (no {', '.join(missing)} view): {BUILD_ONE}", USAGE)
    have, code = db.schema_version(con), max((v for v, _ in db.migrations()), default=0)
    if same_version and have != code:
        newer = "an older" if have < code else "a newer"
        raise CliError(f"{path} was built by {newer} fitcat (schema {have}, this one knows {code}): run "
                       "`fitcat refresh` or `make demo` to rebuild it with this version", USAGE)


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params) if params is not None else con.execute(sql)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def query(args: argparse.Namespace, sql: str, params: Any = None) -> list[dict[str, Any]]:
    """Open the catalogue read-only, run one query, close: the listing commands' whole I/O."""
    con = open_db(args)
    try:
        return rows(con, sql, params)
    finally:
        con.close()
