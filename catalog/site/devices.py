"""Device pages ("what runs on an RTX 4090"), gathered from every model page's fit matrix.

For each device and model: the best quant that runs (most bits per weight among those whose
verdict is runs great or decent, at 2,048 tokens), its memory and speed, and whether the
recommended quant runs; for a model too large even at its smallest quant, how many of this card
would hold it (the matrix's GPU count, when the device can be split that way).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from catalog.exports.page.matrix import fits


@dataclass(frozen=True)
class Runs:
    entry: dict[str, Any]            # the model's models.json entry
    quant: dict[str, Any]            # the best quant's row of the page's quantizations
    verdict: str
    decode_tok_s: float | None
    recommended_runs: bool
    recommended_tok_s: float | None


@dataclass(frozen=True)
class TooBig:
    entry: dict[str, Any]
    quant: str                       # the smallest quant
    vram_gb: float
    gpus_needed: int | None          # of this card, when it can be split that way


@dataclass
class DeviceModels:
    runs: list[Runs] = field(default_factory=list)
    too_big: list[TooBig] = field(default_factory=list)


def collect(pages: Any) -> dict[str, DeviceModels]:
    """device_id -> what runs on it, from (entry, page) pairs read one at a time."""
    out: dict[str, DeviceModels] = defaultdict(DeviceModels)
    for entry, page in pages:
        quants = page["quantizations"]
        by_quant = {q["quant"]: fits(page, q["quant"]) for q in quants}
        rec = page["summary"]["recommended_quant"]
        smallest = min(quants, key=lambda q: q["vram_gb"])
        ranked = sorted(quants, key=lambda q: (q["bits_per_weight"], -q["vram_gb"]), reverse=True)
        for i, device_id in enumerate(page["fit"]["device_ids"]):
            best = next((q for q in ranked if by_quant[q["quant"]][i].runs), None)
            if best is None:
                fit = by_quant[smallest["quant"]][i]
                out[device_id].too_big.append(TooBig(entry, smallest["quant"], smallest["vram_gb"],
                                                     fit.gpus_needed))
                continue
            fit, at_rec = by_quant[best["quant"]][i], by_quant[rec][i]
            out[device_id].runs.append(Runs(entry, best, fit.verdict, fit.decode_tok_s, at_rec.runs,
                                            at_rec.decode_tok_s))
    for models in out.values():
        models.runs.sort(key=lambda r: (-r.entry["params_total"], r.entry["id"]))
        models.too_big.sort(key=lambda t: (t.vram_gb, t.entry["id"]))
    return dict(out)
