"""The curated registry, the byte conversion and usable-memory rules, and the devices view."""

from __future__ import annotations

import csv
import re

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


# The cards issue #19's "Why" names, by device id.
NAMED_IN_ISSUE = [
    "nvidia-rtx-3060-ti", "nvidia-rtx-3070", "nvidia-rtx-3080-10gb", "nvidia-rtx-3080-ti",
    "nvidia-rtx-4060", "nvidia-rtx-4060-ti-8gb", "nvidia-rtx-4070", "nvidia-rtx-4070-ti",
    "nvidia-rtx-4080", "nvidia-rtx-2080-ti", "nvidia-rtx-2060", "nvidia-gtx-1080-ti",
    "nvidia-rtx-4090-laptop", "amd-rx-6800", "amd-rx-6900-xt", "amd-rx-7800-xt", "amd-rx-7600-xt",
    "nvidia-tesla-p40", "nvidia-v100-sxm2-32gb", "nvidia-t4", "nvidia-a10", "nvidia-a40",
    "nvidia-l40", "nvidia-rtx-a4000", "nvidia-rtx-a5000", "nvidia-rtx-4000-ada",
    "nvidia-rtx-5000-ada", "nvidia-jetson-agx-orin-64gb", "qualcomm-snapdragon-x-elite-32gb",
    "intel-core-ultra-7-258v",
]


def test_registry_reaches_300_variants_with_the_issues_cards_and_provenance():
    specs = {s.device_id: s for s in load_registry()}
    assert len(specs) >= 300
    assert not set(NAMED_IN_ISSUE) - set(specs)
    assert all(s.source_url.startswith("https://") and s.confidence in ("high", "medium")
               and s.launch_date is not None and s.bandwidth_gbps for s in specs.values())
    laptop = specs["nvidia-rtx-4090-laptop"]  # the mobile SKU's figures, not the desktop card's
    assert (laptop.memory_gb, laptop.bandwidth_gbps, laptop.segment) == (16, 576, "consumer")
    assert {s.segment for s in specs.values()} == {"consumer", "workstation", "datacenter", "mac",
                                                   "system", "edge"}
    # Apple: every M-series generation, and M4 Max bins with their own bandwidths
    chips = {m for s in specs.values() if s.vendor == "Apple"
             for m in re.findall(r"\bM\d(?: Pro| Max| Ultra)?\b", s.name)}
    assert {"M1", "M1 Pro", "M1 Max", "M1 Ultra", "M2 Ultra", "M3 Max", "M3 Ultra", "M4 Pro",
            "M4 Max", "M5"} <= chips
    assert specs["apple-mac-studio-m4-max-32c-36gb"].bandwidth_gbps == 410


def test_aliases_people_type_and_techpowerup_names_are_match_keys():
    keys = {k: s.device_id for s in load_registry() for k in s.match_keys}
    assert keys["rtx 3070"] == "nvidia-rtx-3070"
    assert keys["rtx 4060 ti 8gb"] == "nvidia-rtx-4060-ti-8gb"
    assert keys["geforce rtx 4090 laptop gpu"] == "nvidia-rtx-4090-laptop"
    assert keys["geforce rtx 4090 mobile"] == "nvidia-rtx-4090-laptop"  # TechPowerUp's name
    assert keys["h100 sxm5 80gb"] == "nvidia-h100-sxm-80gb"
