-- Per runtime profile × model × quant: real builds, plus estimates for the seed's quant ladder
-- where no build exists (memory_at_context at 2,048 tokens and at the model's full context).
-- VRAM = weights on the GPU + KV + per-GPU fixed part (overhead + compute buffer at that context).
-- *_low / *_high: the estimate's band (a real file has none: low = high = value).
CREATE OR REPLACE VIEW quantizations_by_profile AS
WITH m AS (
    SELECT * FROM memory_at_context()
), at2k AS (
    SELECT * FROM m WHERE context_tokens = least(2048, coalesce(context_length, 2048))
), full_ctx AS (
    SELECT profile, repo_id, quant, kv_bytes, vram_bytes, vram_low_bytes, vram_high_bytes, fixed_bytes
    FROM m WHERE context_tokens = context_length
)
SELECT
    a.profile,
    a.repo_id,
    a.quant,
    round(a.bits_per_weight, 3) AS bits_per_weight,
    a.weights_bytes AS file_size_bytes,
    gb(a.weights_bytes) AS file_size_gb,
    a.size_source,
    a.gguf_repo_id,
    a.shard_files,
    CAST(a.kv_bytes AS BIGINT) AS kv_cache_bytes,
    gb(a.kv_bytes) AS kv_cache_gb,
    CAST(a.vram_bytes AS BIGINT) AS vram_bytes,
    gb(a.vram_bytes) AS vram_gb,
    a.context_length,
    gb(f.kv_bytes) AS kv_cache_full_gb,
    gb(f.vram_bytes) AS vram_full_context_gb,
    a.recommended_factor * gb(a.vram_bytes) AS recommended_gb,
    a.quality,
    gb(a.fixed_bytes) AS overhead_gb,
    a.kv_type,
    a.kv_method,
    a.params_total,
    a.params_active,
    a.size_method,
    gb(a.weights_low_bytes) AS file_size_gb_low,
    gb(a.weights_high_bytes) AS file_size_gb_high,
    gb(a.vram_low_bytes) AS vram_gb_low,
    gb(a.vram_high_bytes) AS vram_gb_high,
    gb(f.vram_low_bytes) AS vram_full_context_gb_low,
    gb(f.vram_high_bytes) AS vram_full_context_gb_high,
    gb(a.weights_bytes - a.host_weights_bytes) AS weights_on_gpu_gb,
    gb(a.host_weights_bytes) AS host_weights_gb,
    gb(f.fixed_bytes) AS overhead_full_context_gb
FROM at2k a
LEFT JOIN full_ctx f USING (profile, repo_id, quant);
