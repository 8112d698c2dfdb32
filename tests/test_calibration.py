"""The calibration step on a real demo catalogue: sizes from the architecture agree with the real
builds (the check), and the stored bits-per-weight calibration follows the live median only past the
tolerance, so pages stay put."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from catalog import calibration, db

QWEN3 = "Qwen/Qwen3-30B-A3B"
# Q8_0 has 4 real builds in the sample (Gemma-3 8.37, Llama-3.1 8.51, Qwen3 8.52, Qwen2 8.60 bits):
# the median is the mean of Llama's and Qwen3's. The other models' Q8_0 sizes are estimates from
# their architecture, so the median sizes none of them (it would size a model without a config).
QUANT = "Q8_0"


@pytest.fixture
def con(demo_db, tmp_path: Path):
    path = tmp_path / "catalog.duckdb"
    shutil.copyfile(demo_db, path)
    con = db.connect(path)
    yield con
    con.close()


def _bits(con, quant: str) -> tuple[float, float]:
    return con.execute("SELECT calibrated_bits, live_bits FROM quant_bits WHERE quant = ?",
                       [quant]).fetchone()


def _inputs(con) -> dict[str, str]:
    return dict(con.execute("SELECT repo_id, inputs_hash FROM page_inputs").fetchall())


def _resize_qwen3_build(con, factor: float) -> None:
    assert con.execute("""UPDATE hub_gguf_files SET size_bytes = CAST(size_bytes * ? AS BIGINT)
                          WHERE base_repo_id = ? AND quant = ? RETURNING path""",
                       [factor, QWEN3, QUANT]).fetchall()


def test_sizes_from_the_architecture_match_the_real_builds(con):
    """The nightly calibration step computed every model's sizes from its config; on the sample's
    real builds they are within 0.5 % of the files (bartowski's sizes are rounded to 3 digits)."""
    assert con.execute("SELECT count(DISTINCT repo_id) FROM quant_size_estimates").fetchone()[0] == \
        con.execute("SELECT count(*) FROM models").fetchone()[0]
    checked = con.execute("SELECT quant, arch_ratio FROM quant_bits WHERE arch_builds > 0").fetchall()
    assert len(checked) > 15
    for quant, ratio in checked:
        assert abs(ratio - 1) < 0.005, quant
    estimated = con.execute("""SELECT DISTINCT size_method FROM quantizations
                               WHERE size_source = 'estimate'""").fetchall()
    assert estimated == [("architecture",)]


def test_the_nightly_run_stored_the_live_calibration(con):
    stored = con.execute("SELECT count(*) FROM quant_calibration").fetchone()[0]
    live = con.execute("SELECT count(*) FROM quant_bits WHERE live_bits IS NOT NULL").fetchone()[0]
    assert stored == live > 5
    assert con.execute("SELECT count(*) FROM quant_bits WHERE calibrated_bits IS DISTINCT FROM live_bits"
                       ).fetchone()[0] == 0
    assert calibration.recalibrate(con, "again") == []   # nothing drifted: nothing written


def test_a_small_drift_changes_no_estimate_and_no_other_page(con):
    before_bits, before_inputs = _bits(con, QUANT), _inputs(con)
    estimated = con.execute("""SELECT count(DISTINCT repo_id) FROM quantizations
                               WHERE quant = ? AND size_source = 'estimate'""", [QUANT]).fetchone()[0]
    assert estimated >= 3   # models whose Q8_0 size is an estimate (from the architecture)
    _resize_qwen3_build(con, 1.0005)   # +0.05 %: the median moves a little
    live = _bits(con, QUANT)[1]
    assert live != before_bits[1] and abs(live / before_bits[0] - 1) < calibration.TOLERANCE
    assert calibration.recalibrate(con, "run-2") == []
    assert _bits(con, QUANT)[0] == before_bits[0]
    after = _inputs(con)
    assert {rid for rid in after if after[rid] != before_inputs[rid]} == {QWEN3}


def test_a_drift_past_the_tolerance_moves_the_calibration(con):
    before = _bits(con, QUANT)[0]
    _resize_qwen3_build(con, 0.7)   # Qwen3's build becomes the smallest: the median drops 0.9 %
    assert calibration.recalibrate(con, "run-2") == [QUANT]
    calibrated, live = _bits(con, QUANT)
    assert calibrated == live < before * (1 - calibration.TOLERANCE)
    row = con.execute("SELECT run_id FROM quant_calibration WHERE quant = ?", [QUANT]).fetchone()
    assert row == ("run-2",)


def test_a_quant_without_real_builds_any_more_keeps_its_last_calibration(con):
    before = _bits(con, QUANT)[0]
    con.execute("DELETE FROM hub_gguf_files WHERE quant = ?", [QUANT])
    assert _bits(con, QUANT) == (before, None)
    assert calibration.recalibrate(con, "run-2") == []
    assert _bits(con, QUANT)[0] == before


def test_without_a_stored_calibration_the_live_median_is_used(con):
    """A catalogue whose calibration was never stored (real builds, empty quant_calibration) shows the
    live median, and the next run stores it."""
    con.execute("DELETE FROM quant_calibration")
    rows = con.execute("SELECT quant, calibrated_bits, live_bits, live_builds FROM quant_bits "
                       "WHERE live_builds > 0").fetchall()
    assert len(rows) > 15
    for quant, calibrated, live, _ in rows:
        assert calibrated == live is not None, quant
    assert set(calibration.recalibrate(con, "run-2")) == {r[0] for r in rows}
