"""NVIDIA GPUs: NVML through nvidia-ml-py when installed, else nvidia-smi's CSV query.

nvidia-smi reports memory.total in MiB ("24576" for an RTX 3090 with nounits; a DGX Spark,
whose GPU shares system memory, prints "[N/A]" — nvitop PR #208) and pci.device_id as
0xDDDDVVVV (device id high, vendor id low: "0x220410DE").
"""

from __future__ import annotations

from types import ModuleType

from catalog.machine.model import DetectedGpu
from catalog.machine.pciids import pci_id

SMI_QUERY = ("--query-gpu=name,memory.total,pci.device_id,driver_version", "--format=csv,noheader,nounits")
MIB = 2**20


def parse_nvidia_smi(text: str) -> list[DetectedGpu]:
    """One GPU per line of `nvidia-smi --query-gpu=name,memory.total,pci.device_id,driver_version
    --format=csv,noheader,nounits`. The name is not quoted and may hold a comma, so the three
    other fields are taken from the right."""
    gpus = []
    for line in text.splitlines():
        if not line.strip():
            continue
        fields = [f.strip() for f in line.split(",")]
        if len(fields) < 4 or not fields[0]:
            raise ValueError(f"nvidia-smi line is not name, memory.total, pci.device_id, driver: {line!r}")
        *name, memory, device, driver = fields
        gpus.append(DetectedGpu(
            vendor="NVIDIA", name=", ".join(name), memory_bytes=_mib(memory, line), source="nvidia-smi",
            pci_id=_smi_pci(device), driver=None if driver.startswith("[") else driver))
    return gpus


def _mib(field: str, line: str) -> int | None:
    value = field.removesuffix("MiB").strip()
    if value.startswith("["):                 # [N/A], [Not Supported]
        return None
    if not value.isdigit():
        raise ValueError(f"nvidia-smi memory.total is not MiB: {field!r} in {line!r}")
    return int(value) * MIB


def _smi_pci(field: str) -> str | None:
    if not field.lower().startswith("0x") or len(field) != 10:
        return None
    return _packed_pci(int(field, 16))


def read_nvml(nvml: ModuleType) -> list[DetectedGpu]:
    """The GPUs NVML sees. Raises nvml.NVMLError when the library or driver is missing (the
    caller falls back to nvidia-smi); a value one GPU cannot report is left out."""
    nvml.nvmlInit()
    try:
        driver = _text(nvml.nvmlSystemGetDriverVersion())
        gpus = []
        for index in range(nvml.nvmlDeviceGetCount()):
            h = nvml.nvmlDeviceGetHandleByIndex(index)
            gpus.append(DetectedGpu(
                vendor="NVIDIA", name=_text(nvml.nvmlDeviceGetName(h)),
                memory_bytes=_optional(nvml, lambda h=h: int(nvml.nvmlDeviceGetMemoryInfo(h).total)),
                source="nvml", driver=driver,
                pci_id=_optional(nvml, lambda h=h: _packed_pci(nvml.nvmlDeviceGetPciInfo(h).pciDeviceId))))
        return gpus
    finally:
        nvml.nvmlShutdown()


def _optional(nvml: ModuleType, read):
    try:
        return read()
    except nvml.NVMLError:                     # NOT_SUPPORTED: memory on a unified-memory GPU
        return None


def _packed_pci(packed: int) -> str:
    """NVML and nvidia-smi pack the device id in the high 16 bits, the vendor id in the low."""
    return pci_id(packed & 0xFFFF, packed >> 16)


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
