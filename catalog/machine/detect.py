"""The probe layer: run the vendor tools and read /proc and /sys, never raising.

A tool that is missing finds nothing; one that fails, times out or prints something the parser
cannot read adds a note to the Machine and finds nothing. Everything the probes touch is in
`Probes`, so tests point it at fake executables and fixture trees.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType

from catalog.machine import amd, apple, host, intel, nvidia, sysfs
from catalog.machine.model import GIB, Cpu, DetectedGpu, Machine, group
from catalog.machine.pciids import pci_name

PCI_IDS = (Path("/usr/share/hwdata/pci.ids"), Path("/usr/share/misc/pci.ids"), Path("/usr/share/pci.ids"))
# Below this a "GPU" is an APU's carve-out of system RAM (amdgpu reports 64 MiB-512 MiB for
# Raphael/Phoenix iGPUs), not memory a model could be placed in.
MIN_GPU_BYTES = GIB


def _import_pynvml() -> ModuleType | None:
    try:
        return importlib.import_module("pynvml")        # the optional extra `fitcat[machine]`
    except ImportError:
        return None


@dataclass(frozen=True)
class Probes:
    """Where detection looks. The defaults are this machine."""

    path: str | None = None                 # PATH for the tools (None: the environment's)
    proc_root: Path = Path("/proc")
    sys_root: Path = Path("/sys")
    pci_ids: Sequence[Path] = PCI_IDS
    platform: str = sys.platform
    timeout: float = 5.0
    nvml: Callable[[], ModuleType | None] = _import_pynvml


@dataclass
class _Run:
    """One detection pass: the probes and the notes gathered on the way."""

    probes: Probes
    notes: list[str] = field(default_factory=list)

    def tool(self, *cmd: str) -> str | None:
        """The tool's stdout, or None (missing: silently; failed: with a note)."""
        exe = shutil.which(cmd[0], path=self.probes.path)
        if exe is None:
            return None
        env = {**os.environ, "LC_ALL": "C"}
        if self.probes.path is not None:
            env["PATH"] = self.probes.path
        try:
            done = subprocess.run([exe, *cmd[1:]], capture_output=True, text=True, env=env,
                                  timeout=self.probes.timeout, check=False)
        except subprocess.TimeoutExpired:
            self.notes.append(f"{cmd[0]} did not answer within {self.probes.timeout:g} s; skipped")
            return None
        except OSError as exc:
            self.notes.append(f"{cmd[0]} could not run ({exc}); skipped")
            return None
        if done.returncode != 0:
            said = (done.stderr or done.stdout).strip().splitlines()
            self.notes.append(f"{cmd[0]} exited {done.returncode}"
                              + (f": {said[0][:160]}" if said else "") + "; skipped")
            return None
        return done.stdout

    def parse(self, what: str, parser: Callable, text: str | None, default):
        """The parser's answer, or `default` with a note: output a parser cannot read (a tool's
        new format, or a parser bug) must not fail the command that asked."""
        if text is None:
            return default
        try:
            return parser(text)
        except Exception as exc:
            self.notes.append(f"could not read {what} ({exc}); skipped")
            return default

    def file(self, path: Path) -> str | None:
        try:
            return path.read_text(errors="replace")
        except OSError:
            return None


def detect(probes: Probes | None = None) -> Machine:
    """The GPUs, RAM and CPU of the machine the probes describe. Never raises."""
    run = _Run(probes or Probes())
    if run.probes.platform == "darwin":
        gpus, ram, cpu = _apple(run)
    else:
        gpus = _nvidia(run) + _amd_intel(run)
        ram = run.parse("/proc/meminfo", host.parse_meminfo, run.file(run.probes.proc_root / "meminfo"), None)
        cpu = _linux_cpu(run)
    kept = []
    for gpu in gpus:
        if gpu.memory_bytes is not None and gpu.memory_bytes < MIN_GPU_BYTES:
            run.notes.append(f"{gpu.name}: {gpu.memory_bytes / 2**20:.0f} MiB of dedicated memory, an "
                             "integrated GPU's share of system RAM; left out (the RAM budget counts it)")
        else:
            kept.append(gpu)
    if not kept:
        run.notes.append("no GPU found: the budget is system RAM for a CPU run (backend cpu); CPU memory "
                         "bandwidth is not measured, so speed is unknown unless --bandwidth-gbps is given")
    return Machine(gpus=group(kept), ram_bytes=ram, cpu=cpu, notes=run.notes)


