"""AMD GPUs from `rocm-smi --showproductname --showmeminfo vram --json`.

One object per card ("card0", ...) plus a "system" object. Key spelling changed between ROCm
releases ("Card series" before, "Card Series" since ~6.x), so keys are read case-insensitively.
"Card Series" is the product name, either the marketing name ("Radeon RX 7900 XT") or, on some
versions, the pci.ids name ("Navi 21 [Radeon RX 6800/6800 XT / 6900 XT]"); "Card Model" is the
PCI device id ("0x744c"); "VRAM Total Memory (B)" is bytes (read from amdgpu's
mem_info_vram_total).
"""

from __future__ import annotations

import json
import re

from catalog.machine.model import DetectedGpu
from catalog.machine.pciids import pci_id

SMI_ARGS = ("--showproductname", "--showmeminfo", "vram", "--json")
_HEX = re.compile(r"^0x[0-9a-fA-F]{1,4}$")


def parse_rocm_smi(text: str) -> list[DetectedGpu]:
    """The cards of a rocm-smi JSON answer, in card order. Text before the JSON (rocm-smi prints
    warnings such as 'WARNING: AMD GPU device(s) is/are in a low-power state') is skipped."""
    start = text.find("{")
    if start < 0:
        raise ValueError("rocm-smi printed no JSON")
    data, _ = json.JSONDecoder().raw_decode(text[start:])
    cards = sorted((k for k in data if re.fullmatch(r"card\d+", k)), key=lambda k: int(k[4:]))
    driver = _get(data.get("system", {}), "driver version")
    gpus = []
    for card in cards:
        fields = data[card]
        name = _get(fields, "card series") or _get(fields, "device name")
        if not name:
            raise ValueError(f"rocm-smi {card} has no card series / device name")
        model = _get(fields, "card model") or _get(fields, "device id") or ""
        memory = _get(fields, "vram total memory (b)")
        gpus.append(DetectedGpu(
            vendor="AMD", name=name, memory_bytes=int(memory) if memory and memory.isdigit() else None,
            source="rocm-smi", pci_id=pci_id(0x1002, model) if _HEX.match(model) else None, driver=driver))
    return gpus


def _get(fields: dict, key: str) -> str | None:
    for k, v in fields.items():
        if k.strip().lower() == key:
            return str(v).strip()
    return None
