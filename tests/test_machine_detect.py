"""Detection end to end: the probe layer runs fake vendor tools (scripts on PATH printing the
recorded outputs of tests/fixtures/machine/), reads fixture /proc and /sys trees, and the GPUs
found are matched to a catalogue built with the real migrations, views and curated registry."""

from __future__ import annotations

import importlib.util
import shlex
import shutil
import subprocess
import types
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from catalog.db import connect
from catalog.devices.registry import load_registry
from catalog.devices.resolve import sync_curated
from catalog.machine import Cpu, DetectedGpu, Machine, Probes, describe, detect, match, primary, sysfs

FIXTURES = Path(__file__).parent / "fixtures" / "machine"
PCI_IDS = (FIXTURES / "pci.ids",)
GIB, MIB = 2**30, 2**20
CAT = shutil.which("cat")          # the fakes run with only their own folder on PATH
NVIDIA_ARGS = "--query-gpu=name,memory.total,pci.device_id,driver_version --format=csv,noheader,nounits"


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    """The curated catalogue, opened read-only as the CLI opens it."""
    path = tmp_path_factory.mktemp("machine") / "catalog.duckdb"
    writer = connect(path)
    sync_curated(writer, load_registry(), "r1", datetime(2026, 3, 1, tzinfo=UTC))
    writer.close()
    reader = duckdb.connect(str(path), read_only=True)
    yield reader
    reader.close()


class Tools:
    """Fake executables in a bin folder: each prints a fixture for exactly the expected arguments
    (anything else exits 64, so a changed command line fails the test)."""

    def __init__(self, root: Path):
        self.bin = root / "bin"
        self.bin.mkdir()

    def add(self, name: str, args: str, fixture: str | None = None, *, exit_code: int = 0,
            stderr: str = "") -> None:
        script = self.bin / name
        known = script.read_text().split("\n", 1)[1] if script.exists() else "exit 64\n"
        body = f"{CAT} {shlex.quote(str(FIXTURES / fixture))}; " if fixture else ""
        if stderr:
            body += f"echo {shlex.quote(stderr)} >&2; "
        when = f'if [ "$*" = {shlex.quote(args)} ]; then {body}exit {exit_code}; fi'
        script.write_text(f"#!/bin/sh\n{when}\n{known}")
        script.chmod(0o755)

    def probes(self, **kw) -> Probes:
        base = dict(path=str(self.bin), proc_root=FIXTURES / "cpu-only", sys_root=self.bin / "no-sys",
                    pci_ids=PCI_IDS, platform="linux", nvml=lambda: None)
        return Probes(**{**base, **kw})


@pytest.fixture
def tools(tmp_path) -> Tools:
    return Tools(tmp_path)


def ids(machine: Machine) -> list[tuple[str | None, int]]:
    return [(g.device_id, g.count) for g in machine.gpus]


def test_single_nvidia_gpu(tools, con):
    tools.add("nvidia-smi", NVIDIA_ARGS, "nvidia-rtx3090ti/nvidia-smi.csv")
    machine = match(detect(tools.probes()), con)
    assert ids(machine) == [("nvidia-rtx-3090-ti", 1)]
    (gpu,) = machine.gpus
    assert (gpu.bandwidth_gbps, gpu.backend, gpu.source) == (1008, "cuda", "nvidia-smi")
    assert machine.ram_bytes == 24683772 * 1024 and machine.cpu.name == "AMD EPYC"
    assert machine.notes == []


def test_two_identical_nvidia_gpus_are_one_entry_with_a_count(tools, con):
    tools.add("nvidia-smi", NVIDIA_ARGS, "nvidia-2x-rtx3090/nvidia-smi.csv")
    machine = match(detect(tools.probes()), con)
    assert ids(machine) == [("nvidia-rtx-3090", 2)]
    assert describe(machine)[0] == ("GPU: 2 × NVIDIA GeForce RTX 3090, 24.0 GiB (25.8 GB) each "
                                    "(from nvidia-smi, driver 610.43.03)")