def _nvidia(run: _Run) -> list[DetectedGpu]:
    module = run.probes.nvml()
    if module is not None:
        try:
            return nvidia.read_nvml(module)
        except Exception:   # NVMLError: no NVIDIA driver here (the usual case); nvidia-smi decides
            pass
    smi = run.tool("nvidia-smi", *nvidia.SMI_QUERY)
    return run.parse("nvidia-smi output", nvidia.parse_nvidia_smi, smi, [])


def _amd_intel(run: _Run) -> list[DetectedGpu]:
    """rocm-smi and xpu-smi where installed; sysfs for the vendors they did not answer for."""
    found = run.parse("rocm-smi output", amd.parse_rocm_smi, run.tool("rocm-smi", *amd.SMI_ARGS), [])
    found += _xpu_smi(run)
    answered = {gpu.vendor for gpu in found}
    pci_ids = next((text for p in run.probes.pci_ids if (text := run.file(p))), None)
    try:
        cards = sysfs.read_cards(run.probes.sys_root)
    except OSError as exc:
        run.notes.append(f"could not list {run.probes.sys_root / 'class/drm'} ({exc}); skipped")
        cards = {}
    for files in cards.values():
        gpu = sysfs.parse_card(files, pci_ids)
        if gpu is not None and gpu.vendor not in answered:
            found.append(gpu)
    return [_named(gpu, pci_ids) for gpu in found]


def _xpu_smi(run: _Run) -> list[DetectedGpu]:
    listed = run.parse("xpu-smi output", intel.parse_xpu_smi, run.tool("xpu-smi", *intel.LIST_ARGS), [])
    detailed = []
    for index, gpu in enumerate(listed):
        if gpu.memory_bytes is None:    # the list form carries no memory: ask for the device
            answer = run.tool("xpu-smi", *intel.detail_args(index))
            one = run.parse("xpu-smi output", intel.parse_xpu_smi, answer, [])
            gpu = one[0] if one else gpu
        detailed.append(gpu)
    return detailed


def _named(gpu: DetectedGpu, pci_ids: str | None) -> DetectedGpu:
    """A driver that does not know its device prints the PCI id as the name
    ("Intel(R) Graphics [0xe211]"): pci.ids names it then, when installed."""
    if gpu.pci_id and pci_ids and f"0x{gpu.pci_id.split(':')[1]}" in gpu.name.lower():
        better = pci_name(pci_ids, gpu.pci_id)
        if better:
            return replace(gpu, name=better)
    return gpu


def _linux_cpu(run: _Run) -> Cpu:
    cpuinfo = run.file(run.probes.proc_root / "cpuinfo")
    cpu = run.parse("/proc/cpuinfo", host.parse_cpuinfo, cpuinfo, Cpu(name=None))
    if cpu.name is None:    # ARM kernels name no model in cpuinfo; lscpu decodes the part number
        named = run.parse("lscpu output", host.parse_lscpu, run.tool("lscpu"), Cpu(name=None))
        cpu = Cpu(name=named.name, cores=cpu.cores or named.cores, threads=cpu.threads or named.threads)
    return cpu


def _apple(run: _Run) -> tuple[list[DetectedGpu], int | None, Cpu]:
    cpu, ram = run.parse("sysctl output", apple.parse_sysctl, run.tool("sysctl", "-n", *apple.SYSCTL_KEYS),
                         (Cpu(name=None), None))
    gpus = run.parse("system_profiler output", apple.parse_system_profiler,
                     run.tool("system_profiler", *apple.PROFILER_ARGS), [])
    return [replace(g, memory_bytes=ram) for g in gpus], ram, cpu
