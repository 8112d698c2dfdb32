"""Estimates in SQL (issue #6): seed parity, default-profile pin, hand-checked KV, properties."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog import db, paths
from catalog.estimates.sizes import store_size_estimates
from catalog.hub.attention import attention_rows

GIB = 2**30
MIB = 2**20
DSV4 = "deepseek-ai/DeepSeek-V4-Flash"
SAMPLE = paths.SAMPLE_HUB / "repos"
# The seed page's own (partly wrong) numbers: golden values for the `simple` profile only.
SEED_PAGE = json.loads((Path(__file__).parent / "fixtures/seed/deepseek_v4_flash.json").read_text())
# Seed page: quant -> (VRAM GB, + Context GB)
SEED = {q["quant"]: (q["vram_gb"], q["vram_full_context_gb"]) for q in SEED_PAGE["quantizations"]}
# Seed page: quant -> "File Size" bytes (158.1B × nominal bits ÷ 8: not real files; no real build is known)
SEED_FILE_BYTES = {q["quant"]: round(q["file_size_gb"] * 1e9) for q in SEED_PAGE["quantizations"]}
# The architecture count of DeepSeek-V4-Flash (what the catalogue shows: 283.8B total, 13.3B active).
V4_PARAMS, V4_ACTIVE = 283_811_148_288, 13_278_540_288
# Fixture devices (per GPU; usable by the devices rules: 512 MiB CUDA/ROCm reserve, macOS 3/4 share).
DEVICES = [
    ("nvidia-dgx-h100", 8, 80, 3350, False, "cuda"),
    ("nvidia-dgx-a100-640gb", 8, 80, 2039, False, "cuda"),
    ("apple-mac-studio-m4-max-40c-128gb", 1, 128, 546, True, "metal"),
    ("apple-mac-studio-m2-ultra-76c-192gb", 1, 192, 800, True, "metal"),
    ("apple-mac-pro-m2-ultra-76c-192gb", 1, 192, 800, True, "metal"),
    ("nvidia-rtx-5090", 1, 32, 1792, False, "cuda"),
    ("amd-mi300x", 1, 192, 5300, False, "rocm"),
    ("nvidia-h200-sxm", 1, 141, 4800, False, "cuda"),
]

# The seed page's devices that run Q4_K_M, by our ids.
SEED_DEVICES = {
    "NVIDIA DGX H100": "nvidia-dgx-h100",
    "NVIDIA DGX A100 640GB": "nvidia-dgx-a100-640gb",
    "Mac Studio M4 Max (128 GB)": "apple-mac-studio-m4-max-40c-128gb",
    "Mac Studio M2 Ultra (192 GB)": "apple-mac-studio-m2-ultra-76c-192gb",
    "Mac Pro M2 Ultra (192 GB)": "apple-mac-pro-m2-ultra-76c-192gb",
}


def _usable(gb: int, unified: bool, backend: str) -> int:
    memory = gb * GIB
    if unified:
        return int(memory * (2 / 3 if memory <= 36 * GIB else 3 / 4))
    return memory - 512 * MIB


def make_db(params_total: float = SEED_PAGE["params_total"], params_active: float | None = None,
            builds: dict[str, list[int]] | None = None,
            gguf_repo_id: str = "seed-page/DeepSeek-V4-Flash-GGUF") -> duckdb.DuckDBPyConnection:
    """DeepSeek-V4-Flash's config with `builds` (quant -> shard sizes in bytes) as its GGUF files;
    no builds: every quant is an estimate."""
    con = duckdb.connect()
    db.migrate(con)
    db.apply_objects(con)
    con.execute("""CREATE TABLE devices_fixture (device_id VARCHAR, gpu_count INTEGER, memory_gb DOUBLE,
                   memory_bytes BIGINT, usable_memory_bytes BIGINT, bandwidth_gbps DOUBLE, unified BOOLEAN,
                   backend VARCHAR, fp16_tflops_dense DOUBLE)""")
    for device_id, gpus, gb, bw, unified, backend in DEVICES:
        con.execute(
            "INSERT INTO devices_fixture VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            [device_id, gpus, gb, gb * GIB, _usable(gb, unified, backend), bw, unified, backend],
        )
    con.execute("CREATE OR REPLACE VIEW devices AS SELECT * FROM devices_fixture")
    config = json.loads((SAMPLE / DSV4 / "config.json").read_text())
    con.execute(
        """INSERT INTO hub_models (repo_id, sha, config_sha, params_total, params_active, context_length,
                   vocab_size, hidden_size, source_url, fetched_at, run_id)
                   VALUES (?, 'x', 'x', ?, ?, 1048576, 129280, 4096, 'test', now(), 't')""",
        [DSV4, int(params_total), params_active and int(params_active)],
    )
    con.execute(
        """INSERT INTO raw_hub_responses (run_id, repo_id, repo_sha, kind, source_url, fetched_at, payload)
                   VALUES ('t', ?, 'x', 'config', 'test', now(), ?)""",
        [DSV4, json.dumps(config)],
    )
    for row in attention_rows(DSV4, config):
        cols = list(row)
        con.execute(
            f"INSERT INTO attention_components ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            [row[c] for c in cols],
        )
    for quant, shards in (builds or {}).items():
        for shard, size in enumerate(shards, 1):
            path = (f"DeepSeek-V4-Flash-{quant}.gguf" if len(shards) == 1 else
                    f"{quant}/DeepSeek-V4-Flash-{quant}-{shard:05d}-of-{len(shards):05d}.gguf")
            con.execute(
                """INSERT INTO hub_gguf_files (gguf_repo_id, base_repo_id, repo_sha, path, quant, shard,
                           shard_count, size_bytes, source_url, fetched_at, run_id)
                           VALUES (?, ?, 's', ?, ?, ?, ?, ?, 'test', now(), 't')""",
                [gguf_repo_id, DSV4, path, quant, shard, len(shards), size],
            )
    return con


@pytest.fixture(scope="module")
def seed_db() -> duckdb.DuckDBPyConnection:
    """The seed page's world: 158.1B parameters and its "File Size" column as if they were files."""
    return make_db(builds={quant: [size] for quant, size in SEED_FILE_BYTES.items()})


