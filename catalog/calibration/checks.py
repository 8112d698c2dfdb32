"""Memory and file-size estimates against real llama.cpp allocator logs and real GGUF file sizes.

memory_report: per calibration/memory_logs.csv row, the catalogue's KV cache, compute buffer and
GPU-resident weights (memory_at_context at the log's context and flash-attention setting) next to
the buffer sizes llama.cpp printed. size_report: the architecture estimate (catalog.estimates) and
the bits-per-weight fallbacks against calibration/gguf_sizes.csv, and the weights bands they give.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

import duckdb
import numpy as np

from catalog import store
from catalog.calibration import data
from catalog.estimates.sizes import estimate_file_bytes, store_size_estimates
from catalog.estimates.tensors import tensor_shapes
from catalog.hub.attention import attention_rows

MIB = 2**20
_MEMORY_SQL = """
SELECT kv_bytes, fixed_bytes - overhead_bytes AS compute_bytes, gpu_weights_bytes, size_method
FROM memory_at_context(profile_name := 'llama.cpp', repo_name := $repo, ctx_tokens := $ctx, fa := $fa,
                       all_quants := true)
WHERE quant = $quant
"""


def _pct(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0}
    a = [abs(v) * 100 for v in values]
    return {
        "n": len(a),
        "median_abs_err_pct": round(statistics.median(a), 2),
        "p90_abs_err_pct": round(float(np.percentile(a, 90)), 2),
        "max_abs_err_pct": round(max(a), 2),
    }


def _mib(cell: str) -> float | None:
    return float(cell) if cell else None


def memory_rows(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Each log row with the catalogue's estimate of the same buffers (bytes)."""
    mods = data.models()
    out = []
    for i, r in enumerate(data.read_csv("memory_logs.csv")):
        repo = f"calibration/memory-{i}-{r['model_key']}"
        config = mods[r["model_key"]]["config"]
        store.insert_rows(con, "hub_models", [data._model_row(repo, config)])
        store.record_raw(
            con,
            run_id="calibration",
            repo_id=repo,
            repo_sha="calibration",
            kind="config",
            source_url=mods[r["model_key"]]["source"],
            payload=config,
        )
        store.insert_rows(con, "attention_components", attention_rows(repo, config))
        store_size_estimates(con, repo)
        quant = r["quant"] or "F16"  # quant unknown: KV and compute only (they do not depend on it)
        est = con.execute(
            _MEMORY_SQL, {"repo": repo, "ctx": int(r["n_ctx"]), "fa": r["flash_attn"] == "on", "quant": quant}
        ).fetchone()
        kv, compute, weights, _method = est
        row = {
            "model": r["model_key"],
            "quant": r["quant"],
            "n_ctx": int(r["n_ctx"]),
            "flash_attn": r["flash_attn"],
            "backend": r["backend"],
            "kv_est_mib": kv / MIB,
            "kv_mib": _mib(r["kv_mib"]),
            "compute_est_mib": compute / MIB,
            "compute_mib": _mib(r["compute_mib"]),
            "weights_est_mib": weights / MIB if r["quant"] else None,
            "weights_mib": _mib(r["device_model_mib"]) if r["quant"] else None,
            "total_mib": _mib(r["total_device_mib"]),
        }
        if r["quant"] and row["total_mib"]:
            row["total_est_mib"] = (weights + kv + compute) / MIB
        out.append(row)
    return out


