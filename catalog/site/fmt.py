"""How the site writes numbers (Jinja filters): the CLI's units (catalog/units.py), plus error bands.

A figure `x` may come with a band, `x_low` / `x_high` beside it in the same row (an estimate's
p10–p90, docs/methodology.md "Error bands"); releases made before bands were exported have none,
and the site then shows the figure alone.
"""

from __future__ import annotations

from typing import Any

from catalog.units import memory_label, show_gb, show_params, show_tokens

VERDICT_LABELS = {"runs_great": "Runs great", "decent": "Decent", "too_small": "Too small"}


def band(row: dict[str, Any] | None, field: str) -> tuple[float, float] | None:
    """(low, high) of `field` when the row gives both, else None."""
    if not row:
        return None
    low, high = row.get(f"{field}_low"), row.get(f"{field}_high")
    return (low, high) if low is not None and high is not None else None


def gb(value: float | None, digits: int = 1) -> str:
    return show_gb(value, digits)


def gb_band(row: dict[str, Any], field: str, digits: int = 1) -> str:
    """`174.0 GB` or, with a band, `174.0 GB (168.2–181.5)`."""
    text = show_gb(row.get(field), digits)
    b = band(row, field)
    return f"{text} ({b[0]:,.{digits}f}–{b[1]:,.{digits}f})" if b and row.get(field) is not None else text


def tok_s(value: float | None) -> str:
    return "—" if value is None else f"~{value:,.1f} tok/s"


def tok_n(value: float | None) -> str:
    """tok/s in a column headed with the unit: `146.0`."""
    return "—" if value is None else f"{value:,.1f}"


def tok_s_band(row: dict[str, Any], field: str = "decode_tok_s") -> str:
    text = tok_s(row.get(field))
    b = band(row, field)
    return f"{text} ({b[0]:,.1f}–{b[1]:,.1f})" if b and row.get(field) is not None else text


def params(value: int | None) -> str:
    return show_params(value)


def tokens(value: int | None) -> str:
    return show_tokens(value)


def short_tokens(value: int) -> str:
    """Chart ticks and compact labels: 2K, 128K, 1M (binary multiples, as context sizes are)."""
    for size, unit in ((1 << 20, "M"), (1 << 10, "K")):
        if value >= size and value % size == 0:
            return f"{value // size}{unit}"
    return f"{value:,}"


def when(value: str | None) -> str:
    """An ISO timestamp as `2026-12-07 08:44 UTC` (the exports write UTC with a Z)."""
    if not value:
        return "—"
    text = value.replace("T", " ")
    return text[:16] + " UTC" if text.endswith("Z") and len(text) >= 16 else text


def verdict(value: str | None) -> str:
    return VERDICT_LABELS.get(value or "", value or "—")


FILTERS = {"gb": gb, "gb_band": gb_band, "tok_s": tok_s, "tok_n": tok_n, "tok_s_band": tok_s_band,
           "params": params, "tokens": tokens, "short_tokens": short_tokens, "verdict": verdict, "when": when,
           "memory_label": memory_label}
