"""Label-driven helpers shared by the vendor parsers: find things by the words on the page,
not by class names, so a restyled page still parses and a restructured one fails loudly."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

from catalog.devices.model import LayoutChanged, Observation, clean_text, number

_MEM = re.compile(r"([\d.,]+)\s*(GB|TB)(?!\s*/\s*s)", re.I)
_BW = re.compile(r"([\d.,]+)\s*(GB|TB)\s*/\s*s(?:ec)?", re.I)
_TFLOPS = re.compile(r"([\d.,]+)\s*(tera|peta)?\s*(FLOPS|TFLOPs|PFLOPs)", re.I)


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def text_of(node: Tag) -> str:
    """Visible text of a cell with footnote superscripts removed, marks cleaned."""
    copy = soup(str(node))
    for sup in copy.find_all("sup"):
        sup.decompose()
    return clean_text(copy.get_text(" "))


def label_matches(text: str, *labels: str) -> bool:
    """A row label equals one of the wanted labels, ignoring case, marks and a trailing ':'."""
    wanted = {lab.lower() for lab in labels}
    return clean_text(text).rstrip(":").strip().lower() in wanted


def value_after_label(root: Tag, *labels: str) -> str | None:
    """The text of the element that follows a label (dt→dd, th→td, label div→data div)."""
    for node in root.find_all(string=True):
        if not label_matches(str(node), *labels):
            continue
        element = node.parent
        for _ in range(4):
            if element is None:
                break
            sibling = element.find_next_sibling()
            if sibling is not None and sibling.get_text(strip=True):
                return text_of(sibling)
            element = element.parent
    return None


def memory_gb(text: str) -> float | None:
    """'80GB' → 80; '1,440GB total' → 1440; '13.4 TB' → 13400. Bandwidths never match.

    Multi-terabyte HBM totals are quoted as 1000 GB per TB (72 × 186 GB = '13.4 TB').
    """
    match = _MEM.search(text)
    if not match:
        return None
    value = number(match.group(1))
    return value * 1000 if match.group(2).upper() == "TB" else value


def bandwidth_gbps(text: str) -> float | None:
    """'3.35TB/s' → 3350 (vendors use decimal TB/s = 1000 GB/s); '1792 GB/sec' → 1792."""
    match = _BW.search(text)
    if not match:
        return None
    value = number(match.group(1))
    return value * 1000 if match.group(2).upper() == "TB" else value


def tflops(text: str) -> float | None:
    """'1,979 teraFLOPS' → 1979; '2.5 PFLOPs' → 2500."""
    match = _TFLOPS.search(text)
    if not match:
        return None
    value = number(match.group(1))
    unit = (match.group(2) or match.group(3)).lower()
    return value * 1000 if unit.startswith("peta") or unit == "pflops" else value


def labelled_memory(doc: Tag, vendor: str, url: str, *, name_labels: tuple[str, ...],
                    memory_labels: tuple[str, ...], type_labels: tuple[str, ...],
                    bandwidth_labels: tuple[str, ...], missing: str) -> tuple[str, list[Observation]]:
    """Product name and its memory size, type and bandwidth from a page of labelled values
    (AMD spec blocks, Intel ARK); `missing` is the LayoutChanged reason when there is no size."""
    name = value_after_label(doc, *name_labels)
    if name is None and (heading := doc.find("h1")) is not None:
        name = text_of(heading)
    size = value_after_label(doc, *memory_labels)
    if not name or size is None or memory_gb(size) is None:
        raise LayoutChanged(missing)
    out = [Observation(vendor, name, "memory_gb", memory_gb(size), size, url)]
    if kind := value_after_label(doc, *type_labels):
        out.append(Observation(vendor, name, "memory_type", None, kind, url))
    bandwidth = value_after_label(doc, *bandwidth_labels)
    if bandwidth and (value := bandwidth_gbps(bandwidth)) is not None:
        out.append(Observation(vendor, name, "bandwidth_gbps", value, bandwidth, url))
    return name, out
