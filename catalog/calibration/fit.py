"""Fit the decode-speed constants and the error bands on public measurements; report accuracy.

    .venv/bin/python -m catalog.calibration.fit [--json] [--sql]

Data: calibration/ (README there). Everything is computed by the catalogue's own SQL on an
in-memory catalogue of the measured models and devices (catalog.calibration.data): the speed of a
run is a row of the fit_estimate table macro, and the terms the fit solves for are read off the
same decode_tok_s macro with unit constants, so there is no Python copy of a formula.

Speed model (sql/macros/decode_tok_s.sql): seconds per token =
    bytes read / (bandwidth × eff_b) + t0_b + layers × t_layer + moe_layers × t_moe
    + 2 × active params × k_compute / (fp16 TFLOPS × 1e12)
with eff_b and t0_b per backend, the other terms shared by all backends (per-layer work is
identified across models of different depth; the MoE and compute terms by the few sources that
show them). Weighted non-negative least squares on time per token with weights 1/t (relative
error), eff_b ≤ 1. A backend without training rows falls back to one efficiency and per-token
cost fitted on every row.

Accuracy is measured leaving one source out: the constants are refitted without a source and
that source's runs predicted. The error bands (estimate_bands) are the 10th/50th/90th
percentiles of measured ÷ estimated over those held-out predictions, per backend and model kind
when a group has at least MIN_BAND_ROWS runs, else per kind over all backends ('any').
`--sql` prints the migrations' INSERT/UPDATE statements for the fitted values.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import statistics
from collections import defaultdict
from typing import Any

import duckdb
import numpy as np

from catalog.calibration import data
from catalog.calibration.checks import memory_report, size_report

BACKENDS = ("cuda", "metal", "rocm", "vulkan")
MIN_BAND_ROWS = 8
MIN_MOE_ROWS = 5
POOLED_NOTE = " (pooled: no runs of this backend)"
METHOD = (
    "weighted NNLS on 1/tok_s: bandwidth/eff + per-token (per backend) + per-layer + per-MoE-layer "
    "(per backend with enough MoE runs) + attention at depth + compute (shared); errors leave-one-source-out"
)
_TERMS_SQL = """
SELECT f.repo_id, f.quant, f.device_id, f.backend, f.model_kind, f.decode_tok_s, f.vram_gb,
       1 / decode_tok_s(f.read_gb_per_token * 1e9, f.bandwidth_gbps, 1, 0) AS mem_s,
       f.layers AS layer_n, f.moe_layers AS moe_n,
       1 / decode_tok_s(0, f.bandwidth_gbps, 1, 0, attn_flops := f.attn_flops, attention_factor := 1)
           AS attn_s,
       coalesce(1 / decode_tok_s(0, 1, 1, 0, active_params := f.params_active, tflops := f.fp16_tflops_dense,
                                 compute_factor := 1), 0) AS compute_s
