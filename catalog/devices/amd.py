"""AMD product pages (Instinct, Radeon, Radeon PRO): a Specifications block of labelled values.

Rows are found by label ("Memory Type", "Peak Memory Bandwidth"). Radeon pages also print an
"Effective Memory Bandwidth" that counts Infinity Cache hits: it is not DRAM bandwidth and is
deliberately never read. Instinct "Peak FP16" is the matrix rate; the "with Structured
Sparsity" row is not used.
"""

from __future__ import annotations

from catalog.devices import _html
from catalog.devices.model import LayoutChanged, Observation

PARSER_VERSION = "amd-specs/1"
DEFAULTS = {"vendor": "AMD", "kind": "gpu", "segment": "consumer", "backend": "rocm",
            "unified": False}

NAME_LABELS = ("Name", "Product Name")
MEMORY_LABELS = ("Memory Size", "Max Memory Size", "Dedicated Memory Size", "Max. Memory")
TYPE_LABELS = ("Memory Type", "System Memory Type")
BANDWIDTH_LABELS = ("Peak Memory Bandwidth", "Memory Bandwidth")  # never "Effective ..."
FP16_LABELS = ("Peak FP16 Performance", "Peak FP16 Matrix Performance")


def parse(html: str, url: str) -> list[Observation]:
    """Memory size, type, DRAM bandwidth and (Instinct) FP16 matrix rate of the page's product."""
    doc = _html.soup(html)
    name = _html.value_after_label(doc, *NAME_LABELS)
    if name is None and (heading := doc.find("h1")) is not None:
        name = _html.text_of(heading)
    size = _html.value_after_label(doc, *MEMORY_LABELS)
    if not name or size is None or _html.memory_gb(size) is None:
        raise LayoutChanged("no labelled memory size in the Specifications block")
    out = [Observation("AMD", name, "memory_gb", _html.memory_gb(size), size, url)]
    if kind := _html.value_after_label(doc, *TYPE_LABELS):
        out.append(Observation("AMD", name, "memory_type", None, kind, url))
    bandwidth = _html.value_after_label(doc, *BANDWIDTH_LABELS)
    if bandwidth and (value := _html.bandwidth_gbps(bandwidth)) is not None:
        out.append(Observation("AMD", name, "bandwidth_gbps", value, bandwidth, url))
    fp16 = _html.value_after_label(doc, *FP16_LABELS)
    if fp16 and (value := _html.tflops(fp16)) is not None:
        out.append(Observation("AMD", name, "fp16_tflops_dense", value, fp16, url, "dense"))
    return out
