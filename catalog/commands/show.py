"""`fitcat show REPO_ID`: one model's page in the terminal (or --json, the exported page).

The terminal rendering is built from the same page dict `--json` prints (the export builder,
catalog.exports.page), read the way a site reads it: devices by id, their attributes from the
catalogue's devices (devices.json), every device's fit from the page's compact `fit`.
"""

from __future__ import annotations

import argparse
import statistics
from typing import Any

import duckdb
from rich.markup import escape
from rich.text import Text

from catalog.commands import _common as c
from catalog.exports.page.facts import GPU_CLASSES
from catalog.exports.page.matrix import Fit, fits

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
# How an estimated file size was made (quantizations.size_method, docs/methodology.md).
SIZE_METHODS = {"architecture": "estimated from the tensor shapes and llama.cpp's per-tensor types",
                "architecture_approx": "estimated from the tensor shapes, the nearest llama.cpp recipe",
                "calibrated_bits": "estimated from calibrated bits per weight",
                "nominal_bits": "estimated from nominal bits per weight"}
ESTIMATED_SIZE = "estimated from the tensor shapes and llama.cpp's per-tensor quant types"
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
    """What devices.json says of each device (a page names devices by id)."""
    return {d["device_id"]: d for d in c.rows(
        con, "SELECT device_id, name, memory_gb, gpu_count, device_class, usable_memory_gb FROM devices")}


def focus_quant(page: dict[str, Any], wanted: str | None) -> str:
    names = [q["quant"] for q in page["quantizations"]]
    if wanted is None:
        return page["summary"]["recommended_quant"]
    for n in names:
        if n.lower() == wanted.lower():
            return n
    raise c.CliError(f"{page['id']} has no quant {wanted!r}; it has: {', '.join(names)}")


def model_page(con: duckdb.DuckDBPyConnection, repo_id: str, *, context_tokens: int | None = None) -> dict:
    """The exported page (catalog.exports.page.build_model_page), at `context_tokens` if given."""
    from catalog.exports.page import build_model_page

    full = con.execute("SELECT context_length FROM models WHERE repo_id = ?", [repo_id]).fetchone()[0]
    if context_tokens is not None and full is not None and context_tokens > full:
        raise c.CliError(f"--context {context_tokens:,} is beyond {repo_id}'s maximum of {full:,} tokens")
    try:
        return build_model_page(con, repo_id, context_tokens=context_tokens)
    except ValueError as exc:
        raise c.CliError(str(exc)) from exc


# ---------------------------------------------------------------- rendering


def _tok(v: float | None) -> str:
    return "—" if v is None else f"~{v:,.0f} tok/s"


def _mem(device_id: str, devices: dict[str, dict[str, Any]]) -> str:
    d = devices.get(device_id)
    return "—" if d is None else c.memory_label(d)


def _name(device_id: str, devices: dict[str, dict[str, Any]]) -> str:
    d = devices.get(device_id)
    return d["name"] if d else device_id


def _of_class(entries: list[Fit], devices: dict[str, dict[str, Any]], classes: tuple[str, ...]) -> list[Fit]:
    return [e for e in entries if devices.get(e.device_id, {}).get("device_class") in classes]


def _fit_table(first_column: str, entries: list[Fit], devices: dict[str, dict[str, Any]], limit: int):
    """Devices that run the quant, most popular first: memory, verdict and speed."""
    t = c.table(first_column, ("Memory", "right"), "Verdict", ("Speed", "right"))
    for e in entries[:limit]:
        t.add_row(_name(e.device_id, devices), _mem(e.device_id, devices), VERDICT_LABEL[e.verdict],
                  _tok(e.decode_tok_s))
    return t


def _multi_examples(entries: list[Fit], devices: dict[str, dict[str, Any]], n: int = 3) -> list[Fit]:
    """GPUs too small alone: fewest GPUs first, one card per memory size, largest first."""
    seen, picked = set(), []
    multi = [e for e in _of_class(entries, devices, GPU_CLASSES) if e.gpus_needed is not None]
    for e in sorted(multi, key=lambda e: (e.gpus_needed, -devices[e.device_id]["memory_gb"], e.device_id)):
        mem = devices[e.device_id]["memory_gb"]
        if mem not in seen:
            seen.add(mem)
            picked.append(e)
        if len(picked) == n:
            break
    return picked


