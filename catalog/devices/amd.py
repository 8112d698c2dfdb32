"""AMD product pages (Instinct, Radeon, Radeon PRO): a Specifications block of labelled values.

Rows are found by label ("Memory Type", "Peak Memory Bandwidth"). Radeon pages also print an
"Effective Memory Bandwidth" that counts Infinity Cache hits: it is not DRAM bandwidth and is
deliberately never read. Instinct "Peak FP16" is the matrix rate; the "with Structured
Sparsity" row is not used.
"""

from __future__ import annotations

from catalog.devices import _html
from catalog.devices.model import Observation

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
    name, out = _html.labelled_memory(
        doc, "AMD", url, name_labels=NAME_LABELS, memory_labels=MEMORY_LABELS,
        type_labels=TYPE_LABELS, bandwidth_labels=BANDWIDTH_LABELS,
        missing="no labelled memory size in the Specifications block")
    fp16 = _html.value_after_label(doc, *FP16_LABELS)
    if fp16 and (value := _html.tflops(fp16)) is not None:
        out.append(Observation("AMD", name, "fp16_tflops_dense", value, fp16, url, "dense"))
    return out
