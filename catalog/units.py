"""Units, one definition each: bytes are the truth; numbers leave as decimal GB (1e9) and tok/s,
rounded where they are produced, and are shown to people by the `show_*` helpers.

Marketed memory sizes ("24 GB") are binary (2^30) and converted in catalog/devices/memory.py.
"""

from __future__ import annotations

import math
from typing import Any

GB = 1e9


def _finite(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and not math.isfinite(value))


def round_gb(value: float | None, digits: int = 2) -> float | None:
    """A figure already in decimal GB, rounded (2 decimals unless said); None stays None."""
    if not _finite(value):
        return None
    return round(float(value), digits) + 0.0      # + 0.0 turns -0.0 into 0.0


def gb_from_bytes(n: float | None, digits: int = 2) -> float | None:
    """Bytes as decimal GB, rounded."""
    return None if not _finite(n) else round_gb(n / GB, digits)


def round_toks(value: float | None) -> float | None:
    """tok/s with one decimal."""
    return None if not _finite(value) else round(float(value), 1) + 0.0


def as_int(value: Any) -> int | None:
    return None if value is None else int(value)


def show_gb(value: float | None, digits: int = 1, missing: str = "—") -> str:
    """A decimal-GB figure for people: `12.3 GB`."""
    return missing if not _finite(value) else f"{value:,.{digits}f} GB"


def show_params(n: int | float | None) -> str:
    """A parameter count for people: `8.0B`, `494M`."""
    if not _finite(n):
        return "—"
    return f"{n / 1e9:,.1f}B" if n >= 1e9 else f"{n / 1e6:,.0f}M"


def show_tokens(n: int | None, missing: str = "—") -> str:
    return missing if n is None else f"{int(n):,}"
