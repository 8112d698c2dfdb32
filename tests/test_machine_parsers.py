"""Every parser of catalog/machine on every recorded machine (tests/fixtures/machine/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog.machine import amd, apple, host, intel, nvidia, sysfs
from catalog.machine.model import DetectedGpu, group
from catalog.machine.pciids import pci_id, pci_name

FIXTURES = Path(__file__).parent / "fixtures" / "machine"
MIB = 2**20


def text(rel: str) -> str:
    return (FIXTURES / rel).read_text()


def test_nvidia_smi_single_gpu():
    assert nvidia.parse_nvidia_smi(text("nvidia-rtx3090ti/nvidia-smi.csv")) == [DetectedGpu(
        vendor="NVIDIA", name="NVIDIA GeForce RTX 3090 Ti", memory_bytes=24564 * MIB, source="nvidia-smi",
        pci_id="10de:2203", driver="580.159.03")]


def test_nvidia_smi_identical_gpus_group_with_a_count():
    gpus = nvidia.parse_nvidia_smi(text("nvidia-2x-rtx3090/nvidia-smi.csv"))
    assert [(g.name, g.memory_bytes, g.pci_id) for g in gpus] == [
        ("NVIDIA GeForce RTX 3090", 24576 * MIB, "10de:2204")] * 2
    (both,) = group(gpus)
    assert (both.count, both.driver) == (2, "610.43.03")


def test_nvidia_smi_mixed_gpus_keep_their_order():
    gpus = group(nvidia.parse_nvidia_smi(text("nvidia-2x-rtx3080-20gb-rtx5090/nvidia-smi.csv")))
    assert [(g.name, g.memory_bytes // MIB, g.count, g.pci_id) for g in gpus] == [
        ("NVIDIA GeForce RTX 3080", 20480, 2, "10de:2206"),
        ("NVIDIA GeForce RTX 5090", 32607, 1, "10de:2b85")]


def test_nvidia_smi_edge_cases():
    # DGX Spark prints [N/A] for memory.total (nvitop PR #208); a name may hold a comma.
    (spark,) = nvidia.parse_nvidia_smi("NVIDIA GB10, [N/A], 0x2E1210DE, 580.173.02\n")
    assert (spark.name, spark.memory_bytes, spark.driver) == ("NVIDIA GB10", None, "580.173.02")
    (comma,) = nvidia.parse_nvidia_smi("NVIDIA GeForce RTX 4090, OEM, 24564, 0x268410DE, 560.35\n")
    assert (comma.name, comma.memory_bytes) == ("NVIDIA GeForce RTX 4090, OEM", 24564 * MIB)
    with pytest.raises(ValueError, match="No devices were found"):
        nvidia.parse_nvidia_smi("No devices were found\n")
    with pytest.raises(ValueError, match="not MiB"):
        nvidia.parse_nvidia_smi("NVIDIA GeForce RTX 3090, lots, 0x220410DE, 610.43.03\n")


def test_rocm_smi_json():
    assert amd.parse_rocm_smi(text("amd-rx7900xt/rocm-smi.json")) == [DetectedGpu(
        vendor="AMD", name="Radeon RX 7900 XT", memory_bytes=21458059264, source="rocm-smi",
        pci_id="1002:744c")]


def test_rocm_smi_pci_ids_style_names_and_an_igpu():
    gpus = amd.parse_rocm_smi("WARNING: AMD GPU device(s) is/are in a low-power state.\n"
                              + text("amd-rx6800-raphael/rocm-smi.json"))
    assert [(g.name, g.memory_bytes, g.pci_id) for g in gpus] == [
        ("Navi 21 [Radeon RX 6800/6800 XT / 6900 XT]", 17163091968, "1002:73bf"),
        ("Raphael", 67108864, "1002:164e")]
    with pytest.raises(ValueError, match="no JSON"):
        amd.parse_rocm_smi("ERROR: rocm-smi is not supported on this system\n")


def test_sysfs_amdgpu_card_named_from_pci_ids():
    cards = sysfs.read_cards(FIXTURES / "amd-rx7900xt" / "sys")
    assert cards == {"card1": {"device/vendor": "0x1002", "device/device": "0x744c",
                               "device/mem_info_vram_total": "21458059264"}}
    gpu = sysfs.parse_card(cards["card1"], text("pci.ids"))
    assert (gpu.vendor, gpu.name, gpu.memory_bytes, gpu.pci_id, gpu.source) == (
        "AMD", "Navi 31 [Radeon RX 7900 XT/7900 XTX/7900 GRE/7900M]", 21458059264, "1002:744c", "sysfs")
    assert sysfs.parse_card(cards["card1"], None).name == "AMD GPU [1002:744c]"


def test_sysfs_xe_tiles_and_cards_without_dedicated_memory():
    (files,) = sysfs.read_cards(FIXTURES / "intel-arc-pro-b60" / "sys").values()
    gpu = sysfs.parse_card(files, text("pci.ids"))
    assert (gpu.name, gpu.memory_bytes) == ("Battlemage G21 [Arc Pro B60]", 25669140480)
    two_tiles = {**files, "device/tile1/physical_vram_size_bytes": "25669140480"}
    assert sysfs.parse_card(two_tiles, None).memory_bytes == 2 * 25669140480
    integrated = {"device/vendor": "0x8086", "device/device": "0x56a0"}
    nvidia_card = {"device/vendor": "0x10de", "device/device": "0x2204"}
    assert sysfs.parse_card(integrated, None) is None and sysfs.parse_card(nvidia_card, None) is None


def test_xpu_smi_names_an_unknown_device_by_its_pci_id():
    gpus = intel.parse_xpu_smi(text("intel-arc-pro-b60/xpu-smi.json"))
    assert [(g.name, g.memory_bytes, g.pci_id) for g in gpus] == [
        ("Intel(R) Graphics [0xe211]", 25669140480, "8086:e211"),
        ("Intel GPU [0xe211]", 25669140480, "8086:e211")]
    assert gpus[0].driver == "7B7A46009E666C4D10E1134"


def test_apple_sysctl_and_system_profiler():
    cpu, memory = apple.parse_sysctl(text("apple-m4-max/sysctl.txt"))
    assert (cpu.name, cpu.cores, cpu.threads, memory) == ("Apple M4 Max", 16, 16, 64 * 2**30)
    (gpu,) = apple.parse_system_profiler(text("apple-m4-max/system_profiler.json"))
    assert (gpu.vendor, gpu.name, gpu.gpu_cores, gpu.unified, gpu.memory_bytes) == (
        "Apple", "Apple M4 Max", 40, True, None)
    with pytest.raises(ValueError, match=r"hw\.memsize"):
        apple.parse_sysctl("sysctl: unknown oid 'machdep.cpu.brand_string'\n")


def test_proc_meminfo_cpuinfo_and_lscpu():
    assert host.parse_meminfo(text("cpu-only/meminfo")) == 24683772 * 1024
    cpu = host.parse_cpuinfo(text("cpu-only/cpuinfo"))
    assert (cpu.name, cpu.cores, cpu.threads) == ("AMD EPYC", 2, 2)
    assert host.parse_lscpu(text("cpu-only/lscpu.txt")) == cpu
    with pytest.raises(ValueError, match="MemTotal"):
        host.parse_meminfo("MemFree: 1 kB\n")


def test_pci_ids_lookup():
    ids = text("pci.ids")
    assert pci_name(ids, "10de:2204") == "GA102 [GeForce RTX 3090]"
    assert pci_name(ids, "8086:56a0") == "DG2 [Arc A770]"
    assert pci_name(ids, "1002:2204") is None          # another vendor's 2204
    assert pci_id("0x10DE", 0x2204) == "10de:2204"
