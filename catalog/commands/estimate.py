"""`fitcat estimate`: memory, fit and speed for a model or device that is not in the catalogue.

Runs the catalogue's own SQL (migrations, macros, views) on an in-memory DuckDB (built once per
process, ~0.5 s; each estimate works in a transaction that is rolled back): the model is
inserted as a hub_models row (+ its config.json as a raw response, its attention rows and its
sizes from the architecture), the device as a one-row table, and the answer is a row of the
fit_estimate table macro, the definition the device_fit views and `fitcat fit` use too. Every
estimated figure comes with its band (`*_low` / `*_high`). See docs/methodology.md.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import threading
from datetime import UTC, datetime
from typing import Any

import duckdb

from catalog import db, store
from catalog.commands import arguments, catalogue, errors, fits, lookup, this_machine
from catalog.commands.errors import CliError
from catalog.estimates.sizes import store_size_estimates
from catalog.hub.attention import attention_rows
from catalog.hub.config import text_config
from catalog.hub.params import architecture_candidate

GIB = 2**30
MODEL_ID = "estimate/model"


class EstimateError(CliError):
    """Bad or missing input for an estimate (exit 2)."""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("estimate", help="estimate memory, fit and speed for any model and device")
    p.add_argument("--config", type=arguments.json_file, metavar="FILE",
                   help="a Hugging Face config.json (its architecture gives the parameters and the KV "
                        "cache), "
                        "e.g. catalog/fakehub/sample/repos/meta-llama/Llama-3.1-8B-Instruct/config.json")
    p.add_argument("--params", type=arguments.positive_number,
                   help="total parameters (e.g. 8.03e9), instead of counting them from --config")
    p.add_argument("--active-params", type=arguments.positive_number, help="parameters used per token (MoE)")
    p.add_argument("--quant", type=arguments.name, default="Q4_K_M")
    p.add_argument("--file-size", type=arguments.positive_number, help="real GGUF bytes (all shards)")
    p.add_argument("--context", type=arguments.tokens, default=2048)
    p.add_argument("--kv-type", choices=["f16", "q8_0", "q4_0"],
                   help="KV cache type (default: the profile's)")
    p.add_argument("--flash-attention", choices=["on", "off"],
                   help="llama.cpp -fa (default: the profile's; llama.cpp's own default -fa auto is on)")
    p.add_argument("--profile", type=arguments.name,
                   help="runtime profile (default: the catalogue's default)")
    p.add_argument("--device", type=arguments.name, help="a catalogue device: id or (part of) its name")
    p.add_argument("--memory-gb", type=arguments.memory_gb,
                   help="memory per GPU as marketed, in GiB (24 = RTX 4090)")
    p.add_argument("--bandwidth-gbps", type=arguments.bandwidth_gbps, help="memory bandwidth per GPU, GB/s")
    p.add_argument("--unified", action="store_true")
    p.add_argument("--gpus", type=arguments.gpus, default=1)
    this_machine.add_argument(p)
    p.add_argument("--backend", choices=["cuda", "rocm", "metal", "vulkan", "cpu"], default="cuda")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=errors.command("estimate", run))


def run(args: argparse.Namespace) -> int:
    result = run_estimate(args)
    if getattr(args, "json", False):
        print(json.dumps(result))
    else:
        _print_text(result)
    return 0


def run_estimate(args: argparse.Namespace) -> dict[str, Any]:
    """One estimate as a dict with the --json keys."""
    config = getattr(args, "config", None)
    device = _device(args)
    with _ONE_AT_A_TIME, _scratch_catalogue().cursor() as cursor, store.rolled_back(cursor) as con:
        profile = _profile(con, getattr(args, "profile", None))
        context_length = _insert_model(con, args, config)
        if args.context > context_length:
            raise EstimateError(
                f"--context {args.context:,} is beyond the model's maximum of {context_length:,} tokens")
        store_size_estimates(con, MODEL_ID)
        return _estimate(con, args, profile, device)


_ONE_AT_A_TIME = threading.Lock()   # every estimate inserts the same MODEL_ID


@functools.cache
def _scratch_catalogue() -> duckdb.DuckDBPyConnection:
    """An empty in-memory catalogue with the schema, macros and views."""
    con = duckdb.connect()
    db.migrate(con)
    db.apply_objects(con)
    return con


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
    if config is None:
        raise EstimateError("give --config FILE (a Hugging Face config.json: its architecture gives the "
                            "parameters and the KV cache), with --params or --file-size to override them")
    if args.params is None and args.file_size is None and counted is None:
        raise EstimateError("the --config architecture cannot be counted: also give --params (and --quant) "
                            "or --file-size")
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
        con.execute(
            """INSERT INTO hub_gguf_files (gguf_repo_id, base_repo_id, repo_sha, path, quant, shard,
                                           shard_count,
                                           size_bytes, source_url, fetched_at, run_id)
               VALUES ('estimate/model-GGUF', ?, 'local', ?, ?, 1, 1, ?, 'local', ?, 'estimate')""",
            [MODEL_ID, f"model-{args.quant}.gguf", args.quant.upper(), int(args.file_size), now],
        )
    return context_length


def _device(args: argparse.Namespace) -> dict[str, Any] | None:
    """The device of the estimate (a devices row or a fits.shape), or None: memory only."""
    chosen = [o for o, v in (("--device", args.device), ("--memory-gb", args.memory_gb),
                             ("--this-machine", args.this_machine or None)) if v is not None]
    if len(chosen) > 1:
        raise EstimateError(f"give one of {' / '.join(chosen)}, not both")
    if args.device is not None or args.this_machine:
        cat = catalogue.open_db(args)
        try:
            if args.this_machine:
                local = this_machine.local_device(cat, args.bandwidth_gbps)
                for line in local.lines():
                    print(line, file=sys.stderr)
                return local.device
            device_id = lookup.resolve(args.device, lookup.device_entries(cat), "device")
            return catalogue.rows(cat, "SELECT * FROM devices WHERE device_id = ?", [device_id])[0] | (
                {"gpu_count": args.gpus} if args.gpus > 1 else {})
        finally:
            cat.close()
    if args.memory_gb is None:
        if args.bandwidth_gbps is not None:
            raise EstimateError("--bandwidth-gbps needs --memory-gb")
        return None
    if args.bandwidth_gbps is None:
        raise EstimateError("--memory-gb needs --bandwidth-gbps (memory bandwidth per GPU, GB/s)")
    return fits.shape("custom", round(args.memory_gb * GIB), gpus=args.gpus, unified=args.unified,
                      backend=args.backend, bandwidth_gbps=args.bandwidth_gbps)


# The one fit definition over the estimate's device (fits.device_table: all NULL for none).
_ESTIMATE_SQL = """
SELECT * FROM fit_estimate($devices, profile_name := $profile, repo_name := $repo,
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
    fa = getattr(args, "flash_attention", None)
    cur = con.execute(_ESTIMATE_SQL, {"devices": fits.device_table(con, device), "profile": profile,
                                      "repo": MODEL_ID, "quant": quant,
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
            "id": device["device_id"],
            "name": device["name"],
            "memory_gb": round(device["memory_bytes"] / GIB, 1),
            "usable_gb": rnd(r["usable_gb"] / device["gpu_count"]),
            "bandwidth_gbps": device["bandwidth_gbps"],
            "gpus": device["gpu_count"],
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
        bandwidth = "bandwidth unknown" if d["bandwidth_gbps"] is None else f"{d['bandwidth_gbps']:g} GB/s"
        speed = ("speed unknown (give --bandwidth-gbps)" if r["decode_tok_s"] is None else
                 f"~{r['decode_tok_s']} tok/s ({r['decode_tok_s_low']}–{r['decode_tok_s_high']})")
        print(f"device {d['name']}: {d['gpus']} × {d['memory_gb']:g} GiB "
              f"(usable {d['usable_gb']} GB per GPU), {bandwidth} -> {r['verdict']}, "
              f"GPUs needed {r['gpus_needed']}, max context {r['max_context_tokens']}, {speed}")
