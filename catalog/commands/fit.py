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
from rich.text import Text

from catalog.commands import arguments, catalogue, errors, fits, lookup, output, this_machine
from catalog.devices import memory as rules
from catalog.units import memory_label, show_gb, show_params, show_tokens

BACKENDS = ["cuda", "rocm", "metal", "vulkan", "cpu"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fit", help="which models and quants fit a device (catalogue or custom)")
    hw = p.add_argument_group("hardware (a catalogue device, or describe one)")
    hw.add_argument("--device", type=arguments.name, metavar="NAME",
                    help="catalogue device: id, name, or words of its name")
    hw.add_argument("--memory-gb", type=arguments.memory_gb,
                    help="memory per GPU as marketed, in GiB (24 = RTX 4090)")
    hw.add_argument("--bandwidth-gbps", type=arguments.bandwidth_gbps, help="memory bandwidth per GPU, GB/s")
    hw.add_argument("--unified", action="store_true", help="unified memory (Apple Silicon, Strix Halo...)")
    this_machine.add_argument(hw)
    hw.add_argument("--gpus", type=arguments.gpus,
                    help="number of GPUs (default 1; with --device: that many of it, e.g. 2 RTX 3090s)")
    hw.add_argument(
        "--backend", choices=BACKENDS, help="runtime backend (default: metal with --unified, else cuda)"
    )
    p.add_argument("--context", type=arguments.tokens, default=2048, metavar="N",
                   help="context tokens (default 2,048)")
    p.add_argument("--kv-type", choices=["f16", "q8_0", "q4_0"],
                   help="KV cache type (default: the profile's, f16)")
    p.add_argument("--flash-attention", choices=["on", "off"],
                   help="llama.cpp -fa (default: the profile's; llama.cpp's own default -fa auto is on)")
    p.add_argument("--publisher", type=arguments.name, help="only this publisher (repo owner)")
    p.add_argument("--min-params", type=arguments.billions, metavar="B", help="at least B billion parameters")
    p.add_argument("--max-params", type=arguments.billions, metavar="B", help="at most B billion parameters")
    p.add_argument("--moe", action="store_true", help="mixture-of-experts models only")
    p.add_argument("--limit", type=arguments.rows, default=50, help="rows to show (default 50)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(run=errors.command("fit", _run))


def _run(args: argparse.Namespace) -> int:
    given = [o for o, v in (("--device", args.device), ("--memory-gb", args.memory_gb),
                            ("--this-machine", args.this_machine or None)) if v is not None]
    if not given:
        raise errors.CliError("give --device NAME (a catalogue device), --memory-gb and --bandwidth-gbps, "
                              "or --this-machine")
    if len(given) > 1:
        raise errors.CliError(f"give one of {' / '.join(given)}, not both")
    con = catalogue.open_db(args)
    try:
        result = fit(con, args)
    finally:
        con.close()
    if args.json:
        output.print_json(result)
    else:
        _render(result, output.console(), args.limit)
    return errors.OK


def resolve_device(con: duckdb.DuckDBPyConnection, query: str) -> dict[str, Any]:
    device_id = lookup.resolve(query, lookup.device_entries(con), "device")
    return catalogue.rows(con, "SELECT * FROM devices WHERE device_id = ?", [device_id])[0]


def custom_device(args: argparse.Namespace) -> dict[str, Any]:
    if args.bandwidth_gbps is None:
        raise errors.CliError("--memory-gb needs --bandwidth-gbps (memory bandwidth per GPU, GB/s)")
    return fits.shape("custom", rules.marketed_gb_to_bytes(args.memory_gb), gpus=args.gpus or 1,
                      bandwidth_gbps=args.bandwidth_gbps, unified=args.unified,
                      backend=args.backend or ("metal" if args.unified else "cuda"))


def chosen_device(con: duckdb.DuckDBPyConnection, args: argparse.Namespace
                  ) -> tuple[dict[str, Any], str | None, this_machine.Local | None]:
    """The device to fit on, the catalogue id when it is exactly one catalogue device, and what
    --this-machine found."""
    if args.this_machine:
        local = this_machine.local_device(con, args.bandwidth_gbps)
        return local.device, local.catalogue_id, local
    if args.device is None:
        return custom_device(args), None, None
    device = resolve_device(con, args.device)
    if args.gpus is not None:                                  # n of a catalogue device
        return device | {"name": f"{args.gpus}× {device['name']}", "gpu_count": args.gpus}, None, None
    return device, device["device_id"], None


def fit(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> dict[str, Any]:
    options = {"context": args.context, "kv_type": args.kv_type,
               "flash_attention": None if args.flash_attention is None else args.flash_attention == "on"}
    device, device_id, local = chosen_device(con, args)
    if device_id is not None:
        found = fits.fit_rows(con, device_id=device_id, **options)
    else:
        found = fits.fit_rows(con, custom=device, **options)
    models = {
        m["repo_id"]: m
        for m in catalogue.rows(
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

    fitting, too_long, too_small = [], [], []
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
        fitting.append(
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
    fitting.sort(
        key=lambda f: (
            -_quality_of(per_model[f["repo_id"]], f["best_quant"]),
            -(f["decode_tok_s"] or 0),
            f["repo_id"],
        )
    )
    keys = ("device_id", "name", "memory_gb", "gpu_count", "bandwidth_gbps", "unified", "backend",
            "usable_memory_gb")
    result = {
        "device": {k: device.get(k) for k in keys},
        "context_tokens": args.context,
        "kv_type": found[0]["kv_type"] if found else args.kv_type,
        "flash_attention": found[0]["flash_attention"] if found else options["flash_attention"],
        "models": fitting,
        "too_small": sorted(too_small, key=lambda x: x["repo_id"]),
        "context_too_long": sorted(too_long, key=lambda x: x["repo_id"]),
    }
    if local is not None:
        result["machine"] = local.as_json() | {"described": local.lines()}
    return result


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
    for line in result.get("machine", {}).get("described", []):
        output.note(out, line)
    bandwidth = "bandwidth unknown" if d["bandwidth_gbps"] is None else f"{d['bandwidth_gbps']:g} GB/s"
    per_gpu = " per GPU" if d["gpu_count"] > 1 else ""
    out.print(Text(f"{d['name']} ({memory_label(d)}, {d['usable_memory_gb']:g} GB usable{per_gpu}, "
                   f"{bandwidth}, {d['backend']}) at {result['context_tokens']:,} tokens of "
                   f"context: {len(result['models'])} models fit", style="bold"))
    wide = not output.narrow(out)
    columns = ["Model", "Quant", ("Needs", "right"), "Verdict", ("Speed", "right")]
    if wide:
        columns = [("#", "right"), "Model", ("Params", "right"), *columns[1:],
                   ("Headroom", "right"), ("Max context", "right"), "Also fits"]
    t = output.table(*columns)
    for i, f in enumerate(result["models"][:limit], 1):
        quant = f["best_quant"] + ("" if f["size_source"] == "gguf" else "*")
        speed = "—" if f["decode_tok_s"] is None else f"~{f['decode_tok_s']:,.0f} tok/s"
        cells = [f["repo_id"], quant, show_gb(f["needed_gb"]), f["verdict"].replace("_", " "), speed]
        if wide:
            active = f" ({show_params(f['params_active'])} act.)" if f["moe"] else ""
            cells = [i, f["repo_id"], show_params(f["params_total"]) + active, *cells[1:],
                     show_gb(f["headroom_gb"]), show_tokens(f["max_context_tokens"]),
                     ", ".join(f["quants_that_fit"][1:4])]
        output.row(t, *cells)
    output.show(out, t, flex=1 if wide else 0)
    shown = min(limit, len(result["models"]))
    if shown < len(result["models"]):
        output.note(out, f"{shown} of {len(result['models'])} shown (--limit N for more, --json for all)")
    output.note(out, "* estimated size (no GGUF build in the catalogue); GiB: memory as marketed, "
                     "GB: 10^9 bytes")
    if d["bandwidth_gbps"] is None:
        output.note(out, "speed unknown: this device's memory bandwidth is not known (give --bandwidth-gbps)")
    if result["too_small"]:
        out.print(Text("Too small for: " + ", ".join(
            f"{x['repo_id']} (needs {x['needed_gb']:.1f} GB at "
            f"{x['smallest_quant']})" for x in result["too_small"])))
    if result["context_too_long"]:
        out.print(Text("Context longer than the model's maximum: " + ", ".join(
            f"{x['repo_id']} ({x['context_length']:,})" for x in result["context_too_long"])))
