"""`fitcat estimate`: memory, fit and speed for a model or device that is not in the catalogue.

Runs the catalogue's own SQL (migrations, macros, views) on an in-memory DuckDB: the model is
inserted as a hub_models row (+ its config.json as a raw response, its attention rows and its
sizes from the architecture), the device as a one-row table, and the answer is a row of the
fit_estimate table macro, the definition the device_fit views and `fitcat fit` use too. Every
estimated figure comes with its band (`*_low` / `*_high`). See docs/methodology.md.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from catalog import db, paths
from catalog.estimates.sizes import store_size_estimates
from catalog.hub.attention import attention_rows
from catalog.hub.config import text_config
from catalog.hub.params import architecture_candidate

GIB = 2**30
MIB = 2**20
MODEL_ID = "estimate/model"
# Fallback rules for --memory-gb when catalog.devices is unavailable (same as docs/devices.md).
_RESERVE_MIB = {"cuda": 512, "rocm": 512, "vulkan": 512, "metal": 0, "cpu": 0}


class EstimateError(ValueError):
    """Bad or missing input for an estimate."""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("estimate", help="estimate memory, fit and speed for any model and device")
    p.add_argument("--config", type=Path, help="a Hugging Face config.json")
    p.add_argument("--params", type=float, help="total parameters (e.g. 8.03e9)")
    p.add_argument("--active-params", type=float, help="parameters used per token (MoE)")
    p.add_argument("--quant", default="Q4_K_M")
    p.add_argument("--file-size", type=int, help="real GGUF bytes (all shards)")
    p.add_argument("--context", type=int, default=2048)
    p.add_argument("--kv-type", choices=["f16", "q8_0", "q4_0"],
                   help="KV cache type (default: the profile's)")
    p.add_argument("--flash-attention", choices=["on", "off"],
                   help="llama.cpp -fa (default: the profile's; llama.cpp's own default -fa auto is on)")
    p.add_argument("--profile", help="runtime profile (default: the catalogue's default)")
    p.add_argument("--device", help="a device_id from the catalogue")
    p.add_argument("--memory-gb", type=float, help="memory per GPU as marketed (binary GB, 24 = RTX 4090)")
    p.add_argument("--bandwidth-gbps", type=float)
    p.add_argument("--unified", action="store_true")
    p.add_argument("--gpus", type=int, default=1)
    p.add_argument("--backend", choices=["cuda", "rocm", "metal", "vulkan", "cpu"], default="cuda")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        result = run_estimate(args)
    except EstimateError as exc:
        print(f"fitcat estimate: {exc}")
        return 2
    if getattr(args, "json", False):
        print(json.dumps(result))
    else:
        _print_text(result)
    return 0


def run_estimate(args: argparse.Namespace) -> dict[str, Any]:
    """One estimate as a dict with the --json keys."""
    config = json.loads(Path(args.config).read_text()) if getattr(args, "config", None) else None
    device = _device(args)
    con = duckdb.connect()
    try:
        db.migrate(con)
        db.apply_objects(con)
        profile = _profile(con, getattr(args, "profile", None))
        context_length = _insert_model(con, args, config)
        if args.context > context_length:
            raise EstimateError(
                f"--context {args.context:,} is beyond the model's maximum of {context_length:,} tokens")
        store_size_estimates(con, MODEL_ID)
        return _estimate(con, args, profile, device)
    finally:
        con.close()


def _profile(con: duckdb.DuckDBPyConnection, name: str | None) -> str:
    if name is None:
        return con.execute("SELECT profile FROM runtime_profiles WHERE is_default").fetchone()[0]
    known = [r[0] for r in con.execute("SELECT profile FROM runtime_profiles ORDER BY 1").fetchall()]
    if name not in known:
        raise EstimateError(f"unknown profile {name!r}; known: {', '.join(known)}")
    return name


def _insert_model(con: duckdb.DuckDBPyConnection, args: argparse.Namespace, config: dict | None) -> int:
    cfg = text_config(config)
    counted = architecture_candidate(config) if config else None   # the catalogue's own count
    if args.params is None and args.file_size is None and counted is None:
        raise EstimateError("give --params (and --quant), --file-size, or a --config whose "
                            "architecture can be counted")
    if args.context <= 0:
        raise EstimateError("--context must be positive")
    context_length = int(cfg.get("max_position_embeddings") or args.context)
    now = datetime.now(UTC)
    params = int(args.params) if args.params else (counted.params_total if counted else None)
    active = (int(args.active_params) if args.active_params
              else counted.params_active if counted and not args.params else params)
    con.execute(
        """INSERT INTO hub_models (repo_id, sha, config_sha, params_total, params_active, params_source,
                                   context_length, vocab_size, hidden_size, architecture, source_url,
                                   fetched_at, run_id)
           VALUES (?, 'local', 'local', ?, ?, 'estimate', ?, ?, ?, ?, 'local', ?, 'estimate')""",
        [
            MODEL_ID,
            params,
            active,
            context_length,
            cfg.get("vocab_size"),
            cfg.get("hidden_size"),
            (cfg.get("architectures") or [None])[0],
            now,
        ],
    )
    if config:
        con.execute(
            """INSERT INTO raw_hub_responses (run_id, repo_id, repo_sha, kind, source_url, fetched_at,
                                              payload)
               VALUES ('estimate', ?, 'local', 'config', 'local', ?, ?)""",
            [MODEL_ID, now, json.dumps(config)],
        )
        for row in attention_rows(MODEL_ID, config):
            cols = list(row)
            con.execute(
                f"INSERT INTO attention_components ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                [row[c] for c in cols],
            )
    if args.file_size is not None:
        if args.file_size <= 0:
            raise EstimateError("--file-size must be positive")
        con.execute(
            """INSERT INTO hub_gguf_files (gguf_repo_id, base_repo_id, repo_sha, path, quant, shard,
                                           shard_count,
                                           size_bytes, source_url, fetched_at, run_id)
               VALUES ('estimate/model-GGUF', ?, 'local', ?, ?, 1, 1, ?, 'local', ?, 'estimate')""",
            [MODEL_ID, f"model-{args.quant}.gguf", args.quant.upper(), args.file_size, now],
        )
    return context_length


def _device(args: argparse.Namespace) -> dict[str, Any] | None:
    if getattr(args, "device", None):
        path = paths.db_path(getattr(args, "db", None))
        if not path.exists():
            raise EstimateError(
                f"--device needs the catalogue ({path}); or give --memory-gb and --bandwidth-gbps"
            )
        with duckdb.connect(str(path), read_only=True) as cat:
            row = cat.execute(
                """SELECT device_id, memory_bytes, usable_memory_bytes, bandwidth_gbps, gpu_count, backend,
                          fp16_tflops_dense
                   FROM devices WHERE device_id = ?""",
                [args.device],
            ).fetchone()
        if row is None:
            raise EstimateError(f"device {args.device!r} is not in the catalogue")
        return dict(
            zip(["id", "memory_bytes", "usable_bytes", "bandwidth_gbps", "gpus", "backend", "tflops"], row,
                strict=True)
        )
    if getattr(args, "memory_gb", None) is None:
        if getattr(args, "bandwidth_gbps", None) is not None:
            raise EstimateError("--bandwidth-gbps needs --memory-gb")
        return None
    if args.bandwidth_gbps is None or args.bandwidth_gbps <= 0 or args.memory_gb <= 0 or args.gpus < 1:
        raise EstimateError("--memory-gb, --bandwidth-gbps and --gpus must be positive")
    memory = round(args.memory_gb * GIB)
    return {
        "id": None,
        "memory_bytes": memory,
        "usable_bytes": _usable(memory, args.unified, args.backend),
        "bandwidth_gbps": args.bandwidth_gbps,
        "gpus": args.gpus,
        "backend": args.backend,
        "tflops": None,
    }


def _usable(memory: int, unified: bool, backend: str) -> int:
    """Per-GPU usable bytes by the devices rules (catalog.devices.memory when present)."""
    try:
        from catalog.devices import memory as rules
    except ImportError:  # pragma: no cover - the devices package ships with the catalogue
        share = (2 / 3 if memory <= 36 * GIB else 3 / 4) if unified and backend == "metal" else 1.0
        return max(0, int(memory * share) - _RESERVE_MIB[backend] * MIB)
    share = rules.effective_gpu_share(memory, unified, backend)
    return rules.usable_memory_bytes(memory, share, rules.reserve_bytes(backend))


# The device as a one-row relation shaped like the devices view (all NULL when none was given:
# memory only), and the one fit definition over it.
_DEVICE_TABLE = """
CREATE OR REPLACE TEMP TABLE estimate_device AS
SELECT CAST($id AS VARCHAR) AS device_id, CAST($gpus AS INTEGER) AS gpu_count,
       CAST($bw AS DOUBLE) AS bandwidth_gbps, CAST($backend AS VARCHAR) AS backend,
       CAST($usable AS BIGINT) AS usable_memory_bytes,
       CAST($tflops AS DOUBLE) AS fp16_tflops_dense"""
_ESTIMATE_SQL = """
SELECT * FROM fit_estimate('estimate_device', profile_name := $profile, repo_name := $repo,
                           ctx_tokens := $ctx, cache_type := $kv, fa := $fa, all_quants := true)
