# ruff: noqa: E501  (long SQL lines)
"""A synthetic catalogue loaded in bulk into a real `catalog.db.connect` database.

    load(con, models=N, devices=D, seed=0) -> dict of rows per table

Everything is generated inside DuckDB with `INSERT ... SELECT` over `range()` (no Python loop
per row), into the real tables the views read: hub_models, attention_components (all five kinds:
full, sliding, mla, compressed, recurrent), param_candidates, raw_hub_responses (config.json, for
the generic-KV profile), hub_gguf_repos, hub_gguf_files (20–30 quants per model, builds over
50 GB split into 00001-of-0000N shards) and devices_curated (GPUs, Macs, unified boxes and
multi-GPU systems). Deterministic for a given (models, devices).
"""

from __future__ import annotations

import duckdb

# Attention layouts, chosen by model index % 5 (all numbers per component row):
#   0 dense GQA (Llama-like)        full
#   1 Gemma-3-like                  full 1/6 of layers + sliding 1024 on the rest
#   2 DeepSeek-V3-like              mla (kv_heads 1, key 576, value 0)
#   3 DeepSeek-V4-like              sliding 128 + compressed ratio 4 + compressed ratio 128
#   4 hybrid (Qwen3-Next-like)      full on 1/4 of layers + recurrent state on the rest
_MODELS = """
INSERT INTO hub_models (repo_id, author, sha, last_modified, created_at, gated, downloads, likes, license,
    pipeline_tag, architecture, model_type, params_total, params_active, params_source, context_length,
    vocab_size, hidden_size, tags, source_url, fetched_at, run_id, removed_at, name, family, base_model,
    children_count, trending_score, n_layers, n_experts, n_experts_used, n_shared_experts,
    moe_intermediate_size, params_disagreement, config_sha)
SELECT repo_id, author, md5(repo_id), TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_minutes(i),
       TIMESTAMPTZ '2025-01-01 00:00:00+00' + to_minutes(i), CASE WHEN i % 17 = 0 THEN 'auto' ELSE 'false' END,
       (i * 7919) % 1000000, (i * 104729) % 5000, 'apache-2.0', 'text-generation',
       ['LlamaForCausalLM', 'Gemma3ForCausalLM', 'DeepseekV3ForCausalLM', 'DeepseekV4ForCausalLM',
        'Qwen3NextForCausalLM'][i % 5 + 1],
       ['llama', 'gemma3', 'deepseek_v3', 'deepseek_v4', 'qwen3_next'][i % 5 + 1],
       params, CASE WHEN moe THEN params // 12 ELSE params END, 'architecture',
       [8192, 32768, 131072, 262144, 1048576][(i // 5) % 5 + 1],
       [32000, 128256, 151936, 262144][i % 4 + 1], hidden,
       ['text-generation', 'safetensors', 'license:apache-2.0'], 'https://huggingface.co/api/models/' || repo_id,
       TIMESTAMPTZ '2026-11-28 00:00:00+00', 'bench', NULL, name, 'family-' || (i % 50), NULL,
       3, (i % 100) / 10.0, layers, CASE WHEN moe THEN 128 END, CASE WHEN moe THEN 8 END,
       CASE WHEN moe THEN 1 END, CASE WHEN moe THEN 1536 END, false, md5(repo_id)
FROM (
    SELECT i, 'org' || lpad(CAST(i % 200 AS VARCHAR), 3, '0') AS author,
           'model-' || lpad(CAST(i AS VARCHAR), 6, '0') AS name,
           'org' || lpad(CAST(i % 200 AS VARCHAR), 3, '0') || '/model-' || lpad(CAST(i AS VARCHAR), 6, '0') AS repo_id,
           -- 0.5B … ~700B, log-uniform over the index
           CAST(5e8 * pow(1400, ((i * 2654435761) % 1000) / 1000.0) AS BIGINT) AS params,
           i % 5 IN (2, 3, 4) OR i % 7 = 0 AS moe,
           24 + (i % 5) * 8 + (i % 3) * 4 AS layers,
           2048 + (i % 6) * 1024 AS hidden
    FROM range(?) t(i)
)
"""