def test_seed_parity_memory(seed_db):
    rows = seed_db.execute(
        """SELECT quant, vram_gb, vram_full_context_gb, recommended_gb, size_source
                              FROM quantizations_by_profile WHERE profile = 'simple' AND repo_id = ?""",
        [DSV4],
    ).fetchall()
    got = {q: (v, f, r, s) for q, v, f, r, s in rows}
    assert set(SEED) <= set(got)
    for quant, (vram, full) in SEED.items():
        v, f, _, source = got[quant]
        assert source == "gguf"
        assert abs(v - vram) <= 0.1, (quant, v)
        assert abs(f - full) <= 0.1, (quant, f)
    assert abs(got["Q4_K_M"][2] - SEED_PAGE["recommended_gb"]) < 0.5  # "124+ GB is recommended"


def test_seed_parity_devices_and_speed(seed_db):
    fit = dict(
        seed_db.execute("""SELECT device_id, verdict FROM device_fit_by_profile
                                  WHERE profile = 'simple' AND quant = 'Q4_K_M'
                                  AND context_tokens = 2048""").fetchall()
    )
    assert set(SEED_DEVICES) == set(SEED_PAGE["devices_that_run_q4_k_m"])
    for device in SEED_DEVICES.values():
        assert fit[device] in ("runs_great", "decent"), device
    assert fit["nvidia-rtx-5090"] == "too_small"
    # The seed says no single GPU fits while quoting a single MI300X's speed: by its own numbers one does.
    assert SEED_PAGE["single_gpu_fits_q4_k_m"] is False and fit["amd-mi300x"] != "too_small"
    assert SEED_PAGE["cannot_run"] == {"NVIDIA GeForce RTX 5090": "IQ2_XXS"}
    smallest = seed_db.execute("""SELECT verdict FROM device_fit_by_profile WHERE profile = 'simple'
                                  AND quant = 'IQ2_XXS' AND context_tokens = 2048
                                  AND device_id = 'nvidia-rtx-5090'""").fetchone()[0]
    assert smallest == "too_small"
    speed = seed_db.execute("""SELECT decode_tok_s FROM device_fit_by_profile WHERE profile = 'simple'
                               AND quant = 'Q4_K_M' AND context_tokens = 2048
                               AND device_id = 'amd-mi300x'""").fetchone()[
        0
    ]
    assert abs(speed - SEED_PAGE["speed_q4_k_m_tok_s"]["AMD Instinct MI300X"]) <= 1