FROM fit_estimate('calibration_devices', profile_name := $profile, ctx_tokens := $ctx, all_quants := true) f
WHERE list_contains($repos, f.repo_id)
"""


def nnls(a: np.ndarray, b: np.ndarray, iters: int = 200) -> np.ndarray:
    """Lawson–Hanson non-negative least squares: min |a x − b| with x ≥ 0."""
    n = a.shape[1]
    x, passive = np.zeros(n), np.zeros(n, dtype=bool)
    for _ in range(iters):
        w = a.T @ (b - a @ x)
        if passive.all() or w[~passive].max(initial=0) <= 1e-12:
            break
        passive[int(np.argmax(np.where(passive, -np.inf, w)))] = True
        while True:
            z = np.zeros(n)
            z[passive] = np.linalg.lstsq(a[:, passive], b, rcond=None)[0]
            if (z[passive] > 0).all():
                x = z
                break
            neg = passive & (z <= 0)
            alpha = np.min(x[neg] / (x[neg] - z[neg]))
            x = x + alpha * (z - x)
            passive &= x > 1e-15
    return x


def fit(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Constants per backend (plus 'pooled', the fallback) from rows with measured tok_s and terms.

    Efficiency and per-token cost per backend; the MoE cost per backend where MIN_MOE_ROWS MoE runs
    show it, else one shared by the other backends; per-layer, attention and compute terms shared.
    """
    backends = sorted({r["backend"] for r in rows})
    moe_own = [b for b in backends if sum(r["backend"] == b and r["moe_n"] > 0 for r in rows) >= MIN_MOE_ROWS]
    cols = [
        *(f"a_{b}" for b in backends),
        *(f"t0_{b}" for b in backends),
        *(f"m_{b}" for b in moe_own),
        "m_other",
        "t_layer",
        "k_attn",
        "k_compute",
    ]
    a = np.zeros((len(rows), len(cols)))
    y, w = np.zeros(len(rows)), np.zeros(len(rows))
    for i, r in enumerate(rows):
        t = 1 / r["tok_s"]
        # eff ≤ 1: time = mem / eff = mem + mem × a with a = 1/eff − 1 ≥ 0
        y[i], w[i] = t - r["mem_s"], 1 / t
        a[i, cols.index(f"a_{r['backend']}")] = r["mem_s"]
        a[i, cols.index(f"t0_{r['backend']}")] = 1
        a[i, cols.index(f"m_{r['backend']}" if r["backend"] in moe_own else "m_other")] = r["moe_n"]
        a[i, cols.index("t_layer")] = r["layer_n"]
        a[i, cols.index("k_attn")] = r["attn_s"]
        a[i, cols.index("k_compute")] = r["compute_s"]
    x = dict(zip(cols, nnls(a * w[:, None], y * w), strict=True))
    shared = {"per_layer_s": x["t_layer"], "attention_factor": x["k_attn"], "compute_factor": x["k_compute"]}
    out = {
        b: {
            "efficiency": 1 / (1 + x[f"a_{b}"]),
            "per_token_s": x[f"t0_{b}"],
            "per_moe_layer_s": x[f"m_{b}" if b in moe_own else "m_other"],
            **shared,
        }
        for b in backends
    }
    rest = a[:, cols.index("t_layer") :] @ np.array([x["t_layer"], x["k_attn"], x["k_compute"]])
    moe = np.array([r["moe_n"] for r in rows]) * x["m_other"]
    pooled = nnls(
        np.column_stack([[r["mem_s"] for r in rows], np.ones(len(rows))]) * w[:, None], (y - rest - moe) * w
    )
    out["pooled"] = {
        "efficiency": 1 / (1 + pooled[0]),
        "per_token_s": pooled[1],
        "per_moe_layer_s": x["m_other"],
        **shared,
    }
    return out


def _set_constants(con: duckdb.DuckDBPyConnection, constants: dict[str, dict[str, float]]) -> None:
    for backend in BACKENDS:
        c = constants.get(backend, constants["pooled"])
        con.execute(
            """UPDATE speed_constants SET efficiency = $efficiency, per_token_s = $per_token_s,
                       per_layer_s = $per_layer_s, per_moe_layer_s = $per_moe_layer_s,
                       attention_factor = $attention_factor, compute_factor = $compute_factor
                       WHERE profile = $profile AND backend = $backend""",
            {**c, "profile": data.PROFILE, "backend": backend},
        )


def evaluate(
    con: duckdb.DuckDBPyConnection, runs: list[data.Run], profile: str = data.PROFILE
) -> list[dict[str, Any]]:
    """Each run with the catalogue's decode_tok_s for it (current speed_constants) and its terms."""
    out = []
    by_ctx: dict[int, list[data.Run]] = defaultdict(list)
    for r in runs:
        by_ctx[r.context_tokens].append(r)
    for ctx, group in sorted(by_ctx.items()):
        cur = con.execute(
            _TERMS_SQL, {"profile": profile, "ctx": ctx, "repos": sorted({r.repo_id for r in group})}
        )
        names = [d[0] for d in cur.description]
        found = {(row[0], row[1], row[2]): dict(zip(names, row, strict=True)) for row in cur.fetchall()}
        for r in group:
            hit = found.get((r.repo_id, r.quant, r.device_id))
            if hit is None:
                raise KeyError(f"no estimate for run {r}")
            out.append(
                {
                    **hit,
                    "run": r,
                    "tok_s": r.tok_s,
                    "source": r.source,
                    "ratio": hit["decode_tok_s"] / r.tok_s,
                }
            )
    return out


def fits_on_device(con: duckdb.DuckDBPyConnection, runs: list[data.Run]) -> list[data.Run]:
    """Runs whose model fits the device's memory by the catalogue's own estimate at 4,096 tokens
    (community runs may have spilled to the CPU); devices without a stated memory all pass."""
    mem = {
        r["device_key"]: (float(r["memory_gib"]), r["unified"] == "True")
        for r in data.read_csv("devices.csv")
        if r["memory_gib"]
    }
    from catalog.devices import memory as rules

    keep = []
    vram = {
        (r["repo_id"], r["quant"], r["device_id"]): r["vram_gb"]
        for r in evaluate(con, [data.Run(**{**x.__dict__, "context_tokens": 4096}) for x in runs])
    }
    for r in runs:
        if r.device_key in mem:
            gib, unified = mem[r.device_key]
            total = int(gib * data.GIB)
            usable = rules.usable_memory_bytes(
                total, rules.effective_gpu_share(total, unified, r.backend), rules.reserve_bytes(r.backend)
            )
            if vram[(r.repo_id, r.quant, r.device_id)] * 1e9 > usable:
                continue
        keep.append(r)
    return keep