WHERE quant = $quant
"""


def _estimate(
    con: duckdb.DuckDBPyConnection,
    args: argparse.Namespace,
    profile: str,
    device: dict[str, Any] | None,
) -> dict[str, Any]:
    quant = args.quant.upper()
    d = device or {}
    con.execute(_DEVICE_TABLE, {"id": d.get("id"), "gpus": d.get("gpus", 1), "bw": d.get("bandwidth_gbps"),
                                "backend": d.get("backend"), "usable": d.get("usable_bytes"),
                                "tflops": d.get("tflops")})
    fa = getattr(args, "flash_attention", None)
    cur = con.execute(_ESTIMATE_SQL, {"profile": profile, "repo": MODEL_ID, "quant": quant,
                                      "ctx": args.context, "kv": getattr(args, "kv_type", None),
                                      "fa": None if fa is None else fa == "on"})
    cols = [c[0] for c in cur.description]
    row = cur.fetchone()
    if row is None:
        known = ", ".join(
            r[0] for r in con.execute("SELECT quant FROM quant_types ORDER BY sort_order").fetchall()
        )
        raise EstimateError(f"unknown quant {quant!r} (give --file-size, or one of: {known})")
    r = dict(zip(cols, row, strict=True))
    if r["kv_cache_gb"] is None:
        raise EstimateError("no attention layout: give --config with num_hidden_layers and attention heads")

    def rnd(value: float | None, digits: int = 3) -> float | None:
        return None if value is None else round(value, digits)

    def speed(value: float | None) -> float | None:
        return None if not device or value is None else round(value, 1)

    return {
        "params_total": r["params_total"],
        "params_active": r["params_active"],
        "quant": quant,
        "bits_per_weight": rnd(r["bits_per_weight"]),
        "weights_gb": rnd(r["weights_gb"]),
        "weights_gb_low": rnd(r["weights_gb_low"]),
        "weights_gb_high": rnd(r["weights_gb_high"]),
        "weights_source": r["size_source"],
        "weights_method": r["size_method"],
        "context_tokens": args.context,
        "kv_type": r["kv_type"],
        "flash_attention": r["flash_attention"],
        "kv_cache_gb": rnd(r["kv_cache_gb"], 4),
        "overhead_gb": rnd(r["overhead_gb"]),
        "overhead_gb_low": rnd(r["overhead_gb_low"]),
        "overhead_gb_high": rnd(r["overhead_gb_high"]),
        "vram_gb": rnd(r["vram_gb"]),
        "vram_gb_low": rnd(r["vram_gb_low"]),
        "vram_gb_high": rnd(r["vram_gb_high"]),
        "recommended_gb": rnd(r["recommended_gb"]),
        "device": None
        if device is None
        else {
            "id": device["id"],
            "memory_gb": round(device["memory_bytes"] / GIB, 1),
            "usable_gb": rnd(r["usable_gb"] / device["gpus"]),
            "bandwidth_gbps": device["bandwidth_gbps"],
            "gpus": device["gpus"],
        },
        "verdict": r["verdict"] if device else None,
        "gpus_needed": r["gpus_needed"] if device else None,
        "max_context_tokens": r["max_context_tokens"] if device else None,
        "decode_tok_s": speed(r["decode_tok_s"]),
        "decode_tok_s_low": speed(r["decode_tok_s_low"]),
        "decode_tok_s_high": speed(r["decode_tok_s_high"]),
    }


def _print_text(r: dict[str, Any]) -> None:
    print(
        f"{r['quant']}: weights {r['weights_gb']} GB ({r['weights_source']}), "
        f"KV {r['kv_cache_gb']} GB at {r['context_tokens']:,} tokens, overhead {r['overhead_gb']} GB"
    )
    print(f"VRAM {r['vram_gb']} GB ({r['vram_gb_low']}–{r['vram_gb_high']}), "
          f"recommended {r['recommended_gb']} GB")
    if r["device"]:
        d = r["device"]
        print(
            f"device {d['id'] or 'custom'}: {d['gpus']} × {d['memory_gb']} GB "
            f"(usable {d['usable_gb']} GB/GPU), "
            f"{d['bandwidth_gbps']} GB/s -> {r['verdict']}, GPUs needed {r['gpus_needed']}, "
            f"max context {r['max_context_tokens']}, ~{r['decode_tok_s']} tok/s "
            f"({r['decode_tok_s_low']}–{r['decode_tok_s_high']})"
        )