def test_default_profile_pinned_with_real_params():
    # No real GGUF build of DeepSeek-V4-Flash is known. Without a size from the architecture (this
    # catalogue has not run store_size_estimates) weights are params × nominal bits / 8 (4.8 for
    # Q4_K_M: no real builds to calibrate from), not the seed's 94.84 GB.
    con = make_db(V4_PARAMS, V4_ACTIVE)
    size, vram, full, kv, kv_full, overhead, overhead_full, source, gguf_repo = con.execute(
        """SELECT file_size_bytes, vram_gb, vram_full_context_gb, kv_cache_gb, kv_cache_full_gb, overhead_gb,
        overhead_full_context_gb, size_source, gguf_repo_id FROM quantizations
        WHERE repo_id = ? AND quant = 'Q4_K_M'""",
        [DSV4],
    ).fetchone()
    assert (source, gguf_repo) == ("estimate", None)
    assert size == pytest.approx(V4_PARAMS * 4.8 / 8, abs=1)                 # 170.29 GB
    assert kv == pytest.approx(0.045, abs=0.001)
    assert kv_full < 6.0  # vs 11.5 GB generic
    # Compute buffer with flash attention on (llama.cpp's default): at 2K the f32 logits of a 512-token
    # ubatch (129,280 + 2 hidden rows of 4,096) × 512 × 4 B; at 1M the attention mask over the widest
    # cache (the ratio-4 compressed layers: 262,144 cells) in f32 + f16, + 5 hidden rows.
    assert overhead * 1e9 == pytest.approx((129_280 + 2 * 4096) * 512 * 4)                  # 0.282 GB
    assert overhead_full * 1e9 == pytest.approx(262_144 * 512 * 6 + 5 * 4096 * 512 * 4)     # 0.847 GB
    assert vram == pytest.approx(size / 1e9 + kv + overhead, abs=1e-6)                    # 170.61 GB
    assert full == pytest.approx(size / 1e9 + kv_full + overhead_full, abs=1e-6)          # 176.97 GB
    fit = {d: (tok_s, verdict) for d, tok_s, verdict in con.execute(
        """SELECT device_id, decode_tok_s, verdict FROM device_fit WHERE quant = 'Q4_K_M'
        AND context_tokens = 2048""").fetchall()}
    assert fit["amd-mi300x"][1] == "decent"                 # 192 GB holds ~171 GB, under 1.3 ×
    # A token reads the active 13.3B of 283.8B parameters (~8 GB, not all 170 GB), plus 43 layers' and
    # 42 MoE layers' fixed costs (speed_constants, 081_speed_model_v2.sql; moves when refitted).
    assert fit["amd-mi300x"][0] == pytest.approx(99.8, abs=0.5)
    assert fit["nvidia-h200-sxm"] == (None, "too_small")    # 141 GB: not at Q4_K_M
    assert fit["nvidia-dgx-h100"][1] == "runs_great"
    # A real build, when one exists, replaces the estimate byte for byte (shards summed); KV and
    # compute buffer stay as they were.
    real = make_db(V4_PARAMS, V4_ACTIVE, builds={"Q4_K_M": [87_000_000_000, 87_000_000_000]},
                   gguf_repo_id="test/DeepSeek-V4-Flash-GGUF")
    got = real.execute(
        """SELECT file_size_bytes, shard_files, size_source, gguf_repo_id, bits_per_weight, vram_gb,
        vram_full_context_gb, vram_gb_low, vram_gb_high FROM quantizations
        WHERE repo_id = ? AND quant = 'Q4_K_M'""",
        [DSV4],
    ).fetchone()
    assert got[:4] == (174_000_000_000, 2, "gguf", "test/DeepSeek-V4-Flash-GGUF")
    assert got[4] == pytest.approx(174e9 * 8 / V4_PARAMS, abs=0.001)
    assert got[5] == pytest.approx(vram - size / 1e9 + 174.0, abs=1e-6)
    assert got[6] == pytest.approx(full - size / 1e9 + 174.0, abs=1e-6)
    # A real file has no size band: the VRAM band is the compute buffer's alone
    assert got[7] <= got[5] <= got[8] and got[8] - got[7] < 0.05


