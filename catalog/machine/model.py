"""What detection finds: GPUs (grouped when identical), system RAM and the CPU.

Memory is in bytes as the tool reported it (NVIDIA and AMD report binary units, so a "24 GB"
card reads 24,576 MiB or a little less); the catalogue's marketed GB are compared in
catalog/machine/match.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

GIB = 2**30

# The runtime a vendor's GPU runs under when it is not in the catalogue (the catalogue's own
# choice per vendor: devices.csv gives Intel Arc `vulkan`, Radeon `rocm`).
DEFAULT_BACKEND = {"NVIDIA": "cuda", "AMD": "rocm", "Apple": "metal", "Intel": "vulkan"}


@dataclass(frozen=True)
class DetectedGpu:
    """One GPU model found on this machine, `count` times; `device_id` once matched."""

    vendor: str                       # NVIDIA | AMD | Apple | Intel
    name: str                         # as the tool printed it
    memory_bytes: int | None          # per GPU; None when the tool reports none (DGX Spark)
    source: str                       # nvml | nvidia-smi | rocm-smi | sysfs | xpu-smi | system_profiler
    count: int = 1
    pci_id: str | None = None         # "10de:2204"
    driver: str | None = None
    unified: bool = False             # memory shared with the CPU (Apple Silicon)
    gpu_cores: int | None = None      # Apple: the GPU core count that tells chip bins apart
    device_id: str | None = None      # the catalogue device, set by match()
    why: str = ""                     # how device_id was chosen, or why there is none
    bandwidth_gbps: float | None = None
    backend: str | None = None

    @property
    def memory_gib(self) -> float | None:
        return None if self.memory_bytes is None else self.memory_bytes / GIB


@dataclass(frozen=True)
class Cpu:
    name: str | None
    cores: int | None = None          # physical cores
    threads: int | None = None        # logical CPUs


@dataclass(frozen=True)
class Machine:
    gpus: list[DetectedGpu]
    ram_bytes: int | None
    cpu: Cpu
    notes: list[str] = field(default_factory=list)


def group(gpus: list[DetectedGpu]) -> list[DetectedGpu]:
    """Identical GPUs (same vendor, name, memory) become one entry with a count, in first-seen order."""
    counts: dict[tuple[str, str, int | None], DetectedGpu] = {}
    for gpu in gpus:
        key = (gpu.vendor, gpu.name, gpu.memory_bytes)
        seen = counts.get(key)
        counts[key] = gpu if seen is None else replace(seen, count=seen.count + gpu.count)
    return list(counts.values())
