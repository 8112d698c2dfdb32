"""The run ledger: every refresh leaves one row in `runs`, however it ends."""

from __future__ import annotations

import json

import duckdb

from catalog.orchestration.report import RunSummary
from catalog.store import now


def start(con: duckdb.DuckDBPyConnection, run_id: str, flow: str, hub_endpoint: str | None) -> None:
    con.execute(
        "INSERT INTO runs (run_id, flow, started_at, status, hub_endpoint) VALUES (?, ?, ?, 'running', ?)",
        [run_id, flow, now(), hub_endpoint],
    )


def finish(con: duckdb.DuckDBPyConnection, summary: RunSummary) -> None:
    """Close the run's ledger row with everything its report says."""
    con.execute(
        """UPDATE runs SET ended_at = ?, status = ?, counts = ?, requests = ?, errors = ?, changes = ?,
                  checks = ? WHERE run_id = ?""",
        [now(), summary.status, *(json.dumps(part, sort_keys=True) for part in (
            summary.counts, summary.requests, summary.errors, summary.changes, summary.checks)),
         summary.run_id],
    )
