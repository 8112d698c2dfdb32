"""GPUs from the Linux DRM sysfs tree, for machines without rocm-smi or xpu-smi.

Per card (/sys/class/drm/cardN): device/vendor and device/device (PCI ids), and the dedicated
memory the driver publishes: amdgpu `device/mem_info_vram_total`, xe
`device/tileN/physical_vram_size_bytes` (summed over tiles), i915 `lmem_total_bytes` (discrete
cards only). amdgpu boards may also carry `device/product_name`. The name otherwise comes from
pci.ids. NVIDIA's driver publishes no memory here (NVML/nvidia-smi cover it), and a GPU with no
dedicated memory file is integrated: it shares system RAM, which the CPU budget already covers.
"""

from __future__ import annotations

import re
from pathlib import Path

from catalog.machine.model import DetectedGpu
from catalog.machine.pciids import pci_id, pci_name

VENDORS = {"0x1002": "AMD", "0x8086": "Intel"}
CARD_FILES = ("device/vendor", "device/device", "device/product_name", "device/mem_info_vram_total",
              "lmem_total_bytes")


def read_cards(sys_root: Path) -> dict[str, dict[str, str]]:
    """{card: {relative file: stripped text}} for every /sys/class/drm/cardN (I/O only)."""
    drm = sys_root / "class" / "drm"
    cards: dict[str, dict[str, str]] = {}
    for card in sorted(drm.glob("card*"), key=lambda p: p.name) if drm.is_dir() else []:
        if not re.fullmatch(r"card\d+", card.name):
            continue
        files = {rel: _read(card / rel) for rel in CARD_FILES}
        for tile in sorted((card / "device").glob("tile*/physical_vram_size_bytes")):
            files[str(tile.relative_to(card))] = _read(tile)
        cards[card.name] = {k: v for k, v in files.items() if v is not None}
    return cards


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def parse_card(files: dict[str, str], pci_ids: str | None) -> DetectedGpu | None:
    """An AMD or Intel card with dedicated memory, or None (another vendor, or integrated)."""
    vendor = VENDORS.get(files.get("device/vendor", "").lower())
    if vendor is None or "device/device" not in files:
        return None
    memory = _memory(files)
    if memory is None:
        return None
    pci = pci_id(files["device/vendor"], files["device/device"])
    name = files.get("device/product_name") or (pci_ids and pci_name(pci_ids, pci)) or f"{vendor} GPU [{pci}]"
    return DetectedGpu(vendor=vendor, name=name, memory_bytes=memory, source="sysfs", pci_id=pci)


def _memory(files: dict[str, str]) -> int | None:
    tiles = [int(v) for k, v in files.items() if k.endswith("physical_vram_size_bytes") and v.isdigit()]
    if tiles:
        return sum(tiles)
    for key in ("device/mem_info_vram_total", "lmem_total_bytes"):
        if files.get(key, "").isdigit():
            return int(files[key])
    return None