def memory_report(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    rows = memory_rows(con)

    def err(est: str, meas: str) -> list[float]:
        return [r[est] / r[meas] - 1 for r in rows if r.get(meas) and r.get(est) is not None]

    compute = [r["compute_mib"] / r["compute_est_mib"] for r in rows if r["compute_mib"]]
    return {
        "rows": [{k: round(v, 2) if isinstance(v, float) else v for k, v in r.items()} for r in rows],
        "kv": _pct(err("kv_est_mib", "kv_mib")),
        "compute": _pct(err("compute_est_mib", "compute_mib")),
        "weights_on_gpu": _pct(err("weights_est_mib", "weights_mib")),
        "total": _pct(err("total_est_mib", "total_mib")),
        "compute_band": {
            "ratio_p10": round(float(np.percentile(compute, 10)), 4),
            "ratio_p50": round(float(np.percentile(compute, 50)), 4),
            "ratio_p90": round(float(np.percentile(compute, 90)), 4),
            "n": len(compute),
        },
    }


def size_report(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Real GGUF sizes against the architecture estimate and the bits-per-weight fallbacks."""
    mods = data.models()
    rows = []
    for r in data.read_csv("gguf_sizes.csv"):
        config = mods[r["model_key"]]["config"]
        shapes = tensor_shapes(config)
        rows.append(
            {
                "model": r["model_key"],
                "quant": r["quant"].upper(),
                "real": int(r["size_bytes"]),
                "arch": estimate_file_bytes(shapes, r["quant"]),
                "params": shapes.params,
            }
        )
    arch = [x["real"] / x["arch"] for x in rows]
    # nominal bits (quant_types) and calibrated bits left one model out (the median bits per weight of
    # that quant in the other models)
    nominal_bits = dict(con.execute("SELECT quant, nominal_bits FROM quant_types").fetchall())
    nominal = [
        x["real"] / (x["params"] * nominal_bits[x["quant"]] / 8) for x in rows if x["quant"] in nominal_bits
    ]
    loo = []
    for x in rows:
        others = [
            y["real"] * 8 / y["params"] for y in rows if y["quant"] == x["quant"] and y["model"] != x["model"]
        ]
        if others:
            loo.append(x["real"] / (x["params"] * statistics.median(others) / 8))
    by_model: dict[str, dict[str, int]] = defaultdict(dict)
    for x in rows:
        by_model[x["model"]][x["quant"]] = x["real"]
    # dynamic labels are mapped to their nearest recipe: their band spans the neighbouring recipes
    neighbours = [
        q[k] / q[m]
        for q in by_model.values()
        for k, m in (
            ("Q4_K_S", "Q4_K_M"),
            ("Q4_K_L", "Q4_K_M"),
            ("Q3_K_L", "Q3_K_M"),
            ("Q5_K_S", "Q5_K_M"),
            ("Q5_K_L", "Q5_K_M"),
        )
        if k in q and m in q
    ]

    def band(kind: str, ratios: list[float], method: str) -> dict[str, Any]:
        return {
            "profile": "llama.cpp",
            "figure": "weights",
            "backend": "any",
            "kind": kind,
            "ratio_p10": round(float(np.percentile(ratios, 10)), 4),
            "ratio_p50": round(float(np.percentile(ratios, 50)), 4),
            "ratio_p90": round(float(np.percentile(ratios, 90)), 4),
            "n": len(ratios),
            "method": method,
        }

    return {
        "rows": [{**x, "err_pct": round((x["arch"] / x["real"] - 1) * 100, 2)} for x in rows],
        "architecture": _pct([1 / r - 1 for r in arch])
        | {"within_5_pct": round(sum(abs(1 / r - 1) <= 0.05 for r in arch) / len(arch), 3)},
        "calibrated_bits_loo": _pct([1 / r - 1 for r in loo]),
        "nominal_bits": _pct([1 / r - 1 for r in nominal]),
        "bands": [
            band("architecture", arch, "real ÷ estimate over calibration/gguf_sizes.csv"),
            band("calibrated_bits", loo, "real ÷ estimate, leave-one-model-out median bits"),
            band("nominal_bits", nominal, "real ÷ parameters × nominal bits (quant_types)"),
            {
                **band("nominal_bits", nominal, "real ÷ parameters × nominal bits (quant_types)"),
                "profile": "simple",
            },
            band(
                "architecture_approx",
                [min(neighbours), 1.0, max(neighbours)],
                "neighbouring llama.cpp recipes (Q4_K_S..Q4_K_L around Q4_K_M, ...) as a share of the "
                "nearest",
            ),
        ],
    }
