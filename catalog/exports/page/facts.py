"""What every section of a page looks things up in, worked out once from the page's rows.

Consistency by construction: every list, speed and FAQ answer comes from the same device_fit rows
at the page's context (the matrix DuckDB aggregates, and the recommended quant's rows behind it),
so a page never says "no single GPU fits" while quoting a single-GPU speed, and a speed is only
given for a device that fits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from catalog.exports.page.matrix import VERDICTS
from catalog.exports.page.rows import PageRows, dicts, recommended

BETTER_QUANT = "Q5_K_M"
DEVICE_CLASSES = ("consumer_gpu", "workstation_gpu", "datacenter_gpu", "mac", "unified_other", "system")
GPU_CLASSES = ("consumer_gpu", "workstation_gpu", "datacenter_gpu")
LOCAL_CLASSES = ("consumer_gpu", "workstation_gpu", "mac", "unified_other")
UNIFIED_AND_SYSTEMS = ("mac", "unified_other", "system")


@dataclass
class Facts:
    repo_id: str
    name: str
    ctx: int
    default_ctx: int
    full_ctx: int
    model: dict[str, Any]
    profile: dict[str, Any]
    quants: list[dict[str, Any]]              # smallest VRAM first
    by_quant: dict[str, dict[str, Any]]
    rec: dict[str, Any]
    better: dict[str, Any] | None
    devices: list[dict[str, Any]]             # every device, most popular first
    device: dict[str, dict[str, Any]]
    codes: dict[str, str]                     # quant -> one fit_code per device
    speeds: dict[str, list[float]]            # quant -> speed of each device that runs it
    fits: dict[tuple[str, str], dict[str, Any]]        # (quant, device_id) at ctx: rec quant, RTX 5090
    fits_full: dict[tuple[str, str], dict[str, Any]]   # ... at the full context
    files: list[dict[str, Any]]
    memory: list[dict[str, Any]]
    candidates: list[dict[str, Any]]
    speed_constants: dict[str, dict[str, Any]]
    speed_bands: dict[str, tuple[float, float]]       # backend ('any': the rest) -> (p10, p90) ratios

    @classmethod
    def of(cls, rows: PageRows) -> Facts:
        t = rows.tables
        m = dicts(t["models"])[0]
        quants = dicts(t["quants"])
        by_quant = {q["quant"]: q for q in quants}
        rec = by_quant[recommended(quants)]
        devices = dicts(t["devices"])
        at_ctx, at_full = {}, {}
        for f in dicts(t["fits"]):
            if f["context_tokens"] == rows.ctx:
                at_ctx[(f["quant"], f["device_id"])] = f
            if f["context_tokens"] == rows.full_ctx:
                at_full[(f["quant"], f["device_id"])] = f
        matrix = {quant: (codes, speeds) for quant, codes, speeds in t["matrix"][1]}
        return cls(
            repo_id=rows.repo_id, name=m["name"] or rows.repo_id.split("/")[-1], ctx=rows.ctx,
            default_ctx=rows.default_ctx, full_ctx=rows.full_ctx, model=m, profile=dicts(t["profile"])[0],
            quants=quants, by_quant=by_quant, rec=rec,
            better=by_quant.get(BETTER_QUANT) if rec["quant"] != BETTER_QUANT else None,
            devices=devices, device={d["device_id"]: d for d in devices},
            codes={q: c for q, (c, _) in matrix.items()},
            speeds={q: [float(x) for x in s] for q, (_, s) in matrix.items()},
            fits=at_ctx, fits_full=at_full, files=dicts(t["files"]), memory=dicts(t["memory"]),
            candidates=dicts(t["candidates"]), speed_constants={s["backend"]: s for s in dicts(t["speed"])},
            speed_bands={b["backend"]: (b["ratio_p10"], b["ratio_p90"]) for b in dicts(t["bands"])})

    @property
    def smallest(self) -> dict[str, Any]:
        return self.quants[0]

    @property
    def largest(self) -> dict[str, Any]:
        return self.quants[-1]

    def fitting(self, quant: str, classes: tuple[str, ...] = DEVICE_CLASSES) -> list[dict[str, Any]]:
        """Devices of these classes that run `quant` at the page's context, most popular first:
        the device's attributes, its verdict and speed (and, for the recommended quant, the whole
        device_fit row: usable and needed memory, largest context)."""
        out, codes, speeds, n = [], self.codes[quant], self.speeds[quant], 0
        for d, code in zip(self.devices, codes, strict=True):
            if code not in VERDICTS:
                continue
            speed, n = speeds[n], n + 1
            if d["device_class"] in classes:
                row = self.fits.get((quant, d["device_id"]), {})
                out.append(d | {"class": d["device_class"], "verdict": VERDICTS[code], "decode_tok_s": speed}
                           | row)
        return out

    def first_quant_with(self, classes: tuple[str, ...]) -> dict[str, Any] | None:
        """The smallest quant some device of these classes runs, and those devices."""
        for q in self.quants:
            found = self.fitting(q["quant"], classes)
            if found:
                return {"quant": q["quant"], "vram_gb": q["vram_gb"], "devices": found}
        return None
