"""Prefect settings that must be in place before `prefect` is imported (see prefect-duckdb.md)."""

from __future__ import annotations

import os
from pathlib import Path

from catalog.paths import PREFECT_HOME


def configure() -> None:
    """Own PREFECT_HOME, a patient temporary-server start-up, no telemetry, our loggers shown.

    PREFECT_HOME (default `.cache/prefect`) is created here: on a fresh clone nothing else has
    made `.cache/` yet, and Prefect's temporary server cannot create its SQLite file under a
    missing parent (it then times out after ~95 s with no hint of the cause)."""
    os.environ.setdefault("PREFECT_HOME", str(PREFECT_HOME))
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "catalog")
