"""Plain-Python (no DuckDB) version of the device_fit arithmetic, the benchmark's baseline.

Same inputs as the SQL (attention_components rows, GGUF file sizes, the host-resident bytes of
quant_size_estimates, devices, the default runtime profile and speed constants) and the same
formulas (sql/macros, docs/methodology.md): KV parts, KV bytes and compute buffer at a context,
VRAM, verdict, gpus_needed, headroom, max context, decode tok/s, for every
model × quant × device × {min(2048, max), max}. Only real GGUF builds are handled (the synthetic
catalogue has every ladder quant as a real build, so there are no estimate rows).
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

KV_BYTES = {"f16": 2.0, "bf16": 2.0, "f32": 4.0, "q8_0": 34 / 32, "q4_0": 18 / 32}


def kv_part(row: dict[str, Any], kv_type: str, ubatch: int, pad: int) -> dict[str, Any]:
    kind = row["kind"]
    if kind == "sliding" and (row["window_tokens"] or 0) > 0:
        eff = "sliding"
    elif kind == "compressed" and (row["compress_ratio"] or 0) > 0:
        eff = "compressed"
    elif kind in ("full", "mla", "recurrent"):
        eff = kind
    else:
        eff = "full"
    per = KV_BYTES[kv_type]
    if eff == "recurrent":
        row_bytes = 0.0
    elif eff == "mla":
        row_bytes = row["layer_count"] * row["kv_heads"] * row["key_length"] * per
    else:
        width = row["key_length"] + (row["value_length"] or 0)
        row_bytes = row["layer_count"] * row["kv_heads"] * width * per
    return {
        "kind": eff, "row_bytes": row_bytes, "row_elements": row_bytes / per,
        "cap": math.ceil((row["window_tokens"] + ubatch) / pad) * pad if eff == "sliding" else None,
        "ratio": row["compress_ratio"] if eff == "compressed" else None,
        "fixed_bytes": row["layer_count"] * (row["state_bytes"] or 0) if eff == "recurrent" else 0,
    }


def cells(p: dict[str, Any], ctx: int) -> int:
    kind = p["kind"]
    if kind == "sliding":
        return min(ctx, p["cap"])
    if kind == "compressed":
        return math.ceil(ctx / p["ratio"])
    return 0 if kind == "recurrent" else ctx


def kv_cache_bytes(parts: list[dict[str, Any]], ctx: int) -> float:
    return sum(p["fixed_bytes"] + p["row_bytes"] * cells(p, ctx) for p in parts)


def compute_buffer(model: dict[str, Any], profile: dict[str, Any], parts: list[dict[str, Any]],
                   ctx: int) -> float:
    """llama.cpp's compute buffer (sql/macros/compute_buffer_bytes.sql)."""
    if profile["compute_buffer"] != "graph":
        return 0.0
    ub, pad = min(profile["n_ubatch"], ctx), profile["kv_pad"]
    n_kv = max([cells(p, ctx) for p in parts], default=ctx)
    embd = model["hidden_size"] or 0
    per_cell = 6 if profile["flash_attention"] else 4 + 4 * (model["n_head"] or 0)
    return max(((model["vocab_size"] or 0) + profile["compute_out_rows"] * embd) * ub * 4,
               math.ceil(n_kv / pad) * pad * ub * per_cell + profile["compute_attn_rows"] * embd * ub * 4)


def max_context(parts: list[dict[str, Any]], budget: float, context_length: int, pad: int) -> int | None:
    if kv_cache_bytes(parts, context_length) <= budget:
        return context_length
    if kv_cache_bytes(parts, min(pad, context_length)) > budget:
        return None
    per_token = sum(p["row_bytes"] / p["ratio"] if p["kind"] == "compressed" else
                    0 if p["kind"] in ("sliding", "recurrent") else p["row_bytes"] for p in parts)
    sliding_row = sum(p["row_bytes"] for p in parts if p["kind"] == "sliding")
    sliding_full = sum(p["row_bytes"] * p["cap"] for p in parts if p["kind"] == "sliding")
    cap_max = max([p["cap"] for p in parts if p["kind"] == "sliding"], default=0)
    fixed = sum(p["fixed_bytes"] + (p["row_bytes"] if p["kind"] == "compressed" and pad % p["ratio"] else 0)
                for p in parts)
    full_windows = (math.floor((budget - fixed - sliding_full) / per_token / pad) * pad
                    if per_token else None)
    if full_windows is not None and full_windows >= cap_max:
        return min(context_length, full_windows)
    denom = per_token + sliding_row
    if not denom:
        return context_length
    return min(context_length, math.floor((budget - fixed) / denom / pad) * pad)


