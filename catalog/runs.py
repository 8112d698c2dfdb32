"""The run ledger: every refresh leaves one row in `runs`, however it ends."""

from __future__ import annotations

import json
from typing import Any

import duckdb

from catalog.store import now


def start(con: duckdb.DuckDBPyConnection, run_id: str, flow: str, hub_endpoint: str | None) -> None:
    con.execute(
        "INSERT INTO runs (run_id, flow, started_at, status, hub_endpoint) VALUES (?, ?, ?, 'running', ?)",
        [run_id, flow, now(), hub_endpoint],
    )


def finish(con: duckdb.DuckDBPyConnection, run_id: str, *, status: str, counts: dict[str, Any],
           requests: dict[str, int], errors: list[dict[str, str]]) -> None:
    con.execute(
        "UPDATE runs SET ended_at = ?, status = ?, counts = ?, requests = ?, errors = ? WHERE run_id = ?",
        [now(), status, json.dumps(counts, sort_keys=True), json.dumps(requests, sort_keys=True),
         json.dumps(errors, sort_keys=True), run_id],
    )
