"""The bundled sample Hub and an empty catalogue, for the Hub tests (tests/test_hub_*.py)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from catalog import db
from catalog.fakehub import FakeHub, Snapshot
from catalog.paths import SAMPLE_HUB


def sample_hub(*granted: str) -> FakeHub:
    """A fresh copy of the sample Hub (not started), its gated repos open to `granted` tokens."""
    fake = FakeHub(Snapshot.load(SAMPLE_HUB))
    fake.granted_tokens.update(granted)
    return fake


def catalogue(path: Path) -> duckdb.DuckDBPyConnection:
    """A migrated catalogue with every macro and view."""
    return db.connect(path)
