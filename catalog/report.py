"""The run report: what a refresh did, for the runs ledger, a Prefect artifact and the terminal."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RunSummary:
    run_id: str
    status: str = "running"
    counts: dict[str, int] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)
    checks: dict[str, int] = field(default_factory=dict)        # check name -> violations (-1: error)
    exports: dict[str, int] = field(default_factory=dict)
    published: bool = False

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
        if self.checks:
            lines += ["", "| data check | violations |", "|---|---|"]
            lines += [f"| {k} | {'error' if v < 0 else v} |" for k, v in sorted(self.checks.items())]
        if self.errors:
            lines += ["", "## Failures", "", "| source | subject | error |", "|---|---|---|"]
            lines += [f"| {e['source']} | {e['subject']} | {e['error'].replace('|', '/')} |"
                      for e in self.errors]
        return "\n".join(lines) + "\n"
