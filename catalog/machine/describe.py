"""What `--this-machine` found, as plain lines for the terminal (no markup: names are data)."""

from __future__ import annotations

from catalog.machine.model import GIB, DetectedGpu, Machine


def describe(machine: Machine) -> list[str]:
    lines = [line for gpu in machine.gpus for line in _gpu(gpu)]
    if not machine.gpus:
        lines.append("GPU: none found")
    cpu = machine.cpu
    counts = ", ".join(f"{n} {what}" for n, what in ((cpu.cores, "cores"), (cpu.threads, "threads")) if n)
    lines.append(f"CPU: {cpu.name or 'unknown'}" + (f" ({counts})" if counts else ""))
    lines.append(f"RAM: {_size(machine.ram_bytes)}")
    lines += [f"note: {note}" for note in machine.notes]
    return lines


def _gpu(gpu: DetectedGpu) -> list[str]:
    each = " each" if gpu.count > 1 else ""
    memory = "memory not reported" if gpu.memory_bytes is None else f"{_size(gpu.memory_bytes)}{each}"
    kind = "unified" if gpu.unified else ""
    found = (f"GPU: {gpu.count} × {gpu.name}" if gpu.count > 1 else f"GPU: {gpu.name}") + \
        f", {' '.join(filter(None, [memory, kind]))} (from {gpu.source}" + \
        (f", driver {gpu.driver})" if gpu.driver else ")")
    if gpu.device_id:
        speed = f"{gpu.bandwidth_gbps:g} GB/s" if gpu.bandwidth_gbps else "bandwidth unknown"
        return [found, f"  → {gpu.device_id} ({speed}, {gpu.backend}): {gpu.why}"]
    return [found, f"  → not matched: {gpu.why}"] if gpu.why else [found]


def _size(n: int | None) -> str:
    """Binary and decimal side by side: "24.0 GiB (25.8 GB)"."""
    return "unknown" if n is None else f"{n / GIB:.1f} GiB ({n / 1e9:.1f} GB)"
