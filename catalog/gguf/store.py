"""Write GGUF header facts to DuckDB: one build per transaction, cached forever by sha.

Also merges the GGUF-derived KV layout into `attention_components` under the precedence
rule in docs/gguf.md: config.json wins when present and consistent with the weights; GGUF
fills gaps; every disagreement is recorded in `attention_profile_conflicts`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime

import duckdb

from catalog import store
from catalog.gguf.facts import AttentionComponent, GGUFFacts
from catalog.gguf.remote import RemoteHeader

_HEADER_COLS = (
    "gguf_repo_id", "repo_sha", "path", "base_repo_id", "shard_count", "version",
    "tensor_count", "kv_count", "data_offset", "bytes_read", "requests", "params",
    "tensor_bytes", "file_bytes", "bits_per_weight", "bits_per_weight_tensors",
    "bpw_embeddings", "bpw_output", "bpw_repeating", "file_type", "file_type_label",
    "architecture", "context_length", "block_count", "embedding_length", "head_count",
    "head_count_kv", "key_length", "value_length", "kv_lora_rank", "rope_dimension_count",
    "sliding_window", "sliding_window_pattern", "expert_count", "expert_used_count",
    "vocab_size", "attention", "source_url", "fetched_at", "run_id",
)
_ATTN_COLS = ("kind", "layer_count", "kv_heads", "key_length", "value_length",
              "window_tokens", "compress_ratio", "state_bytes")


def is_cached(con: duckdb.DuckDBPyConnection, gguf_repo_id: str, sha: str, path: str) -> bool:
    """Has this build's header been stored for this commit? (Headers never change per sha.)"""
    row = con.execute(
        "SELECT count(*) FROM gguf_headers WHERE gguf_repo_id = ? AND repo_sha = ? AND path = ?",
        [gguf_repo_id, sha, path],
    ).fetchone()
    return bool(row and row[0])


def store_build(
    con: duckdb.DuckDBPyConnection,
    *,
    gguf_repo_id: str,
    sha: str,
    base_repo_id: str | None,
    facts: GGUFFacts,
    shards: Sequence[RemoteHeader],
    shard_paths: Sequence[str],
    run_id: str,
    fetched_at: datetime | None = None,
) -> bool:
    """Store one build's facts, type mix and shards atomically; False if already stored."""
    path = shard_paths[0]
    fetched_at = fetched_at or datetime.now(UTC)
    with store.transaction(con):
        if is_cached(con, gguf_repo_id, sha, path):
            return False
        f = facts
        con.execute(
            f"INSERT INTO gguf_headers ({', '.join(_HEADER_COLS)}) "
            f"VALUES ({', '.join(['?'] * len(_HEADER_COLS))})",
            [gguf_repo_id, sha, path, base_repo_id, len(shards), f.version, f.tensor_count,
             f.kv_count, f.data_offset, sum(s.bytes_read for s in shards),
             sum(s.requests for s in shards), f.params, f.tensor_bytes, f.file_bytes,
             f.bits_per_weight, f.bits_per_weight_tensors, f.bpw_embeddings, f.bpw_output,
             f.bpw_repeating, f.file_type, f.file_type_label, f.architecture,
             f.context_length, f.block_count, f.embedding_length, f.head_count,
             f.head_count_kv, f.key_length, f.value_length, f.kv_lora_rank,
             f.rope_dimension_count, f.sliding_window, f.sliding_window_pattern,
             f.expert_count, f.expert_used_count, f.vocab_size,
             json.dumps([asdict(c) for c in f.attention]), shards[0].url, fetched_at, run_id],
        )
        con.executemany(
            "INSERT INTO gguf_tensor_types VALUES (?, ?, ?, ?, ?, ?, ?)",
            [[gguf_repo_id, sha, path, t.ggml_type, t.n_tensors, t.n_elements, t.n_bytes]
             for t in f.type_mix],
        )
        con.executemany(
            "INSERT INTO gguf_header_shards VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [[gguf_repo_id, sha, path, sp, i + 1, len(s.header.tensors), s.header.data_offset,
              s.file_size, s.bytes_read, s.requests]
             for i, (sp, s) in enumerate(zip(shard_paths, shards, strict=True))],
        )
    return True


