"""Marketed memory → bytes → what a GPU may actually use.

Vendors market GPU and unified memory in binary units: a "24 GB" RTX 4090 has 24 GiB,
a "141 GB" H200 reports 143,771 MiB, a "128 GB" Mac has 128 GiB. So marketed GB are
converted with 2^30, never 1e9. Displays elsewhere use decimal GB (1e9) with the unit in
the column name. The rules and their sources are written up in docs/devices.md.
"""

from __future__ import annotations

GIB = 2**30
MIB = 2**20

# Driver/runtime context a discrete GPU loses before any model byte is placed: the CUDA
# context is "a few hundred MiB" (llama.cpp load logs; nvidia-smi shows ~300-500 MiB).
# Metal needs none here: the macOS wired limit below already leaves the OS its share.
DEFAULT_RESERVE_MIB = {"cuda": 512, "rocm": 512, "vulkan": 512, "metal": 0, "cpu": 0}

# macOS lets the GPU wire about 2/3 of unified memory on small machines and 3/4 on larger
# ones (Metal's recommendedMaxWorkingSetSize); `sudo sysctl iogpu.wired_limit_mb=N` raises it.
MACOS_SMALL_MACHINE_MAX_BYTES = 36 * GIB
MACOS_SMALL_SHARE = 2 / 3
MACOS_LARGE_SHARE = 3 / 4
# A CPU run (no GPU: `fitcat fit --this-machine` on a CPU-only machine) counts on the same share of
# system RAM as a large Mac's GPU: the OS and other programs keep a quarter. fitcat's own rule.
CPU_RAM_SHARE = 3 / 4


def marketed_gb_to_bytes(gb: float) -> int:
    """Marketed GB (binary) to bytes: 24 → 25,769,803,776."""
    if gb <= 0:
        raise ValueError(f"memory must be positive, got {gb}")
    return round(gb * GIB)


def macos_default_gpu_share(memory_bytes: int) -> float:
    """The share of unified memory macOS lets the GPU wire by default."""
    if memory_bytes <= MACOS_SMALL_MACHINE_MAX_BYTES:
        return MACOS_SMALL_SHARE
    return MACOS_LARGE_SHARE


def effective_gpu_share(
    memory_bytes: int, unified: bool, backend: str, override: float | None = None
) -> float:
    """The share a GPU may use: 1 for dedicated memory, the OS rule or an override if unified."""
    if override is not None:
        if not 0 < override <= 1:
            raise ValueError(f"gpu share must be in (0, 1], got {override}")
        return override
    if not unified:
        return 1.0
    if backend == "metal":
        return macos_default_gpu_share(memory_bytes)
    if backend == "cpu":
        return CPU_RAM_SHARE
    return 1.0


def reserve_bytes(backend: str, reserve_mib: float | None = None) -> int:
    """Per-device driver/context reserve: the device's own figure, else the backend default."""
    mib = DEFAULT_RESERVE_MIB[backend] if reserve_mib is None else reserve_mib
    return round(mib * MIB)


def usable_memory_bytes(memory_bytes: int, gpu_share: float, reserve: int) -> int:
    """Per-GPU bytes a model may occupy: the GPU's share of memory minus the reserve."""
    return max(0, int(memory_bytes * gpu_share) - reserve)
