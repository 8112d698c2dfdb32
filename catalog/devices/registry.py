"""The curated device registry: devices.csv, validated, with usable memory worked out.

The CSV is the truth a human edits; scrapers only verify it or raise conflicts.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from catalog.devices import memory
from catalog.devices.model import product_key

REGISTRY_CSV = Path(__file__).with_name("devices.csv")

KINDS = {"gpu", "soc", "system", "superchip"}
BACKENDS = {"cuda", "rocm", "metal", "vulkan", "cpu"}
# Laptop GPUs are `consumer` (named "... Laptop GPU" as NVIDIA names them): a segment of their own
# would misfile them wherever a segment maps to a device class. `edge` is Jetson-class modules.
SEGMENTS = {"consumer", "workstation", "datacenter", "mac", "system", "edge"}
CONFIDENCE = {"high", "medium", "low"}
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class RegistryError(ValueError):
    """The curated file breaks a rule (duplicate id, missing source, bad enum...)."""


@dataclass(frozen=True)
class DeviceSpec:
    """One purchasable device variant; memory and bandwidth are per GPU."""

    device_id: str
    vendor: str
    name: str
    kind: str
    segment: str
    backend: str
    gpu_count: int
    memory_gb: float
    memory_type: str | None
    bandwidth_gbps: float | None
    unified: bool
    gpu_share: float
    reserve_bytes: int
    interconnect: str | None
    fp16_tflops_dense: float | None
    launch_date: date | None
    source_url: str
    confidence: str
    aliases: tuple[str, ...]
    notes: str | None

    @property
    def memory_bytes(self) -> int:
        return memory.marketed_gb_to_bytes(self.memory_gb)

    @property
    def usable_memory_bytes(self) -> int:
        return memory.usable_memory_bytes(self.memory_bytes, self.gpu_share, self.reserve_bytes)

    @property
    def match_keys(self) -> tuple[str, ...]:
        """Keys a scraped product label is matched on: aliases plus the name."""
        return tuple(dict.fromkeys(product_key(n) for n in (*self.aliases, self.name)))


def _opt_float(text: str) -> float | None:
    return float(text) if text.strip() else None


def _row_to_spec(row: dict[str, str], line: int) -> DeviceSpec:
    def need(field: str) -> str:
        value = (row.get(field) or "").strip()
        if not value:
            raise RegistryError(f"line {line}: {field} is required")
        return value

    device_id = need("id")
    if not _SLUG.match(device_id):
        raise RegistryError(f"line {line}: id {device_id!r} is not a slug")
    for field, allowed in (("kind", KINDS), ("backend", BACKENDS), ("segment", SEGMENTS),
                           ("confidence", CONFIDENCE)):
        if need(field) not in allowed:
            raise RegistryError(f"line {line}: {field} {row[field]!r} not in {sorted(allowed)}")
    if need("unified") not in ("true", "false"):
        raise RegistryError(f"line {line}: unified must be true or false")
    if not need("source_url").startswith("https://"):
        raise RegistryError(f"line {line}: source_url must be an https URL")
    unified = row["unified"] == "true"
    memory_gb = float(need("memory_gb"))
    reserve_mib = _opt_float(row.get("reserve_mib", ""))
    share = memory.effective_gpu_share(
        memory.marketed_gb_to_bytes(memory_gb), unified, row["backend"],
        _opt_float(row.get("gpu_share", "")),
    )
    launch = row.get("launch_date", "").strip()
    return DeviceSpec(
        device_id=device_id,
        vendor=need("vendor"),
        name=need("name"),
        kind=row["kind"],
        segment=row["segment"],
        backend=row["backend"],
        gpu_count=int(need("gpu_count")),
        memory_gb=memory_gb,
        memory_type=row.get("memory_type") or None,
        bandwidth_gbps=_opt_float(row.get("bandwidth_gbps", "")),
        unified=unified,
        gpu_share=share,
        reserve_bytes=memory.reserve_bytes(row["backend"], reserve_mib),
        interconnect=row.get("interconnect") or None,
        fp16_tflops_dense=_opt_float(row.get("fp16_tflops_dense", "")),
        launch_date=date.fromisoformat(launch) if launch else None,
        source_url=row["source_url"],
        confidence=row["confidence"],
        aliases=tuple(a.strip() for a in row.get("aliases", "").split(";") if a.strip()),
        notes=row.get("notes") or None,
    )


def load_registry(path: Path = REGISTRY_CSV) -> list[DeviceSpec]:
    """Read and validate the curated file; ids and match keys must be unique."""
    with path.open(newline="", encoding="utf-8") as handle:
        specs = [_row_to_spec(row, n) for n, row in enumerate(csv.DictReader(handle), start=2)]
    seen_ids: set[str] = set()
    seen_keys: dict[str, str] = {}
    for spec in specs:
        if spec.device_id in seen_ids:
            raise RegistryError(f"duplicate id {spec.device_id}")
        seen_ids.add(spec.device_id)
        for key in spec.match_keys:
            if seen_keys.setdefault(key, spec.device_id) != spec.device_id:
                raise RegistryError(
                    f"{spec.device_id} and {seen_keys[key]} share the match key {key!r}"
                )
    return specs