def test_sizes_from_the_architecture_replace_bits_per_weight():
    """With the model's sizes computed from its tensor shapes (store_size_estimates), an estimate
    follows llama.cpp's per-tensor types (4.84 bits for Q4_K_M here, not the nominal 4.8), untied
    token embeddings stay in host memory, and the band is the architecture estimate's."""
    con = make_db(V4_PARAMS, V4_ACTIVE)
    assert store_size_estimates(con) > 30
    row = con.execute(
        """SELECT size_method, bits_per_weight, file_size_bytes, file_size_gb_low, file_size_gb,
                  file_size_gb_high,
                  host_weights_gb, weights_on_gpu_gb, vram_gb, kv_cache_gb, overhead_gb
           FROM quantizations WHERE repo_id = ? AND quant = 'Q4_K_M'""", [DSV4]).fetchone()
    method, bits, _, low, gb, high, host, on_gpu, vram, kv, overhead = row
    assert method == "architecture" and 4.8 < bits < 4.9
    assert low <= gb <= high and high / gb < 1.01                       # architecture band: within 1 %
    assert host == pytest.approx(129_280 * 4096 * 4.5 / 8 / 1e9, rel=0.01)   # Q4_K token embeddings
    assert on_gpu == pytest.approx(gb - host) and vram == pytest.approx(on_gpu + kv + overhead)


_PARTS: dict[tuple[int, str], str] = {}


def _parts(con, parts_sql: str) -> str:
    """A one-row table holding the parts: macros then read a column instead of expanding the
    literal's kv_part calls wherever they use `parts` (binding that took seconds per query)."""
    key = (id(con), parts_sql)
    if key not in _PARTS:
        _PARTS[key] = name = f"parts_{len(_PARTS)}"
        con.execute(f"CREATE TEMP TABLE {name} AS SELECT {parts_sql} AS p")
    return _PARTS[key]


def _kv(con, parts_sql: str, ctx: int) -> float:
    return con.execute(f"SELECT kv_cache_bytes(p, {ctx}) FROM {_parts(con, parts_sql)}").fetchone()[0]


