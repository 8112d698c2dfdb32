"""Fit fitcat's decode-speed constants on the measured llama.cpp runs and report residuals.

    .venv/bin/python benchmarks/fit_calibration.py [--calibration DIR] [--json]

Model (docs/methodology.md): seconds per token = bytes read per token / (bandwidth × efficiency)
+ per-token cost, where bytes read = active weights (weights × active/total parameters) + the KV
cache at the run's average context depth (depth + half the generated tokens). Fitted per backend
family by weighted least squares on time per token (weights 1/t², i.e. relative error), the
per-token cost clamped at ≥ 0 and the efficiency at ≤ 1. Also prints the seed's simple method on
the same rows, the weights estimator's error (leave-one-model-out median bits per weight)
against real GGUF sizes, and the memory model against llama.cpp allocator logs.
The printed constants are what
sql/schema/041_speed_constants.sql stores.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import statistics
from dataclasses import dataclass
from pathlib import Path

import numpy as np

GIB = 2**30
MIB = 2**20
DEFAULT_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "calibration"

# KV layout of each calibration model, from its public config.json (f16 cache):
# list of (kind, layers, kv_heads, key_length, value_length, window).
KV_LAYOUTS: dict[str, list[tuple]] = {
    "llama-2-7b": [("full", 32, 32, 128, 128, None)],
    "gpt-oss-20b": [("full", 12, 8, 64, 64, None), ("sliding", 12, 8, 64, 64, 128)],
    "gpt-oss-120b": [("full", 18, 8, 64, 64, None), ("sliding", 18, 8, 64, 64, 128)],
    "qwen3-coder-30b-a3b": [("full", 48, 4, 128, 128, None)],
    "qwen2.5-coder-7b": [("full", 28, 4, 128, 128, None)],
    "gemma-3-4b-it-qat": [("full", 5, 4, 256, 256, None), ("sliding", 29, 4, 256, 256, 1024)],
    "glm-4.7-flash": [("mla", 47, 1, 576, 0, None)],
}


def layout_key(model: str) -> str:
    name = model.lower()
    if "llama-2" in name or "llama 2" in name:
        return "llama-2-7b"
    for key in KV_LAYOUTS:
        if key in name:
            return key
    raise KeyError(f"no KV layout for calibration model {model!r}")


def kv_bytes(key: str, ctx: float, ubatch: int = 512, pad: int = 256) -> float:
    """The same per-kind cache size as sql/macros/kv_cache_bytes.sql (f16)."""
    total = 0.0
    for kind, layers, heads, k, v, window in KV_LAYOUTS[key]:
        row = heads * (k if kind == "mla" else k + v) * 2
        cells = min(ctx, -(-(window + ubatch) // pad) * pad) if kind == "sliding" else ctx
        total += layers * row * cells
    return total


@dataclass
class Run:
    backend: str
    device: str
    model: str
    bandwidth_gbps: float
    weights_bytes: float
    active_fraction: float
    depth: float
    tok_s: float

    @property
    def read_bytes(self) -> float:
        return self.weights_bytes * self.active_fraction + kv_bytes(layout_key(self.model), self.depth)

    @property
    def x(self) -> float:
        """Seconds per token at 100 % of the bandwidth."""
        return self.read_bytes / (self.bandwidth_gbps * 1e9)


def load_runs(folder: Path) -> list[Run]:
    runs: list[Run] = []
    with open(folder / "llamacpp_apple_silicon.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            for q in ("f16", "q8_0", "q4_0"):
                tps = row[f"{q}_tg128_tps"]
                if not tps:
                    continue
                runs.append(
                    Run(
                        "metal",
                        f"{row['chip']} {row['gpu_cores']}c",
                        row["model"],
                        float(row["mem_bw_GBps_as_listed"]),
                        float(row[f"{q}_size_GiB"]) * GIB,
                        1.0,
                        64.0,
                        float(tps),
                    )
                )
    with open(folder / "llamacpp_gpu_and_m2ultra.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if int(row["n_devices"] or 1) != 1:
                continue
            gen = int(row["tg_test"].removeprefix("tg") or 128)
            total, active = float(row["params_B"]), row["active_params_B"]
            runs.append(
                Run(
                    row["backend"].lower(),
                    row["device"],
                    row["model"],
                    float(row["device_bw_GBps"]),
                    float(row["model_size_GiB"]) * GIB,
                    float(active) / total if active else 1.0,
                    float(row["context_depth"] or 0) + gen / 2,
                    float(row["tg_tps"]),
                )
            )
    return runs


def fit(runs: list[Run]) -> tuple[float, float]:
    """(efficiency, per-token seconds): weighted least squares of t = x / eff + t0, t0 ≥ 0."""
    x = np.array([r.x for r in runs])
    t = np.array([1 / r.tok_s for r in runs])
    w = 1 / t
    design = np.column_stack([x, np.ones_like(x)]) * w[:, None]
    (slope, t0), *_ = np.linalg.lstsq(design, t * w, rcond=None)
    if t0 < 0:
        slope, t0 = float(np.sum(x * t * w**2) / np.sum(x * x * w**2)), 0.0
    if slope < 1:  # efficiency above 100 % of the bandwidth is not physical: clamp, refit t0
        slope, t0 = 1.0, max(0.0, float(np.sum((t - x) * w**2) / np.sum(w**2)))
    return 1 / float(slope), float(t0)


def predict(run: Run, eff: float, t0: float) -> float:
    return 1 / (run.x / eff + t0)


def pct_errors(pred: list[float], meas: list[float]) -> list[float]:
    return [abs(p - m) / m * 100 for p, m in zip(pred, meas, strict=True)]


def summary(errors: list[float]) -> tuple[float, float]:
    return statistics.median(errors), float(np.percentile(errors, 90))


def speed_report(runs: list[Run]) -> dict[str, dict]:
    out = {}
    for backend in sorted({r.backend for r in runs}):
        group = [r for r in runs if r.backend == backend]
        eff, t0 = fit(group)
        meas = [r.tok_s for r in group]
        fitted = [predict(r, eff, t0) for r in group]
        # The seed's method on the same runs: bandwidth / (weights + 0.3 GB) × 0.55.
        simple = [r.bandwidth_gbps * 1e9 / (r.weights_bytes + 3e8) * 0.55 for r in group]
        med, p90 = summary(pct_errors(fitted, meas))
        smed, sp90 = summary(pct_errors(simple, meas))
        worst = max(group, key=lambda r: abs(predict(r, eff, t0) - r.tok_s) / r.tok_s)
        out[backend] = {
            "n": len(group),
            "efficiency": round(eff, 4),
            "per_token_s": round(t0, 6),
            "median_abs_err_pct": round(med, 1),
            "p90_abs_err_pct": round(p90, 1),
            "simple_median_abs_err_pct": round(smed, 1),
            "simple_p90_abs_err_pct": round(sp90, 1),
            "worst": f"{worst.device} / {worst.model} @ {worst.depth:.0f}: measured {worst.tok_s}, "
            f"fitted {predict(worst, eff, t0):.1f}",
            "residuals": [
                (r.device, r.model, int(r.depth), r.tok_s, round(p, 1))
                for r, p in zip(group, fitted, strict=True)
            ],
        }
    return out


def weights_report(folder: Path) -> dict[str, float]:
    """Leave-one-model-out: bits per weight from the other models' median vs the real size."""
    rows = []
    with open(folder / "gguf_sizes_sample.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            size = float(row["size_bytes"]) if row["size_bytes"] else float(row["size_GB"]) * 1e9
            rows.append((row["model"], row["quant"], size, float(row["params_B"]) * 1e9))
    errors = []
    for model, quant, size, params in rows:
        others = [s * 8 / p for m, q, s, p in rows if q == quant and m != model]
        if not others:
            continue
        estimate = params * statistics.median(others) / 8
        errors.append(abs(estimate - size) / size * 100)
    med, p90 = summary(errors)
    return {"n": len(errors), "median_abs_err_pct": round(med, 1), "p90_abs_err_pct": round(p90, 1)}


# Memory check against llama.cpp's allocator logs: our llama.cpp-profile parts per row.
# (weights from the log's own model buffers, KV by formula, compute = base + vocab × 2,048)
COMPUTE_BASE = 324_534_272
MEMORY_MODELS = {  # KV bytes per token (f16) and vocabulary, from each model's config.json
    "pythia-2.8B": (2 * 32 * 2560 * 2, 50_304),
    "Meta-Llama-3.1-8B-Instruct": (131_072, 128_256),
    "Command-R": (2 * 40 * 64 * 128 * 2, 256_000),
}


def _mib(cell: str) -> float | None:
    """Sum of the MiB figures in a log cell such as '5434.38 (CUDA0) + 13989.53 (CUDA1)'."""
    if not cell:
        return None
    total, found = 0.0, False
    for part in cell.split("+"):
        token = part.strip().split(" ")[0]
        try:
            total += float(token)
            found = True
        except ValueError:
            continue
    return total if found else None


def memory_report(folder: Path) -> dict:
    rows, kv_err, total_err = [], [], []
    with open(folder / "llamacpp_memory_logs.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            key = next(k for k in MEMORY_MODELS if row["model"].startswith(k))
            per_token, vocab = MEMORY_MODELS[key]
            n_ctx = int(row["n_ctx"])
            kv_est = per_token * n_ctx / MIB
            kv_meas = _mib(row["kv_buffer_MiB"])
            compute_est = (COMPUTE_BASE + vocab * 2048) / MIB
            compute_meas = (
                _mib(row["compute_buffer_MiB"].split("+")[0]) if row["compute_buffer_MiB"] else None
            )
            weights = float(row["weights_MiB"])
            model_meas = (_mib(row["device_model_buffer_MiB"]) or 0) + (
                _mib(row["host_model_buffer_MiB"]) or 0
            )
            entry = {
                "model": key,
                "n_ctx": n_ctx,
                "kv_est_MiB": round(kv_est, 1),
                "kv_meas_MiB": kv_meas,
                "compute_est_MiB": round(compute_est, 1),
                "compute_meas_MiB": compute_meas,
                "weights_MiB": weights,
                "model_buffers_MiB": round(model_meas, 1),
            }
            if kv_meas:
                kv_err.append(abs(kv_est - kv_meas) / kv_meas * 100)
            total_meas = _mib(row["total_measured_MiB"])
            if total_meas:
                device_only = not row["host_model_buffer_MiB"]
                est = (
                    (float(row["device_model_buffer_MiB"]) if device_only else weights) + kv_est + compute_est
                )
                entry.update(total_est_MiB=round(est, 1), total_meas_MiB=total_meas)
                total_err.append(abs(est - total_meas) / total_meas * 100)
            rows.append(entry)
    kmed, kp90 = summary(kv_err)
    tmed, tp90 = summary(total_err)
    return {
        "rows": rows,
        "kv": {"n": len(kv_err), "median_abs_err_pct": round(kmed, 2), "p90_abs_err_pct": round(kp90, 2)},
        "total": {
            "n": len(total_err),
            "median_abs_err_pct": round(tmed, 2),
            "p90_abs_err_pct": round(tp90, 2),
        },
    }


def data_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for name in ("llamacpp_apple_silicon.csv", "llamacpp_gpu_and_m2ultra.csv"):
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()[:16]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibration", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    runs = load_runs(args.calibration)
    report = {
        "data_sha256_16": data_digest(args.calibration),
        "speed": speed_report(runs),
        "weights": weights_report(args.calibration),
        "memory": memory_report(args.calibration),
    }
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    print(f"calibration data sha256[:16] = {report['data_sha256_16']}\n")
    print("Decode speed: t = bytes_read / (bandwidth × efficiency) + per_token_s")
    print(
        f"{'backend':8} {'n':>3} {'efficiency':>10} {'per_token_ms':>12} {'med%':>6} {'p90%':>6}"
        f" | simple med% p90%"
    )
    for backend, r in report["speed"].items():
        print(
            f"{backend:8} {r['n']:>3} {r['efficiency']:>10.4f} {r['per_token_s'] * 1e3:>12.3f}"
            f" {r['median_abs_err_pct']:>6.1f} {r['p90_abs_err_pct']:>6.1f}"
            f" | {r['simple_median_abs_err_pct']:>10.1f} {r['simple_p90_abs_err_pct']:>5.1f}"
        )
        print(f"         worst: {r['worst']}")
    print("\nResiduals (device / model / depth: measured -> fitted tok/s)")
    for backend, r in report["speed"].items():
        for device, model, depth, meas, pred in r["residuals"]:
            print(
                f"  {backend:6} {device[:34]:34} {model[:28]:28} {depth:>6} {meas:>8.2f} -> {pred:>8.2f}"
                f" ({(pred - meas) / meas * 100:+.1f}%)"
            )
    w = report["weights"]
    print(
        f"\nWeights estimator (leave-one-model-out median bpw), n={w['n']}: "
        f"median {w['median_abs_err_pct']}%, p90 {w['p90_abs_err_pct']}%"
    )
    m = report["memory"]
    print(
        f"\nMemory vs llama.cpp logs: KV n={m['kv']['n']} median {m['kv']['median_abs_err_pct']}% "
        f"p90 {m['kv']['p90_abs_err_pct']}%; total n={m['total']['n']} median "
        f"{m['total']['median_abs_err_pct']}% p90 {m['total']['p90_abs_err_pct']}%"
    )
    for row in m["rows"]:
        print("  ", row)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
