"""Model × quant × device fits at any context for the fit and estimate commands: the fit_estimate
table macro (sql/macros/fit_estimate.sql), the same definition the device_fit views select from.

A device that is not a catalogue row (`--memory-gb`, `--gpus N` of a catalogue device,
`--this-machine`) is a *shape*: the devices view's columns for one device, its usable memory by
the catalogue's own rules (catalog.devices.memory), held in a one-row temporary table.
"""

from __future__ import annotations

from typing import Any

import duckdb

from catalog.commands.catalogue import rows
from catalog.devices import memory as rules

GIB = 2**30

_FIT_SQL = """
SELECT * FROM fit_estimate($devices, repo_name := $repo, ctx_tokens := $ctx, cache_type := $kv, fa := $fa)
WHERE is_default AND ($device IS NULL OR device_id = $device)
"""
_DEVICE_TABLE = """
CREATE OR REPLACE TEMP TABLE fit_device AS
SELECT CAST(coalesce($id, 'custom') AS VARCHAR) AS device_id, CAST($gpus AS INTEGER) AS gpu_count,
       CAST($bw AS DOUBLE) AS bandwidth_gbps, CAST($backend AS VARCHAR) AS backend,
       CAST($usable AS BIGINT) AS usable_memory_bytes, CAST($tflops AS DOUBLE) AS fp16_tflops_dense"""


def shape(name: str, memory_bytes: int, *, backend: str, bandwidth_gbps: float | None, gpus: int = 1,
          unified: bool = False, gpu_share: float | None = None, device_id: str | None = None,
          tflops: float | None = None) -> dict[str, Any]:
    """A device as the devices view has it, per GPU; bandwidth None: speed unknown (memory only)."""
    share = rules.effective_gpu_share(memory_bytes, unified, backend, gpu_share)
    usable = rules.usable_memory_bytes(memory_bytes, share, rules.reserve_bytes(backend))
    return {"device_id": device_id, "name": name, "memory_bytes": memory_bytes,
            "memory_gb": round(memory_bytes / GIB, 2), "gpu_count": gpus, "bandwidth_gbps": bandwidth_gbps,
            "unified": unified, "backend": backend, "usable_memory_bytes": usable,
            "usable_memory_gb": round(usable / 1e9, 2), "fp16_tflops_dense": tflops}


def device_table(con: duckdb.DuckDBPyConnection, device: dict[str, Any] | None) -> str:
    """The one-row device relation fit_estimate reads (all NULL for none: memory only)."""
    d = device or {}
    con.execute(_DEVICE_TABLE, {"id": d.get("device_id"), "gpus": d.get("gpu_count", 1),
                                "bw": d.get("bandwidth_gbps"), "backend": d.get("backend"),
                                "usable": d.get("usable_memory_bytes"), "tflops": d.get("fp16_tflops_dense")})
    return "fit_device"


def fit_rows(con: duckdb.DuckDBPyConnection, *, context: int | None = None, repo_id: str | None = None,
             device_id: str | None = None, custom: dict[str, Any] | None = None, kv_type: str | None = None,
             flash_attention: bool | None = None) -> list[dict[str, Any]]:
    """Every (model, quant, device) at `context` tokens (None: 2,048 or the model's maximum if smaller),
    over the catalogue's devices (or `device_id`), or over the one `custom` shape. kv_type and
    flash_attention override the default profile's (None: the profile's)."""
    devices = "devices"
    if custom is not None:
        devices, device_id = device_table(con, custom), None
    return rows(con, _FIT_SQL, {"devices": devices, "repo": repo_id, "ctx": context or 2048, "kv": kv_type,
                                "fa": flash_attention, "device": device_id})
