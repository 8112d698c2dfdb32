"""Where things live. One place, so the CLI, flows and tests agree."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = ROOT / "sql"
DEFAULT_DB = ROOT / "data" / "catalog.duckdb"
DEFAULT_EXPORTS = ROOT / "exports"
SAMPLE_HUB = Path(__file__).resolve().parent / "fakehub" / "sample"


def db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The catalogue file: --db beats FITCAT_DB beats data/catalog.duckdb."""
    chosen = explicit or os.environ.get("FITCAT_DB") or DEFAULT_DB
    return Path(chosen)


def exports_root(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The export folder: --out beats FITCAT_EXPORTS beats exports/."""
    chosen = explicit or os.environ.get("FITCAT_EXPORTS") or DEFAULT_EXPORTS
    return Path(chosen)