def test_a_variant_the_catalogue_lacks_is_kept_with_its_memory_and_a_note(tools, con):
    tools.add("nvidia-smi", NVIDIA_ARGS, "nvidia-2x-rtx3080-20gb-rtx5090/nvidia-smi.csv")
    machine = match(detect(tools.probes()), con)
    assert ids(machine) == [(None, 2), ("nvidia-rtx-5090", 1)]
    rtx3080 = machine.gpus[0]
    assert rtx3080.memory_bytes == 20480 * MIB and rtx3080.bandwidth_gbps is None
    assert rtx3080.backend == "cuda"
    assert "nvidia-rtx-3080-10gb / nvidia-rtx-3080-12gb with 10, 12 GB, not 20.0 GiB" in rtx3080.why
    assert "bandwidth unknown: not in the catalogue; fit by memory only" in rtx3080.why
    assert primary(machine) is rtx3080          # 2 × 20 GiB is more memory than 1 × 32 GiB
    assert describe(machine)[1] == f"  → not matched: {rtx3080.why}"
    assert describe(machine)[3].startswith("  → nvidia-rtx-5090 (1792 GB/s, cuda): name and memory")


def test_nvml_is_preferred_over_nvidia_smi(tools, con):
    """A stand-in for pynvml answering with the dual-3090 machine's recorded values."""
    class NVMLError(Exception):
        pass

    memory = types.SimpleNamespace(total=24576 * MIB)
    fake = types.SimpleNamespace(
        NVMLError=NVMLError, calls=[],
        nvmlInit=lambda: fake.calls.append("init"), nvmlShutdown=lambda: fake.calls.append("shutdown"),
        nvmlSystemGetDriverVersion=lambda: "610.43.03", nvmlDeviceGetCount=lambda: 2,
        nvmlDeviceGetHandleByIndex=lambda i: i, nvmlDeviceGetName=lambda h: b"NVIDIA GeForce RTX 3090",
        nvmlDeviceGetMemoryInfo=lambda h: memory,
        nvmlDeviceGetPciInfo=lambda h: types.SimpleNamespace(pciDeviceId=0x220410DE))
    tools.add("nvidia-smi", NVIDIA_ARGS, "nvidia-rtx3090ti/nvidia-smi.csv")     # must not be asked
    machine = match(detect(tools.probes(nvml=lambda: fake)), con)
    assert ids(machine) == [("nvidia-rtx-3090", 2)]
    assert (machine.gpus[0].source, machine.gpus[0].pci_id) == ("nvml", "10de:2204")
    assert fake.calls == ["init", "shutdown"]


@pytest.mark.skipif(importlib.util.find_spec("pynvml") is None, reason="nvidia-ml-py (extra machine) missing")
def test_real_nvml_without_a_driver_falls_back_to_nvidia_smi(tools, con):
    tools.add("nvidia-smi", NVIDIA_ARGS, "nvidia-rtx3090ti/nvidia-smi.csv")
    machine = match(detect(tools.probes(nvml=lambda: importlib.import_module("pynvml"))), con)
    assert ids(machine) == [("nvidia-rtx-3090-ti", 1)]


def test_amd_from_rocm_smi(tools, con):
    tools.add("rocm-smi", "--showproductname --showmeminfo vram --json", "amd-rx7900xt/rocm-smi.json")
    tools.probes()
    machine = match(detect(tools.probes(sys_root=FIXTURES / "amd-rx7900xt" / "sys")), con)
    assert ids(machine) == [("amd-rx-7900-xt", 1)]          # the sysfs card is the same, not added again
    assert (machine.gpus[0].source, machine.gpus[0].backend, machine.gpus[0].bandwidth_gbps) == (
        "rocm-smi", "rocm", 800)


def test_amd_from_sysfs_when_rocm_smi_is_absent(tools, con):
    machine = match(detect(tools.probes(sys_root=FIXTURES / "amd-rx7900xt" / "sys")), con)
    assert ids(machine) == [("amd-rx-7900-xt", 1)]          # memory picks the XT from "7900 XT/7900 XTX/..."
    assert machine.gpus[0].source == "sysfs"
    unnamed = match(detect(tools.probes(sys_root=FIXTURES / "amd-rx7900xt" / "sys", pci_ids=())), con)
    assert ids(unnamed) == [(None, 1)] and unnamed.gpus[0].name == "AMD GPU [1002:744c]"


