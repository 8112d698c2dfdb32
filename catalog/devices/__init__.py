"""Devices: a curated registry verified against vendor pages (issue #5).

`refresh_devices` is what the nightly flow calls: sync the curated file, fetch and parse each
vendor page, verify or raise conflicts, and report per-page failures without losing any
device's last good values.
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

from catalog.devices import amd, apple, geforce, intel, nvidia
from catalog.devices.http import FetchResult, PoliteFetcher
from catalog.devices.registry import REGISTRY_CSV, load_registry
from catalog.devices.resolve import Provenance, apply_observations, sync_curated
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


def refresh_devices(con: duckdb.DuckDBPyConnection, run_id: str,
                    fetcher: Fetcher | None = None, pages: Iterable[Page] = DEFAULT_PAGES,
                    registry_path: Path = REGISTRY_CSV,
                    now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> DeviceReport:
    """Sync the curated registry, then verify it page by page; one bad page fails alone."""
    report = DeviceReport(run_id)
    con.execute("BEGIN TRANSACTION")
    sync_curated(con, load_registry(registry_path), run_id, now())
    con.execute("COMMIT")
    fetcher = fetcher or _default_fetcher()
    for page in pages:
        module = PARSERS[page.parser]
        result = SourceResult(page.url, page.parser, ok=False)
        report.sources.append(result)
        try:
            fetched = fetcher.get(page.url)
            observations = module.parse(fetched.text, page.url)
            prov = Provenance(run_id, fetched.fetched_at, fetched.content_sha256
                              or hashlib.sha256(fetched.text.encode()).hexdigest(),
                              page.parser, module.PARSER_VERSION)
            con.execute("BEGIN TRANSACTION")
            try:
                stats = apply_observations(con, observations, prov, module.DEFAULTS)
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
        except Exception as exc:  # one page's failure must not stop the others
            result.reason = f"{type(exc).__name__}: {exc}"
            con.execute("INSERT INTO source_errors VALUES (?, 'devices', ?, ?, ?, ?)",
                        [run_id, page.url, type(exc).__name__, str(exc), now()])
            continue
        result.ok, result.observations = True, len(observations)
        result.from_cache = fetched.from_cache
        report.verified += stats.verified
        report.conflicts += stats.conflicts
        report.new_devices += stats.new_devices
    report.devices = con.execute("SELECT count(*) FROM devices_curated").fetchone()[0]
    return report
