"""Deterministic JSON: fixed key order (as built), 2-space indent, UTF-8, trailing newline.

Numbers are rounded where they are produced: *_gb to 2 decimals (decimal GB, 1e9), tok/s to 1
decimal, bytes and tokens as integers.
"""

from __future__ import annotations

import json
import math
from typing import Any


def dumps(obj: Any) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def gb(value: float | None) -> float | None:
    """Decimal GB with two decimals (the input is already in GB)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), 2) + 0.0  # + 0.0 turns -0.0 into 0.0


def gb_bytes(n: int | float | None) -> float | None:
    return None if n is None else gb(n / 1e9)


def toks(value: float | None) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), 1) + 0.0


def as_int(value: Any) -> int | None:
    return None if value is None else int(value)
