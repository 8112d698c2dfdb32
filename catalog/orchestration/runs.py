"""The run ledger: every refresh leaves one row in `runs`, however it ends.

The `runs` table lives in the catalogue, which a run only publishes when it gets that far. So
each run also appends to a journal beside the catalogue (`<name>.runs.jsonl`): a `start` line
before it touches anything, an `end` line with its whole ledger row when it ends (completed,
failed, blocked, or crashed on an exception). A run killed outright leaves only its `start`.
The next run copies every journal entry its catalogue lacks into `runs` (a start without an
end becomes `crashed`), and `fitcat doctor` reads the journal too, so a crash shows at once.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from catalog.files import atomic_write
from catalog.orchestration.report import RunSummary
from catalog.store import now

FINAL = ("completed", "failed", "crashed")
LEDGER_JSON = ("counts", "requests", "errors", "changes", "checks")


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


def journal_path(db: Path) -> Path:
    return db.with_name(f"{db.stem}.runs.jsonl")


@dataclass
class Journal:
    """Append-only run events beside the catalogue (one JSON object per line, fsynced)."""

    path: Path

    def _append(self, event: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(event, sort_keys=True, default=str) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def started(self, run_id: str, flow: str, hub_endpoint: str | None) -> None:
        self._append({"event": "start", "run_id": run_id, "flow": flow, "hub_endpoint": hub_endpoint,
                      "started_at": now().isoformat(), "pid": os.getpid()})

    def ended(self, summary: RunSummary) -> None:
        """The run's whole ledger row; best effort (a full disk may refuse it: the `start`
        line then stands, and the run is recorded as crashed)."""
        with contextlib.suppress(OSError):
            self._append({"event": "end", "run_id": summary.run_id, "status": summary.status,
                          "ended_at": now().isoformat(), "published": summary.published,
                          **{k: getattr(summary, k) for k in LEDGER_JSON}})

    def runs(self) -> dict[str, dict[str, Any]]:
        """{run_id: ledger row} of every run in the journal, oldest first."""
        found: dict[str, dict[str, Any]] = {}
        if not self.path.exists():
            return found
        for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue                 # a line cut short by a crash
            row = found.setdefault(event.get("run_id", "?"), {"status": "crashed", "errors": [{
                "source": "run", "subject": "run",
                "error": "ended without a report (killed, or the machine stopped)"}]})
            row.update({k: v for k, v in event.items() if k not in ("event", "pid")})
            if event.get("event") == "start":
                row["status"] = "crashed"      # until its end line says otherwise
        return found

    def forget(self, run_ids: set[str]) -> None:
        """Drop the entries of these runs (recorded in a published catalogue), atomically."""
        if not self.path.exists():
            return
        keep = [line for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines()
                if _run_of(line) not in run_ids]
        atomic_write(self.path, "".join(line + "\n" for line in keep))


def _run_of(line: str) -> str | None:
    try:
        return json.loads(line).get("run_id")
    except (json.JSONDecodeError, AttributeError):
        return None


def unrecorded(con: duckdb.DuckDBPyConnection, journal: Journal) -> list[dict[str, Any]]:
    """Journal runs that this catalogue has no final row for (newest last)."""
    final = {r[0] for r in con.execute(
        "SELECT run_id FROM runs WHERE status IN ('completed', 'failed', 'crashed')").fetchall()}
    return [{"run_id": rid, **row} for rid, row in journal.runs().items() if rid not in final]


def record_unrecorded(con: duckdb.DuckDBPyConnection, journal: Journal, current: str) -> list[str]:
    """Copy the journal's runs that this catalogue lacks into `runs`; returns their ids."""
    done = []
    for row in unrecorded(con, journal):
        if row["run_id"] == current:
            continue
        con.execute("DELETE FROM runs WHERE run_id = ?", [row["run_id"]])
        con.execute(
            """INSERT INTO runs (run_id, flow, started_at, ended_at, status, hub_endpoint, counts, requests,
                                 errors, changes, checks) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [row["run_id"], row.get("flow") or "nightly-refresh",
             _ts(row.get("started_at")) or _ts(row.get("ended_at")) or now(),
             _ts(row.get("ended_at")), row.get("status") or "crashed", row.get("hub_endpoint"),
             *(json.dumps(row.get(k) or ({} if k != "errors" else []), sort_keys=True) for k in LEDGER_JSON)])
        done.append(row["run_id"])
    return done


def _ts(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None
