"""NVIDIA GeForce compare page: one table per series, label in each row's first cell.

The 50 series table has "Memory Bandwidth (GB/sec)"; the 40 and 30 series tables have no
bandwidth row, so those cards get no bandwidth observation (the curated value stands).
A cell like "16 GB GDDR6 or 8 GB GDDR6" is two purchasable variants, named "<card> 16GB".
"""

from __future__ import annotations

import re

from bs4 import Tag

from catalog.devices import _html
from catalog.devices.model import LayoutChanged, Observation, number

PARSER_VERSION = "geforce-compare/1"
DEFAULTS = {"vendor": "NVIDIA", "kind": "gpu", "segment": "consumer", "backend": "cuda",
            "unified": False}

MEMORY_LABELS = ("Standard Memory Config", "Memory Config", "Memory Size")
BANDWIDTH_LABELS = ("Memory Bandwidth (GB/sec)", "Memory Bandwidth")
_VARIANT = re.compile(r"([\d.]+)\s*GB\s*(GDDR\w+)?", re.I)


def _cells(row: Tag) -> list[str]:
    return [_html.text_of(c) for c in row.find_all(["th", "td"])]


def _series_tables(doc: Tag) -> list[list[list[str]]]:
    tables = []
    for table in doc.find_all("table"):
        rows = [_cells(r) for r in table.find_all("tr")]
        if any(r and _html.label_matches(r[0], *MEMORY_LABELS) for r in rows):
            tables.append(rows)
    if not tables:
        raise LayoutChanged("no compare table with a 'Standard Memory Config' row")
    return tables


def _parse_table(rows: list[list[str]], url: str) -> list[Observation]:
    header = next((r for r in rows if len(r) > 1 and not r[0] and all(r[1:])), None)
    if header is None:
        raise LayoutChanged("compare table without a header row of card names")
    cards = header[1:]
    variants: dict[str, list[tuple[str, float, str | None]]] = {}
    bandwidth: dict[str, tuple[float, str]] = {}
    for row in rows:
        if len(row) != len(cards) + 1:
            continue
        for card, text in zip(cards, row[1:], strict=True):
            if _html.label_matches(row[0], *MEMORY_LABELS):
                found = _VARIANT.findall(text)
                types = [t for _, t in found if t]
                variants[card] = [
                    (text, float(gb), kind or (types[-1] if types else None)) for gb, kind in found
                ]
            elif _html.label_matches(row[0], *BANDWIDTH_LABELS):
                match = re.search(r"[\d.,]+", text)
                if match:
                    bandwidth[card] = (number(match.group()), text)
    out = []
    for card in cards:
        options = variants.get(card, [])
        for text, gb, kind in options:
            product = f"{card} {gb:g}GB" if len(options) > 1 else card
            out.append(Observation("NVIDIA", product, "memory_gb", gb, text, url))
            if kind:
                out.append(Observation("NVIDIA", product, "memory_type", None, kind, url))
            if card in bandwidth:
                value, shown = bandwidth[card]
                out.append(Observation("NVIDIA", product, "bandwidth_gbps", value, shown, url))
    return out


def parse(html: str, url: str) -> list[Observation]:
    """Memory (per variant), memory type and, where the table has it, bandwidth per card."""
    doc = _html.soup(html)
    out = [o for rows in _series_tables(doc) for o in _parse_table(rows, url)]
    if not out:
        raise LayoutChanged("compare tables found but no card has a readable memory size")
    return out
