"""The shapes that flow between parsers, the resolver and the store."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

FIELDS_NUMERIC = ("memory_gb", "bandwidth_gbps", "fp16_tflops_dense")
BASES = ("dense", "sparse", "")
SCOPES = ("per_gpu", "pair", "system")


class LayoutChanged(RuntimeError):
    """A page no longer has the structure its parser reads: report it, keep old values."""


@dataclass(frozen=True)
class Observation:
    """One number (or text) a vendor page states about one purchasable product.

    `product` is the label as printed (column header, card name, chip bin + memory);
    `value` is in the field's unit as printed, with `basis` (dense/sparse) and `scope`
    (per GPU, per pair, whole system) saying how to bring it to per-GPU dense.
    """

    vendor: str
    product: str
    field: str
    value: float | None
    text: str
    source_url: str
    basis: str = ""
    scope: str = "per_gpu"

    def __post_init__(self) -> None:
        if self.basis not in BASES or self.scope not in SCOPES:
            raise ValueError(f"bad basis/scope {self.basis!r}/{self.scope!r}")

    @property
    def key(self) -> str:
        return product_key(self.product)


_MARKS = re.compile(r"[®™‡†*©]")
_DROP_WORDS = {"nvidia", "amd", "intel", "apple", "chip", "with"}


def clean_text(text: str) -> str:
    """Page text with trademark/footnote marks gone and any Unicode dash/space made plain."""
    text = unicodedata.normalize("NFKC", _MARKS.sub("", text))
    text = re.sub(r"[\u2010-\u2015]", "-", text)
    return re.sub(r"\s+", " ", text).strip()


def product_key(name: str) -> str:
    """A match key for a product label: lower case, marks and vendor words dropped."""
    text = re.sub(r"[^a-z0-9+.\- ]", " ", clean_text(name).lower())
    text = re.sub(r"(\d) (gb|tb)\b", r"\1\2", text)
    words = text.split()
    return " ".join(w for w in words if w not in _DROP_WORDS)


def number(text: str) -> float:
    """'1,979' → 1979.0; '3.35' → 3.35."""
    return float(text.replace(",", ""))
