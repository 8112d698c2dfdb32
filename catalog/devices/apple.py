"""Apple tech-specs pages (apple.com/<mac>/specs/): one column per chip bin.

The "Chip" row names the bin (M4 Max, 16-core CPU, 40-core GPU) and its memory bandwidth,
which depends on the bin (M4 Max 32-core GPU 410 GB/s vs 40-core 546 GB/s); the "Memory"
row, in the same column order, lists that bin's memory options. Each (bin, memory option)
is one purchasable product: "Mac Studio M4 Max 16-core CPU 40-core GPU 128GB".
Rows are found by their header text; a column spanning bins carries aria-colspan.
"""

from __future__ import annotations

import re

from bs4 import Tag

from catalog.devices import _html
from catalog.devices.model import LayoutChanged, Observation, clean_text

PARSER_VERSION = "apple-techspecs/1"
DEFAULTS = {"vendor": "Apple", "kind": "soc", "segment": "mac", "backend": "metal",
            "unified": True}

_CHIP = re.compile(r"\b(M\d)( Pro| Max| Ultra)?\b")
_CPU = re.compile(r"(\d+)-core CPU", re.I)
_GPU = re.compile(r"(\d+)-core GPU", re.I)
_MEMORY = re.compile(r"(\d+)\s*GB(?!\s*/\s*s)", re.I)


def _row_columns(doc: Tag, label: str) -> list[str]:
    """Texts of the cells following the row header whose text is `label`, colspans expanded."""
    for heading in doc.find_all(["h2", "h3", "div", "span"]):
        if heading.find(True) is not None or not _html.label_matches(heading.get_text(), label):
            continue
        header = heading
        while header.parent is not None and not header.find_next_siblings(True):
            header = header.parent
        cells = []
        for cell in header.find_next_siblings(True):
            span = int(cell.get("aria-colspan", 1) or 1)
            cells.extend([clean_text(cell.get_text(" "))] * span)
        if cells:
            return cells
    raise LayoutChanged(f"no tech-specs row headed {label!r}")


def _product_name(doc: Tag) -> str:
    heading = doc.find("h1")
    if heading is not None:
        return clean_text(heading.get_text(" "))
    title = doc.find("title")
    if title is None:
        raise LayoutChanged("no <h1> or <title> naming the Mac")
    return clean_text(title.get_text()).split(" - ")[0]


def parse(html: str, url: str) -> list[Observation]:
    """Memory and bandwidth for every chip bin × memory option on the page."""
    doc = _html.soup(html)
    product = _product_name(doc)
    chips = _row_columns(doc, "Chip")
    memories = _row_columns(doc, "Memory")
    if len(memories) != len(chips):
        raise LayoutChanged(f"{len(chips)} chip columns but {len(memories)} memory columns")
    out: list[Observation] = []
    for chip_text, memory_text in zip(chips, memories, strict=True):
        chip, cpu, gpu = _CHIP.search(chip_text), _CPU.search(chip_text), _GPU.search(chip_text)
        if not (chip and cpu and gpu):
            raise LayoutChanged(f"chip column without chip name and core counts: {chip_text!r}")
        name = f"{chip.group(1)}{chip.group(2) or ''}"
        bandwidth = _html.bandwidth_gbps(chip_text)
        for gb in dict.fromkeys(int(m) for m in _MEMORY.findall(memory_text)):
            label = f"{product} {name} {cpu.group(1)}-core CPU {gpu.group(1)}-core GPU {gb}GB"
            out.append(Observation("Apple", label, "memory_gb", float(gb), memory_text, url))
            if bandwidth is not None:
                out.append(Observation("Apple", label, "bandwidth_gbps", bandwidth,
                                       chip_text, url))
    if not out:
        raise LayoutChanged("chip and memory rows found but no memory option read")
    return out
