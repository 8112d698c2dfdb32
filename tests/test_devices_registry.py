"""The curated registry, the byte conversion and usable-memory rules, and the devices view."""

from __future__ import annotations

import csv

import pytest

from catalog.db import connect
from catalog.devices import memory
from catalog.devices.registry import REGISTRY_CSV, RegistryError, load_registry
from catalog.devices.resolve import sync_curated

GIB = 2**30
GOLDEN = ["nvidia-h100-sxm-80gb", "amd-mi300x", "apple-mac-studio-m4-max-40c-128gb",
          "apple-mac-studio-m2-ultra-76c-192gb", "apple-mac-pro-m2-ultra-76c-192gb",
          "nvidia-dgx-h100", "nvidia-dgx-a100-640gb", "nvidia-rtx-5090", "nvidia-h200-sxm"]


def test_marketed_gb_are_binary():
    assert memory.marketed_gb_to_bytes(24) == 25_769_803_776
    assert memory.marketed_gb_to_bytes(141) == 141 * GIB  # H200 reports 143,771 MiB ≈ 141 GiB
    assert memory.marketed_gb_to_bytes(94) == 100_931_731_456
    with pytest.raises(ValueError):
        memory.marketed_gb_to_bytes(0)


def test_macos_wired_limit_share():
    assert memory.macos_default_gpu_share(16 * GIB) == pytest.approx(2 / 3)
    assert memory.macos_default_gpu_share(36 * GIB) == pytest.approx(2 / 3)
    assert memory.macos_default_gpu_share(48 * GIB) == 0.75
    assert memory.effective_gpu_share(128 * GIB, True, "metal") == 0.75
    assert memory.effective_gpu_share(128 * GIB, True, "metal", override=0.875) == 0.875
    assert memory.effective_gpu_share(24 * GIB, False, "cuda") == 1.0
    with pytest.raises(ValueError):
        memory.effective_gpu_share(24 * GIB, True, "metal", override=1.5)


def test_usable_memory_per_device():
    specs = {s.device_id: s for s in load_registry()}
    assert specs["apple-mac-studio-m4-max-40c-128gb"].usable_memory_bytes == 96 * GIB
    assert specs["apple-mac-mini-m4-10c-16gb"].usable_memory_bytes == int(16 * GIB * 2 / 3)
    assert specs["nvidia-rtx-4090"].usable_memory_bytes == 24 * GIB - 512 * 2**20
    dgx = specs["nvidia-dgx-h100"]  # systems stay per GPU; gpu_count carries the rest
    assert (dgx.gpu_count, dgx.memory_bytes) == (8, 80 * GIB)


def test_registry_covers_the_issue_and_golden_ids():
    specs = load_registry()
    ids = [s.device_id for s in specs]
    assert len(specs) >= 60 and len(ids) == len(set(ids))
    assert set(GOLDEN) <= set(ids)
    by_id = {s.device_id: s for s in specs}
    assert (by_id["amd-mi300x"].memory_gb, by_id["amd-mi300x"].bandwidth_gbps) == (192, 5300)
    assert by_id["nvidia-h200-sxm"].memory_gb == 141
    assert by_id["nvidia-rtx-5090"].memory_gb == 32
    assert by_id["apple-mac-studio-m2-ultra-76c-192gb"].memory_gb == 192
    assert all(s.source_url.startswith("https://") for s in specs)
    assert {s.kind for s in specs} == {"gpu", "soc", "system", "superchip"}


def _write(tmp_path, rows):
    path = tmp_path / "devices.csv"
    with REGISTRY_CSV.open() as handle:
        header = next(csv.reader(handle))
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_registry_rejects_duplicates_and_missing_source(tmp_path):
    with REGISTRY_CSV.open() as handle:
        row = next(csv.DictReader(handle))
    with pytest.raises(RegistryError, match="duplicate id"):
        load_registry(_write(tmp_path, [row, {**row, "aliases": "other"}]))
    with pytest.raises(RegistryError, match="source_url"):
        load_registry(_write(tmp_path, [{**row, "source_url": ""}]))


def test_view_has_the_contract_columns_and_stable_ids(tmp_path):
    con = connect(tmp_path / "c.duckdb")
    specs = load_registry()
    from datetime import UTC, datetime
    sync_curated(con, specs, "r1", datetime.now(UTC))
    first = con.execute("SELECT device_id FROM devices ORDER BY 1").fetchall()
    sync_curated(con, load_registry(), "r2", datetime.now(UTC))
    assert con.execute("SELECT device_id FROM devices ORDER BY 1").fetchall() == first
    columns = {r[0] for r in con.execute("DESCRIBE devices").fetchall()}
    assert {"device_id", "vendor", "name", "kind", "gpu_count", "memory_gb", "memory_bytes",
            "usable_memory_gb", "usable_memory_bytes", "bandwidth_gbps", "unified",
            "source_url", "verified_at", "backend", "segment", "memory_type", "interconnect",
            "fp16_tflops_dense", "launch_date", "confidence", "reviewed"} <= columns
    row = con.execute(
        "SELECT memory_gb, memory_bytes, usable_memory_bytes, usable_memory_gb, backend, unified"
        " FROM devices WHERE device_id = 'apple-mac-studio-m4-max-40c-128gb'").fetchone()
    assert row == (128, 128 * GIB, 96 * GIB, round(96 * GIB / 1e9, 2), "metal", True)
    assert con.execute("SELECT count(*) FROM devices WHERE source_url IS NULL").fetchone()[0] == 0