def test_amd_igpu_carve_out_is_left_out_and_equal_variants_say_so(tools, con):
    tools.add("rocm-smi", "--showproductname --showmeminfo vram --json", "amd-rx6800-raphael/rocm-smi.json")
    machine = match(detect(tools.probes()), con)
    assert ids(machine) == [("amd-rx-6800", 1)]
    assert machine.gpus[0].why.endswith("AMD Radeon RX 6800; same memory and bandwidth as amd-rx-6800-xt, "
                                        "amd-rx-6900-xt")
    assert any(n.startswith("Raphael: 64 MiB of dedicated memory") for n in machine.notes)


def test_intel_arc_from_xpu_smi_named_through_pci_ids(tools, con):
    tools.add("xpu-smi", "discovery --json", "intel-arc-pro-b60/xpu-smi.json")
    machine = match(detect(tools.probes()), con)
    assert ids(machine) == [("intel-arc-pro-b60", 2)]
    assert (machine.gpus[0].name, machine.gpus[0].backend) == ("Battlemage G21 [Arc Pro B60]", "vulkan")
    without_ids = match(detect(tools.probes(pci_ids=())), con)
    assert ids(without_ids) == [(None, 1), (None, 1)]       # the driver's "Intel(R) Graphics [0xe211]"


def test_intel_arc_from_xe_sysfs(tools, con):
    machine = match(detect(tools.probes(sys_root=FIXTURES / "intel-arc-pro-b60" / "sys")), con)
    assert ids(machine) == [("intel-arc-pro-b60", 1)]


def test_apple_silicon(tools, con):
    tools.add("sysctl", "-n machdep.cpu.brand_string hw.memsize hw.physicalcpu hw.logicalcpu",
              "apple-m4-max/sysctl.txt")
    tools.add("system_profiler", "SPDisplaysDataType -json", "apple-m4-max/system_profiler.json")
    machine = match(detect(tools.probes(platform="darwin")), con)
    assert ids(machine) == [("apple-mac-studio-m4-max-40c-64gb", 1)]
    gpu = machine.gpus[0]
    assert (gpu.memory_bytes, gpu.unified, gpu.bandwidth_gbps, gpu.backend) == (64 * GIB, True, 546, "metal")
    assert gpu.why == ("chip, GPU cores and memory match Mac Studio M4 Max 40-core GPU, 64 GB (any Mac with "
                       "the M4 Max with a 40-core GPU and 64 GB has the same memory and bandwidth)")
    assert machine.cpu == Cpu(name="Apple M4 Max", cores=16, threads=16) and machine.ram_bytes == 64 * GIB


def test_cpu_only_machine_budgets_system_ram(tools, con):
    machine = match(detect(tools.probes()), con)
    assert machine.gpus == [] and machine.ram_bytes == 24683772 * 1024
    assert machine.cpu == Cpu(name="AMD EPYC", cores=2, threads=2)
    assert machine.notes[-1].startswith("no GPU found: the budget is system RAM for a CPU run (backend cpu)")
    lines = describe(machine)
    assert lines[:3] == ["GPU: none found", "CPU: AMD EPYC (2 cores, 2 threads)", "RAM: 23.5 GiB (25.3 GB)"]


def test_a_failing_or_garbled_tool_finds_nothing_and_says_why(tools):
    tools.add("nvidia-smi", NVIDIA_ARGS, exit_code=9,
              stderr="NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.")
    tools.add("rocm-smi", "--showproductname --showmeminfo vram --json", "cpu-only/meminfo")
    machine = detect(tools.probes())
    assert machine.gpus == []
    assert machine.notes[0] == ("nvidia-smi exited 9: NVIDIA-SMI has failed because it couldn't communicate "
                                "with the NVIDIA driver.; skipped")
    assert machine.notes[1] == "could not read rocm-smi output (rocm-smi printed no JSON); skipped"


def test_an_unlistable_sysfs_is_a_note(tools, monkeypatch):
    def denied(root):
        raise PermissionError(13, "Permission denied", str(root / "class" / "drm"))

    monkeypatch.setattr(sysfs, "read_cards", denied)
    machine = detect(tools.probes(sys_root=FIXTURES / "amd-rx7900xt" / "sys"))
    assert machine.gpus == [] and machine.notes[0].startswith("could not list ")


def test_a_tool_that_hangs_is_cut_off(tools, monkeypatch):
    tools.add("nvidia-smi", NVIDIA_ARGS, "nvidia-rtx3090ti/nvidia-smi.csv")

    def hang(cmd, **kw):
        raise subprocess.TimeoutExpired(cmd, kw["timeout"])

    monkeypatch.setattr(subprocess, "run", hang)
    machine = detect(tools.probes(timeout=2))
    assert machine.gpus == [] and machine.notes[0] == "nvidia-smi did not answer within 2 s; skipped"


