"""One builder per section of the seed page (summary, specifications, get started, VRAM table,
formula, memory by context, which GPUs, which devices, speed, related, provenance) plus the
compact fit of every device (`fit`). Each is a pure function of the page's Facts.

Devices appear by id; their attributes live once, in devices.json. The lists the seed page shows
by name (the devices that run the recommended quant, with their speeds) carry names too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from catalog.exports.page.facts import GPU_CLASSES, UNIFIED_AND_SYSTEMS, Facts
from catalog.units import as_int, gb_from_bytes, round_gb, round_toks, show_gb, show_tokens

NAMED = 12   # devices named in a section's `top` list (the full lists are ids, most popular first)

def summary(f: Facts) -> dict[str, Any]:
    m, rec = f.model, f.rec
    active = (f" ({m['params_active'] / 1e9:.1f}B active)"
              if m["params_active"] and m["params_active"] != m["params_total"] else "")
    context = (f" with a context window of up to {show_tokens(m['context_length'])} tokens"
               if m["context_length"] else "")
    return {
        "params_total": as_int(m["params_total"]), "params_active": as_int(m["params_active"]),
        "context_length": as_int(m["context_length"]), "recommended_quant": rec["quant"],
        "vram_gb": round_gb(rec["vram_gb"]),
        "text": (f"{f.name} is a {m['params_total'] / 1e9:.1f}B-parameter{active} model from "
                 f"{m['publisher']}{context}. At {rec['quant']} it needs about "
                 f"{show_gb(round_gb(rec['vram_gb']))}."),
    }


def _gated(value: str | None) -> dict[str, Any]:
    mode = None if value in (None, "false", "False") else value
    return {"gated": mode is not None, "gated_mode": mode}


def specifications(f: Facts) -> dict[str, Any]:
    m = f.model
    return {
        "publisher": m["publisher"], "family": m["family"],
        "params_total": as_int(m["params_total"]), "params_active": as_int(m["params_active"]),
        "params_source": m["params_source"], "params_disagreement": bool(m["params_disagreement"]),
        "parameter_candidates": [
            {"source": c["source"], "params_total": as_int(c["params_total"]),
             "params_active": as_int(c["params_active"]), "chosen": bool(c["chosen"]),
             "rejected_reason": c["rejected_reason"]} for c in f.candidates],
        "architecture": m["architecture"], "model_type": m["model_type"],
        "context_length": as_int(m["context_length"]), "vocab_size": as_int(m["vocab_size"]),
        "layers": as_int(m["n_layers"]), "experts": as_int(m["n_experts"]),
        "experts_used": as_int(m["n_experts_used"]),
        "release_date": iso(m["release_date"]), "license": m["license"],
    } | _gated(m["gated"])


def get_started(f: Facts) -> dict[str, Any]:
    gguf = f.model["canonical_gguf_repo_id"]
    return {"hf_url": f.model["hf_url"], "gguf_repo_id": gguf,
            "gguf_url": f"https://huggingface.co/{gguf}" if gguf else None}


def quantizations(f: Facts) -> list[dict[str, Any]]:
    first_file = {(x["gguf_repo_id"], x["quant"]): x for x in reversed(f.files)}
    rows = []
    for q in f.quants:
        file = first_file.get((q["gguf_repo_id"], q["quant"])) if q["gguf_repo_id"] else None
        rows.append({
            "quant": q["quant"],
            "bits_per_weight": round(float(q["bits_per_weight"]), 3),
            "vram_gb": round_gb(q["vram_gb"]),
            "vram_full_context_gb": round_gb(q["vram_full_context_gb"]),
            "kv_cache_gb": round_gb(q["kv_cache_gb"]),
            "kv_cache_full_context_gb": round_gb(q["kv_cache_full_gb"]),
            "vram_gb_low": round_gb(q["vram_gb_low"]),
            "vram_gb_high": round_gb(q["vram_gb_high"]),
            "vram_full_context_gb_low": round_gb(q["vram_full_context_gb_low"]),
            "vram_full_context_gb_high": round_gb(q["vram_full_context_gb_high"]),
            "recommended_gb": round_gb(q["recommended_gb"]),
            "file_size_bytes": int(q["file_size_bytes"]),
            "file_size_gb": round_gb(q["file_size_gb"]),
            "file_size_gb_low": round_gb(q["file_size_gb_low"]),
            "file_size_gb_high": round_gb(q["file_size_gb_high"]),
            "size_source": q["size_source"],
            "size_method": q["size_method"],
            "real_file": q["size_source"] == "gguf",
            "quality": q["quality"],
            "gguf_repo_id": q["gguf_repo_id"],
            "download_url": file["download_url"] if file else None,
            "shard_count": int(file["shard_count"]) if file else None,
            "recommended": q["quant"] == f.rec["quant"],
        })
    return rows


def vram_formula(f: Facts) -> dict[str, Any]:
    """VRAM = weights on the GPU + KV cache + overhead (compute buffer and runtime); untied token
    embeddings stay in host memory (docs/methodology.md). Each part as the quantizations view has it."""
    rec = f.rec
    kv_ctx, kv_full = float(rec["kv_cache_gb"]), float(rec["kv_cache_full_gb"])
    overhead, overhead_full = float(rec["overhead_gb"]), float(rec["overhead_full_context_gb"])
    weights = int(rec["file_size_bytes"])
    return {
        "quant": rec["quant"],
        "formula": "VRAM = weights on the GPU + KV cache + overhead (compute buffer, runtime)",
        "params_total": as_int(f.model["params_total"]),
        "bits_per_weight": round(float(rec["bits_per_weight"]), 3),
        "weights_bytes": weights, "weights_gb": gb_from_bytes(weights), "weights_source": rec["size_source"],
        "size_method": rec["size_method"],
        "host_weights_gb": round_gb(rec["host_weights_gb"]),
        "weights_on_gpu_gb": round_gb(rec["weights_on_gpu_gb"]),
        "at_2k": {"context_tokens": f.default_ctx, "kv_cache_gb": round_gb(kv_ctx),
                  "overhead_gb": round_gb(overhead), "kv_plus_overhead_gb": round_gb(kv_ctx + overhead),
                  "vram_gb": round_gb(rec["vram_gb"])},
        "at_full_context": {"context_tokens": f.full_ctx, "kv_cache_gb": round_gb(kv_full),
                            "overhead_gb": round_gb(overhead_full),
                            "kv_plus_overhead_gb": round_gb(kv_full + overhead_full),
                            "vram_gb": round_gb(rec["vram_full_context_gb"])},
        "kv_method": rec["kv_method"], "kv_type": rec["kv_type"],
    }


def memory_by_context(f: Facts) -> dict[str, Any]:
    """VRAM and KV cache per quant at each context point (aligned to `context_tokens`)."""
    points = sorted({int(r["context_tokens"]) for r in f.memory})
    at = {(r["quant"], int(r["context_tokens"])): r for r in f.memory}
    return {
        "context_tokens": points,
        "quants": [{"quant": q["quant"],
                    "vram_gb": [round_gb(at[(q["quant"], c)]["vram_gb"]) if (q["quant"], c) in at else None
                                for c in points],
                    "kv_cache_gb": [round_gb(at[(q["quant"], c)]["kv_cache_gb"], 3) if (q["quant"], c) in at
                                    else None for c in points]}
                   for q in f.quants],
    }


def fit(f: Facts) -> dict[str, Any]:
    """Every device × every quant, compact: `verdicts[i]` has one character per device of
    `device_ids` (sql/macros/fit_code.sql); `decode_tok_s[i]` one number (3 significant digits) per
    device that runs quant i (character G or D), in `device_ids` order, space-separated: a string
    is validated by one regular expression, where 7,500 numbers cost a schema check 0.1 s."""
    return {"context_tokens": f.ctx, "device_ids": [d["device_id"] for d in f.devices],
            "quants": [q["quant"] for q in f.quants],
            "verdicts": [f.codes[q["quant"]] for q in f.quants],
            "decode_tok_s": [" ".join(f"{x:g}" for x in f.speeds[q["quant"]]) for q in f.quants],
            "decode_tok_s_band": {backend: {"low": round(lo, 4), "high": round(hi, 4)}
                                  for backend, (lo, hi) in sorted(f.speed_bands.items())}}


def _named(e: dict[str, Any]) -> dict[str, Any]:
    return {"device_id": e["device_id"], "name": e["name"], "verdict": e["verdict"],
            "decode_tok_s": round_toks(e["decode_tok_s"]),
            "decode_tok_s_low": round_toks(e.get("decode_tok_s_low")),
            "decode_tok_s_high": round_toks(e.get("decode_tok_s_high"))}


def gpus(f: Facts) -> dict[str, Any]:
    """Which GPUs run the recommended quant by themselves (most popular first)."""
    rec = f.rec
    single = f.fitting(rec["quant"], GPU_CLASSES)
    full_addition = round_gb(rec["vram_full_context_gb"] - rec["vram_gb"])
    vram, full = round_gb(rec["vram_gb"]), round_gb(rec["vram_full_context_gb"])
    names = [e["name"] for e in single]
    return {
        "quant": rec["quant"], "context_tokens": f.ctx, "vram_gb": vram,
        "recommended_gb": round_gb(rec["recommended_gb"]),
        "recommended_factor": float(f.profile["recommended_factor"]),
        "full_context_tokens": f.full_ctx, "full_context_addition_gb": full_addition,
        "vram_full_context_gb": full,
        "single_gpu_count": len(single),
        "single_gpu": [e["device_id"] for e in single],
        "top": [_named(e) for e in single[:NAMED]],
        "text": (f"{f.name} ({rec['quant']}) needs {show_gb(vram)}; "
                 f"{show_gb(round_gb(rec['recommended_gb']))}+ is comfortable. The full "
                 f"{show_tokens(f.full_ctx)}-token context adds {show_gb(full_addition)} "
                 f"({show_gb(full)} total). "
                 + (f"{len(single)} single GPU(s) fit, e.g. {', '.join(names[:3])}." if single else
                    "No single GPU has enough memory: multi-GPU setups are needed.")),
    }


def devices(f: Facts) -> dict[str, Any]:
    """Which unified-memory devices and systems run the recommended quant (most popular first)."""
    rec = f.rec
    found = f.fitting(rec["quant"], UNIFIED_AND_SYSTEMS)
    return {
        "quant": rec["quant"], "context_tokens": f.ctx, "vram_gb": round_gb(rec["vram_gb"]),
        "count": len(found),
        "runs_great": [e["device_id"] for e in found if e["verdict"] == "runs_great"],
        "decent": [e["device_id"] for e in found if e["verdict"] == "decent"],
        "top": [_named(e) for e in found[:NAMED]],
        "verdicts": {"runs_great": f"usable ≥ {float(f.profile['runs_great_factor']):g} × needed "
                                   "(plenty of headroom)",
                     "decent": "enough memory, may be tight"},
    }


def formula(f: Facts) -> str:
    if f.profile["speed_method"] == "simple":
        return "tok/s = bandwidth GB/s ÷ VRAM GB × efficiency"
    return ("tok/s = 1 ÷ (bytes read per token ÷ (bandwidth × efficiency) + per-token + per-layer + MoE "
            "routing "
            "+ attention + compute + (GPUs − 1) × hop); bytes read = active weights + KV cache")


TERMS = ("read_s", "per_token_s", "layers_s", "moe_s", "attention_s", "compute_s", "hops_s")


def speed_example(f: Facts) -> dict[str, Any] | None:
    """The fastest single GPU that runs the recommended quant (else the fastest device), worked:
    the terms of sql/macros/decode_terms.sql in milliseconds, whose sum is 1 / tok/s."""
    fitting = f.fitting(f.rec["quant"])
    single = [e for e in fitting if e["class"] in GPU_CLASSES]
    pool = single or fitting
    if not pool:
        return None
    row = min(pool, key=lambda e: (-(e["decode_tok_s"] or 0.0), e["device_id"]))
    sc = f.speed_constants.get(row["backend"], {})
    terms = row.get("decode_terms")
    simple = f.profile["speed_method"] == "simple"
    return {
        "device_id": row["device_id"], "name": row["name"], "bandwidth_gbps": float(row["bandwidth_gbps"]),
        "gpus": int(row["gpu_count"]), "read_gb_per_token": round(terms["read_gb"], 3) if terms else None,
        "efficiency": f.profile["simple_efficiency"] if simple else sc.get("efficiency"),
        "terms_ms": {k.removesuffix("_s"): round(terms[k] * 1000, 4) for k in TERMS} if terms else None,
        "decode_tok_s": round_toks(row["decode_tok_s"]),
        "decode_tok_s_low": round_toks(row.get("decode_tok_s_low")),
        "decode_tok_s_high": round_toks(row.get("decode_tok_s_high")),
    }


def speed(f: Facts) -> dict[str, Any]:
    """Decode speed at the recommended quant: the worked example, and the most popular devices
    that run it, at the page's context and at the full context (every device: `fit`)."""
    rows = []
    for e in f.fitting(f.rec["quant"])[:NAMED]:
        full = f.fits_full.get((f.rec["quant"], e["device_id"]))
        rows.append({"device_id": e["device_id"], "name": e["name"], "class": e["class"],
                     "gpus_used": int(e["gpu_count"]), "decode_tok_s": round_toks(e["decode_tok_s"]),
                     "decode_tok_s_low": round_toks(e["decode_tok_s_low"]),
                     "decode_tok_s_high": round_toks(e["decode_tok_s_high"]),
                     "decode_tok_s_full_context": round_toks(full["decode_tok_s"]) if full else None})
    return {"quant": f.rec["quant"], "context_tokens": f.ctx, "full_context_tokens": f.full_ctx,
            "method": f.profile["speed_method"], "formula": formula(f), "example": speed_example(f),
            "devices": rows}


def related(f: Facts) -> dict[str, Any]:
    m = f.model
    return {"derivatives": int(m["derivatives"] or 0), "base_model": m["base_model"],
            "canonical_gguf_repo_id": m["canonical_gguf_repo_id"]}


def provenance(f: Facts) -> dict[str, Any]:
    m = f.model
    return {
        "hub_sha": m["sha"], "fetched_at": iso(m["fetched_at"]), "last_modified": iso(m["last_modified"]),
        "sources": sorted({m["hf_url"], *(f"https://huggingface.co/{q['gguf_repo_id']}"
                                          for q in f.quants if q["gguf_repo_id"])}),
        "gguf_shas": sorted({f"{x['gguf_repo_id']}@{x['repo_sha']}" for x in f.files}),
        "methodology": "docs/methodology.md",
    }


def iso(value: Any) -> str | None:
    """ISO 8601; aware timestamps in UTC (whatever the session's time zone)."""
    if value is None:
        return None
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value.isoformat()
