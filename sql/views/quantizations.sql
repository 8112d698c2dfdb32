-- One row per base model × GGUF repo × quant: real file size, KV cache and VRAM at 2,048 tokens.
-- VRAM = weights (the real file bytes) + KV cache at 2,048 tokens (f16) + 0.3 GB runtime overhead.
CREATE OR REPLACE VIEW quantizations AS
WITH builds AS (
    SELECT base_repo_id AS repo_id, gguf_repo_id, quant,
           sum(size_bytes) AS file_size_bytes, count(*) AS shard_files
    FROM hub_gguf_files
    WHERE quant IS NOT NULL
    GROUP BY ALL
), kv AS (
    SELECT repo_id, sum(kv_cache_bytes(layer_count, kv_heads, key_length, value_length, 2048)) AS kv_bytes
    FROM attention_components
    GROUP BY repo_id
)
SELECT
    b.repo_id,
    b.quant,
    b.gguf_repo_id,
    round(b.file_size_bytes * 8 / nullif(m.params_total, 0), 3) AS bits_per_weight,
    b.file_size_bytes,
    gb(b.file_size_bytes) AS file_size_gb,
    'gguf' AS size_source,
    b.shard_files,
    coalesce(kv.kv_bytes, 0) AS kv_cache_bytes,
    gb(coalesce(kv.kv_bytes, 0)) AS kv_cache_gb,
    b.file_size_bytes + coalesce(kv.kv_bytes, 0) + 300000000 AS vram_bytes,
    gb(b.file_size_bytes + coalesce(kv.kv_bytes, 0) + 300000000) AS vram_gb
FROM builds b
JOIN hub_models m USING (repo_id)
LEFT JOIN kv USING (repo_id)
WHERE m.removed_at IS NULL;