def test_matching_rules(con):
    """Names as drivers print them, memory as they report it (MiB: NVIDIA drivers, as recorded
    in modal-labs/modal-client#2797 and nvitop#208)."""
    def one(name: str, memory_mib: int | None, vendor: str = "NVIDIA") -> DetectedGpu:
        machine = Machine(gpus=[DetectedGpu(vendor=vendor, name=name, source="nvidia-smi",
                                            memory_bytes=None if memory_mib is None else memory_mib * MIB)],
                          ram_bytes=None, cpu=Cpu(name=None))
        return match(machine, con).gpus[0]

    assert one("NVIDIA GeForce RTX 3060", 12288).device_id == "nvidia-rtx-3060-12gb"
    assert one("NVIDIA GeForce RTX 3060", 8192).device_id == "nvidia-rtx-3060-8gb"
    assert one("NVIDIA GeForce RTX 4060 Ti", 16380).device_id == "nvidia-rtx-4060-ti-16gb"
    assert one("NVIDIA GeForce RTX 4060 Ti", 8188).device_id == "nvidia-rtx-4060-ti-8gb"
    assert one("NVIDIA GeForce RTX 4090 Laptop GPU", 16376).device_id == "nvidia-rtx-4090-laptop"
    assert one("NVIDIA GeForce RTX 4090", 24564).device_id == "nvidia-rtx-4090"
    assert one("NVIDIA A100-SXM4-80GB", 81920).device_id == "nvidia-a100-sxm-80gb"
    assert one("NVIDIA A100-SXM4-40GB", 40960).device_id == "nvidia-a100-sxm-40gb"
    assert one("NVIDIA H100 80GB HBM3", 81559).device_id == "nvidia-h100-sxm-80gb"   # the SXM card's name
    assert one("Tesla T4", 15360).device_id == "nvidia-t4"           # 15 GiB of a "16 GB" card
    assert one("NVIDIA A10", 23028).device_id == "nvidia-a10"
    spark = one("NVIDIA GB10", None)
    assert spark.device_id == "nvidia-dgx-spark"
    assert spark.why == "name matches NVIDIA DGX Spark (GB10) (memory not reported; the catalogue's is used)"
    assert one("Intel(R) Arc(TM) A770 Graphics", 16288, "Intel").device_id == "intel-arc-a770-16gb"
    assert one("DG2 [Arc A770]", 8 * 1024 - 100, "Intel").device_id == "intel-arc-a770-8gb"
    unknown = one("NVIDIA Quantum Widget", 4096)
    assert (unknown.device_id, unknown.bandwidth_gbps) == (None, None)
    assert unknown.why == "bandwidth unknown: not in the catalogue; fit by memory only"


def test_a_mac_whose_memory_size_is_not_a_catalogue_row_keeps_the_chip_bandwidth(con):
    mac = DetectedGpu(vendor="Apple", name="Apple M4 Max", memory_bytes=96 * GIB, source="system_profiler",
                      unified=True, gpu_cores=40)
    (gpu,) = match(Machine(gpus=[mac], ram_bytes=96 * GIB, cpu=Cpu(name="Apple M4 Max")), con).gpus
    assert (gpu.device_id, gpu.bandwidth_gbps) == (None, 546)
    assert gpu.why.startswith("the catalogue has the M4 Max with a 40-core GPU with 48, 64, 128 GB only")
    other_bin = match(Machine(gpus=[replace(mac, gpu_cores=38)], ram_bytes=None, cpu=Cpu(name=None)), con)
    assert other_bin.gpus[0].bandwidth_gbps is None


def test_this_machine():
    """On the build machine (Linux, no accelerator): no GPU, and the CPU and RAM from /proc."""
    machine = detect()
    assert machine.ram_bytes and machine.ram_bytes > 0
    assert machine.cpu.name and machine.cpu.threads and machine.cpu.threads >= 1
    if shutil.which("nvidia-smi") or Path("/sys/class/drm").exists():
        pytest.skip("this machine has GPU tooling; the no-GPU check below is for the build machine")
    assert machine.gpus == []
