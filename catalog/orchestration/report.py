"""The run report: what a refresh did, for the runs ledger, a Prefect artifact and the terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from rich.console import Console
from rich.progress import track as rich_track
from rich.table import Table

T = TypeVar("T")


def progress(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """A rich progress bar on an interactive terminal; plain iteration in logs and CI."""
    if sys.stderr.isatty():
        yield from rich_track(items, description=description, total=total,
                              console=Console(stderr=True), transient=True)
    else:
        yield from items


@dataclass
class RunSummary:
    run_id: str
    status: str = "running"
    counts: dict[str, int] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)
    checks: dict[str, int] = field(default_factory=dict)        # check name -> violations (-1: error)
    exports: dict[str, int] = field(default_factory=dict)
    changes: dict[str, int] = field(default_factory=dict)      # what changes.json lists, counted
    published: bool = False
    environment: str | None = None        # a crash the machine caused (disk full, read-only, ...)

    def add(self, key: str, n: int) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def fail(self, source: str, subject: str, error: Any) -> None:
        self.errors.append({"source": source, "subject": subject, "error": str(error)[:300]})

    def markdown(self) -> str:
        """The report as Markdown (a Prefect artifact)."""
        lines = [f"# nightly-refresh {self.run_id}", "", f"**Status:** {self.status}; "
                 f"published: {'yes' if self.published else 'no'}", "", "| what | count |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in sorted(self.counts.items())]
        lines += [f"| requests: {k} | {v} |" for k, v in sorted(self.requests.items())]
        lines += [f"| changed: {k} | {v} |" for k, v in sorted(self.changes.items()) if v] or (
            ["| changed | nothing |"] if self.published else [])
        if self.checks:
            lines += ["", "| data check | violations |", "|---|---|"]
            lines += [f"| {k} | {'error' if v < 0 else v} |" for k, v in sorted(self.checks.items())]
        if self.errors:
            lines += ["", "## Failures", "", "| source | subject | error |", "|---|---|---|"]
            lines += [f"| {e['source']} | {e['subject']} | {e['error'].replace('|', '/')} |"
                      for e in self.errors]
        return "\n".join(lines) + "\n"


def summary_table(summary: RunSummary) -> Table:
    """The run's end-of-job table for the terminal."""
    table = Table(title=f"nightly-refresh {summary.run_id}: {summary.status}"
                        f"{'' if summary.published else ' (nothing published)'}")
    table.add_column("what")
    table.add_column("count", justify="right")
    for key, value in sorted(summary.counts.items()):
        table.add_row(key, str(value))
    for key, value in sorted(summary.requests.items()):
        table.add_row(f"requests: {key}", str(value))
    for key, value in sorted(summary.changes.items()):
        if value:
            table.add_row(f"changed: {key}", str(value))
    if summary.published and not any(summary.changes.values()):
        table.add_row("changed", "nothing")
    for key, value in sorted(summary.exports.items()):
        table.add_row(f"exported: {key}", str(value))
    table.add_row("failures", str(len(summary.errors)))
    return table
