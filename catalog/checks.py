"""Data checks run before publishing: each sql/tests/*.sql returns its offending rows.

A check that returns rows blocks publishing; its rows are the report. A check that cannot
even run (a missing table, a typo) counts as failed too, never as passed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from catalog.paths import SQL_DIR


@dataclass
class CheckResult:
    name: str
    violations: list[tuple[str, str, str]] = field(default_factory=list)  # (table, subject, detail)
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and not self.violations


def run_checks(con: duckdb.DuckDBPyConnection, folder: Path = SQL_DIR / "tests") -> list[CheckResult]:
    results = []
    for file in sorted(folder.glob("*.sql")):
        result = CheckResult(file.stem)
        try:
            result.violations = [tuple(map(str, row)) for row in con.execute(file.read_text()).fetchall()]
        except duckdb.Error as exc:
            result.error = f"{type(exc).__name__}: {exc}"
        results.append(result)
    return results
