"""What the catalogue content changed against the previously published release.

Compares the analyst CSVs of two release folders (models, quantizations, devices), so the answer
depends only on what was published, not on database history. Models added or removed are listed
once (their quants are not repeated); sizes are compared for models present in both.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from catalog.exports.page import SCHEMA_VERSION

PARAM_FIELDS = ("params_total", "params_active")
DEVICE_FIELDS = ("name", "kind", "segment", "backend", "gpu_count", "memory_bytes", "usable_memory_bytes",
                 "bandwidth_gbps", "unified", "gpu_share", "reserve_bytes", "fp16_tflops_dense",
                 "memory_type", "interconnect")


def _read(folder: Path | None, name: str, key: tuple[str, ...]) -> dict[tuple[str, ...], dict[str, str]]:
    if folder is None or not (folder / name).exists():
        return {}
    with open(folder / name, newline="", encoding="utf-8") as fh:
        return {tuple(r[k] for k in key): r for r in csv.DictReader(fh)}


def _num(value: str) -> int | float | str | None:
    if value == "":
        return None
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return value


def diff(previous: Path | None, current: Path) -> dict[str, Any]:
    """The change lists (without schema_version / generated_at / content ids)."""
    m0, m1 = _read(previous, "models.csv", ("repo_id",)), _read(current, "models.csv", ("repo_id",))
    key = ("repo_id", "quant")
    q0, q1 = _read(previous, "quantizations.csv", key), _read(current, "quantizations.csv", key)
    d0, d1 = _read(previous, "devices.csv", ("device_id",)), _read(current, "devices.csv", ("device_id",))
    both = set(m0) & set(m1)

    params_changed = []
    for (rid,) in sorted(both):
        before, after = m0[(rid,)], m1[(rid,)]
        if any(before[f] != after[f] for f in PARAM_FIELDS):
            params_changed.append({"repo_id": rid} | {
                f"{f}_{when}": _num(row[f]) for f in PARAM_FIELDS for when, row in (("before", before),
                                                                                     ("after", after))})
    quants_added, quants_removed, sizes_changed, estimates_changed = [], [], [], []
    for k in sorted(set(q0) | set(q1)):
        if (k[0],) not in both:
            continue
        if k not in q0:
            quants_added.append({"repo_id": k[0], "quant": k[1], "size_source": q1[k]["size_source"],
                                 "file_size_bytes": _num(q1[k]["file_size_bytes"])})
        elif k not in q1:
            quants_removed.append({"repo_id": k[0], "quant": k[1], "size_source": q0[k]["size_source"],
                                   "file_size_bytes": _num(q0[k]["file_size_bytes"])})
        elif any(q0[k][f] != q1[k][f] for f in ("file_size_bytes", "size_source")):
            entry = {"repo_id": k[0], "quant": k[1],
                     "file_size_bytes_before": _num(q0[k]["file_size_bytes"]),
                     "file_size_bytes_after": _num(q1[k]["file_size_bytes"]),
                     "size_source_before": q0[k]["size_source"], "size_source_after": q1[k]["size_source"]}
            real = "gguf" in (q0[k]["size_source"], q1[k]["size_source"])
            (sizes_changed if real else estimates_changed).append(entry)
    devices_changed = []
    for (did,) in sorted(set(d0) & set(d1)):
        for f in DEVICE_FIELDS:
            if d0[(did,)].get(f) != d1[(did,)].get(f):
                devices_changed.append({"device_id": did, "field": f, "before": _num(d0[(did,)].get(f, "")),
                                        "after": _num(d1[(did,)].get(f, ""))})
    out = {
        "models_added": [rid for (rid,) in sorted(set(m1) - set(m0))],
        "models_removed": [rid for (rid,) in sorted(set(m0) - set(m1))],
        "params_changed": params_changed,
        "quants_added": quants_added,
        "quants_removed": quants_removed,
        "sizes_changed": sizes_changed,
        "estimates_changed": estimates_changed,
        "devices_added": [did for (did,) in sorted(set(d1) - set(d0))],
        "devices_removed": [did for (did,) in sorted(set(d0) - set(d1))],
        "devices_changed": devices_changed,
    }
    return out


def changes_document(previous: Path | None, current: Path, *, generated_at: str,
                     from_content: str | None, to_content: str) -> dict[str, Any]:
    lists = diff(previous, current)
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": generated_at,
        "from_content": from_content,
        "to_content": to_content,
        "counts": {k: len(v) for k, v in lists.items()},
    } | lists


def count(document: dict[str, Any]) -> int:
    return sum(document["counts"].values())