_ATTENTION = """
INSERT INTO attention_components
    (repo_id, kind, layer_count, kv_heads, key_length, value_length, window_tokens, compress_ratio, state_bytes, source)
SELECT m.repo_id, c.kind, c.layers, c.kv_heads, c.key_length, c.value_length, c.window_tokens, c.compress_ratio,
       c.state_bytes, 'config.json'
FROM (SELECT repo_id, n_layers AS l, CAST(substr(repo_id, -6) AS INTEGER) AS i FROM hub_models) m,
LATERAL (
    SELECT * FROM (VALUES
        (0, 'full',       m.l,          8,  128, 128, NULL, NULL, NULL),
        (1, 'full',       m.l // 6,     16, 128, 128, NULL, NULL, NULL),
        (1, 'sliding',    m.l - m.l // 6, 16, 128, 128, 1024, NULL, NULL),
        (2, 'mla',        m.l,          1,  576, 0,   NULL, NULL, NULL),
        (3, 'sliding',    m.l,          1,  512, 0,   128,  NULL, NULL),
        (3, 'compressed', m.l // 2,     1,  512, 0,   NULL, 4,    NULL),
        (3, 'compressed', m.l - m.l // 2, 1, 512, 0,  NULL, 128,  NULL),
        (4, 'full',       m.l // 4,     2,  256, 256, NULL, NULL, NULL),
        (4, 'recurrent',  m.l - m.l // 4, 0, 0,  0,   NULL, NULL, 1179648)
    ) v(pattern, kind, layers, kv_heads, key_length, value_length, window_tokens, compress_ratio, state_bytes)
    WHERE v.pattern = m.i % 5
) c
"""

_CANDIDATES = """
INSERT INTO param_candidates (repo_id, repo_sha, source, params_total, params_active, chosen, rejected_reason,
                              detail, run_id, fetched_at)
SELECT repo_id, sha, 'architecture', params_total, params_active, true, NULL, NULL, 'bench', fetched_at
FROM hub_models
"""

_CONFIGS = """
INSERT INTO raw_hub_responses (run_id, repo_id, repo_sha, kind, source_url, fetched_at, payload)
SELECT 'bench', repo_id, sha, 'config', 'https://huggingface.co/' || repo_id || '/resolve/' || sha || '/config.json',
       fetched_at,
       json_object('num_hidden_layers', n_layers, 'num_attention_heads', hidden_size // 128,
                   'num_key_value_heads', 8, 'hidden_size', hidden_size, 'vocab_size', vocab_size,
                   'max_position_embeddings', context_length)
FROM hub_models
"""

_GGUF_REPOS = """
INSERT INTO hub_gguf_repos (gguf_repo_id, base_repo_id, publisher, sha, last_modified, downloads, likes,
    trusted_rank, is_canonical, gguf_total_params, gguf_architecture, gguf_context_length, tree_sha,
    source_url, fetched_at, run_id, removed_at)
SELECT 'bartowski/' || name || '-GGUF', repo_id, 'bartowski', md5(repo_id || 'gguf'), last_modified,
       downloads // 10, likes // 10, 3, true, params_total, model_type, context_length, md5(repo_id || 'gguf'),
       'https://huggingface.co/api/models?filter=gguf&filter=base_model:quantized:' || repo_id,
       fetched_at, 'bench', NULL
FROM hub_models
"""

# 20–30 quants per model (mean 25): the seed's 8 ladder quants first, then others in a fixed order.
_GGUF_FILES = """
INSERT INTO hub_gguf_files (gguf_repo_id, base_repo_id, repo_sha, path, quant, shard, shard_count, size_bytes,
                            sha256, source_url, fetched_at, run_id)
WITH qt AS (
    SELECT quant, nominal_bits,
           row_number() OVER (ORDER BY NOT ladder, (sort_order * 37) % 101, quant) AS rank
    FROM quant_types
), builds AS (
    SELECT m.repo_id, m.name, m.fetched_at, q.quant,
           -- real files: nominal size ± 4 %, varying per model and quant
           CAST(m.params_total * q.nominal_bits / 8 * (0.96 + (hash(m.repo_id || q.quant) % 800) / 10000.0)
                AS BIGINT) AS size
    FROM (SELECT *, 20 + CAST(substr(repo_id, -6) AS INTEGER) % 11 AS n_quants FROM hub_models) m
    JOIN qt q ON q.rank <= m.n_quants
), sharded AS (
    SELECT *, CAST(greatest(1, ceil(size / 50e9)) AS INTEGER) AS shards FROM builds
)
SELECT 'bartowski/' || b.name || '-GGUF', b.repo_id, md5(b.repo_id || 'gguf'),
       CASE WHEN b.shards = 1 THEN b.name || '-' || b.quant || '.gguf'
            ELSE b.quant || '/' || b.name || '-' || b.quant || '-' || lpad(CAST(s.k AS VARCHAR), 5, '0')
                 || '-of-' || lpad(CAST(b.shards AS VARCHAR), 5, '0') || '.gguf' END,
       b.quant, s.k, b.shards, b.size // b.shards, md5(b.repo_id || b.quant || s.k),
       'https://huggingface.co/api/models/bartowski/' || b.name || '-GGUF/tree/main?recursive=true',
       b.fetched_at, 'bench'
FROM sharded b, LATERAL (SELECT CAST(k AS INTEGER) AS k FROM range(1, b.shards + 1) r(k)) s
"""

