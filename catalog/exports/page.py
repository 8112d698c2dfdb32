"""One model's page: everything the public model page shows, as data, read from the views.

`build_model_page(con, repo_id)` = `assemble_page(read_page_rows(con, repo_id))`: the reads
(models, quantizations, context_memory, device_fit, devices, gguf_files, param_candidates,
runtime_profiles, speed_constants) apart from the pure assembly, so the exporter can assemble
pages in worker processes (render.py); `fitcat show --json` uses the whole. Sections follow the
seed page (docs: exports/README.md): summary, specifications, get_started, quantizations,
vram_formula, memory_by_context, gpus, devices, hardware_by_quant, speed, related, faq, provenance.

Consistency rules the page keeps by construction: every fit list, speed and FAQ answer comes from
the same `device_fit` rows, so a page never says "no single GPU fits" while listing a single-GPU
speed, and speeds are only given for devices that fit (else `gpus_needed`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from catalog.exports.fmt import as_int, gb, gb_bytes, toks
from catalog.exports.slug import page_paths

SCHEMA_VERSION = "1.1.0"
RECOMMENDED_QUANT = "Q4_K_M"      # the seed's "most popular sweet spot"
BETTER_QUANT = "Q5_K_M"
RTX_5090 = "nvidia-rtx-5090"      # the seed's FAQ asks about this card by name
DEVICE_CLASSES = ("consumer_gpu", "workstation_gpu", "datacenter_gpu", "mac", "unified_other", "system")


class ModelNotFound(LookupError):
    """The repo id is not a live model of the catalogue."""


class PageIncomplete(ModelNotFound):
    """The model is catalogued, but too little is known for a page (e.g. its config was gated)."""


Table = tuple[list[str], list[tuple]]   # column names, rows: cheap to pickle to a worker process


def _table(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> Table:
    """Rows read on con itself (fully fetched), so the export's temp tables are seen."""
    result = con.execute(sql, params or [])
    return [d[0] for d in result.description], result.fetchall()


def _dicts(table: Table) -> list[dict[str, Any]]:
    cols, rows = table
    return [dict(zip(cols, row, strict=True)) for row in rows]


@dataclass(frozen=True)
class PageRows:
    """Everything one page is computed from, read from the catalogue: the I/O half of a page."""
    repo_id: str
    ctx: int            # the context the device-fit lists are at
    default_ctx: int    # 2,048 or the model's maximum if smaller
    full_ctx: int
    tables: dict[str, Table]


def device_class(d: dict[str, Any]) -> str:
    """consumer_gpu | workstation_gpu | datacenter_gpu | mac | unified_other | system."""
    if d["kind"] in ("system", "superchip"):
        return "system"
    if d["unified"]:
        return "mac" if d["segment"] == "mac" else "unified_other"
    return {"consumer": "consumer_gpu", "workstation": "workstation_gpu"}.get(d["segment"], "datacenter_gpu")


def _iso(value: Any) -> str | None:
    """ISO 8601; aware timestamps in UTC (whatever the session's time zone)."""
    if value is None:
        return None
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value.isoformat()


def _gated(value: str | None) -> dict[str, Any]:
    mode = None if value in (None, "false", "False") else value
    return {"gated": mode is not None, "gated_mode": mode}


def _fit_entry(f: dict[str, Any]) -> dict[str, Any]:
    return {
        "device_id": f["device_id"],
        "name": f["name"],
        "verdict": f["verdict"],
        "gpu_count": int(f["gpu_count"]),
        "gpus_needed": as_int(f["gpus_needed"]),
        "needed_gb": gb(f["needed_gb"]),
        "usable_gb": gb(f["usable_gb"]),
        "headroom_gb": gb(f["headroom_gb"]),
        "decode_tok_s": toks(f["decode_tok_s"]),
        "max_context_tokens": as_int(f["max_context_tokens"]),
    }


