"""The embedded store: open the DuckDB file, apply migrations once, re-create macros and views.

Schema migrations (sql/schema/NNN_*.sql) change tables and are applied exactly once,
recorded in `schema_migrations`. Macros and views hold no data, so they are re-created whenever
their files (or the schema) changed; that keeps them always in step with the SQL files.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import re
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import duckdb

from catalog import store
from catalog.paths import SQL_DIR

_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


class MigrationError(RuntimeError):
    """A migration file is malformed, or one already applied was edited."""


def connect(path: str | Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the catalogue; a writer also gets the current schema, macros and views (a new file
    starts as a copy of this process's empty catalogue)."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            shutil.copyfile(_empty_catalogue(), path)
    con = duckdb.connect(str(path), read_only=read_only)
    if not read_only:
        migrate(con)
        apply_objects(con)
    return con


@functools.cache
def _empty_catalogue() -> Path:
    """A migrated catalogue with every macro and view, built once per process (in a temporary
    folder, removed at exit): binding the views costs ~0.4 s, a copy of the file a millisecond,
    and the test suite and the benchmarks create hundreds of catalogues."""
    folder = Path(tempfile.mkdtemp(prefix="fitcat-empty-catalogue-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "catalog.duckdb"
    con = duckdb.connect(str(path))
    try:
        migrate(con)
        apply_objects(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return path


def migrations(sql_dir: Path = SQL_DIR) -> list[tuple[int, Path]]:
    """The numbered schema files, in order; a badly named file is an error, not skipped."""
    found = []
    for file in sorted((sql_dir / "schema").glob("*.sql")):
        match = _MIGRATION_NAME.match(file.name)
        if not match:
            raise MigrationError(f"{file}: migration files are named NNN_snake_case.sql")
        found.append((int(match.group(1)), file))
    versions = [v for v, _ in found]
    if len(versions) != len(set(versions)):
        raise MigrationError(f"duplicate migration numbers in {sql_dir / 'schema'}")
    return found


def migrate(con: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR) -> list[int]:
    """Apply each migration not yet recorded, each in its own transaction. Returns what ran."""
    con.execute(
        """CREATE TABLE IF NOT EXISTS schema_migrations (
               version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,
               checksum VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"""
    )
    applied = dict(con.execute("SELECT version, checksum FROM schema_migrations").fetchall())
    ran = []
    for version, file in migrations(sql_dir):
        text = file.read_text()
        checksum = hashlib.sha256(text.encode()).hexdigest()
        if version in applied:
            if applied[version] != checksum:
                raise MigrationError(
                    f"{file.name} was edited after it was applied; add a new migration instead"
                )
            continue
        with store.transaction(con):
            con.execute(text)
            con.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)",
                [version, file.name, checksum],
            )
        ran.append(version)
    return ran


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The highest applied migration number (0 for an empty database)."""
    row = con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    return int(row[0]) if row else 0


def apply_objects(con: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR, *, force: bool = False) -> None:
    """Re-create every macro and view, each after the objects it names (`_by_reference`), retrying
    what still fails; skipped (unless `force`) when the catalogue holds these very files' objects.

    A view whose inputs do not exist yet fails to create; so does one that uses a column its input
    gains in this release while the catalogue still holds the input's old definition (a binder
    error), and a table macro over views not created yet (DuckDB binds a macro's body when it is
    created). Such files are retried after the others. The order is found, not hand-maintained,
    and a real error still surfaces when a round makes no progress.

    Binding them costs ~0.3 s (the deep views most), paid by every writer that opens the catalogue;
    so the checksum of the files, the schema version and DuckDB's version is kept in
    `schema_objects` and the files are re-created only when it changes.
    """
    files = [file for folder in ("macros", "views") for file in sorted((sql_dir / folder).glob("*.sql"))]
    h = hashlib.sha256(f"{duckdb.__version__}\0{schema_version(con)}\0".encode())
    for file in files:
        h.update(f"{file.parent.name}/{file.name}\0{file.read_text()}\0".encode())
    con.execute("CREATE TABLE IF NOT EXISTS schema_objects (checksum VARCHAR NOT NULL, "
                "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
    if not force and con.execute("SELECT checksum FROM schema_objects").fetchall() == [(h.hexdigest(),)]:
        return
    _create_in_dependency_order(con, files)
    with store.transaction(con):
        con.execute("DELETE FROM schema_objects")
        con.execute("INSERT INTO schema_objects (checksum) VALUES (?)", [h.hexdigest()])


_CREATED = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?(?:MACRO|VIEW|FUNCTION)\s+(\w+)",
                      re.IGNORECASE)


def _by_reference(files: Iterable[Path]) -> list[Path]:
    """Files ordered so that one naming an object another creates comes after it: the retries
    below then rarely happen (each failed CREATE costs a bind, ~5 ms)."""
    files = list(files)
    texts = {file: re.sub(r"--[^\n]*", "", file.read_text()) for file in files}   # comments aside
    creator = {name.lower(): file for file, text in texts.items() for name in _CREATED.findall(text)}
    uses = {file: {creator[w] for w in set(re.findall(r"\w+", text.lower()))
                   if w in creator and creator[w] != file} for file, text in texts.items()}
    ordered: list[Path] = []

    def visit(file: Path, path: tuple[Path, ...] = ()) -> None:
        if file in ordered or file in path:      # a cycle: left to the retries
            return
        for used in sorted(uses[file]):
            visit(used, (*path, file))
        ordered.append(file)

    for file in files:
        visit(file)
    return ordered


def _create_in_dependency_order(con: duckdb.DuckDBPyConnection, files: Iterable[Path]) -> None:
    pending = _by_reference(files)
    while pending:
        failed: list[tuple[Path, Exception]] = []
        for file in pending:
            try:
                con.execute(file.read_text())
            except (duckdb.CatalogException, duckdb.BinderException) as exc:
                failed.append((file, exc))
        if len(failed) == len(pending):
            file, exc = failed[0]
            raise MigrationError(f"{file}: {exc}") from exc
        pending = [file for file, _ in failed]
