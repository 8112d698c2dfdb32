"""NVIDIA data-centre spec tables (H100, H200, A100, L40S, L4, DGX/HGX pages).

One Specifications <table>, one column per SKU ("H100 SXM | H100 NVL"); rows found by
their label. Starred tensor figures are with sparsity ("* With sparsity": dense = half).
DGX/HGX pages state whole-system totals ("1,440GB total"), kept with scope 'system'.
"""

from __future__ import annotations

import re

from bs4 import Tag

from catalog.devices import _html
from catalog.devices.model import LayoutChanged, Observation, clean_text, product_key

PARSER_VERSION = "nvidia-dc/1"
DEFAULTS = {"vendor": "NVIDIA", "kind": "gpu", "segment": "datacenter", "backend": "cuda",
            "unified": False}

MEMORY_LABELS = ("GPU Memory", "Total GPU Memory")
BANDWIDTH_LABELS = ("GPU Memory Bandwidth", "Memory Bandwidth")
FP16_LABELS = ("FP16 Tensor Core", "FP16/BF16 Tensor Core", "BF16 Tensor Core")
_MEMTYPE = re.compile(r"\b(HBM\d\w?|GDDR\d\w?(?: ECC)?|LPDDR\d\w?)\b", re.I)


def _rows(table: Tag) -> list[list[Tag]]:
    return [row.find_all(["th", "td"]) for row in table.find_all("tr")]


def _spec_table(doc: Tag) -> Tag:
    for table in doc.find_all("table"):
        for cells in _rows(table):
            if cells and _html.label_matches(cells[0].get_text(), *MEMORY_LABELS):
                return table
    raise LayoutChanged("no table with a 'GPU Memory' row")


def _skus(doc: Tag, table: Tag) -> list[str]:
    """SKU names from a header row of <th> cells, else the page's one product (its <h1>)."""
    first = table.find("tr")
    cells = first.find_all(["th", "td"]) if first else []
    if len(cells) > 1 and all(c.name == "th" for c in cells[1:]):
        return [_html.text_of(c) for c in cells[1:]]
    heading = doc.find("h1")
    if heading is None:
        raise LayoutChanged("single-product spec table but no <h1> naming the product")
    return [_html.text_of(heading)]


def _tensor_value(raw: str, sparsity_note: bool) -> tuple[float | None, str]:
    """Dense if the page prints one; a starred figure is sparse when the page says so."""
    parts = [p for p in raw.split("|") if p.strip()]
    for part in parts:
        if "*" not in part and _html.tflops(part) is not None:
            return _html.tflops(part), "dense"
    for part in parts:
        if _html.tflops(part) is not None:
            return _html.tflops(part), "sparse" if sparsity_note else "dense"
    return None, ""


def parse(html: str, url: str) -> list[Observation]:
    """Every per-SKU memory, bandwidth and FP16 tensor figure in the spec table."""
    doc = _html.soup(html)
    table = _spec_table(doc)
    skus = _skus(doc, table)
    sparsity_note = "with sparsity" in doc.get_text(" ").lower()
    out: list[Observation] = []
    for cells in _rows(table):
        if len(cells) != len(skus) + 1:
            continue
        label = cells[0].get_text()
        for sku, cell in zip(skus, cells[1:], strict=True):
            raw = cell.get_text(" ")
            text = clean_text(raw)
            system = "total" in text.lower() or product_key(sku).startswith(("dgx", "hgx"))
            scope = "system" if system else "per_gpu"

            def obs(field: str, value: float | None, basis: str = "", shown: str = text,
                    *, sku: str = sku, scope: str = scope) -> None:
                out.append(Observation("NVIDIA", sku, field, value, shown, url, basis, scope))

            if _html.label_matches(label, *MEMORY_LABELS):
                if (gb := _html.memory_gb(text)) is not None:
                    obs("memory_gb", gb)
                if (bw := _html.bandwidth_gbps(text)) is not None:
                    obs("bandwidth_gbps", bw)
                if kind := _MEMTYPE.search(text):
                    obs("memory_type", None, shown=kind.group(1))
            elif _html.label_matches(label, *BANDWIDTH_LABELS):
                if (bw := _html.bandwidth_gbps(text)) is not None:
                    obs("bandwidth_gbps", bw)
            elif _html.label_matches(label, *FP16_LABELS):
                value, basis = _tensor_value(raw, sparsity_note)
                if value is not None and not any(
                    o.product == sku and o.field == "fp16_tflops_dense" for o in out
                ):
                    obs("fp16_tflops_dense", value, basis)
    if not any(o.field == "memory_gb" for o in out):
        raise LayoutChanged("spec table found but no SKU has a readable GPU memory figure")
    return out
