"""Intel ARK specification pages: div.tech-section rows of .tech-label / .tech-data.

Read by label text (ARK labels carry ‡ ™ ®, cleaned before matching), not by class name.
"""

from __future__ import annotations

from catalog.devices import _html
from catalog.devices.model import LayoutChanged, Observation, clean_text

PARSER_VERSION = "intel-ark/1"
DEFAULTS = {"vendor": "Intel", "kind": "gpu", "segment": "consumer", "backend": "vulkan",
            "unified": False}

NAME_LABELS = ("Product Name", "Processor Number")
MEMORY_LABELS = ("Memory Size", "Graphics Memory Size")
TYPE_LABELS = ("Memory Type", "Graphics Memory Type")
BANDWIDTH_LABELS = ("Graphics Memory Bandwidth", "Memory Bandwidth")


def parse(html: str, url: str) -> list[Observation]:
    """Memory size, type and bandwidth of the one SKU an ARK page describes."""
    doc = _html.soup(html)
    name = _html.value_after_label(doc, *NAME_LABELS)
    if name is None and (heading := doc.find("h1")) is not None:
        name = clean_text(heading.get_text(" "))
    size = _html.value_after_label(doc, *MEMORY_LABELS)
    if not name or size is None or _html.memory_gb(size) is None:
        raise LayoutChanged("no labelled 'Memory Size' in the ARK specifications")
    out = [Observation("Intel", name, "memory_gb", _html.memory_gb(size), size, url)]
    if kind := _html.value_after_label(doc, *TYPE_LABELS):
        out.append(Observation("Intel", name, "memory_type", None, kind, url))
    bandwidth = _html.value_after_label(doc, *BANDWIDTH_LABELS)
    if bandwidth and (value := _html.bandwidth_gbps(bandwidth)) is not None:
        out.append(Observation("Intel", name, "bandwidth_gbps", value, bandwidth, url))
    return out