def leave_one_source_out(con: duckdb.DuckDBPyConnection, runs: list[data.Run]) -> list[dict[str, Any]]:
    """Every run predicted by constants fitted without its source."""
    terms = {id(t["run"]): t for t in evaluate(con, runs)}
    held = []
    for source in sorted({r.source for r in runs}):
        train = [terms[id(r)] for r in runs if r.source != source]
        _set_constants(con, fit(train))
        held += evaluate(con, [r for r in runs if r.source == source])
    return held


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    ratios = [r["ratio"] for r in rows]
    if not ratios:
        return {"n": 0}
    return {
        "n": len(ratios),
        "median_ratio": round(statistics.median(ratios), 3),
        "within_25_pct": round(sum(abs(x - 1) <= 0.25 for x in ratios) / len(ratios), 3),
        "median_abs_err_pct": round(statistics.median(abs(x - 1) for x in ratios) * 100, 1),
        "p90_abs_err_pct": round(float(np.percentile([abs(x - 1) for x in ratios], 90)) * 100, 1),
    }


def bands(held: list[dict[str, Any]], profile: str = data.PROFILE) -> list[dict[str, Any]]:
    """estimate_bands rows for decode speed: measured ÷ estimated percentiles (held-out estimates)."""
    groups: dict[tuple[str, str], list[float]] = defaultdict(list)
    for r in held:
        inv = r["tok_s"] / r["decode_tok_s"]
        groups[(r["backend"], r["model_kind"])].append(inv)
        groups[("any", r["model_kind"])].append(inv)
    out = []
    for (backend, kind), values in sorted(groups.items()):
        if backend != "any" and len(values) < MIN_BAND_ROWS:
            continue
        p10, p50, p90 = (float(np.percentile(values, q)) for q in (10, 50, 90))
        out.append(
            {
                "profile": profile,
                "figure": "decode_tok_s",
                "backend": backend,
                "kind": kind,
                "ratio_p10": round(p10, 4),
                "ratio_p50": round(p50, 4),
                "ratio_p90": round(p90, 4),
                "n": len(values),
            }
        )
    return out


def data_digest() -> str:
    h = hashlib.sha256()
    for name in ("decode_runs.csv", "devices.csv", "models.json", "memory_logs.csv", "gguf_sizes.csv"):
        h.update((data.DATA_DIR / name).read_bytes())
    return h.hexdigest()[:16]


def report() -> dict[str, Any]:
    con = data.catalogue()
    try:
        everything = data.runs()
        runs = fits_on_device(con, everything)
        terms = evaluate(con, runs)
        constants = fit(terms)
        held = leave_one_source_out(con, runs)
        _set_constants(con, constants)
        in_sample = evaluate(con, runs)
        # the seed's method has no constants to fit: its band is its spread over every run
        simple_rows = evaluate(con, runs, profile="simple")
        sizes, memory = size_report(con), memory_report(con)
        out = {
            "data_sha256_16": data_digest(),
            "runs": len(runs),
            "runs_excluded_not_on_gpu": len(everything) - len(runs),
            "sources": len({r.source for r in runs}),
            "constants": {k: {n: round(v, 7) for n, v in c.items()} for k, c in constants.items()},
            "loso": {
                kind: summary([r for r in held if r["model_kind"] == kind]) for kind in ("dense", "moe")
            },
            "loso_by_backend": {
                f"{b}/{k}": summary([r for r in held if r["backend"] == b and r["model_kind"] == k])
                for b in BACKENDS
                for k in ("dense", "moe")
            },
            "loso_by_source": {
                source: {
                    kind: summary([r for r in held if r["source"] == source and r["model_kind"] == kind])
                    for kind in ("dense", "moe")
                }
                for source in sorted({r["source"] for r in held})
            },
            "in_sample": {
                kind: summary([r for r in in_sample if r["model_kind"] == kind]) for kind in ("dense", "moe")
            },
            "simple": {
                kind: summary([r for r in simple_rows if r["model_kind"] == kind])
                for kind in ("dense", "moe")
            },
            "bands": [
                *bands(held),
                *(
                    {**b, "method": "spread over every run (the seed method fits nothing)"}
                    for b in bands(simple_rows, "simple")
                    if b["backend"] == "any"
                ),
                *sizes["bands"],
                {
                    "profile": data.PROFILE,
                    "figure": "compute_buffer",
                    "backend": "any",
                    "kind": "any",
                    **memory["compute_band"],
                    "method": "measured ÷ estimated over calibration/memory_logs.csv",
                },
            ],
            "n_by_backend": {b: sum(r.backend == b for r in runs) for b in BACKENDS},
            "held_out": [
                {
                    "device": r["run"].device_key,
                    "model": r["run"].model_key,
                    "kind": r["model_kind"],
                    "ctx": r["run"].context_tokens,
                    "measured": r["tok_s"],
                    "estimated": round(r["decode_tok_s"], 1),
                }
                for r in held
            ],
            "worst": sorted(
                (
                    {
                        "source": r["source"][:60],
                        "device": r["run"].device_key,
                        "model": r["run"].model_key,
                        "ctx": r["run"].context_tokens,
                        "measured": r["tok_s"],
                        "estimated": round(r["decode_tok_s"], 1),
                    }
                    for r in held
                ),
                key=lambda x: -abs(x["estimated"] / x["measured"] - 1),
            )[:12],
            "memory": memory,
            "sizes": {k: v for k, v in sizes.items() if k != "bands"},
        }
    finally:
        con.close()
    return out