def test_hand_checked_kv(seed_db):
    llama = "[kv_part('full', 32, 8, 128, 128, NULL, NULL, NULL, 'f16')]"
    assert _kv(seed_db, llama, 1) == 131_072
    assert _kv(seed_db, llama, 131072) == 16 * GIB
    dsv3 = "[kv_part('mla', 61, 1, 576, 512, NULL, NULL, NULL, 'f16')]"
    assert _kv(seed_db, dsv3, 1) == 70_272
    gemma = (
        "[kv_part('full', 10, 16, 128, 128, NULL, NULL, NULL, 'f16'),"
        " kv_part('sliding', 52, 16, 128, 128, 1024, NULL, NULL, 'f16')]"
    )
    assert _kv(seed_db, gemma, 131072) / GIB == pytest.approx(10.6, abs=0.05)
    assert _kv(seed_db, "[kv_part('full', 62, 16, 128, 128, NULL, NULL, NULL, 'f16')]", 131072) / GIB == 62
    assert (
        _kv(seed_db, "[kv_part('full', 32, 8, 128, 128, NULL, NULL, NULL, 'q8_0')]", 32)
        == 131_072 * 32 * 34 / 64
    )
    assert (
        _kv(seed_db, "[kv_part('full', 32, 8, 128, 128, NULL, NULL, NULL, 'q4_0')]", 32)
        == 131_072 * 32 * 18 / 64
    )
    hybrid = (
        "[kv_part('full', 4, 8, 128, 128, NULL, NULL, NULL, 'f16'),"
        " kv_part('recurrent', 28, 0, 0, 0, NULL, NULL, 1000000, 'f16')]"
    )
    assert _kv(seed_db, hybrid, 0) == 28_000_000
    assert _kv(seed_db, hybrid, 10) == 28_000_000 + 10 * 4 * 8 * 256 * 2
    # Missing window: generic fallback, flagged.
    part = seed_db.execute("SELECT kv_part('sliding', 2, 1, 64, 64, NULL, NULL, NULL, 'f16')").fetchone()[0]
    assert part["kind"] == "full" and part["fallback"] is True
    with pytest.raises(duckdb.Error):
        _kv(seed_db, "[kv_part('full', 1, 1, 1, 1, NULL, NULL, NULL, 'q3_x')]", 1)


def test_dsv4_components_are_by_kind(seed_db):
    method = seed_db.execute("SELECT kv_method FROM model_kv_parts WHERE profile = 'llama.cpp'").fetchone()[0]
    assert method == "by_kind"
    assert (
        seed_db.execute("SELECT kv_method FROM model_kv_parts WHERE profile = 'simple'").fetchone()[0]
        == "generic"
    )


def test_context_memory_ladder(seed_db):
    ctxs = [
        r[0]
        for r in seed_db.execute("""SELECT context_tokens FROM context_memory
        WHERE quant = 'Q4_K_M' ORDER BY 1""").fetchall()
    ]
    assert ctxs == [2048 * 2**i for i in range(10)]
    vram = [
        r[0]
        for r in seed_db.execute("""SELECT vram_gb FROM context_memory WHERE quant = 'Q4_K_M'
        ORDER BY context_tokens""").fetchall()
    ]
    assert vram == sorted(vram)


def test_device_fit_consistency(seed_db):
    rows = seed_db.execute("""SELECT verdict, headroom_gb, needed_gb, usable_gb, gpus_needed, gpu_count,
        max_context_tokens, context_tokens FROM device_fit_by_profile""").fetchall()
    assert rows
    for verdict, headroom, needed, usable, gpus, count, max_ctx, ctx in rows:
        assert (verdict == "too_small") == (headroom < 0)
        assert (verdict == "runs_great") == (usable >= 1.3 * needed - 1e-9)
        if gpus is not None:
            assert (gpus <= count) == (verdict != "too_small")
        if max_ctx is not None and verdict != "too_small":
            assert max_ctx >= ctx


GEMMA = (
    "[kv_part('full', 10, 16, 128, 128, NULL, NULL, NULL, 'f16'),"
    " kv_part('sliding', 52, 16, 128, 128, 1024, NULL, NULL, 'f16')]"
)
DSV4_PARTS = (
    "[kv_part('sliding', 43, 1, 512, 0, 128, NULL, NULL, 'f16'),"
    " kv_part('compressed', 21, 1, 512, 0, NULL, 4, NULL, 'f16'),"
    " kv_part('compressed', 20, 1, 512, 0, NULL, 128, NULL, 'f16')]"
)
HYBRID = (
    "[kv_part('full', 4, 8, 128, 128, NULL, NULL, NULL, 'q8_0'),"
    " kv_part('recurrent', 28, 0, 0, 0, NULL, NULL, 1000000, 'f16')]"
)
MLA = "[kv_part('mla', 61, 1, 576, 0, NULL, NULL, NULL, 'f16')]"


