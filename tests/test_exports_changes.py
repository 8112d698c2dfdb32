"""changes.json's lists from two releases' analyst CSVs (catalog/exports/changes.py)."""

from __future__ import annotations

import csv
from pathlib import Path

from catalog.exports import changes
from catalog.exports.tables import DEVICES_COLUMNS, MODELS_COLUMNS, QUANTIZATIONS_COLUMNS


def _write(folder: Path, name: str, columns: list[str], rows: list[dict[str, object]]) -> None:
    folder.mkdir(exist_ok=True)
    with open(folder / name, "w", newline="", encoding="utf-8") as fh:
        out = csv.DictWriter(fh, columns, restval="")
        out.writeheader()
        out.writerows(rows)


def _release(folder: Path, models: list[dict], quants: list[dict], devices: list[dict],
             device_columns: list[str] = DEVICES_COLUMNS) -> Path:
    _write(folder, "models.csv", MODELS_COLUMNS, models)
    _write(folder, "quantizations.csv", QUANTIZATIONS_COLUMNS, quants)
    _write(folder, "devices.csv", device_columns, devices)
    return folder


def _q(repo: str, quant: str, size: int | str, source: str = "gguf") -> dict:
    return {"repo_id": repo, "quant": quant, "file_size_bytes": size, "size_source": source}


def test_every_kind_of_change_is_listed_once_in_key_order(tmp_path):
    old = _release(
        tmp_path / "old",
        models=[{"repo_id": "a/kept", "params_total": 8_000_000_000, "params_active": 8_000_000_000},
                {"repo_id": "a/gone", "params_total": 1_000_000_000},
                {"repo_id": "b/moe", "params_total": 30_000_000_000, "params_active": ""}],
        quants=[_q("a/kept", "Q4_K_M", 4_900_000_000), _q("a/kept", "Q8_0", 8_500_000_000),
                _q("a/kept", "Q2_K", 3_000_000_000, "estimate"), _q("a/gone", "Q4_K_M", 700_000_000),
                _q("b/moe", "Q4_K_M", 18_000_000_000), _q("b/moe", "IQ1_S", 6_000_000_000, "estimate")],
        devices=[{"device_id": "gpu-a", "name": "GPU A", "bandwidth_gbps": 1000, "memory_bytes": 25769803776},
                 {"device_id": "gpu-old", "name": "Old"},
                 {"device_id": "mac", "name": 'Mac, "Studio"\nM3', "unified": "true"}],
        # an older contract without fp16_tflops_dense: reads as empty, not as a change
        device_columns=[c for c in DEVICES_COLUMNS if c != "fp16_tflops_dense"])
    new = _release(
        tmp_path / "new",
        models=[{"repo_id": "a/kept", "params_total": 8_000_000_000, "params_active": 8_000_000_000},
                {"repo_id": "b/moe", "params_total": 30_500_000_000, "params_active": 3_300_000_000},
                {"repo_id": "c/new", "params_total": 2_000_000_000}],
        quants=[_q("a/kept", "Q4_K_M", 4_920_000_000), _q("a/kept", "Q8_0", 8_500_000_000),
                _q("a/kept", "Q2_K", 3_100_000_000, "estimate"), _q("a/kept", "Q6_K", 6_600_000_000),
                _q("b/moe", "Q4_K_M", 18_000_000_000, "estimate"), _q("c/new", "Q4_K_M", 1_200_000_000)],
        devices=[{"device_id": "gpu-a", "name": "GPU A", "bandwidth_gbps": 1008, "memory_bytes": 25769803776,
                  "memory_type": "GDDR6X"},
                 {"device_id": "mac", "name": 'Mac, "Studio"\nM3', "unified": "true"},
                 {"device_id": "npu", "name": "NPU box"}])

    doc = changes.changes_document(old, new, generated_at="2026-12-07T00:00:00Z", from_content="x",
                                   to_content="y")
    assert doc["models_added"] == ["c/new"] and doc["models_removed"] == ["a/gone"]
    assert doc["params_changed"] == [{
        "repo_id": "b/moe", "params_total_before": 30_000_000_000, "params_total_after": 30_500_000_000,
        "params_active_before": None, "params_active_after": 3_300_000_000}]
    # quants of models added or removed are not repeated
    assert doc["quants_added"] == [{"repo_id": "a/kept", "quant": "Q6_K", "size_source": "gguf",
                                    "file_size_bytes": 6_600_000_000}]
    assert doc["quants_removed"] == [{"repo_id": "b/moe", "quant": "IQ1_S", "size_source": "estimate",
                                      "file_size_bytes": 6_000_000_000}]
    assert doc["sizes_changed"] == [
        {"repo_id": "a/kept", "quant": "Q4_K_M", "file_size_bytes_before": 4_900_000_000,
         "file_size_bytes_after": 4_920_000_000, "size_source_before": "gguf", "size_source_after": "gguf"},
        {"repo_id": "b/moe", "quant": "Q4_K_M", "file_size_bytes_before": 18_000_000_000,
         "file_size_bytes_after": 18_000_000_000, "size_source_before": "gguf",
         "size_source_after": "estimate"}]
    assert doc["estimates_changed"] == [{
        "repo_id": "a/kept", "quant": "Q2_K", "file_size_bytes_before": 3_000_000_000,
        "file_size_bytes_after": 3_100_000_000, "size_source_before": "estimate",
        "size_source_after": "estimate"}]
    assert doc["devices_added"] == ["npu"] and doc["devices_removed"] == ["gpu-old"]
    assert doc["devices_changed"] == [   # in DEVICE_FIELDS order
        {"device_id": "gpu-a", "field": "bandwidth_gbps", "before": 1000, "after": 1008},
        {"device_id": "gpu-a", "field": "memory_type", "before": None, "after": "GDDR6X"}]
    assert doc["counts"] == {k: len(v) for k, v in doc.items() if k not in (
        "schema_version", "generated_at", "from_content", "to_content", "counts")}
    assert changes.count(doc) == 12


def test_the_first_release_lists_every_model_and_device_as_added(tmp_path):
    new = _release(tmp_path / "new", models=[{"repo_id": "z/m"}, {"repo_id": "a/m"}],
                   quants=[_q("a/m", "Q4_K_M", 1)], devices=[{"device_id": "gpu"}])
    lists = changes.diff(None, new)
    assert lists["models_added"] == ["a/m", "z/m"] and lists["devices_added"] == ["gpu"]
    assert changes.count({"counts": {k: len(v) for k, v in lists.items()}}) == 3
    assert changes.diff(new, new) == {k: [] for k in lists}