def _by_speed(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(entries, key=lambda e: (-(e["decode_tok_s"] or 0.0), e["device_id"]))


def _names(entries: list[dict[str, Any]]) -> list[str]:
    return [e["name"] for e in entries]


def _fmt_gb(x: float | None) -> str:
    return "unknown" if x is None else f"{x:.1f} GB"


def _fmt_tokens(n: int | None) -> str:
    return "unknown" if n is None else f"{n:,}"


def _pick_recommended(quants: list[dict[str, Any]]) -> dict[str, Any]:
    by_name = {q["quant"]: q for q in quants}
    if RECOMMENDED_QUANT in by_name:
        return by_name[RECOMMENDED_QUANT]
    return quants[len(quants) // 2]  # no Q4_K_M: the middle of the size ladder


def build_model_page(con: duckdb.DuckDBPyConnection, repo_id: str, *,
                     context_tokens: int | None = None) -> dict[str, Any]:
    """The model page as a dict (schema exports/schema/v1/model_page.schema.json).

    context_tokens picks the device-fit rows (default: 2,048 or the model's maximum if smaller);
    device_fit holds 2,048 and the full context, so those are the values accepted. The page's
    `generated_at` is left None: the publisher stamps it (see publish.py).
    """
    return assemble_page(read_page_rows(con, repo_id, context_tokens=context_tokens))


def read_page_rows(con: duckdb.DuckDBPyConnection, repo_id: str, *,
                   context_tokens: int | None = None) -> PageRows:
    """Every row a page needs (raises ModelNotFound, PageIncomplete, or ValueError for a context
    device_fit does not hold)."""
    models = _table(con, "SELECT * FROM models WHERE repo_id = ?", [repo_id])
    if not models[1]:
        raise ModelNotFound(repo_id)
    m = _dicts(models)[0]
    profile = _table(con, "SELECT * FROM runtime_profiles WHERE is_default")
    quants = _table(con, """
        SELECT q.*, coalesce(qt.sort_order, 1000) AS sort_order
        FROM quantizations q LEFT JOIN quant_types qt USING (quant)
        WHERE q.repo_id = ? ORDER BY q.vram_bytes, q.quant""", [repo_id])
    if not quants[1]:
        raise PageIncomplete(f"{repo_id}: no quantizations (parameter count unknown)")
    if m["context_length"] is None or any(q["vram_full_context_gb"] is None for q in _dicts(quants)):
        raise PageIncomplete(f"{repo_id}: context length or attention layout unknown "
                             "(config.json missing or not readable)")
    default_ctx = min(2048, int(m["context_length"] or 2048))
    ctx = default_ctx if context_tokens is None else int(context_tokens)
    full_ctx = int(m["context_length"] or default_ctx)
    available = sorted({default_ctx, full_ctx})
    if ctx not in available:
        raise ValueError(f"context_tokens {ctx}: device_fit holds {available} for {repo_id}")
    tables = {
        "models": models, "profile": profile, "quants": quants,
        "fits": _table(con, """
            SELECT f.*, d.name, d.vendor, d.kind, d.segment, d.unified, d.bandwidth_gbps, d.backend,
                   d.memory_gb, d.usable_memory_gb
            FROM device_fit f JOIN devices d USING (device_id)
            WHERE f.repo_id = ? AND f.context_tokens IN (?, ?)
            ORDER BY f.quant, f.device_id, f.context_tokens""", [repo_id, ctx, full_ctx]),
        "files": _table(con, """
            SELECT gguf_repo_id, build_path, quant, path, shard, shard_count, download_url, repo_sha
            FROM gguf_files WHERE base_repo_id = ? AND shard = 1
            ORDER BY gguf_repo_id, build_path""", [repo_id]),
        "memory": _table(con, """
            SELECT quant, context_tokens, kv_cache_gb, vram_gb FROM context_memory
            WHERE repo_id = ? ORDER BY quant, context_tokens""", [repo_id]),
        "candidates": _table(con, """
            SELECT source, params_total, params_active, chosen, rejected_reason
            FROM param_candidates WHERE repo_id = ? ORDER BY chosen DESC, source""", [repo_id]),
        "speed": _table(con, "SELECT * FROM speed_constants WHERE profile = ?",
                        [_dicts(profile)[0]["profile"]]),
        "rtx": _table(con, """SELECT device_id, name, memory_gb, usable_memory_gb FROM devices
                              WHERE device_id = ?""", [RTX_5090]),
    }
    return PageRows(repo_id, ctx, default_ctx, full_ctx, tables)


def assemble_page(source: PageRows) -> dict[str, Any]:
    """The page from its rows: pure, so it can run in a worker process (publish.py)."""
    repo_id, ctx, default_ctx, full_ctx = source.repo_id, source.ctx, source.default_ctx, source.full_ctx
    t = source.tables
    m = _dicts(t["models"])[0]
    profile = _dicts(t["profile"])[0]
    quants = _dicts(t["quants"])
    fits = _dicts(t["fits"])
    at_ctx = [f for f in fits if f["context_tokens"] == ctx]
    at_full = {(f["quant"], f["device_id"]): f for f in fits if f["context_tokens"] == full_ctx}
    for f in at_ctx:
        f["class"] = device_class(f)
    files = _dicts(t["files"])
    first_file = {(f["gguf_repo_id"], f["quant"]): f for f in reversed(files)}
    memory = _dicts(t["memory"])
    candidates = _dicts(t["candidates"])
    speed_consts = {s["backend"]: s for s in _dicts(t["speed"])}

    rec = _pick_recommended(quants)
    smallest = quants[0]
    largest = quants[-1]
    by_quant = {q["quant"]: q for q in quants}
    better = by_quant.get(BETTER_QUANT) if rec["quant"] != BETTER_QUANT else None

    # --- quant table -------------------------------------------------------------------------
    quant_rows = []
    for q in quants:
        f = first_file.get((q["gguf_repo_id"], q["quant"])) if q["gguf_repo_id"] else None
        real = q["size_source"] == "gguf"
        quant_rows.append({
            "quant": q["quant"],
            "bits_per_weight": round(float(q["bits_per_weight"]), 3),
            "vram_gb": gb(q["vram_gb"]),
            "vram_full_context_gb": gb(q["vram_full_context_gb"]),
            "kv_cache_gb": gb(q["kv_cache_gb"]),
            "kv_cache_full_context_gb": gb(q["kv_cache_full_gb"]),
            "recommended_gb": gb(q["recommended_gb"]),
            "file_size_bytes": int(q["file_size_bytes"]),
            "file_size_gb": gb(q["file_size_gb"]),
            "size_source": q["size_source"],
            "real_file": real,
            "quality": q["quality"],
            "gguf_repo_id": q["gguf_repo_id"],
            "download_url": f["download_url"] if f else None,
            "shard_count": int(f["shard_count"]) if f else None,
            "recommended": q["quant"] == rec["quant"],
        })

    # --- fit per quant, by device class ---------------------------------------------------------
    by_quant_rows: dict[str, list[dict[str, Any]]] = {}
    for f in at_ctx:
        by_quant_rows.setdefault(f["quant"], []).append(f)
    hardware = []
    for q in quants:
        rows = by_quant_rows.get(q["quant"], [])
        gpus = [f for f in rows if f["class"].endswith("_gpu")]
        fit_gpus = _by_speed([_fit_entry(f) | {"class": f["class"]}
                              for f in gpus if f["verdict"] != "too_small"])
        multi = sorted(({"device_id": f["device_id"], "gpus_needed": as_int(f["gpus_needed"])}
                        for f in gpus if f["verdict"] == "too_small" and f["gpus_needed"] is not None),
                       key=lambda e: (e["gpus_needed"], e["device_id"]))
        other = [f for f in rows if not f["class"].endswith("_gpu") and f["verdict"] != "too_small"]
        hardware.append({
            "quant": q["quant"],
            "vram_gb": gb(q["vram_gb"]),
            "single_gpu": fit_gpus,
            "multi_gpu": multi,
            "unified_memory": _by_speed([_fit_entry(f) | {"class": f["class"]}
                                         for f in other if f["class"] != "system"]),
            "systems": _by_speed([_fit_entry(f) | {"class": f["class"]}
                                  for f in other if f["class"] == "system"]),
        })
    hw = {h["quant"]: h for h in hardware}
    rec_hw = hw[rec["quant"]]
    rec_fits = [f for f in by_quant_rows.get(rec["quant"], []) if f["verdict"] != "too_small"]

    rec_vram = gb(rec["vram_gb"])
    rec_full = gb(rec["vram_full_context_gb"])
    full_addition = gb(rec["vram_full_context_gb"] - rec["vram_gb"])
    name = m["name"] or repo_id.split("/")[-1]

    # --- speed --------------------------------------------------------------------------------
    speed_rows = []
    for f in sorted(rec_fits, key=lambda f: (-(f["decode_tok_s"] or 0.0), f["device_id"])):
        full = at_full.get((f["quant"], f["device_id"]))
        speed_rows.append({
            "device_id": f["device_id"], "name": f["name"], "class": f["class"],
            "gpus_used": int(f["gpu_count"]),
            "decode_tok_s": toks(f["decode_tok_s"]),
            "decode_tok_s_full_context": toks(full["decode_tok_s"]) if full else None,
        })
    single = [f for f in rec_fits if f["class"].endswith("_gpu")]
    pool = single or rec_fits
    example_row = min(pool, key=lambda f: (-(f["decode_tok_s"] or 0.0), f["device_id"])) if pool else None
    weights_bytes = int(rec["file_size_bytes"])
    active_share = min(1.0, (m["params_active"] or m["params_total"]) / m["params_total"])
    example = None
    if example_row:
        sc = speed_consts.get(example_row["backend"], {})
        read_bytes = weights_bytes * active_share + int(rec["kv_cache_bytes"])
        example = {
            "device_id": example_row["device_id"], "name": example_row["name"],
            "bandwidth_gbps": float(example_row["bandwidth_gbps"]),
            "gpus": int(example_row["gpu_count"]),
            "read_gb_per_token": gb_bytes(read_bytes),
            "efficiency": (profile["simple_efficiency"] if profile["speed_method"] == "simple"
                           else sc.get("efficiency")),
            "per_token_ms": round(sc["per_token_s"] * 1000, 3) if sc.get("per_token_s") is not None else None,
            "decode_tok_s": toks(example_row["decode_tok_s"]),
        }
    if profile["speed_method"] == "simple":
        formula = "tok/s = bandwidth GB/s ÷ VRAM GB × efficiency"
    else:
        formula = ("tok/s = 1 ÷ (bytes read per token ÷ (bandwidth × efficiency) + per-token cost "
                   "+ (GPUs − 1) × hop); bytes read = active weights + KV cache")

    # --- FAQ ----------------------------------------------------------------------------------
    def fitting(quant: str, classes: tuple[str, ...]) -> list[dict[str, Any]]:
        return sorted((f for f in by_quant_rows.get(quant, []) if f["class"] in classes
                       and f["verdict"] != "too_small"), key=lambda f: (f["usable_gb"], f["device_id"]))

    def first_quant_with(classes: tuple[str, ...]) -> dict[str, Any] | None:
        for q in quants:
            found = fitting(q["quant"], classes)
            if found:
                return {"quant": q["quant"], "vram_gb": gb(q["vram_gb"]),
                        "devices": [f["device_id"] for f in found]}
        return None

    min_mem = {"quant": smallest["quant"], "vram_gb": gb(smallest["vram_gb"])}
    single_names = _names(rec_hw["single_gpu"])
    no_single = not rec_hw["single_gpu"]

    rtx = _dicts(t["rtx"])
    rtx_faq = None
    if rtx:
        r = rtx[0]
        rtx_fit = [f for f in at_ctx if f["device_id"] == RTX_5090 and f["verdict"] != "too_small"]
        best = max(rtx_fit, key=lambda f: by_quant[f["quant"]]["vram_bytes"]) if rtx_fit else None
        rtx_faq = {
            "device_id": RTX_5090, "name": r["name"], "memory_gb": float(r["memory_gb"]),
            "usable_gb": gb(r["usable_memory_gb"]), "can_run": best is not None,
            "best_quant": best["quant"] if best else None,
            "decode_tok_s": toks(best["decode_tok_s"]) if best else None,
            "answer": (f"Yes — at {best['quant']} ({_fmt_gb(gb(by_quant[best['quant']]['vram_gb']))}), "
                       f"~{toks(best['decode_tok_s'])} tok/s." if best else
                       f"No — {name} needs at least {_fmt_gb(min_mem['vram_gb'])} at {min_mem['quant']}, "
                       f"more than the {r['name']}'s {gb(r['usable_memory_gb'])} GB usable "
                       f"({float(r['memory_gb']):g} GB marketed)."),
        }

    consumer_min = first_quant_with(("consumer_gpu",))
    mac_min = first_quant_with(("mac",))
    macs_rec = fitting(rec["quant"], ("mac",))
    local_classes = ("consumer_gpu", "workstation_gpu", "mac", "unified_other")
    local_rec = fitting(rec["quant"], local_classes)
    local_min = first_quant_with(local_classes)
    devices_rec = rec_hw["unified_memory"] + rec_hw["systems"]
    devices_rec_sorted = sorted(devices_rec, key=lambda e: e["device_id"])

    # Download sizes: a real GGUF file's size, or an estimate, said so.
    any_real = any(q["size_source"] == "gguf" for q in quants)

    def size(q: dict[str, Any]) -> str:
        return f"{gb(q['file_size_gb']):.2f} GB" + ("" if q["size_source"] == "gguf" else " (estimate)")

    largest_context = []
    for cls in DEVICE_CLASSES:
        rows = [f for f in by_quant_rows.get(rec["quant"], []) if f["class"] == cls
                and f["verdict"] != "too_small" and f["max_context_tokens"] is not None]
        if rows:
            top = max(rows, key=lambda f: (f["max_context_tokens"], f["usable_gb"], f["device_id"]))
            largest_context.append({"class": cls, "device_id": top["device_id"], "name": top["name"],
                                    "max_context_tokens": int(top["max_context_tokens"])})
        else:
            largest_context.append({"class": cls, "device_id": None, "name": None,
                                    "max_context_tokens": None})

    faq = {
        "vram_needed": {
            "quant": rec["quant"], "vram_gb": rec_vram,
            "max_quant": largest["quant"], "max_quant_vram_gb": gb(largest["vram_gb"]),
            "full_context_tokens": full_ctx, "full_context_addition_gb": full_addition,
            "vram_full_context_gb": rec_full,
            "answer": (f"{name} needs {_fmt_gb(rec_vram)} at {rec['quant']}, or "
                       f"{_fmt_gb(gb(largest['vram_gb']))} at {largest['quant']}. The full "
                       f"{_fmt_tokens(full_ctx)}-token context adds {_fmt_gb(full_addition)} "
                       f"({_fmt_gb(rec_full)} total)."),
        },
        "minimum_memory": min_mem | {
            "answer": f"The smallest option is {min_mem['quant']} at {_fmt_gb(min_mem['vram_gb'])}."},
        "rtx_5090": rtx_faq,
        "consumer_gpus": {
            "can_run": consumer_min is not None,
            "smallest_quant_that_fits": consumer_min,
            "at_recommended": [f["device_id"] for f in fitting(rec["quant"], ("consumer_gpu",))],
            "answer": (f"Yes — from {consumer_min['quant']} ({_fmt_gb(consumer_min['vram_gb'])}) on "
                       f"{len(consumer_min['devices'])} consumer GPU(s)." if consumer_min else
                       f"No single consumer GPU can hold {name}, even at {min_mem['quant']} "
                       f"({_fmt_gb(min_mem['vram_gb'])})."),
        },
        "best_quant": {
            "recommended": rec["quant"], "recommended_vram_gb": rec_vram,
            "better_quality": better["quant"] if better else None,
            "better_quality_vram_gb": gb(better["vram_gb"]) if better else None,
            "smallest": smallest["quant"], "smallest_vram_gb": gb(smallest["vram_gb"]),
            "answer": (f"{rec['quant']} ({_fmt_gb(rec_vram)}) offers the best balance of quality and memory."
                       + (f" {better['quant']} ({_fmt_gb(gb(better['vram_gb']))}) is better if you have "
                          "the memory." if better else "")
                       + f" The smallest option is {smallest['quant']} at "
                       + f"{_fmt_gb(gb(smallest['vram_gb']))}."),
        },
        "mac": {
            "can_run": mac_min is not None,
            "smallest_quant_that_fits": mac_min,
            "at_recommended": [f["device_id"] for f in macs_rec],
            "smallest_mac_at_recommended": macs_rec[0]["device_id"] if macs_rec else None,
            "answer": (f"Yes — at {rec['quant']} ({_fmt_gb(rec_vram)}) on {len(macs_rec)} Mac "
                       f"configuration(s), the smallest being the {macs_rec[0]['name']}." if macs_rec else
                       f"Only at {mac_min['quant']} ({_fmt_gb(mac_min['vram_gb'])}), on "
                       f"{len(mac_min['devices'])} Mac configuration(s)." if mac_min else
                       f"No Mac in the catalogue has enough GPU-usable memory, even at {min_mem['quant']} "
                       f"({_fmt_gb(min_mem['vram_gb'])})."),
        },
        "run_locally": {
            "can_run": local_min is not None,
            "at_recommended": [f["device_id"] for f in local_rec],
            "smallest_quant_that_fits": local_min,
            "answer": (f"Yes — at {rec['quant']} ({_fmt_gb(rec_vram)}) on {len(local_rec)} consumer, "
                       "workstation or Mac device(s), with tools such as llama.cpp, Ollama or LM Studio."
                       if local_rec else
                       f"Only at {local_min['quant']} ({_fmt_gb(local_min['vram_gb'])}) on a local device."
                       if local_min else
                       "Not on one consumer, workstation or Mac device; it needs data-centre hardware."),
        },
        "how_fast": {
            "quant": rec["quant"], "context_tokens": ctx,
            "method": profile["speed_method"], "formula": formula, "example": example,
            "answer": (f"At {rec['quant']}, ~{example['decode_tok_s']} tok/s on the {example['name']}"
                       + ("" if example["gpus"] == 1 else f" ({example['gpus']} GPUs)")
                       + "; speed depends mainly on "
                       "memory bandwidth." if example else
                       f"No device in the catalogue fits {name} at {rec['quant']}."),
        },
        "download_size": {
            "recommended": {"quant": rec["quant"], "file_size_gb": gb(rec["file_size_gb"]),
                            "real_file": rec["size_source"] == "gguf"},
            "largest": {"quant": largest["quant"], "file_size_gb": gb(largest["file_size_gb"]),
                        "real_file": largest["size_source"] == "gguf"},
            "smallest": {"quant": smallest["quant"], "file_size_gb": gb(smallest["file_size_gb"]),
                         "real_file": smallest["size_source"] == "gguf"},
            "answer": (f"At {rec['quant']} the download is about {size(rec)}; "
                       f"{largest['quant']} is {size(largest)} and the smallest "
                       f"({smallest['quant']}) {size(smallest)}." if any_real else
                       f"No GGUF build of {name} is known; estimated from parameters × calibrated bits "
                       f"per weight, {rec['quant']} would be about {gb(rec['file_size_gb']):.2f} GB, "
                       f"{largest['quant']} {gb(largest['file_size_gb']):.2f} GB and the smallest "
                       f"({smallest['quant']}) {gb(smallest['file_size_gb']):.2f} GB."),
        },
        "which_gpus": {
            "quant": rec["quant"], "vram_gb": rec_vram,
            "single_gpu": [e["device_id"] for e in rec_hw["single_gpu"]],
            "no_single_gpu": no_single,
            "answer": (f"No single GPU in the catalogue has enough memory for {name} at {rec['quant']} "
                       f"({_fmt_gb(rec_vram)}): use several GPUs or a system." if no_single else
                       f"{len(single_names)} single GPU(s) can run {name} at {rec['quant']} "
                       f"({_fmt_gb(rec_vram)}): " + ", ".join(single_names) + "."),
        },
        "which_devices": {
            "quant": rec["quant"], "count": len(devices_rec),
            "devices": [e["device_id"] for e in devices_rec_sorted],
            "answer": (f"{len(devices_rec)} unified-memory device(s) and system(s) can run {name} at "
                       f"{rec['quant']} ({_fmt_gb(rec_vram)}), including "
                       + ", ".join(_names(devices_rec[:4])) + "." if devices_rec else
                       f"No unified-memory device or system in the catalogue fits {name} at {rec['quant']}."),
        },
        "largest_context": {"quant": rec["quant"], "by_class": largest_context},
    }

    # --- assemble ------------------------------------------------------------------------------
    kv_2k = float(rec["kv_cache_gb"])
    overhead = float(rec["overhead_gb"])
    kv_full = float(rec["kv_cache_full_gb"])
    page: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "generated_at": None,
        "id": repo_id,
        "name": name,
        "page_path": page_paths([repo_id])[repo_id],
        "profile": profile["profile"],
        "summary": {
            "params_total": as_int(m["params_total"]), "params_active": as_int(m["params_active"]),
            "context_length": as_int(m["context_length"]), "recommended_quant": rec["quant"],
            "vram_gb": rec_vram,
            "text": (f"{name} is a {m['params_total'] / 1e9:.1f}B-parameter"
                     + (f" ({m['params_active'] / 1e9:.1f}B active)"
                        if m["params_active"] and m["params_active"] != m["params_total"] else "")
                     + f" model from {m['publisher']}"
                     + (f" with a context window of up to {_fmt_tokens(m['context_length'])} tokens"
                        if m["context_length"] else "")
                     + f". At {rec['quant']} it needs about {_fmt_gb(rec_vram)}."),
        },
        "specifications": {
            "publisher": m["publisher"], "family": m["family"],
            "params_total": as_int(m["params_total"]), "params_active": as_int(m["params_active"]),
            "params_source": m["params_source"], "params_disagreement": bool(m["params_disagreement"]),
            "parameter_candidates": [
                {"source": c["source"], "params_total": as_int(c["params_total"]),
                 "params_active": as_int(c["params_active"]), "chosen": bool(c["chosen"]),
                 "rejected_reason": c["rejected_reason"]} for c in candidates],
            "architecture": m["architecture"], "model_type": m["model_type"],
            "context_length": as_int(m["context_length"]), "vocab_size": as_int(m["vocab_size"]),
            "layers": as_int(m["n_layers"]), "experts": as_int(m["n_experts"]),
            "experts_used": as_int(m["n_experts_used"]),
            "release_date": _iso(m["release_date"]), "license": m["license"],
        } | _gated(m["gated"]),
        "get_started": {
            "hf_url": m["hf_url"],
            "gguf_repo_id": m["canonical_gguf_repo_id"],
            "gguf_url": ("https://huggingface.co/" + m["canonical_gguf_repo_id"])
            if m["canonical_gguf_repo_id"] else None,
        },
        "quantizations": quant_rows,
        "vram_formula": {
            "quant": rec["quant"], "formula": "VRAM = weights + KV cache + overhead",
            "params_total": as_int(m["params_total"]),
            "bits_per_weight": round(float(rec["bits_per_weight"]), 3),
            "weights_bytes": weights_bytes, "weights_gb": gb_bytes(weights_bytes),
            "weights_source": rec["size_source"],
            "at_2k": {"context_tokens": default_ctx, "kv_cache_gb": gb(kv_2k), "overhead_gb": gb(overhead),
                      "kv_plus_overhead_gb": gb(kv_2k + overhead), "vram_gb": rec_vram},
            "at_full_context": {"context_tokens": full_ctx, "kv_cache_gb": gb(kv_full),
                                "overhead_gb": gb(overhead), "kv_plus_overhead_gb": gb(kv_full + overhead),
                                "vram_gb": rec_full},
            "kv_method": rec["kv_method"], "kv_type": rec["kv_type"],
        },
        "memory_by_context": [
            {"quant": q["quant"],
             "points": [{"context_tokens": int(r["context_tokens"]), "kv_cache_gb": gb(r["kv_cache_gb"]),
                         "vram_gb": gb(r["vram_gb"])} for r in memory if r["quant"] == q["quant"]]}
            for q in quants],
        "gpus": {
            "quant": rec["quant"], "context_tokens": ctx, "vram_gb": rec_vram,
            "recommended_gb": gb(rec["recommended_gb"]),
            "recommended_factor": float(profile["recommended_factor"]),
            "full_context_tokens": full_ctx, "full_context_addition_gb": full_addition,
            "vram_full_context_gb": rec_full,
            "single_gpu_count": len(rec_hw["single_gpu"]),
            "single_gpu": [e["device_id"] for e in rec_hw["single_gpu"]],
            "text": (f"{name} ({rec['quant']}) needs {_fmt_gb(rec_vram)}; "
                     f"{_fmt_gb(gb(rec['recommended_gb']))}+ is comfortable. The full "
                     f"{_fmt_tokens(full_ctx)}-token context adds {_fmt_gb(full_addition)} "
                     f"({_fmt_gb(rec_full)} total). "
                     + ("No single GPU has enough memory: multi-GPU setups are needed." if no_single else
                        f"{len(single_names)} single GPU(s) fit, e.g. {', '.join(single_names[:3])}.")),
        },
        "devices": {
            "quant": rec["quant"], "context_tokens": ctx, "vram_gb": rec_vram, "count": len(devices_rec),
            "runs_great": [e for e in devices_rec_sorted if e["verdict"] == "runs_great"],
            "decent": [e for e in devices_rec_sorted if e["verdict"] == "decent"],
            "verdicts": {"runs_great": f"usable ≥ {float(profile['runs_great_factor']):g} × needed "
                                       "(plenty of headroom)",
                         "decent": "enough memory, may be tight"},
        },
        "hardware_by_quant": {"context_tokens": ctx, "quants": hardware},
        "speed": {"quant": rec["quant"], "context_tokens": ctx, "full_context_tokens": full_ctx,
                  "method": profile["speed_method"], "formula": formula, "example": example,
                  "devices": speed_rows},
        "related": {"derivatives": int(m["derivatives"] or 0), "base_model": m["base_model"],
                    "canonical_gguf_repo_id": m["canonical_gguf_repo_id"]},
        "faq": faq,
        "provenance": {
            "hub_sha": m["sha"], "fetched_at": _iso(m["fetched_at"]),
            "last_modified": _iso(m["last_modified"]),
            "sources": sorted({m["hf_url"], *(f"https://huggingface.co/{q['gguf_repo_id']}"
                                              for q in quants if q["gguf_repo_id"])}),
            "gguf_shas": sorted({f"{f['gguf_repo_id']}@{f['repo_sha']}" for f in files}),
            "methodology": "docs/methodology.md",
        },
    }
    return page
