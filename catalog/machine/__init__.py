"""The machine fitcat runs on, for `fitcat fit --this-machine` / `estimate --this-machine`.

`detect()` finds the GPUs (NVIDIA via NVML or nvidia-smi, AMD via rocm-smi or amdgpu sysfs,
Intel via xpu-smi or xe/i915 sysfs, Apple Silicon via sysctl and system_profiler), the system
RAM and the CPU, never raising; `match(machine, con)` maps the GPUs to catalogue devices;
`describe(machine)` gives lines for the terminal. Parsers are pure (one module per vendor) and
tested on recorded tool output (tests/fixtures/machine/). docs/cli.md tells the rules and limits.
"""

from catalog.machine.describe import describe
from catalog.machine.detect import Probes, detect
from catalog.machine.match import match, primary
from catalog.machine.model import Cpu, DetectedGpu, Machine

__all__ = ["Cpu", "DetectedGpu", "Machine", "Probes", "describe", "detect", "match", "primary"]