# Devices: GPUs (consumer/workstation/datacenter), Macs, other unified boxes, multi-GPU systems.
# nvidia-rtx-5090 is always present (the model page's FAQ names it).
_DEVICES = """
INSERT INTO devices_curated (device_id, vendor, name, kind, segment, backend, gpu_count, memory_gb, memory_bytes,
    memory_type, bandwidth_gbps, unified, gpu_share, reserve_bytes, usable_memory_bytes, interconnect,
    fp16_tflops_dense, launch_date, source_url, confidence, origin, reviewed, match_keys, notes,
    memory_verified_at, bandwidth_verified_at, fp16_verified_at, updated_at, run_id)
SELECT device_id, vendor, device_id, kind, segment, backend, gpu_count, mem, CAST(mem * 1073741824.0 AS BIGINT),
       'GDDR7', bw, unified, share, reserve,
       CAST(mem * 1073741824.0 * share AS BIGINT) - reserve, NULL, 100.0, DATE '2025-01-01',
       'https://example.com/' || device_id, 'high', 'curated', true, [device_id], NULL,
       NULL, NULL, NULL, TIMESTAMPTZ '2026-11-28 00:00:00+00', 'bench'
FROM (
    SELECT CASE WHEN i = 0 THEN 'nvidia-rtx-5090' ELSE 'device-' || lpad(CAST(i AS VARCHAR), 4, '0') END AS device_id,
           CASE c WHEN 0 THEN 'nvidia' WHEN 1 THEN 'nvidia' WHEN 2 THEN 'amd' WHEN 3 THEN 'apple'
                  WHEN 4 THEN 'amd' ELSE 'nvidia' END AS vendor,
           CASE WHEN c = 5 THEN 'system' WHEN c IN (3, 4) THEN 'soc' ELSE 'gpu' END AS kind,
           CASE c WHEN 0 THEN 'consumer' WHEN 1 THEN 'workstation' WHEN 2 THEN 'datacenter' WHEN 3 THEN 'mac'
                  WHEN 4 THEN 'consumer' ELSE 'system' END AS segment,
           CASE c WHEN 2 THEN 'rocm' WHEN 3 THEN 'metal' WHEN 4 THEN 'vulkan' ELSE 'cuda' END AS backend,
           CASE WHEN c = 5 THEN [2, 4, 8][i % 3 + 1] ELSE 1 END AS gpu_count,
           CASE c WHEN 0 THEN [8, 12, 16, 24, 32][i % 5 + 1]
                  WHEN 1 THEN [24, 32, 48, 96][i % 4 + 1]
                  WHEN 2 THEN [64, 80, 94, 141, 192, 288][i % 6 + 1]
                  WHEN 3 THEN [16, 24, 32, 64, 96, 128, 192, 256, 512][i % 9 + 1]
                  WHEN 4 THEN [64, 96, 128][i % 3 + 1]
                  ELSE [80, 141, 192][i % 3 + 1] END AS mem,
           CASE c WHEN 0 THEN 400 + (i % 5) * 350 WHEN 1 THEN 900 + (i % 4) * 200
                  WHEN 2 THEN 2000 + (i % 6) * 1000 WHEN 3 THEN 100 + (i % 9) * 100
                  WHEN 4 THEN 256 ELSE 3350 + (i % 3) * 1000 END AS bw,
           c IN (3, 4) AS unified,
           CASE WHEN c = 3 THEN 0.75 WHEN c = 4 THEN 0.8 ELSE 1.0 END AS share,
           CASE WHEN c IN (3, 4) THEN 0 ELSE 536870912 END AS reserve
    FROM (SELECT i, CASE WHEN i = 0 THEN 0 ELSE i % 6 END AS c FROM range(?) t(i))
)
"""


def load(con: duckdb.DuckDBPyConnection, *, models: int, devices: int) -> dict[str, int]:
    """Fill the real tables with `models` base models and `devices` devices; rows per table."""
    con.execute("BEGIN TRANSACTION")
    con.execute(_MODELS, [models])
    con.execute(_ATTENTION)
    con.execute(_CANDIDATES)
    con.execute(_CONFIGS)
    con.execute(_GGUF_REPOS)
    con.execute(_GGUF_FILES)
    con.execute(_DEVICES, [devices])
    con.execute("COMMIT")
    tables = ("hub_models", "attention_components", "param_candidates", "raw_hub_responses",
              "hub_gguf_repos", "hub_gguf_files", "devices_curated")
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
