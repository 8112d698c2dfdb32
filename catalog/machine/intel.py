"""Intel discrete GPUs from `xpu-smi discovery --json` (Intel's XPU Manager).

xpu-smi lists devices as {"device_list": [...]}; `xpu-smi discovery -d N --json` answers one
device object with its memory ("memory_physical_size_byte"). Some drivers name a device they do
not know by its PCI id ("Intel(R) Graphics [0xe211]", intel/xpumanager#127); the PCI id then
names it through pci.ids. Most Arc desktops have no xpu-smi: catalog/machine/sysfs.py reads the
same facts from the xe/i915 driver.
"""

from __future__ import annotations

import json
import re

from catalog.machine.model import DetectedGpu
from catalog.machine.pciids import pci_id

LIST_ARGS = ("discovery", "--json")
_ID_IN_NAME = re.compile(r"\[(0x[0-9a-fA-F]{4})\]")


def detail_args(device: int) -> tuple[str, ...]:
    return ("discovery", "-d", str(device), "--json")


def parse_xpu_smi(text: str) -> list[DetectedGpu]:
    """The devices of an xpu-smi discovery JSON answer (a device list or one device)."""
    data = json.loads(text)
    devices = data.get("device_list", [data])
    gpus = []
    for device in devices:
        in_name = _ID_IN_NAME.search(str(device.get("device_name", "")))
        dev_id = device.get("pci_device_id") or (in_name.group(1) if in_name else None)
        memory = str(device.get("memory_physical_size_byte", ""))
        gpus.append(DetectedGpu(
            vendor="Intel", name=str(device.get("device_name") or f"Intel GPU [{dev_id}]"),
            memory_bytes=int(memory) if memory.isdigit() else None, source="xpu-smi",
            pci_id=pci_id(device.get("pci_vendor_id") or 0x8086, dev_id) if dev_id else None,
            driver=device.get("driver_version")))
    return gpus