@pytest.mark.slow  # 60 examples of a recursive SQL macro
@settings(max_examples=60, deadline=None)
@given(
    parts=st.sampled_from([GEMMA, DSV4_PARTS, HYBRID, MLA]),
    budget=st.floats(min_value=1e6, max_value=2e11),
    context_length=st.sampled_from([8192, 131072, 1048576, 202752]),
)
def test_max_context_fits_and_one_step_more_does_not(seed_db, parts, budget, context_length):
    best = seed_db.execute(f"SELECT max_context_tokens(p, {budget}, {context_length}) "
                           f"FROM {_parts(seed_db, parts)}").fetchone()[0]
    if best is None:
        assert _kv(seed_db, parts, min(256, context_length)) > budget
        return
    assert _kv(seed_db, parts, best) <= budget
    if best < context_length:
        assert _kv(seed_db, parts, best + 256) > budget


@settings(max_examples=60, deadline=None)
@given(
    parts=st.sampled_from([GEMMA, DSV4_PARTS, HYBRID, MLA]),
    ctx=st.integers(1, 1_000_000),
    more=st.integers(0, 100_000),
)
def test_memory_never_falls_as_context_rises(seed_db, parts, ctx, more):
    assert _kv(seed_db, parts, ctx + more) >= _kv(seed_db, parts, ctx)


@settings(max_examples=40, deadline=None)
@given(params=st.floats(1e8, 1e12), bits=st.sampled_from([2.2, 3.4, 4.8, 5.7, 6.6, 8.0, 16.0]))
def test_memory_never_falls_as_bits_rise(seed_db, params, bits):
    lo, hi = seed_db.execute(
        "SELECT weights_bytes(?, ?), weights_bytes(?, ? + 0.5)", [params, bits, params, bits]
    ).fetchone()
    assert hi >= lo
    for kv_lo, kv_hi in (("q4_0", "q8_0"), ("q8_0", "f16")):
        a = _kv(seed_db, MLA.replace("'f16'", f"'{kv_lo}'"), 4096)
        b = _kv(seed_db, MLA.replace("'f16'", f"'{kv_hi}'"), 4096)
        assert b >= a


@settings(max_examples=60, deadline=None)
@given(
    read=st.floats(1e8, 5e11),
    bw=st.floats(50, 10000),
    more=st.floats(0, 5000),
    eff=st.floats(0.3, 1.0),
    t0=st.floats(0, 0.01),
    gpus=st.integers(1, 8),
)
def test_speed_never_falls_as_bandwidth_rises(seed_db, read, bw, more, eff, t0, gpus):
    a, b, sa, sb = seed_db.execute(
        "SELECT decode_tok_s(?, ?, ?, ?, ?, 0.0002), decode_tok_s(?, ?, ?, ?, ?, 0.0002),"
        " decode_tok_s_simple(?, ?), decode_tok_s_simple(?, ?)",
        [read, bw, eff, t0, gpus, read, bw + more, eff, t0, gpus, bw, read, bw + more, read],
    ).fetchone()
    assert b >= a * (1 - 1e-12) and sb >= sa


@settings(max_examples=80, deadline=None)
@given(usable=st.floats(0, 1e12), needed=st.floats(1, 1e12))
def test_verdict_agrees_with_headroom(seed_db, usable, needed):
    verdict = seed_db.execute("SELECT fit_verdict(?, ?)", [usable, needed]).fetchone()[0]
    headroom = usable - needed
    assert (verdict == "too_small") == (headroom < 0)
    assert (verdict == "runs_great") == (usable >= 1.3 * needed)


def test_views_create_on_a_catalogue_file(tmp_path: Path):
    con = db.connect(tmp_path / "c.duckdb")
    cols = [r[0] for r in con.execute("DESCRIBE quantizations").fetchall()]
    for col in (
        "repo_id",
        "quant",
        "bits_per_weight",
        "file_size_gb",
        "size_source",
        "gguf_repo_id",
        "kv_cache_gb",
        "vram_gb",
        "kv_cache_full_gb",
        "vram_full_context_gb",
        "recommended_gb",
        "quality",
    ):
        assert col in cols
    con.close()
