"""`fitcat fit`: which models (and at which quant) fit a catalogue device or any hardware.

Models are ranked by the best quant that fits (higher quality first), then by its decode speed.
The arithmetic is the device_fit view's (the fit_estimate table macro), at any context (`--context`),
KV cache type (`--kv-type`) and flash-attention setting (`--flash-attention`); every estimated
figure comes with its band (`*_low` / `*_high`).
"""

from __future__ import annotations

import argparse
from typing import Any

import duckdb

from catalog.commands import _common as c
from catalog.devices import memory as rules

BACKENDS = ["cuda", "rocm", "metal", "vulkan", "cpu"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fit", help="which models and quants fit a device (catalogue or custom)")
    hw = p.add_argument_group("hardware (a catalogue device, or describe one)")
    hw.add_argument("--device", metavar="NAME", help="catalogue device: id or (part of) its name")
    hw.add_argument("--memory-gb", type=float, help="memory per GPU as marketed (binary GB: 24 = RTX 4090)")
    hw.add_argument("--bandwidth-gbps", type=float, help="memory bandwidth per GPU, GB/s")
    hw.add_argument("--unified", action="store_true", help="unified memory (Apple Silicon, Strix Halo...)")
    hw.add_argument("--gpus", type=int, default=1, help="number of GPUs (default 1)")
    hw.add_argument(
        "--backend", choices=BACKENDS, help="runtime backend (default: metal with --unified, else cuda)"
    )
    p.add_argument("--context", type=int, default=2048, metavar="N", help="context tokens (default 2,048)")
    p.add_argument("--kv-type", choices=["f16", "q8_0", "q4_0"],
                   help="KV cache type (default: the profile's, f16)")
    p.add_argument("--flash-attention", choices=["on", "off"],
                   help="llama.cpp -fa (default: the profile's; llama.cpp's own default -fa auto is on)")
    p.add_argument("--publisher", help="only this publisher (repo owner)")
    p.add_argument("--min-params", type=float, metavar="B", help="at least B billion parameters")
    p.add_argument("--max-params", type=float, metavar="B", help="at most B billion parameters")
    p.add_argument("--moe", action="store_true", help="mixture-of-experts models only")
    p.add_argument("--limit", type=int, default=50, help="rows to show (default 50)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(run=c.command("fit", _run))


def _run(args: argparse.Namespace) -> int:
    if args.context <= 0:
        raise c.CliError("--context must be a positive number of tokens")
    if args.device is None and args.memory_gb is None:
        raise c.CliError("give --device NAME (a catalogue device) or --memory-gb and --bandwidth-gbps")
    if args.device is not None and args.memory_gb is not None:
        raise c.CliError("give either --device or --memory-gb/--bandwidth-gbps, not both")
    con = c.open_db(args)
    try:
        result = fit(con, args)
    finally:
        con.close()
    if args.json:
        c.print_json(result)
    else:
        _render(result, c.console(), args.limit)
    return c.OK


def resolve_device(con: duckdb.DuckDBPyConnection, query: str) -> dict[str, Any]:
    devices = c.rows(con, "SELECT * FROM devices ORDER BY device_id")
    by_label: dict[str, str] = {}
    for d in devices:
        by_label.setdefault(d["name"], d["device_id"])
        by_label[d["device_id"]] = d["device_id"]
    device_id = c.resolve(query, by_label, "device")
    return next(d for d in devices if d["device_id"] == device_id)


def custom_device(args: argparse.Namespace) -> dict[str, Any]:
    if args.bandwidth_gbps is None:
        raise c.CliError("--memory-gb needs --bandwidth-gbps (memory bandwidth per GPU, GB/s)")
    if args.memory_gb <= 0 or args.bandwidth_gbps <= 0 or args.gpus < 1:
        raise c.CliError("--memory-gb, --bandwidth-gbps and --gpus must be positive")
    backend = args.backend or ("metal" if args.unified else "cuda")
    memory = rules.marketed_gb_to_bytes(args.memory_gb)
    share = rules.effective_gpu_share(memory, args.unified, backend)
    usable = rules.usable_memory_bytes(memory, share, rules.reserve_bytes(backend))
    return {
        "device_id": None,
        "name": "custom",
        "memory_gb": args.memory_gb,
        "gpu_count": args.gpus,
        "bandwidth_gbps": args.bandwidth_gbps,
        "unified": args.unified,
        "backend": backend,
        "usable_memory_bytes": usable,
        "usable_memory_gb": round(usable / 1e9, 2),
    }


def fit(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> dict[str, Any]:
    options = {"context": args.context, "kv_type": args.kv_type,
               "flash_attention": None if args.flash_attention is None else args.flash_attention == "on"}
    if args.device is not None:
        device = resolve_device(con, args.device)
        found = c.fit_rows(con, device_id=device["device_id"], **options)
    else:
        device = custom_device(args)
        found = c.fit_rows(con, custom=device, **options)
    models = {
        m["repo_id"]: m
        for m in c.rows(
            con,
            """
        SELECT repo_id, publisher, params_total, params_active, n_experts, context_length FROM models""",
        )
    }

    def wanted(m: dict[str, Any]) -> bool:
        p = (m["params_total"] or 0) / 1e9
        return (
            (args.publisher is None or (m["publisher"] or "").lower() == args.publisher.lower())
            and (args.min_params is None or p >= args.min_params)
            and (args.max_params is None or p <= args.max_params)
            and (not args.moe or bool(m["n_experts"]))
        )

    per_model: dict[str, list[dict[str, Any]]] = {}
    for r in found:
        m = models.get(r["repo_id"])
        if m is None or not wanted(m):
            continue
        per_model.setdefault(r["repo_id"], []).append(r)

    fits, too_long, too_small = [], [], []
    for repo_id, quants in per_model.items():
        m = models[repo_id]
        if m["context_length"] < args.context:
            too_long.append({"repo_id": repo_id, "context_length": m["context_length"]})
            continue
        ok = [q for q in quants if q["verdict"] in ("runs_great", "decent")]
        if not ok:
            smallest = min(quants, key=lambda q: q["needed_gb"])
            too_small.append(
                {
                    "repo_id": repo_id,
                    "smallest_quant": smallest["quant"],
                    "needed_gb": round(smallest["needed_gb"], 2),
                }
            )
            continue
        ok.sort(key=_quality, reverse=True)
        best = ok[0]
        fits.append(
            {
                "repo_id": repo_id,
                "publisher": m["publisher"],
                "params_total": m["params_total"],
                "params_active": m["params_active"],
                "moe": bool(m["n_experts"]),
                "best_quant": best["quant"],
                "bits_per_weight": round(best["bits_per_weight"], 3),
                "size_source": best["size_source"],
                "verdict": best["verdict"],
                "weights_gb": round(best["weights_gb"], 2),
                "weights_gb_low": round(best["weights_gb_low"], 2),
                "weights_gb_high": round(best["weights_gb_high"], 2),
                "needed_gb": round(best["needed_gb"], 2),
                "needed_gb_low": round(best["needed_gb_low"], 2),
                "needed_gb_high": round(best["needed_gb_high"], 2),
                "headroom_gb": round(best["headroom_gb"], 2),
                "headroom_gb_low": round(best["headroom_gb_low"], 2),
                "headroom_gb_high": round(best["headroom_gb_high"], 2),
                "max_context_tokens": best["max_context_tokens"],
                "decode_tok_s": _tok(best["decode_tok_s"]),
                "decode_tok_s_low": _tok(best["decode_tok_s_low"]),
                "decode_tok_s_high": _tok(best["decode_tok_s_high"]),
                "quants_that_fit": [q["quant"] for q in ok],
            }
        )
    fits.sort(
        key=lambda f: (
            -_quality_of(per_model[f["repo_id"]], f["best_quant"]),
            -(f["decode_tok_s"] or 0),
            f["repo_id"],
        )
    )
    dev = {
        k: device.get(k)
        for k in (
            "device_id",
            "name",
            "memory_gb",
            "gpu_count",
            "bandwidth_gbps",
            "unified",
            "backend",
            "usable_memory_gb",
        )
    }
    return {
        "device": dev,
        "context_tokens": args.context,
        "kv_type": found[0]["kv_type"] if found else args.kv_type,
        "flash_attention": found[0]["flash_attention"] if found else options["flash_attention"],
        "models": fits,
        "too_small": sorted(too_small, key=lambda x: x["repo_id"]),
        "context_too_long": sorted(too_long, key=lambda x: x["repo_id"]),
    }


def _tok(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _quality(q: dict[str, Any]) -> tuple[float, float]:
    """Quant quality: quant_types.sort_order (bits × 10 for quants it does not list), then bits."""
    order = q["sort_order"] if q["sort_order"] is not None else (q["bits_per_weight"] or 0) * 10
    return (order, q["bits_per_weight"] or 0)


def _quality_of(quants: list[dict[str, Any]], quant: str) -> float:
    return _quality(next(q for q in quants if q["quant"] == quant))[0]


def _render(result: dict[str, Any], out, limit: int) -> None:
    d = result["device"]
    mem = c.memory_label(d)
    out.print(
        f"[bold]{d['name']}[/] ({mem}, {d['bandwidth_gbps']:g} GB/s, {d['backend']}) at "
        f"{result['context_tokens']:,} tokens of context: {len(result['models'])} models fit"
    )
    t = c.table(("#", "right"), "Model", ("Params", "right"), "Best quant", ("Needs", "right"),
                ("Headroom", "right"), "Verdict", ("Speed", "right"), ("Max context", "right"), "Also fits")
    for column in t.columns:
        column.no_wrap = column.header in ("Model", "Best quant", "Verdict", "Speed")
    for i, f in enumerate(result["models"][:limit], 1):
        params = c.params_b(f["params_total"]) + (
            f" ({c.params_b(f['params_active'])} act.)" if f["moe"] else ""
        )
        t.add_row(
            str(i),
            f["repo_id"],
            params,
            f["best_quant"] + ("" if f["size_source"] == "gguf" else "*"),
            c.gb(f["needed_gb"]),
            c.gb(f["headroom_gb"]),
            f["verdict"].replace("_", " "),
            "—" if f["decode_tok_s"] is None else f"~{f['decode_tok_s']:,.0f} tok/s",
            c.tokens(f["max_context_tokens"]),
            ", ".join(f["quants_that_fit"][1:4]),
        )
    out.print(t)
    out.print("* estimated size (no GGUF build in the catalogue)")
    if result["too_small"]:
        out.print(
            "Too small for: "
            + ", ".join(
                f"{x['repo_id']} (needs {x['needed_gb']:.1f} GB at {x['smallest_quant']})"
                for x in result["too_small"]
            )
        )
    if result["context_too_long"]:
        out.print(
            "Context longer than the model's maximum: "
            + ", ".join(f"{x['repo_id']} ({x['context_length']:,})" for x in result["context_too_long"])
        )
