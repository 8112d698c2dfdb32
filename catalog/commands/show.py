"""`fitcat show REPO_ID`: one model's page in the terminal (or --json, the exported page).

The terminal rendering is built from the same page dict `--json` prints, so the two never
disagree. The dict comes from the export builder (catalog.exports.page.build_model_page) when
it is installed, else from the views directly (`page_from_views`).
"""

from __future__ import annotations

import argparse
import statistics
from typing import Any

import duckdb

from catalog.commands import _common as c

RECOMMENDED = "Q4_K_M"
# Device classes of the speed section, in display order: (key, label).
CLASSES = [
    ("consumer_gpu", "Consumer GPU"),
    ("workstation_gpu", "Workstation GPU"),
    ("datacenter_gpu", "Datacenter GPU"),
    ("mac", "Mac (Apple Silicon)"),
    ("unified_other", "Other unified memory"),
    ("system", "Multi-GPU system / superchip"),
]
VERDICT_LABEL = {"runs_great": "Runs great", "decent": "Decent", "too_small": "Too small"}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("show", help="one model's page: specs, quants, fitting hardware, speed, formula")
    p.add_argument("repo_id", help="model repo id (fuzzy: a unique part of it is enough)")
    p.add_argument("--quant", help=f"quant the hardware sections focus on (default: {RECOMMENDED})")
    p.add_argument(
        "--context", type=int, metavar="N", help="recompute at N tokens of context (default: 2,048)"
    )
    p.add_argument("--json", action="store_true", help="print the exported model page as JSON")
    p.add_argument("--width", type=int, help="terminal width (default: the terminal's)")
    p.set_defaults(run=c.command("show", _run))


def _run(args: argparse.Namespace) -> int:
    if args.context is not None and args.context <= 0:
        raise c.CliError("--context must be a positive number of tokens")
    con = c.open_db(args)
    try:
        repo_id = resolve_model(con, args.repo_id)
        page = model_page(con, repo_id, context_tokens=args.context)
        devices = device_info(con)
    finally:
        con.close()
    if args.json:
        c.print_json(page)
        return c.OK
    quant = focus_quant(page, args.quant)
    render(page, c.console(args.width), quant=quant, devices=devices)
    return c.OK


def resolve_model(con: duckdb.DuckDBPyConnection, query: str) -> str:
    ids = [r[0] for r in con.execute("SELECT repo_id FROM models ORDER BY repo_id").fetchall()]
    return c.resolve(query, ids, "model")


