-- Per runtime profile × model × quant: real builds, plus estimates for the seed's quant ladder
-- where no build exists. VRAM = weights + KV + per-GPU fixed part (overhead + compute buffer).
CREATE OR REPLACE VIEW quantizations_by_profile AS
WITH q AS (
    SELECT *,
           kv_cache_bytes(parts, least(2048, coalesce(context_length, 2048))) AS kv_bytes,
           kv_cache_bytes(parts, context_length) AS kv_full_bytes
    FROM model_quant_memory
    WHERE size_source = 'gguf' OR ladder
)
SELECT
    profile,
    repo_id,
    quant,
    round(bits_per_weight, 3) AS bits_per_weight,
    weights_bytes AS file_size_bytes,
    gb(weights_bytes) AS file_size_gb,
    size_source,
    gguf_repo_id,
    shard_files,
    CAST(kv_bytes AS BIGINT) AS kv_cache_bytes,
    gb(kv_bytes) AS kv_cache_gb,
    CAST(vram_bytes(weights_bytes, kv_bytes, per_gpu_fixed_bytes) AS BIGINT) AS vram_bytes,
    gb(vram_bytes(weights_bytes, kv_bytes, per_gpu_fixed_bytes)) AS vram_gb,
    context_length,
    gb(kv_full_bytes) AS kv_cache_full_gb,
    gb(vram_bytes(weights_bytes, kv_full_bytes, per_gpu_fixed_bytes)) AS vram_full_context_gb,
    recommended_factor * gb(vram_bytes(weights_bytes, kv_bytes, per_gpu_fixed_bytes)) AS recommended_gb,
    quality,
    gb(per_gpu_fixed_bytes) AS overhead_gb,
    kv_type,
    kv_method,
    params_total,
    params_active
FROM q;
