"""The data behind a model page's three charts (drawn by static/charts.js with the vendored Chart.js),
each also shown as a table next to its chart.

- memory: VRAM against context length per quant (`memory_by_context`), with a horizontal line at
  the usable memory of a few popular devices in the chart's range (devices.json);
- speed: estimated decode speed on the devices that run the recommended quant (the fit matrix),
  the most popular first;
- quants: VRAM and bits per weight per quant, the size/quality trade-off (`quantizations`).
"""

from __future__ import annotations

from typing import Any

from catalog.exports.page.matrix import Fit
from catalog.site.fmt import band

SPEED_DEVICES = 20      # bars in the speed chart (a small model runs on every one of 300+ devices)
MEMORY_LINES = 4        # device lines in the memory chart


def memory_lines(page: dict[str, Any], devices: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """A few popular single devices whose usable memory falls in the chart's range (from half the
    smallest need to a quarter above the largest), one per memory size; when none does, the
    smallest popular one above the range, so the chart still says "far more than enough"."""
    vram = [v for q in page["memory_by_context"]["quants"] for v in q["vram_gb"]]
    if not vram:
        return []
    low, high = min(vram) / 2, max(vram) * 1.25
    single = sorted((d for d in devices.values() if d["gpu_count"] == 1 and d.get("usable_memory_gb")),
                    key=lambda d: d["popularity_rank"])
    chosen: dict[float, dict[str, Any]] = {}
    for device in single:                               # most popular first
        usable = device["usable_memory_gb"]
        if low <= usable <= high and usable not in chosen:
            chosen[usable] = device
        if len(chosen) == MEMORY_LINES:
            break
    if not chosen:
        above = [d for d in single if d["usable_memory_gb"] > high]
        if above:
            smallest = min(d["usable_memory_gb"] for d in above)
            first = next(d for d in above if d["usable_memory_gb"] == smallest)
            chosen[smallest] = first
    return [{"device_id": d["device_id"], "name": d["name"], "usable_gb": usable}
            for usable, d in sorted(chosen.items())]


def speed_rows(page: dict[str, Any], at_rec: dict[str, Fit], devices: dict[str, dict[str, Any]],
               extra: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The most popular devices that run the recommended quant, with their speed (and, for the
    devices the page's `speed` section lists, the speed at full context and any band)."""
    rows = []
    for fit in at_rec.values():                         # the page's device order: most popular first
        if not fit.runs:
            continue
        more = extra.get(fit.device_id, {})
        rows.append({"device": devices[fit.device_id], "verdict": fit.verdict,
                     "decode_tok_s": fit.decode_tok_s, "speed": more})
        if len(rows) == SPEED_DEVICES:
            break
    return rows


def model_charts(page: dict[str, Any], devices: dict[str, dict[str, Any]],
                 at_rec: dict[str, Fit]) -> dict[str, Any]:
    """The JSON island a model page carries for charts.js (compact: names, not device records)."""
    mbc = page["memory_by_context"]
    quants = page["quantizations"]
    rec = page["summary"]["recommended_quant"]
    bands = [band(q, "vram_gb") for q in quants]
    return {
        "memory": {"contexts": mbc["context_tokens"],
                   "quants": [{"quant": q["quant"], "vram_gb": q["vram_gb"], "recommended": q["quant"] == rec}
                              for q in mbc["quants"]],
                   "devices": memory_lines(page, devices)},
        "speed": {"quant": rec,
                  "devices": [{"name": r["device"]["name"], "decode_tok_s": r["decode_tok_s"],
                               "verdict": r["verdict"]} for r in speed_rows(page, at_rec, devices, {})]},
        "quants": {"quants": [q["quant"] for q in quants], "recommended": rec,
                   "vram_gb": [q["vram_gb"] for q in quants],
                   "bits_per_weight": [q["bits_per_weight"] for q in quants],
                   "band": [list(b) for b in bands] if all(bands) else None},
    }