def device_info(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    return {
        d["device_id"]: d for d in c.rows(con, "SELECT device_id, name, memory_gb, gpu_count FROM devices")
    }


def focus_quant(page: dict[str, Any], wanted: str | None) -> str:
    names = [q["quant"] for q in page["quantizations"]]
    if wanted is None:
        return page["summary"]["recommended_quant"]
    for n in names:
        if n.lower() == wanted.lower():
            return n
    raise c.CliError(f"{page['id']} has no quant {wanted!r}; it has: {', '.join(names)}")


def model_page(con: duckdb.DuckDBPyConnection, repo_id: str, *, context_tokens: int | None = None) -> dict:
    """The exported page (catalog.exports.page.build_model_page). The views hold device fits at
    2,048 tokens and at the model's full context; any other --context is recomputed here with the
    same macros (`recompute_context`) and marked in the page as `context_recomputed`."""
    try:
        from catalog.exports.page import build_model_page  # issue #7
    except ImportError as exc:  # pragma: no cover - ships with the catalogue
        raise c.CliError(f"the page builder catalog.exports.page is missing ({exc})") from exc
    full = con.execute("SELECT context_length FROM models WHERE repo_id = ?", [repo_id]).fetchone()[0]
    default = min(2048, full or 2048)
    if context_tokens is None or context_tokens in (default, full):
        return build_model_page(con, repo_id, context_tokens=context_tokens)
    if context_tokens > full:
        raise c.CliError(f"--context {context_tokens:,} is beyond {repo_id}'s maximum of {full:,} tokens")
    page = build_model_page(con, repo_id)
    recompute_context(con, page, repo_id, context_tokens)
    return page


def recompute_context(con: duckdb.DuckDBPyConnection, page: dict, repo_id: str, ctx: int) -> None:
    """Replace the context-dependent parts of `page` (built at 2,048 tokens) by their values at ctx."""
    from catalog.exports.fmt import gb, toks
    from catalog.exports.page import _fit_entry, device_class

    devices = {d["device_id"]: d for d in c.rows(con, "SELECT * FROM devices")}
    fits = c.fit_rows(con, context=ctx, repo_id=repo_id)
    for f in fits:
        d = devices[f["device_id"]]
        f.update(name=d["name"], **{"class": device_class(d)})
    by_quant: dict[str, list[dict]] = {}
    for f in fits:
        by_quant.setdefault(f["quant"], []).append(f)

    def by_speed(entries: list[dict]) -> list[dict]:
        return sorted(entries, key=lambda e: (-(e["decode_tok_s"] or 0.0), e["device_id"]))

    for q in page["quantizations"]:
        one = by_quant[q["quant"]][0]
        q["vram_gb"], q["kv_cache_gb"] = gb(one["vram_gb"]), gb(one["kv_cache_gb"])
        q["recommended_gb"] = gb(one["vram_gb"] * 1.3)
    hardware = []
    for q in page["quantizations"]:
        rows_ = by_quant[q["quant"]]
        gpus = [f for f in rows_ if f["class"].endswith("_gpu")]
        other = [f for f in rows_ if not f["class"].endswith("_gpu") and f["verdict"] != "too_small"]
        hardware.append(
            {
                "quant": q["quant"],
                "vram_gb": q["vram_gb"],
                "single_gpu": by_speed(
                    [_fit_entry(f) | {"class": f["class"]} for f in gpus if f["verdict"] != "too_small"]
                ),
                "multi_gpu": sorted(
                    (
                        {"device_id": f["device_id"], "gpus_needed": int(f["gpus_needed"])}
                        for f in gpus
                        if f["verdict"] == "too_small" and f["gpus_needed"] is not None
                    ),
                    key=lambda e: (e["gpus_needed"], e["device_id"]),
                ),
                "unified_memory": by_speed(
                    [_fit_entry(f) | {"class": f["class"]} for f in other if f["class"] != "system"]
                ),
                "systems": by_speed(
                    [_fit_entry(f) | {"class": f["class"]} for f in other if f["class"] == "system"]
                ),
            }
        )
    page["hardware_by_quant"] = {"context_tokens": ctx, "quants": hardware}
    rec = page["summary"]["recommended_quant"]
    rec_q = next(q for q in page["quantizations"] if q["quant"] == rec)
    page["summary"]["vram_gb"] = rec_q["vram_gb"]
    vf = page["vram_formula"]
    one = by_quant[rec][0]
    vf["at_context"] = {
        "context_tokens": ctx,
        "kv_cache_gb": gb(one["kv_cache_gb"]),
        "overhead_gb": gb(one["overhead_gb"]),
        "kv_plus_overhead_gb": gb(one["kv_cache_gb"] + one["overhead_gb"]),
        "vram_gb": gb(one["vram_gb"]),
    }
    rec_fits = [f for f in by_quant[rec] if f["verdict"] != "too_small"]
    page["speed"]["context_tokens"] = ctx
    page["speed"]["devices"] = [
        {
            "device_id": f["device_id"],
            "name": f["name"],
            "class": f["class"],
            "gpus_used": int(f["gpu_count"]),
            "decode_tok_s": toks(f["decode_tok_s"]),
        }
        for f in by_speed(rec_fits)
    ]
    page["speed"]["example"] = None
    pool = [f for f in rec_fits if f["class"].endswith("_gpu")] or rec_fits
    if pool:
        ex = by_speed(pool)[0]
        page["speed"]["example"] = {
            "device_id": ex["device_id"],
            "name": ex["name"],
            "bandwidth_gbps": float(ex["bandwidth_gbps"]),
            "gpus": int(ex["gpu_count"]),
            "read_gb_per_token": gb(ex["active_weights_gb"] + ex["kv_cache_gb"]),
            "efficiency": ex["efficiency"],
            "per_token_ms": None if ex["per_token_s"] is None else round(ex["per_token_s"] * 1000, 3),
            "decode_tok_s": toks(ex["decode_tok_s"]),
        }
    page["gpus"]["context_tokens"] = page["devices"]["context_tokens"] = ctx
    page["context_recomputed"] = ctx


# ---------------------------------------------------------------- rendering


def _tok(v: float | None) -> str:
    return "—" if v is None else f"~{v:,.0f} tok/s"


def _mem(e: dict[str, Any], devices: dict[str, dict[str, Any]]) -> str:
    d = devices.get(e["device_id"])
    return "—" if d is None else c.memory_label(d)


def _fit_table(first_column: str, entries: list[dict[str, Any]], devices: dict[str, dict[str, Any]]):
    """Devices that fit: memory, verdict, headroom, largest context and speed, one row each."""
    t = c.table(first_column, ("Memory", "right"), "Verdict", ("Headroom", "right"),
                ("Max context", "right"), ("Speed", "right"))
    for e in entries:
        t.add_row(e["name"], _mem(e, devices), VERDICT_LABEL[e["verdict"]], c.gb(e["headroom_gb"]),
                  c.tokens(e["max_context_tokens"]), _tok(e["decode_tok_s"]))
    return t


def _name(device_id: str, devices: dict[str, dict[str, Any]]) -> str:
    d = devices.get(device_id)
    return d["name"] if d else device_id


def _multi_examples(
    multi: list[dict[str, Any]], devices: dict[str, dict[str, Any]], n: int = 3
) -> list[dict]:
    """Fewest GPUs first; one card per distinct memory size, largest first within a GPU count."""
    seen, picked = set(), []
    for e in sorted(
        multi,
        key=lambda e: (
            e["gpus_needed"],
            -devices.get(e["device_id"], {}).get("memory_gb", 0),
            e["device_id"],
        ),
    ):
        mem = devices.get(e["device_id"], {}).get("memory_gb")
        if mem in seen:
            continue
        seen.add(mem)
        picked.append(e)
        if len(picked) == n:
            break
    return picked


def render(
    page: dict[str, Any], out, *, quant: str | None = None, devices: dict[str, dict[str, Any]] | None = None
) -> None:
    """Every section of the seed page, from the page dict (`devices`: id -> name, memory, gpu_count)."""
    from rich import box
    from rich.panel import Panel
    from rich.rule import Rule
    from rich.table import Table

    devices = devices or {}
    summary, spec = page["summary"], page["specifications"]
    rec = summary["recommended_quant"]
    quant = quant or rec
    q = next(x for x in page["quantizations"] if x["quant"] == quant)
    hw = next(h for h in page["hardware_by_quant"]["quants"] if h["quant"] == quant)
    ctx = page["hardware_by_quant"]["context_tokens"]
    full = spec["context_length"]
    name = page["name"]
    moe = bool(spec["experts"])

    def heading(text: str) -> None:
        out.print()
        out.print(Rule(f"[bold]{text}[/]", align="left"))

    # Summary
    recomputed = f" (recomputed at {ctx:,} tokens)" if page.get("context_recomputed") else ""
    out.print(
        Panel(
            summary["text"] + recomputed,
            box=box.ROUNDED,
            title_align="left",
            title=f"[bold]{name} — Hardware Requirements & GPU Compatibility[/]",
        )
    )

    # Specifications
    heading("Specifications")
    g = Table.grid(padding=(0, 2))
    g.add_column(style="bold")
    g.add_column()
    params = f"{c.params_b(spec['params_total'])} total"
    if spec["params_active"] and spec["params_active"] != spec["params_total"]:
        params += f", {c.params_b(spec['params_active'])} active per token"
    g.add_row("Publisher", spec["publisher"] or "—")
    g.add_row("Family", spec["family"] or "—")
    g.add_row("Parameters", f"{params} (from {spec['params_source']})")
    for cand in spec["parameter_candidates"]:
        if not cand["chosen"]:
            g.add_row(
                "",
                f"[dim]{cand['source']} says {c.params_b(cand['params_total'])}: not used — "
                f"{cand['rejected_reason']}[/]",
            )
    if spec["params_disagreement"]:
        g.add_row("", "[yellow]parameter count sources disagree by more than 10 %[/]")
    if moe:
        g.add_row("Experts", f"{spec['experts']} routed, {spec['experts_used']} used per token")
    g.add_row("Architecture", spec["architecture"] or "—")
    g.add_row("Context Length", f"{c.tokens(full)} tokens")
    g.add_row("Vocabulary Size", c.tokens(spec["vocab_size"]))
    g.add_row("Release Date", spec["release_date"] or "—")
    g.add_row("License", spec["license"] or "—")
    if spec["gated"]:
        g.add_row("Access", f"gated ({spec['gated_mode']})")
    out.print(g)

    # Get started
    heading("Get Started")
    gs = page["get_started"]
    g = Table.grid(padding=(0, 2))
    g.add_column(style="bold")
    g.add_column()
    g.add_row("HuggingFace", gs["hf_url"])
    if gs["gguf_repo_id"]:
        g.add_row("GGUF", gs["gguf_url"])
        g.add_row("llama.cpp", f"llama-server -hf {gs['gguf_repo_id']}:{quant}")
    if q.get("download_url"):
        g.add_row(
            f"{quant} file",
            q["download_url"]
            + (f" (1 of {q['shard_count']} shards)" if (q.get("shard_count") or 1) > 1 else ""),
        )
    out.print(g)

    # Quant table
    heading(f"How Much VRAM Does {name} Need?")
    t = c.table(
        ("Quantization", "left"),
        ("Bits", "right"),
        (f"VRAM @ {ctx:,}", "right"),
        (f"+ Context ({c.tokens(full)})", "right"),
        ("File Size", "right"),
        ("Size", "left"),
        ("Quality", "left"),
    )
    for x in page["quantizations"]:
        t.add_row(
            x["quant"] + (" ★" if x["recommended"] else ""),
            f"{x['bits_per_weight']:.2f}",
            c.gb(x["vram_gb"]),
            c.gb(x["vram_full_context_gb"]),
            c.gb(x["file_size_gb"], 2),
            "real file" if x["real_file"] else "estimate",
            x["quality"] or "—",
            style="bold" if x["quant"] == quant else None,
        )
    out.print(t)
    real = any(x["real_file"] for x in page["quantizations"])
    estimated = not all(x["real_file"] for x in page["quantizations"])
    out.print(
        "★ Recommended — best balance of quality and VRAM usage. "
        + (f"Bits = file size × 8 ÷ {c.params_b(spec['params_total'])} parameters"
           + ("; an estimate's size = parameters × calibrated bits ÷ 8." if estimated else ".") if real else
           f"No GGUF build is known: sizes are estimates, {c.params_b(spec['params_total'])} parameters × "
           "calibrated bits ÷ 8.")
        + f" Profile {page['profile']}."
    )

    # GPUs
    heading(f"Which GPUs Can Run {name}?")
    single = hw["single_gpu"]
    head = (
        f"{quant} · {c.gb(q['vram_gb'])} — needs {c.gb(q['vram_gb'])}; {c.gb(q['recommended_gb'])}+ is "
        f"comfortable. Full context adds {c.gb(q['vram_full_context_gb'] - q['vram_gb'])} "
        f"({c.gb(q['vram_full_context_gb'])} total)."
    )
    out.print(head)
    if single:
        out.print(f"{len(single)} single GPUs can run it:")
        t = _fit_table("GPU", single, devices)
        out.print(t)
    else:
        out.print(
            "No single GPU in the catalogue has enough memory — multi-GPU or unified-memory hardware "
            "is needed."
        )
    if hw["multi_gpu"]:
        out.print(
            "Otherwise: "
            + ", ".join(
                f"{e['gpus_needed']}× {_name(e['device_id'], devices)}"
                for e in _multi_examples(hw["multi_gpu"], devices)
            )
            + "."
        )
    t = c.table(
        ("Quantization", "left"),
        ("VRAM", "right"),
        ("Single GPUs", "right"),
        ("Smallest that fits", "left"),
        ("Otherwise", "left"),
        title="Per quantization",
    )
    for h in page["hardware_by_quant"]["quants"]:
        smallest = min(h["single_gpu"], key=lambda e: (e["usable_gb"], e["device_id"]), default=None)
        t.add_row(
            h["quant"],
            c.gb(h["vram_gb"]),
            str(len(h["single_gpu"])),
            f"{smallest['name']} ({_mem(smallest, devices)})" if smallest else "—",
            ", ".join(
                f"{e['gpus_needed']}× {_name(e['device_id'], devices)}"
                for e in _multi_examples(h["multi_gpu"], devices, 2)
            )
            or "—",
        )
    out.print(t)

    # Unified memory and systems
    heading(f"Which Devices Can Run {name}?")
    others = hw["unified_memory"] + hw["systems"]
    if others:
        out.print(
            f"{quant} · {c.gb(q['vram_gb'])} — {len(hw['unified_memory'])} unified-memory devices and "
            f"{len(hw['systems'])} multi-GPU systems can run {name}."
        )
        t = _fit_table("Device", sorted(others, key=lambda e: (-(e["decode_tok_s"] or 0), e["device_id"])),
                       devices)
        out.print(t)
    else:
        out.print(
            f"{quant} · {c.gb(q['vram_gb'])} — no unified-memory device or system in the catalogue fits."
        )
    out.print(
        "Runs great — plenty of headroom (usable ≥ 1.3 × needed). Decent — enough memory, may be tight."
    )

    # Speed per device class
    heading(f"How Fast Is {name}?")
    fitting = single + others
    t = c.table(
        ("Device class", "left"),
        ("Fit", "right"),
        ("Fastest", "left"),
        ("tok/s", "right"),
        ("Median", "right"),
        ("Slowest", "right"),
        title=f"Estimated decode speed at {quant} ({c.gb(q['vram_gb'])}, {ctx:,} tokens)",
    )
    for key, label in CLASSES:
        members = sorted(
            (e for e in fitting if e["class"] == key and e["decode_tok_s"] is not None),
            key=lambda e: (-e["decode_tok_s"], e["device_id"]),
        )
        if not members:
            t.add_row(label, "0", "—", "", "", "")
            continue
        t.add_row(
            label,
            str(len(members)),
            members[0]["name"],
            _tok(members[0]["decode_tok_s"]),
            _tok(statistics.median(e["decode_tok_s"] for e in members)),
            _tok(members[-1]["decode_tok_s"]),
        )
    out.print(t)
    sp = page["speed"]
    ex = sp["example"]
    out.print(sp["formula"])
    if ex and quant == sp["quant"]:
        gpus = f" × {ex['gpus']} GPUs" if ex["gpus"] > 1 else ""
        out.print(
            f"Example: {ex['name']}{gpus} → 1 ÷ ({ex['read_gb_per_token']:.2f} GB ÷ "
            f"({ex['bandwidth_gbps']:g} GB/s × {ex['efficiency']:g}) + {ex['per_token_ms']:g} ms) "
            f"= {_tok(ex['decode_tok_s'])}"
        )
    if moe and spec["params_active"]:
        out.print(
            f"A token reads only the active weights ({c.params_b(spec['params_active'])} of "
            f"{c.params_b(spec['params_total'])} parameters) plus the KV cache."
        )
    out.print("Constants fitted to public llama.cpp benchmarks per backend (docs/methodology.md).")

    # Memory formula
    heading("Memory Formula")
    vf = page["vram_formula"]
    weights = q["file_size_gb"]
    at = vf.get("at_context") or vf["at_2k"]
    kv_ctx = q["kv_cache_gb"]
    overhead = at["overhead_gb"]
    g = Table.grid(padding=(0, 1))
    g.add_column(style="bold")
    g.add_column()
    g.add_row("VRAM", "= Weights + KV Cache + Overhead (per GPU)")
    g.add_row(
        "Weights",
        f"= {c.params_b(spec['params_total'])} × {q['bits_per_weight']:.3f} bits ÷ 8 = "
        f"{c.gb(weights, 2)} ("
        + ("the real GGUF file" if q["real_file"] else "estimated from calibrated bits per weight")
        + ")",
    )
    g.add_row(
        "KV Cache",
        f"= {c.gb(kv_ctx, 2)} at {ctx:,} tokens; {c.gb(q['kv_cache_full_context_gb'], 2)} at "
        f"full {c.tokens(full)} tokens ({vf['kv_type']}, {vf['kv_method']})",
    )
    g.add_row("Overhead", f"= {c.gb(overhead, 2)} (compute buffer per GPU)")
    g.add_row(
        "Total",
        f"≈ {c.gb(q['vram_gb'], 2)} at {ctx:,} tokens; {c.gb(q['vram_full_context_gb'], 2)} at full context",
    )
    g.add_row(
        "Recommended", f"≈ {c.gb(q['recommended_gb'], 1)} (1.3 × VRAM: headroom for KV cache and system)"
    )
    out.print(g)

    # Related models
    heading("Related Models")
    rel = page["related"]
    out.print(
        f"Derivatives ({rel['derivatives']})"
        + (f"; canonical GGUF repo {rel['canonical_gguf_repo_id']}" if rel["canonical_gguf_repo_id"] else "")
        + (f"; base model {rel['base_model']}" if rel["base_model"] else "")
    )

    # FAQ
    heading("Frequently Asked Questions")
    questions = [
        ("vram_needed", f"How much VRAM does {name} need?"),
        ("rtx_5090", f"Can NVIDIA GeForce RTX 5090 run {name}?"),
        ("best_quant", f"What's the best quantization for {name}?"),
        ("mac", f"Can I run {name} on a Mac?"),
        ("run_locally", f"Can I run {name} locally?"),
        ("how_fast", f"How fast is {name}?"),
        ("download_size", f"What's the download size of {name}?"),
        ("which_gpus", f"Which GPUs can run {name}?"),
        ("which_devices", f"Which devices can run {name}?"),
    ]
    if page.get("context_recomputed"):
        out.print(
            f"[dim](answers at the default context, "
            f"{page['vram_formula']['at_2k']['context_tokens']:,} tokens)[/]"
        )
    for key, question in questions:
        item = page["faq"].get(key)
        if item:
            out.print(f"[bold]{question}[/]")
            out.print(f"  {item['answer']}")
