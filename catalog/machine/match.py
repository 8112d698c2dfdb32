"""Detected GPUs → catalogue devices, from the `devices` view and the curated match keys.

Rules (docs/cli.md, "--this-machine"):
- Names are compared as token sets after the registry's own normalisation (product_key: vendor
  words and marks dropped, lower case), with "(R)"/"(TM)", hyphens and the word "graphics"
  removed and memory sizes ("80gb") set aside, so "NVIDIA A100-SXM4-80GB" meets the alias
  "A100 SXM4 80 GB" and "Intel(R) Arc(TM) A770 Graphics" meets "Arc A770". A pci.ids name such
  as "Navi 31 [Radeon RX 7900 XT/7900 XTX]" stands for each name in its brackets.
- Memory picks the variant: among the devices with the name, the one whose marketed memory is
  nearest the reported memory, within -15 % / +3 % (drivers report a little less than marketed,
  and ECC takes 1/16 on NVIDIA workstation cards, 1/8 on Intel Arc Pro); outside that window the
  GPU is a variant the catalogue lacks (an RTX 3080 with 20 GB).
- Devices left with equal memory and bandwidth are interchangeable for a fit: the first id is
  used and the note says so. Unequal bandwidth leaves the GPU unmatched, listing the ids.
- Apple Silicon matches chip, GPU cores and unified memory against the Mac rows; any Mac model
  with the three has the same memory and bandwidth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import duckdb

from catalog.devices.model import product_key
from catalog.machine.model import DEFAULT_BACKEND, GIB, DetectedGpu, Machine

UNKNOWN = "bandwidth unknown: not in the catalogue; fit by memory only"
LOW, HIGH = 0.85, 1.03            # reported / marketed memory that still counts as the same card
_MEMORY_TOKEN = re.compile(r"^\d+(\.\d+)?(gb|g)$")
_MAC = re.compile(r"\b(M\d+(?: Pro| Max| Ultra)?) (\d+)-core GPU, (\d+(?:\.\d+)?) GB")


@dataclass(frozen=True)
class CatalogueDevice:
    device_id: str
    vendor: str
    name: str
    memory_gb: float
    bandwidth_gbps: float | None
    backend: str
    names: frozenset[frozenset[str]]          # token sets of the name and every match key


def load_catalogue(con: duckdb.DuckDBPyConnection) -> list[CatalogueDevice]:
    """Single-GPU devices (systems such as "2 x RTX 3090" are not what a tool reports)."""
    rows = con.execute("""
        SELECT d.device_id, d.vendor, d.name, d.memory_gb, d.bandwidth_gbps, d.backend, c.match_keys
        FROM devices d JOIN devices_curated c USING (device_id)
        WHERE d.gpu_count = 1 AND d.kind <> 'system'
        ORDER BY d.device_id""").fetchall()
    return [CatalogueDevice(i, v, n, m, b, be, frozenset(tokens(k) for k in [n, *keys]))
            for i, v, n, m, b, be, keys in rows]


def tokens(name: str) -> frozenset[str]:
    """A name's comparable words: registry normalisation, hyphens split, memory sizes dropped."""
    key = product_key(re.sub(r"\((r|tm|c)\)", " ", name, flags=re.IGNORECASE)).replace("-", " ")
    return frozenset(t for t in key.split() if t != "graphics" and not _MEMORY_TOKEN.match(t))


def spellings(name: str) -> list[str]:
    """The name and, for a pci.ids-style name, each product in its brackets:
    "Navi 21 [Radeon RX 6800/6800 XT / 6900 XT]" → Radeon RX 6800, Radeon RX 6800 XT, Radeon RX 6900 XT."""
    found = re.search(r"\[([^\]]+)\]\s*$", name)
    if not found:
        return [name]
    first, *rest = (p.strip() for p in found.group(1).split("/"))
    words = first.split()
    stem = " ".join(words[:next((i for i, w in enumerate(words) if w[0].isdigit()), len(words))])
    return [name, first, *(f"{stem} {p}" if p[:1].isdigit() else p for p in rest)]


def match(machine: Machine, con: duckdb.DuckDBPyConnection) -> Machine:
    """The machine with each GPU's device_id, bandwidth, backend and why (read-only on `con`)."""
    catalogue = load_catalogue(con)
    return replace(machine, gpus=[_match(gpu, catalogue) for gpu in machine.gpus])


