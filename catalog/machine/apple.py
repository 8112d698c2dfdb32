"""Apple Silicon: the chip and its GPU core count from `system_profiler SPDisplaysDataType -json`,
the unified memory and CPU from `sysctl -n machdep.cpu.brand_string hw.memsize hw.physicalcpu
hw.logicalcpu`.

The GPU core count tells chip bins apart (an M4 Max has 32 or 40 GPU cores, with 410 or
546 GB/s); hw.memsize is the exact unified memory in bytes (68,719,476,736 on a 64 GB Mac).
"""

from __future__ import annotations

import json

from catalog.machine.model import Cpu, DetectedGpu

SYSCTL_KEYS = ("machdep.cpu.brand_string", "hw.memsize", "hw.physicalcpu", "hw.logicalcpu")
PROFILER_ARGS = ("SPDisplaysDataType", "-json")


def parse_sysctl(text: str) -> tuple[Cpu, int]:
    """(CPU, memory bytes) from the values `sysctl -n` prints one per line, in SYSCTL_KEYS order."""
    values = [line.strip() for line in text.splitlines() if line.strip()]
    if len(values) < 2 or not values[1].isdigit():
        raise ValueError(f"sysctl printed no brand string and hw.memsize: {text[:200]!r}")
    counts = [int(v) if v.isdigit() else None for v in values[2:4]] + [None, None]
    return Cpu(name=values[0], cores=counts[0], threads=counts[1]), int(values[1])


def parse_system_profiler(text: str) -> list[DetectedGpu]:
    """The Apple GPUs of an SPDisplaysDataType report (memory is filled in from hw.memsize).
    Other entries (a discrete GPU of an Intel Mac) are not Apple Silicon and are left out."""
    items = json.loads(text).get("SPDisplaysDataType", [])
    gpus = []
    for item in items:
        model = str(item.get("sppci_model", ""))
        if not (model.startswith("Apple M") or item.get("spdisplays_vendor") == "sppci_vendor_Apple"):
            continue
        cores = str(item.get("sppci_cores", ""))
        gpus.append(DetectedGpu(vendor="Apple", name=model, memory_bytes=None, source="system_profiler",
                                unified=True, gpu_cores=int(cores) if cores.isdigit() else None))
    return gpus
