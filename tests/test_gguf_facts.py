"""Derived facts: KV layout kinds from GGUF keys, and the config.json/GGUF precedence rule."""

from __future__ import annotations

import json
from pathlib import Path

from gguf import GGMLQuantizationType, GGUFValueType
from test_gguf_support import write_gguf

from catalog import db
from catalog.gguf.facts import AttentionComponent, derive
from catalog.gguf.header import read_local_header
from catalog.gguf.store import apply_attention_profile

V = GGUFValueType
Q = GGMLQuantizationType


def _facts(tmp_path: Path, arch: str, kvs: list) -> object:
    path = write_gguf(tmp_path / f"{arch}.gguf",
                      [(f"{arch}.{k}", v, t, s) for k, v, t, s in kvs],
                      [("token_embd.weight", Q.F16, (8, 32)), ("blk.0.w", Q.Q4_0, (8, 32)),
                       ("output.weight", Q.Q6_K, (8, 256))], arch=arch)
    return derive([read_local_header(path)[0]])


def test_mla_row_is_kv_lora_rank_plus_rope(tmp_path: Path) -> None:
    f = _facts(tmp_path, "deepseek2", [
        ("block_count", 61, V.UINT32, None), ("attention.head_count", 128, V.UINT32, None),
        ("attention.head_count_kv", 1, V.UINT32, None),
        ("attention.kv_lora_rank", 512, V.UINT32, None),
        ("rope.dimension_count", 64, V.UINT32, None),
    ])
    assert f.attention == [AttentionComponent("mla", 61, 1, 576, 0)]
    # 61 x 576 x 2 bytes (f16) = 70,272 B/token, the DeepSeek-V3 figure
    assert sum(c.layer_count * c.kv_heads * (c.key_length + c.value_length) * 2
               for c in f.attention) == 70_272
    assert f.bpw_output == 6.5625 and f.bpw_embeddings == 16.0 and f.bpw_repeating == 4.5


def test_per_layer_head_count_kv_zero_is_recurrent(tmp_path: Path) -> None:
    f = _facts(tmp_path, "lfm2", [
        ("block_count", 4, V.UINT32, None), ("embedding_length", 1024, V.UINT32, None),
        ("attention.head_count", 16, V.UINT32, None),
        ("attention.head_count_kv", [0, 8, 0, 8], V.ARRAY, V.UINT32),
        ("shortconv.l_cache", 3, V.UINT32, None),
    ])
    assert f.head_count_kv == [0, 8, 0, 8]
    assert f.attention == [
        AttentionComponent("recurrent", 2, state_bytes=4 * 2 * 1024),
        AttentionComponent("full", 2, 8, 64, 64),
    ]


def test_sliding_pattern_from_bool_array_and_swa_dims(tmp_path: Path) -> None:
    f = _facts(tmp_path, "gpt-oss", [
        ("block_count", 4, V.UINT32, None), ("attention.head_count", 64, V.UINT32, None),
        ("attention.head_count_kv", 8, V.UINT32, None),
        ("attention.key_length", 64, V.UINT32, None), ("attention.value_length", 64, V.UINT32, None),
        ("attention.sliding_window", 128, V.UINT32, None),
        ("attention.sliding_window_pattern", [True, False, True, False], V.ARRAY, V.BOOL),
    ])
    assert f.attention == [AttentionComponent("sliding", 2, 8, 64, 64, 128),
                           AttentionComponent("full", 2, 8, 64, 64)]


def _profile(con, repo: str) -> list[tuple]:
    return con.execute("SELECT kind, layer_count, source FROM attention_components "
                       "WHERE repo_id = ? ORDER BY kind", [repo]).fetchall()


def test_precedence_config_wins_gguf_fills_gaps_disagreement_recorded(tmp_path: Path) -> None:
    con = db.connect(tmp_path / "c.duckdb")
    gguf_rows = [AttentionComponent("sliding", 15, 1, 256, 256, 512),
                 AttentionComponent("full", 3, 1, 256, 256)]
    args = {"gguf_repo_id": "x/g-GGUF", "sha": "s", "path": "g.gguf", "run_id": "r"}

    # gap: no config.json rows -> GGUF fills
    assert apply_attention_profile(con, repo_id="a", components=gguf_rows, block_count=18,
                                   **args) == "filled"
    assert _profile(con, "a") == [("full", 3, "gguf"), ("sliding", 15, "gguf")]

    def config(repo: str, rows: list[tuple]) -> None:
        for kind, n, kv, k, v, w in rows:
            con.execute("INSERT INTO attention_components (repo_id, kind, layer_count, kv_heads, "
                        "key_length, value_length, window_tokens, source) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, 'config.json')", [repo, kind, n, kv, k, v, w])

    # agreement: config.json stays, nothing recorded
    config("b", [("sliding", 15, 1, 256, 256, 512), ("full", 3, 1, 256, 256, None)])
    assert apply_attention_profile(con, repo_id="b", components=gguf_rows, block_count=18,
                                   **args) == "agrees"
    # consistent disagreement (same 18 layers, all global in config): config.json wins
    config("c", [("full", 18, 1, 256, 256, None)])
    assert apply_attention_profile(con, repo_id="c", components=gguf_rows, block_count=18,
                                   **args) == "kept-config"
    assert _profile(con, "c") == [("full", 18, "config.json")]
    # config.json contradicts the weights (26 layers vs 18 in the file): GGUF replaces it
    config("d", [("full", 26, 1, 256, 256, None)])
    assert apply_attention_profile(con, repo_id="d", components=gguf_rows, block_count=18,
                                   **args) == "replaced"
    assert _profile(con, "d") == [("full", 3, "gguf"), ("sliding", 15, "gguf")]
    conflicts = con.execute("SELECT repo_id, resolution, config_rows FROM "
                            "attention_profile_conflicts ORDER BY repo_id").fetchall()
    assert [(r, res) for r, res, _ in conflicts] == [("c", "config.json"), ("d", "gguf")]
    assert json.loads(conflicts[0][2])[0]["layer_count"] == 18
    # idempotent: a second run of the same merge changes nothing for a filled repo
    assert apply_attention_profile(con, repo_id="a", components=gguf_rows, block_count=18,
                                   **args) == "filled"
    assert len(_profile(con, "a")) == 2
    con.close()
