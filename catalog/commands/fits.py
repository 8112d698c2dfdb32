"""Model × quant × device fits at any context for the fit and estimate commands: the fit_estimate
table macro (sql/macros/fit_estimate.sql), the same definition the device_fit views select from."""

from __future__ import annotations

from typing import Any

import duckdb

from catalog.commands.catalogue import rows

_FIT_SQL = """
SELECT * FROM fit_estimate($devices, repo_name := $repo, ctx_tokens := $ctx, cache_type := $kv, fa := $fa)
WHERE is_default AND ($device IS NULL OR device_id = $device)
"""
_CUSTOM_DEVICE = """
CREATE OR REPLACE TEMP TABLE fit_custom_device AS
SELECT 'custom' AS device_id, CAST($gpus AS INTEGER) AS gpu_count, CAST($bw AS DOUBLE) AS bandwidth_gbps,
       CAST($backend AS VARCHAR) AS backend, CAST($usable AS BIGINT) AS usable_memory_bytes,
       CAST($tflops AS DOUBLE) AS fp16_tflops_dense"""


def fit_rows(con: duckdb.DuckDBPyConnection, *, context: int | None = None, repo_id: str | None = None,
             device_id: str | None = None, custom: dict[str, Any] | None = None, kv_type: str | None = None,
             flash_attention: bool | None = None) -> list[dict[str, Any]]:
    """Every (model, quant, device) at `context` tokens (None: 2,048 or the model's maximum if smaller).

    `custom` = {usable_memory_bytes, gpu_count, bandwidth_gbps, backend[, fp16_tflops_dense]} replaces
    the catalogue's devices by one device of that shape (a temporary table of this connection). kv_type and
    flash_attention override the default profile's (None: the profile's).
    """
    devices = "devices"
    if custom is not None:
        con.execute(_CUSTOM_DEVICE, {"gpus": custom["gpu_count"], "bw": custom["bandwidth_gbps"],
                                     "backend": custom["backend"], "usable": custom["usable_memory_bytes"],
                                     "tflops": custom.get("fp16_tflops_dense")})
        devices, device_id = "fit_custom_device", None
    return rows(con, _FIT_SQL, {"devices": devices, "repo": repo_id, "ctx": context or 2048, "kv": kv_type,
                                "fa": flash_attention, "device": device_id})