def _match(gpu: DetectedGpu, catalogue: list[CatalogueDevice]) -> DetectedGpu:
    if gpu.vendor == "Apple":
        return _match_mac(gpu, catalogue)
    wanted = {tokens(s) for s in spellings(gpu.name)} - {frozenset()}
    named = [d for d in catalogue if d.names & wanted]
    if not named:
        return _unmatched(gpu, UNKNOWN)
    fitting = named if gpu.memory_bytes is None else _nearest_memory(gpu.memory_bytes, named)
    if not fitting:
        sizes = ", ".join(sorted({f"{d.memory_gb:g}" for d in named}, key=float))
        return _unmatched(gpu, f"the catalogue has it as {_ids(named)} with {sizes} GB, "
                               f"not {gpu.memory_gib:.1f} GiB; {UNKNOWN}")
    if gpu.memory_bytes is None:
        return _choose(gpu, fitting, "name matches", "memory not reported; the catalogue's is used")
    return _choose(gpu, fitting, f"name and memory ({gpu.memory_gib:.1f} GiB reported) match")


def _ids(devices: list[CatalogueDevice]) -> str:
    return " / ".join(d.device_id for d in devices)


def _nearest_memory(memory_bytes: int, devices: list[CatalogueDevice]) -> list[CatalogueDevice]:
    reported = memory_bytes / GIB
    inside = [d for d in devices if LOW <= reported / d.memory_gb <= HIGH]
    if not inside:
        return []
    best = min(abs(reported - d.memory_gb) for d in inside)
    return [d for d in inside if abs(reported - d.memory_gb) == best]


def _choose(gpu: DetectedGpu, devices: list[CatalogueDevice], how: str, also: str = "") -> DetectedGpu:
    first = devices[0]
    why = f"{how} {first.name}" + (f" ({also})" if also else "")
    if len(devices) == 1:
        return _matched(gpu, first, why)
    if len({(d.memory_gb, d.bandwidth_gbps) for d in devices}) == 1:
        others = ", ".join(d.device_id for d in devices[1:])
        return _matched(gpu, first, f"{why}; same memory and bandwidth as {others}")
    return _unmatched(gpu, f"ambiguous: {_ids(devices)} differ in bandwidth; give --device with one of them")


def _matched(gpu: DetectedGpu, device: CatalogueDevice, why: str) -> DetectedGpu:
    if device.bandwidth_gbps is None:
        why += "; the catalogue has no bandwidth for it, so speed is not estimated"
    return replace(gpu, device_id=device.device_id, why=why, bandwidth_gbps=device.bandwidth_gbps,
                   backend=device.backend)


def _unmatched(gpu: DetectedGpu, why: str, bandwidth: float | None = None) -> DetectedGpu:
    return replace(gpu, device_id=None, why=why, bandwidth_gbps=bandwidth,
                   backend=DEFAULT_BACKEND.get(gpu.vendor))


def _match_mac(gpu: DetectedGpu, catalogue: list[CatalogueDevice]) -> DetectedGpu:
    chip = gpu.name.removeprefix("Apple ").strip()
    memory = None if gpu.memory_bytes is None else gpu.memory_bytes / GIB
    macs = [(d, m) for d in catalogue if d.vendor == "Apple" and (m := _MAC.search(d.name))]
    same_bin = [(d, float(m.group(3))) for d, m in macs
                if m.group(1) == chip and int(m.group(2)) == gpu.gpu_cores]
    what = f"{chip} with a {gpu.gpu_cores}-core GPU"
    if not same_bin:
        return _unmatched(gpu, f"no Mac with the {what} in the catalogue; {UNKNOWN}")
    exact = [d for d, gb in same_bin if memory is not None and abs(gb - memory) < 0.5]
    if exact:
        return _choose(gpu, exact, "chip, GPU cores and memory match",
                       f"any Mac with the {what} and {memory:g} GB has the same memory and bandwidth")
    bandwidths = {d.bandwidth_gbps for d, _ in same_bin}
    sizes = ", ".join(f"{gb:g}" for gb in sorted({gb for _, gb in same_bin}))
    if len(bandwidths) == 1 and None not in bandwidths:
        source = same_bin[0][0]
        return _unmatched(gpu, f"the catalogue has the {what} with {sizes} GB only; bandwidth "
                               f"{source.bandwidth_gbps:g} GB/s from {source.device_id}, memory this Mac's",
                          bandwidth=source.bandwidth_gbps)
    return _unmatched(gpu, f"the catalogue has the {what} with {sizes} GB only; {UNKNOWN}")


def primary(machine: Machine) -> DetectedGpu | None:
    """The GPU group a fit should use: the most memory in total (count × per GPU)."""
    return max(machine.gpus, key=lambda g: (g.memory_bytes or 0) * g.count, default=None)