def stored_attention(
    con: duckdb.DuckDBPyConnection, gguf_repo_id: str, sha: str, path: str
) -> tuple[list[AttentionComponent], int | None]:
    """The GGUF-derived components and block count stored for a build."""
    row = con.execute(
        "SELECT attention, block_count FROM gguf_headers "
        "WHERE gguf_repo_id = ? AND repo_sha = ? AND path = ?",
        [gguf_repo_id, sha, path],
    ).fetchone()
    if row is None:
        return [], None
    return [AttentionComponent(**c) for c in json.loads(row[0] or "[]")], row[1]


def record_error(
    con: duckdb.DuckDBPyConnection, run_id: str, subject: str, exc: BaseException
) -> None:
    """One `source_errors` row (source gguf_header); messages never carry tokens."""
    con.execute(
        "INSERT INTO source_errors (run_id, source, subject, error_type, message, occurred_at) "
        "VALUES (?, 'gguf_header', ?, ?, ?, ?)",
        [run_id, subject, type(exc).__name__, str(exc)[:2000], datetime.now(UTC)],
    )


def _key(c: AttentionComponent | tuple) -> tuple:
    """What must agree between sources: the cache-shaping fields (not state size)."""
    vals = [getattr(c, k) for k in _ATTN_COLS] if isinstance(c, AttentionComponent) else list(c)
    return tuple(vals[:6])


def apply_attention_profile(
    con: duckdb.DuckDBPyConnection,
    *,
    repo_id: str,
    gguf_repo_id: str,
    sha: str,
    path: str,
    components: Sequence[AttentionComponent],
    block_count: int | None,
    run_id: str,
) -> str:
    """Merge GGUF components into `attention_components` for a base model.

    Returns what happened: 'filled' (no other source), 'agrees', 'kept-config'
    (disagreement, config.json consistent with the GGUF's layer count), 'replaced'
    (config.json's layer count contradicts the weights), or 'none' (nothing derived).
    """
    if not components:
        return "none"
    other = con.execute(
        f"SELECT {', '.join(_ATTN_COLS)} FROM attention_components "
        "WHERE repo_id = ? AND source <> 'gguf'", [repo_id],
    ).fetchall()
    with store.transaction(con):
        con.execute("DELETE FROM attention_components WHERE repo_id = ? AND source = 'gguf'",
                    [repo_id])
        if not other:
            outcome = "filled"
        elif Counter(map(_key, other)) == Counter(map(_key, components)):
            outcome = "agrees"
        else:
            layers = sum(r[1] for r in other if r[0] != "compressed")
            consistent = block_count is None or layers == block_count
            outcome = "kept-config" if consistent else "replaced"
            reason = (f"config.json covers {layers} layers, the GGUF has {block_count}"
                      if not consistent else "layouts differ; config.json is consistent")
            con.execute(
                "INSERT INTO attention_profile_conflicts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [repo_id, gguf_repo_id, sha, path,
                 json.dumps([dict(zip(_ATTN_COLS, r, strict=True)) for r in other]),
                 json.dumps([asdict(c) for c in components]),
                 "config.json" if consistent else "gguf", reason, datetime.now(UTC), run_id],
            )
            if not consistent:
                con.execute("DELETE FROM attention_components WHERE repo_id = ?", [repo_id])
        if outcome in ("filled", "replaced"):
            con.executemany(
                f"INSERT INTO attention_components (repo_id, {', '.join(_ATTN_COLS)}, source) "
                f"VALUES (?, {', '.join(['?'] * len(_ATTN_COLS))}, 'gguf')",
                [[repo_id, *(getattr(c, k) for k in _ATTN_COLS)] for c in components],
            )
    return outcome
