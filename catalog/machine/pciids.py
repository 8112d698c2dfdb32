"""PCI ids: "vendor:device" strings, and the product name pci.ids gives a device.

pci.ids (https://pci-ids.ucw.cz/, installed by pciutils/hwdata on most Linux systems) names a
device the way lspci does: "Navi 31 [Radeon RX 7900 XT/7900 XTX/7900 GRE/7900M]", the marketing
names in brackets. It is the only name sysfs-only detection has (no vendor tool installed).
"""

from __future__ import annotations

import re

_VENDOR = re.compile(r"^([0-9a-f]{4})  (.*)$")
_DEVICE = re.compile(r"^\t([0-9a-f]{4})  (.*)$")


def pci_id(vendor: int | str, device: int | str) -> str:
    """'10de:2204' from ints or hex strings ('0x10de', '10DE')."""
    def norm(value: int | str) -> int:
        return value if isinstance(value, int) else int(str(value).strip().lower().removeprefix("0x"), 16)

    return f"{norm(vendor):04x}:{norm(device):04x}"


def pci_name(text: str, pci: str) -> str | None:
    """The device line's name for 'vvvv:dddd' in a pci.ids text, or None."""
    vendor, device = pci.lower().split(":")
    in_vendor = False
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        top = _VENDOR.match(line)
        if top:
            if in_vendor:
                return None          # past the vendor's block
            in_vendor = top.group(1) == vendor
            continue
        if line.startswith("C "):    # device classes follow the vendor list
            return None
        if in_vendor:
            dev = _DEVICE.match(line)
            if dev and dev.group(1) == device:
                return dev.group(2).strip()
    return None
