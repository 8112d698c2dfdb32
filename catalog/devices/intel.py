"""Intel ARK specification pages: div.tech-section rows of .tech-label / .tech-data.

Read by label text (ARK labels carry ‡ ™ ®, cleaned before matching), not by class name.
"""

from __future__ import annotations

from catalog.devices import _html
from catalog.devices.model import Observation

PARSER_VERSION = "intel-ark/1"
DEFAULTS = {"vendor": "Intel", "kind": "gpu", "segment": "consumer", "backend": "vulkan",
            "unified": False}

NAME_LABELS = ("Product Name", "Processor Number")
MEMORY_LABELS = ("Memory Size", "Graphics Memory Size")
TYPE_LABELS = ("Memory Type", "Graphics Memory Type")
BANDWIDTH_LABELS = ("Graphics Memory Bandwidth", "Memory Bandwidth")


def parse(html: str, url: str) -> list[Observation]:
    """Memory size, type and bandwidth of the one SKU an ARK page describes."""
    _, out = _html.labelled_memory(
        _html.soup(html), "Intel", url, name_labels=NAME_LABELS, memory_labels=MEMORY_LABELS,
        type_labels=TYPE_LABELS, bandwidth_labels=BANDWIDTH_LABELS,
        missing="no labelled 'Memory Size' in the ARK specifications")
    return out