def sql(rep: dict[str, Any], today: dt.date) -> str:
    """The fitted values as the statements migrations 081 (speed constants) and 082 (bands) hold."""
    source = f"catalog/calibration/fit.py on calibration/ (data sha256[:16] {rep['data_sha256_16']})"
    lines = []
    for b in BACKENDS:
        c = rep["constants"].get(b, rep["constants"]["pooled"])
        held = [rep["loso_by_backend"][f"{b}/{k}"] for k in ("dense", "moe")]
        err = [h for h in held if h["n"]]
        med = round(statistics.median(h["median_abs_err_pct"] for h in err), 1) if err else "NULL"
        p90 = max(h["p90_abs_err_pct"] for h in err) if err else "NULL"
        lines.append(
            f"UPDATE speed_constants SET efficiency = {c['efficiency']:.4f}, "
            f"per_token_s = {c['per_token_s']:.6f},\n"
            f"    per_layer_s = {c['per_layer_s']:.7f}, per_moe_layer_s = {c['per_moe_layer_s']:.7f},\n"
            f"    attention_factor = {c['attention_factor']:.4f}, "
            f"compute_factor = {c['compute_factor']:.4f},\n"
            f"    n_runs = {rep['n_by_backend'][b]}, median_abs_err_pct = {med}, p90_abs_err_pct = {p90},\n"
            f"    method = '{METHOD}{'' if b in rep['constants'] else POOLED_NOTE}',\n"
            f"    source = '{source}', fitted_on = DATE '{today}'\n"
            f"WHERE profile = 'llama.cpp' AND backend = '{b}';"
        )
    for row in rep["bands"]:
        lines.append(
            "INSERT INTO estimate_bands VALUES ('{profile}', '{figure}', '{backend}', '{kind}', {ratio_p10}, "
            "{ratio_p50}, {ratio_p90}, {n},\n    ".format(**row)
            + f"'{row.get('method', 'leave-one-source-out')}', '{source}', DATE '{today}');"
        )
    return "\n".join(lines)


def _cells(s: dict[str, Any]) -> str:
    if not s["n"]:
        return "— | — | — | —"
    return (
        f"{s['median_ratio']:.3f} | {s['within_25_pct']:.1%} | "
        f"{s['median_abs_err_pct']} % | {s['p90_abs_err_pct']} %"
    )


def markdown(rep: dict[str, Any]) -> str:
    """The accuracy tables docs/methodology.md publishes (speed LOSO per kind, backend, source)."""
    head = (
        "| group | runs | median est/meas | within ±25 % | median abs err | p90 abs err |\n"
        "|---|---|---|---|---|---|"
    )
    lines = [f"data sha256[:16] {rep['data_sha256_16']}: {rep['runs']} runs, {rep['sources']} sources", "",
             head]
    for label, block in (("leave-one-source-out", "loso"), ("in sample", "in_sample"), ("simple", "simple")):
        lines += [f"| {label} {k} | {s['n']} | {_cells(s)} |" for k, s in rep[block].items()]
    lines += [f"| {k} | {s['n']} | {_cells(s)} |" for k, s in rep["loso_by_backend"].items() if s["n"]]
    lines += ["", head]
    for source, kinds in rep["loso_by_source"].items():
        lines += [f"| {source} {k} | {s['n']} | {_cells(s)} |" for k, s in kinds.items() if s["n"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--sql", action="store_true", help="print the fitted values as SQL")
    args = parser.parse_args(argv)
    rep = report()
    if args.json:
        print(json.dumps(rep, indent=1, default=str))
    elif args.sql:
        print(sql(rep, dt.date.today()))
    else:
        print(markdown(rep))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
