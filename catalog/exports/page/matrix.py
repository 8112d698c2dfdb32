"""Reading a page's compact fit (`fit`): what a site, `fitcat show` and the checks do with it.

`fit.verdicts[i]` holds one character per device of `fit.device_ids` (sql/macros/fit_code.sql):
G runs great, D decent; a device too small alone gives the number of GPUs of its kind that would
hold the model (2-9, then a-z for 10-35), or '-'. `fit.decode_tok_s[i]` holds a speed for each
device that runs quant i, in device order, space-separated.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

VERDICTS = {"G": "runs_great", "D": "decent"}
GPU_DIGITS = string.digits[2:] + string.ascii_lowercase        # index 0 is 2 GPUs


@dataclass(frozen=True)
class Fit:
    device_id: str
    verdict: str                   # runs_great | decent | too_small
    gpus_needed: int | None        # too small alone: GPUs of its kind that would hold it
    decode_tok_s: float | None     # devices that run it

    @property
    def runs(self) -> bool:
        return self.verdict != "too_small"


def gpus_needed(code: str) -> int | None:
    return GPU_DIGITS.index(code) + 2 if code in GPU_DIGITS else None


def fits(page: dict[str, Any], quant: str) -> list[Fit]:
    """Every device's fit for one quant, in the page's device order (most popular first)."""
    fit = page["fit"]
    i = fit["quants"].index(quant)
    speeds = iter(float(x) for x in fit["decode_tok_s"][i].split())
    return [Fit(device_id, VERDICTS.get(code, "too_small"), gpus_needed(code),
                next(speeds) if code in VERDICTS else None)
            for device_id, code in zip(fit["device_ids"], fit["verdicts"][i], strict=True)]
