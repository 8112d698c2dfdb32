"""Popularity: how common a device is, so device lists name the cards people own first.

Consumer GPUs carry a published Steam Hardware & Software Survey share (popularity.csv, each row
with its survey month and the URL it was read from). A device no survey covers gets its
segment's default below: an ordering value, not a measurement, set under the smallest surveyed
share so every surveyed card comes first. The `devices` view exposes `popularity`,
`popularity_source` and `popularity_rank` (1 = most common); "which consumer GPUs can run X"
lists order by `popularity_rank` (SQL) or `by_popularity` (Python).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

POPULARITY_CSV = Path(__file__).with_name("popularity.csv")

# Ordering defaults (percent-like), below any surveyed share (the smallest used is 0.22 %).
SEGMENT_DEFAULTS: dict[str, tuple[float, str]] = {
    "consumer": (0.05, "unsurveyed consumer GPU or SoC: after every surveyed card"),
    "mac": (0.05, "Macs: Steam reports no per-chip share; level with unsurveyed consumer devices"),
    "workstation": (0.02, "workstation cards: owned by professionals, rarer than consumer cards"),
    "edge": (0.01, "Jetson-class modules"),
    "datacenter": (0.01, "data-centre GPUs: rented more than owned"),
    "system": (0.005, "multi-GPU systems and racks: last"),
}


class PopularityError(ValueError):
    """popularity.csv breaks a rule (unknown device, share out of range, missing source)."""


@dataclass(frozen=True)
class Share:
    device_id: str
    share_pct: float
    survey: str
    survey_date: date
    source_url: str
    notes: str | None


def load_popularity(device_ids: Iterable[str], path: Path = POPULARITY_CSV) -> list[Share]:
    """Read and validate the survey shares against the registry's ids."""
    known = set(device_ids)
    shares: list[Share] = []
    with path.open(newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            if row["device_id"] not in known:
                raise PopularityError(f"line {line}: unknown device_id {row['device_id']!r}")
            if not row["source_url"].startswith("https://"):
                raise PopularityError(f"line {line}: source_url must be an https URL")
            share = float(row["share_pct"])
            if not 0 <= share <= 100:
                raise PopularityError(f"line {line}: share_pct {share} outside 0..100")
            shares.append(Share(row["device_id"], share, row["survey"],
                                date.fromisoformat(row["survey_date"]), row["source_url"],
                                row.get("notes") or None))
    if len({s.device_id for s in shares}) != len(shares):
        raise PopularityError("a device_id appears twice")
    return shares


def sync_popularity(con: duckdb.DuckDBPyConnection, shares: list[Share], run_id: str,
                    now: datetime) -> None:
    """Replace the survey shares and the segment defaults (both are curated files)."""
    con.execute("DELETE FROM device_popularity")
    con.executemany(
        "INSERT INTO device_popularity VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [[s.device_id, s.share_pct, s.survey, s.survey_date, s.source_url, s.notes, now, run_id]
         for s in shares])
    con.execute("DELETE FROM device_popularity_defaults")
    con.executemany("INSERT INTO device_popularity_defaults VALUES (?, ?, ?)",
                    [[seg, pct, basis] for seg, (pct, basis) in SEGMENT_DEFAULTS.items()])


def by_popularity(devices: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Rows of the devices view, most common first (ties keep the view's rank order)."""
    return sorted(devices, key=lambda d: (d["popularity_rank"], d["device_id"]))
