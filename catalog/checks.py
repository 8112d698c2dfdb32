"""Data checks run before publishing: each sql/tests/*.sql returns its offending rows.

A row names the subject it belongs to (`quarantine`: 'model:<repo_id>' or 'device:<id>'). Such a
subject is quarantined: its rows in the staged catalogue are replaced by its rows in the
published one (its last good data; none if it was never published), the reason is reported,
and every other subject is published. A row without a subject (a stale source, a check that
cannot even run) is catalogue-wide breakage and blocks the release.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from catalog import store
from catalog.paths import SQL_DIR

# Per subject kind: the resolved tables holding its rows, and the column that names it.
SUBJECT_TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "model": (("hub_models", "repo_id"), ("param_candidates", "repo_id"),
              ("attention_components", "repo_id"), ("hub_gguf_repos", "base_repo_id"),
              ("hub_gguf_files", "base_repo_id")),
    "device": (("devices_curated", "device_id"),),
}
LAST_GOOD = "last_good"
CHECKS_DIR = SQL_DIR / "tests"


@dataclass(frozen=True)
class Violation:
    table: str
    subject: str
    detail: str
    quarantine: str | None          # 'model:<id>' / 'device:<id>', None: catalogue-wide


@dataclass
class CheckResult:
    name: str
    violations: list[Violation] = field(default_factory=list)
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and not self.violations

    @property
    def blocking(self) -> list[str]:
        """What no quarantine can mend: the check's own error, rows without a subject."""
        if self.error:
            return [self.error]
        return [f"{v.table} {v.subject}: {v.detail}" for v in self.violations if v.quarantine is None]


def run_checks(con: duckdb.DuckDBPyConnection, folder: Path | None = None) -> list[CheckResult]:
    results = []
    for file in sorted((folder or CHECKS_DIR).glob("*.sql")):
        result = CheckResult(file.stem)
        try:
            rows = con.execute(file.read_text()).fetchall()
            result.violations = [Violation(str(t), str(s), str(d), q) for t, s, d, q in rows]
        except (duckdb.Error, ValueError) as exc:   # ValueError: a check without its 4 columns
            result.error = f"{type(exc).__name__}: {exc}"
        results.append(result)
    return results


def to_quarantine(results: list[CheckResult]) -> dict[str, list[str]]:
    """{subject: [reasons]} of every violation that names its subject."""
    found: dict[str, list[str]] = {}
    for result in results:
        for v in result.violations:
            if v.quarantine:
                found.setdefault(v.quarantine, []).append(f"{result.name}: {v.table} {v.subject}: {v.detail}")
    return found


def restore_last_good(con: duckdb.DuckDBPyConnection, published: Path, subjects: list[str]) -> None:
    """Replace each subject's rows with the published catalogue's (or remove them if it has none).

    The published file is attached read-only (readers may hold it; a writer never does)."""
    attached = published.exists()
    if attached:
        con.execute(f"ATTACH '{published}' AS {LAST_GOOD} (READ_ONLY)")
    try:
        with store.transaction(con):
            for subject in subjects:
                _restore(con, subject, attached)
    finally:
        if attached:
            con.execute(f"DETACH {LAST_GOOD}")


def _restore(con: duckdb.DuckDBPyConnection, subject: str, attached: bool) -> None:
    kind, _, key = subject.partition(":")
    if kind == "model":
        _restore_watermarks(con, key, attached)
    for table, column in SUBJECT_TABLES[kind]:
        con.execute(f"DELETE FROM {table} WHERE {column} = ?", [key])
        if attached and _has_table(con, table):
            columns = ", ".join(_shared_columns(con, table))
            con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} "
                        f"FROM {LAST_GOOD}.{table} WHERE {column} = ?", [key])


def _restore_watermarks(con: duckdb.DuckDBPyConnection, base: str, attached: bool) -> None:
    """A quarantined model and its GGUF repos get their old watermarks back, so the next run
    reads them again (and quarantines them again while the Hub still serves bad data)."""
    sources = ["hub_gguf_repos"] + ([f"{LAST_GOOD}.hub_gguf_repos"] if attached else [])
    ids = {base} | {r[0] for src in sources for r in con.execute(
        f"SELECT gguf_repo_id FROM {src} WHERE base_repo_id = ?", [base]).fetchall()}
    marks = ", ".join("?" for _ in ids)
    con.execute(f"DELETE FROM hub_watermarks WHERE repo_id IN ({marks})", list(ids))
    if attached:
        columns = ", ".join(_shared_columns(con, "hub_watermarks"))
        con.execute(f"INSERT INTO hub_watermarks ({columns}) SELECT {columns} "
                    f"FROM {LAST_GOOD}.hub_watermarks WHERE repo_id IN ({marks})", list(ids))


def _has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND table_name = ?",
                            [LAST_GOOD, table]).fetchone()[0])


def _shared_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Columns both catalogues have (the published one may predate a migration)."""
    rows = con.execute(
        """SELECT column_name FROM duckdb_columns() WHERE database_name = current_database()
             AND table_name = ? AND column_name IN (SELECT column_name FROM duckdb_columns()
                                                    WHERE database_name = ? AND table_name = ?)
           ORDER BY column_index""", [table, LAST_GOOD, table]).fetchall()
    return [f'"{r[0]}"' for r in rows]
