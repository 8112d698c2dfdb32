"""System RAM and the CPU on Linux: /proc/meminfo, /proc/cpuinfo, and `lscpu` where cpuinfo
names no model (ARM kernels print part numbers, lscpu decodes them)."""

from __future__ import annotations

import re

from catalog.machine.model import Cpu


def parse_meminfo(text: str) -> int:
    """MemTotal in bytes (the kernel's "kB" are KiB)."""
    match = re.search(r"^MemTotal:\s+(\d+)\s*kB", text, re.MULTILINE)
    if not match:
        raise ValueError("no MemTotal line in /proc/meminfo")
    return int(match.group(1)) * 1024


def parse_cpuinfo(text: str) -> Cpu:
    """Model name, physical cores (distinct package × core ids) and logical CPUs."""
    blocks = [dict(_pairs(block)) for block in re.split(r"\n\s*\n", text) if block.strip()]
    blocks = [b for b in blocks if "processor" in b]
    if not blocks:
        raise ValueError("no processor entries in /proc/cpuinfo")
    name = next((b["model name"] for b in blocks if b.get("model name")), None)
    cores = {(b["physical id"], b["core id"]) for b in blocks if "physical id" in b and "core id" in b}
    return Cpu(name=name, cores=len(cores) or None, threads=len(blocks))


def parse_lscpu(text: str) -> Cpu:
    """`lscpu` (LC_ALL=C): Model name, Socket(s) × Core(s) per socket, CPU(s)."""
    fields = dict(_pairs(text))
    sockets, per_socket = _int(fields.get("socket(s)")), _int(fields.get("core(s) per socket"))
    return Cpu(name=fields.get("model name"), cores=sockets * per_socket if sockets and per_socket else None,
               threads=_int(fields.get("cpu(s)")))


def _pairs(text: str):
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            yield key.strip().lower(), value.strip()


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None