def render(page: dict[str, Any], out, *, quant: str | None = None,
           devices: dict[str, dict[str, Any]] | None = None, limit: int = 10) -> None:
    """Every section of the seed page, from the page dict (`devices`: devices.json's attributes)."""
    from rich import box
    from rich.panel import Panel
    from rich.rule import Rule
    from rich.table import Table

    devices = devices or {}
    summary, spec = page["summary"], page["specifications"]
    rec = summary["recommended_quant"]
    quant = quant or rec
    q = next(x for x in page["quantizations"] if x["quant"] == quant)
    at_quant = fits(page, quant)
    running = [e for e in at_quant if e.runs]
    ctx = page["fit"]["context_tokens"]
    full = spec["context_length"]
    name = page["name"]
    moe = bool(spec["experts"])

    def heading(text: str) -> None:
        out.print()
        out.print(Rule(f"[bold]{text}[/]", align="left"))

    # Summary
    out.print(Panel(Text(summary["text"]), box=box.ROUNDED, title_align="left",
                    title=f"[bold]{escape(name)} — Hardware Requirements & GPU Compatibility[/]"))

    # Specifications
    heading("Specifications")
    g = Table.grid(padding=(0, 2))
    g.add_column(style="bold")
    g.add_column()
    params = f"{c.params_b(spec['params_total'])} total"
    if spec["params_active"] and spec["params_active"] != spec["params_total"]:
        params += f", {c.params_b(spec['params_active'])} active per token"
    g.add_row("Publisher", Text(spec["publisher"] or "—"))
    g.add_row("Family", Text(spec["family"] or "—"))
    g.add_row("Parameters", f"{params} (from {spec['params_source']})")
    for cand in spec["parameter_candidates"]:
        if not cand["chosen"]:
            g.add_row("", Text(f"{cand['source']} says {c.params_b(cand['params_total'])}: not used — "
                               f"{cand['rejected_reason']}", style="dim"))
    if spec["params_disagreement"]:
        g.add_row("", "[yellow]parameter count sources disagree by more than 10 %[/]")
    if moe:
        g.add_row("Experts", f"{spec['experts']} routed, {spec['experts_used']} used per token")
    g.add_row("Architecture", Text(spec["architecture"] or "—"))
    g.add_row("Context Length", f"{c.tokens(full)} tokens")
    g.add_row("Vocabulary Size", c.tokens(spec["vocab_size"]))
    g.add_row("Release Date", spec["release_date"] or "—")
    g.add_row("License", Text(spec["license"] or "—"))
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
        (f"VRAM @ {page['vram_formula']['at_2k']['context_tokens']:,}", "right"),
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
           + (f"; other sizes are {ESTIMATED_SIZE}." if estimated else ".") if real else
           f"No GGUF build is known: sizes are {ESTIMATED_SIZE}.")
        + f" Profile {page['profile']}."
    )

    # GPUs
    heading(f"Which GPUs Can Run {name}?")
    single = _of_class(running, devices, GPU_CLASSES)
    out.print(f"{quant} · {c.gb(q['vram_gb'])} — {c.gb(q['recommended_gb'])}+ is comfortable. Full context "
              f"adds {c.gb(q['vram_full_context_gb'] - q['vram_gb'])} "
              f"({c.gb(q['vram_full_context_gb'])} total).")
    if single:
        more = f", the {limit} most common:" if len(single) > limit else ":"
        out.print(f"{len(single)} single GPUs can run it{more}")
        out.print(_fit_table("GPU", single, devices, limit))
    else:
        out.print("No single GPU in the catalogue has enough memory — multi-GPU or unified-memory hardware "
                  "is needed.")
    multi = _multi_examples(at_quant, devices)
    if multi:
        out.print("Otherwise: " + ", ".join(f"{e.gpus_needed}× "
                                            f"{_name(e.device_id, devices)}" for e in multi) + ".")
    t = c.table(("Quant", "left"), ("VRAM", "right"), ("GPUs", "right"), ("Smallest that fits", "left"),
                title="Per quantization: single GPUs that fit")
    for x in page["quantizations"]:
        gpus_ok = _of_class([e for e in fits(page, x["quant"]) if e.runs], devices, GPU_CLASSES)
        smallest = min(gpus_ok, key=lambda e: (devices[e.device_id]["usable_memory_gb"], e.device_id),
                       default=None)
        t.add_row(x["quant"], c.gb(x["vram_gb"]), str(len(gpus_ok)),
                  f"{_name(smallest.device_id, devices)} "
                  f"({_mem(smallest.device_id, devices)})" if smallest else "—")
    out.print(t)

    # Unified memory and systems
    heading(f"Which Devices Can Run {name}?")
    others = _of_class(running, devices, ("mac", "unified_other", "system"))
    if others:
        out.print(f"{quant} · {c.gb(q['vram_gb'])} — {len(others)} unified-memory devices and systems "
                  f"can run "
                  f"{name}" + (f", the {limit} most common:" if len(others) > limit else ":"))
        out.print(_fit_table("Device", others, devices, limit))
    else:
        out.print(f"{quant} · {c.gb(q['vram_gb'])} — no unified-memory device or system in the "
                  f"catalogue fits.")
    out.print(f"Runs great — plenty of headroom (usable ≥ "
              f"{page['devices']['verdicts']['runs_great'].split()[2]}"
              " × needed). Decent — enough memory, may be tight.")

    # Speed per device class
    heading(f"How Fast Is {name}?")
    t = c.table(("Device class", "left"), ("Fit", "right"), ("Fastest", "left"), ("tok/s", "right"),
                ("Median", "right"), title=f"Estimated decode speed at {quant} ({c.gb(q['vram_gb'])}, "
                                           f"{ctx:,} tokens)")
    for key, label in CLASSES:
        members = sorted((e for e in _of_class(running, devices, (key,)) if e.decode_tok_s is not None),
                         key=lambda e: (-e.decode_tok_s, e.device_id))
        if not members:
            t.add_row(label, "0", "—", "", "")
            continue
        t.add_row(label, str(len(members)), _name(members[0].device_id, devices),
                  _tok(members[0].decode_tok_s), _tok(statistics.median(e.decode_tok_s for e in members)))
    out.print(t)
    sp = page["speed"]
    ex = sp["example"]
    out.print(sp["formula"])
    if ex and quant == sp["quant"] and ex["terms_ms"]:
        gpus = f" × {ex['gpus']} GPUs" if ex["gpus"] > 1 else ""
        terms = ", ".join(f"{k.replace('_', ' ')} {v:.3g}" for k, v in ex["terms_ms"].items() if v)
        out.print(f"Example: {ex['name']}{gpus}: {ex['read_gb_per_token']:.2f} GB read per token at "
                  f"{ex['bandwidth_gbps']:g} GB/s × {ex['efficiency']:g}; ms per token: {terms} "
                  f"→ {_tok(ex['decode_tok_s'])} (likely {ex['decode_tok_s_low']:,.0f}–"
                  f"{ex['decode_tok_s_high']:,.0f})")
    if moe and spec["params_active"]:
        out.print(f"A token reads only the active weights ({c.params_b(spec['params_active'])} of "
                  f"{c.params_b(spec['params_total'])} parameters) plus the KV cache.")
    out.print("Constants fitted to public llama.cpp benchmarks per backend (docs/methodology.md).")

    # Memory formula
    heading("Memory Formula")
    vf = page["vram_formula"]
    weights = q["file_size_gb"]
    at = vf["at_2k"] if ctx == vf["at_2k"]["context_tokens"] else vf["at_full_context"]
    kv_ctx = q["kv_cache_gb"]
    overhead = at["overhead_gb"]
    g = Table.grid(padding=(0, 1))
    g.add_column(style="bold")
    g.add_column()
    g.add_row("VRAM", "= Weights on the GPU + KV Cache + Overhead (per GPU)")
    g.add_row(
        "Weights",
        f"= {c.params_b(spec['params_total'])} × {q['bits_per_weight']:.3f} bits ÷ 8 = "
        f"{c.gb(weights, 2)} ("
        + ("the real GGUF file" if q["real_file"] else SIZE_METHODS.get(q.get("size_method"), "estimated"))
        + ")",
    )
    g.add_row(
        "KV Cache",
        f"= {c.gb(kv_ctx, 2)} at {ctx:,} tokens; {c.gb(q['kv_cache_full_context_gb'], 2)} at "
        f"full {c.tokens(full)} tokens ({vf['kv_type']}, {vf['kv_method']})",
    )
    if vf.get("host_weights_gb"):
        g.add_row("On the host", f"= {c.gb(vf['host_weights_gb'], 2)} of token embeddings, read from "
                                 f"host memory")
    g.add_row("Overhead", f"= {c.gb(overhead, 2)} (compute buffer and runtime, per GPU)")
    g.add_row(
        "Total",
        f"≈ {c.gb(q['vram_gb'], 2)} at {ctx:,} tokens; {c.gb(q['vram_full_context_gb'], 2)} at full context",
    )
    g.add_row("Recommended", f"≈ {c.gb(q['recommended_gb'], 1)} ({page['gpus']['recommended_factor']:g} × "
                             "VRAM: headroom for KV cache and system)")
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
    for key, question in questions:
        item = page["faq"].get(key)
        if item:
            out.print(Text(question, style="bold"))
            out.print(Text(f"  {item['answer']}"))
