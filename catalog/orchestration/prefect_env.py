"""Prefect settings that must be in place before `prefect` is imported (see prefect-duckdb.md)."""

from __future__ import annotations

import os

from catalog.paths import ROOT


def configure() -> None:
    """Own PREFECT_HOME, a patient temporary-server start-up, no telemetry, our loggers shown."""
    os.environ.setdefault("PREFECT_HOME", str(ROOT / ".cache" / "prefect"))
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "catalog")
