"""`--this-machine` for `fit` and `estimate`: the detected machine as the device a fit runs on.

The GPU group with the most memory (catalog.machine.primary) is the device: its catalogue row
when it matched one (N of them when there are N), else its detected memory with the vendor's
backend, and bandwidth only when the catalogue knows the chip (speed is unknown otherwise, unless
--bandwidth-gbps gives it). No GPU: system RAM for a CPU run (a quarter left to the OS).
"""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass
from typing import Any

import duckdb

from catalog.commands import catalogue, errors, fits
from catalog.machine import Machine, describe, detect, match, primary
from catalog.machine.model import DEFAULT_BACKEND


def add_argument(group: argparse._ArgumentGroup) -> None:
    group.add_argument("--this-machine", action="store_true",
                       help="detect this machine's GPUs (or, without one, its RAM and CPU) and use them")


@dataclass(frozen=True)
class Local:
    machine: Machine
    device: dict[str, Any]          # a devices row, or a fits.shape
    catalogue_id: str | None        # the catalogue device when the fit is exactly one of it

    def lines(self) -> list[str]:
        return describe(self.machine)

    def as_json(self) -> dict[str, Any]:
        return asdict(self.machine)


def local_device(con: duckdb.DuckDBPyConnection, bandwidth_gbps: float | None = None,
                 machine: Machine | None = None) -> Local:
    """This machine (or `machine`, already detected) as a fit's device."""
    found = match(machine or detect(), con)
    gpu = primary(found)
    if gpu is not None and gpu.device_id is not None:
        row = catalogue.rows(con, "SELECT * FROM devices WHERE device_id = ?", [gpu.device_id])[0]
        if gpu.count == 1:
            return Local(found, row, gpu.device_id)
        return Local(found, row | {"name": f"{gpu.count}× {row['name']}", "gpu_count": gpu.count}, None)
    if gpu is not None and gpu.memory_bytes:
        name = f"{gpu.count}× {gpu.name}" if gpu.count > 1 else gpu.name
        device = fits.shape(name, gpu.memory_bytes, gpus=gpu.count, unified=gpu.unified,
                            backend=gpu.backend or DEFAULT_BACKEND.get(gpu.vendor, "vulkan"),
                            bandwidth_gbps=gpu.bandwidth_gbps or bandwidth_gbps)
        return Local(found, device, None)
    if not found.ram_bytes:
        raise errors.CliError("found no GPU with known memory and could not read the RAM size: give "
                              "--memory-gb and --bandwidth-gbps instead")
    cpu = found.cpu.name or "CPU"
    device = fits.shape(f"{cpu} (system RAM)", found.ram_bytes, unified=True, backend="cpu",
                        bandwidth_gbps=bandwidth_gbps)
    return Local(found, device, None)