def fit_rows(model: dict[str, Any], parts: list[dict[str, Any]], quants: dict[str, int],
             devices: list[dict[str, Any]], profile: dict[str, Any], speed: dict[str, dict[str, float]]):
    """Yield (repo_id, quant, device_id, ctx, verdict, gpus_needed, headroom_gb, max_ctx, tok_s,
    needed_gb)."""
    cl = model["context_length"]
    share = min(1.0, (model["params_active"] / model["params_total"]) if model["params_total"] else 1.0)
    pad, great = profile["kv_pad"], profile["runs_great_factor"]
    for ctx in sorted({min(2048, cl), cl}):
        kv = kv_cache_bytes(parts, ctx)
        fixed = profile["overhead_bytes"] + compute_buffer(model, profile, parts, ctx)
        fixed_ref = profile["overhead_bytes"] + compute_buffer(model, profile, parts, min(ctx, 2048))
        attn_flops = 2 * (model["heads_per_kv"] or 1) * sum(p["row_elements"] * cells(p, ctx) for p in parts)
        for quant, file_bytes in quants.items():
            host = model["host_bytes"].get(quant, 0) if profile["embeddings_on_host"] else 0
            weights = file_bytes - host
            active = max(0.0, file_bytes * share - host) + kv
            for d in devices:
                g = d["gpu_count"]
                usable = max(0, d["usable_memory_bytes"] - profile["device_reserve_bytes"])
                usable_total = g * usable
                needed = weights + kv + g * fixed
                verdict = ("runs_great" if usable_total >= great * needed else
                           "decent" if usable_total >= needed else "too_small")
                gpus = max(1, math.ceil((weights + kv) / (usable - fixed))) if usable > fixed else None
                first = max_context(parts, usable_total - weights - g * fixed_ref, cl, pad)
                max_ctx = first
                if first is not None:
                    again = max_context(parts, usable_total - weights - g * (
                        profile["overhead_bytes"] + compute_buffer(model, profile, parts, first)), cl, pad)
                    max_ctx = min(first, again) if again is not None else None
                if needed > usable_total:
                    tok_s = None
                else:
                    s = speed[d["backend"]]
                    bw = d["bandwidth_gbps"] * 1e9
                    tok_s = 1 / (active / (bw * s["efficiency"]) + s["per_token_s"]
                                 + (g - 1) * profile["multi_gpu_hop_s"] + model["layers"] * s["per_layer_s"]
                                 + model["moe_layers"] * s["per_moe_layer_s"]
                                 + attn_flops * s["attention_factor"] / bw
                                 + (2 * model["params_active"] * s["compute_factor"] / (tflops * 1e12)
                                    if (tflops := d["fp16_tflops_dense"]) else 0))
                yield (model["repo_id"], quant, d["device_id"], ctx, verdict, gpus,
                       (usable_total - needed) / 1e9, max_ctx, tok_s, needed / 1e9)


def load_inputs(con, repo_ids: list[str]) -> dict[str, Any]:
    """The raw rows the baseline works on (read with DuckDB, not timed as arithmetic)."""
    def rows(sql: str, params: list | None = None) -> list[dict[str, Any]]:
        cur = con.cursor()
        res = cur.execute(sql, params or [])
        cols = [c[0] for c in res.description]
        out = [dict(zip(cols, r, strict=True)) for r in res.fetchall()]
        cur.close()
        return out

    profile = rows("SELECT * FROM runtime_profiles WHERE is_default")[0]
    speed = {r["backend"]: r for r in rows("SELECT * FROM speed_constants WHERE profile = ?",
                                           [profile["profile"]])}
    devices = rows("SELECT device_id, gpu_count, usable_memory_bytes, bandwidth_gbps, backend, "
                   "fp16_tflops_dense FROM devices_curated ORDER BY device_id")
    models = {r["repo_id"]: {**r, "host_bytes": {}} for r in rows(
        "SELECT m.repo_id, params_total, params_active, context_length, m.vocab_size, m.hidden_size, "
        "s.attention_heads AS n_head, coalesce(s.heads_per_kv, 1) AS heads_per_kv, "
        "coalesce(m.n_layers, s.layers) AS layers, coalesce(s.moe_layers, 0) AS moe_layers "
        "FROM hub_models m LEFT JOIN model_shapes s USING (repo_id) "
        "WHERE m.repo_id IN (SELECT unnest(?))", [repo_ids])}
    for r in rows("SELECT repo_id, quant, host_bytes FROM quant_size_estimates "
                  "WHERE repo_id IN (SELECT unnest(?))", [repo_ids]):
        models[r["repo_id"]]["host_bytes"][r["quant"]] = r["host_bytes"]
    attention = defaultdict(list)
    for r in rows("SELECT * FROM attention_components WHERE repo_id IN (SELECT unnest(?))", [repo_ids]):
        attention[r["repo_id"]].append(r)
    files = rows("SELECT base_repo_id, quant, size_bytes FROM hub_gguf_files "
                 "WHERE base_repo_id IN (SELECT unnest(?)) AND quant IS NOT NULL", [repo_ids])
    return {"profile": profile, "speed": speed, "devices": devices, "models": models,
            "attention": attention, "files": files}


def run(inputs: dict[str, Any]) -> list[tuple]:
    """The whole computation for the loaded models: KV parts, build sizes, every fit row."""
    profile = inputs["profile"]
    sizes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for f in inputs["files"]:                      # shards summed per build (one build per quant)
        sizes[f["base_repo_id"]][f["quant"]] += f["size_bytes"]
    out: list[tuple] = []
    for repo_id, model in inputs["models"].items():
        parts = [kv_part(r, profile["default_kv_type"], profile["n_ubatch"], profile["kv_pad"])
                 for r in inputs["attention"][repo_id]]
        out.extend(fit_rows(model, parts, sizes[repo_id], inputs["devices"], profile, inputs["speed"]))
    return out
