"""Memory as llama.cpp allocates it (issue #18), pinned to real allocator log lines with flash
attention off and on (calibration/memory_logs.csv: each row names its log)."""

from __future__ import annotations

import duckdb
import pytest

from catalog import db
from catalog.calibration import checks

MIB = 2**20


@pytest.fixture(scope="module")
def rows():
    con = duckdb.connect()
    db.migrate(con)
    db.apply_objects(con)
    try:
        yield {(r["model"], r["flash_attn"], r["backend"]): r for r in checks.memory_rows(con)}
    finally:
        con.close()


def test_both_flash_attention_settings_are_covered(rows):
    assert {fa for _, fa, _ in rows} == {"on", "off"}


def test_kv_cache_matches_every_log_exactly(rows):
    for key, r in rows.items():
        assert r["kv_est_mib"] == pytest.approx(r["kv_mib"], abs=0.01), key


@pytest.mark.parametrize("key, logged_mib", [
    (("pythia-2.8b", "off", "cuda"), 162.00),      # "CUDA0 compute buffer size =   162.00 MiB" (ggml-org/ci)
    (("llama-3.1-8b", "off", "cuda"), 560.00),     # "560.00 MiB", 8,192 cells (4 slots)
    (("command-r-35b", "off", "cuda"), 672.01),    # CUDA0 of two GPUs, llama.cpp#6122
    (("glm-z1-32b", "on", "cuda"), 353.00),        # mainline section of ik_llama.cpp#370, 32,768 cells
])
def test_compute_buffer_against_log_lines(rows, key, logged_mib):
    """Flash attention off: the f32 scores n_ctx × n_ubatch × heads dominate; on: the logits."""
    r = rows[key]
    assert r["compute_mib"] == logged_mib
    assert r["compute_est_mib"] == pytest.approx(logged_mib, rel=0.12)


def test_device_totals_within_half_a_percent(rows):
    """Weights on the GPU (file minus host-resident token embeddings) + KV + compute buffer, against
    the sum of the device buffers the log printed (acceptance: median |error| ≤ 3 %)."""
    totals = [r for r in rows.values() if r.get("total_est_mib")]
    assert len(totals) == 3
    for r in totals:
        assert r["weights_est_mib"] == pytest.approx(r["weights_mib"], rel=0.002), r["model"]
        assert r["total_est_mib"] == pytest.approx(r["total_mib"], rel=0.005), r["model"]


def test_flash_attention_off_at_long_context_needs_the_scores():
    """The issue's case: a 28-head 7B at 131,072 tokens needs ~7.5 GB more with flash attention off."""
    con = duckdb.connect()
    db.migrate(con)
    db.apply_objects(con)
    sql = "SELECT compute_buffer_bytes({}, 131072, 131072, 512, 28, 3584, 152064, 2, 5)"
    on, off = (con.execute(sql.format(fa)).fetchone()[0] for fa in ("true", "false"))
    assert off - on == pytest.approx(131072 * 512 * 28 * 4 - 131072 * 512 * 2, rel=1e-9)   # 7.38 GiB
    assert on < 1.0e9 < 7.5e9 < off
