-- KV cache and VRAM along a context ladder (2K … 1M, doubling), up to and including the
-- model's own maximum, per runtime profile × model × quant.
CREATE OR REPLACE VIEW context_memory_by_profile AS
WITH ladder AS (
    SELECT CAST(2048 * pow(2, i) AS BIGINT) AS context_tokens FROM range(0, 10) t(i)
), q AS (
    SELECT * FROM model_quant_memory WHERE (size_source = 'gguf' OR ladder) AND context_length > 0
), ctx AS (
    SELECT q.*, l.context_tokens FROM q JOIN ladder l ON l.context_tokens <= q.context_length
    UNION ALL
    SELECT q.*, q.context_length FROM q WHERE q.context_length NOT IN (SELECT context_tokens FROM ladder)
)
SELECT
    profile,
    repo_id,
    quant,
    context_tokens,
    CAST(kv_cache_bytes(parts, context_tokens) AS BIGINT) AS kv_cache_bytes,
    gb(kv_cache_bytes(parts, context_tokens)) AS kv_cache_gb,
    gb(vram_bytes(weights_bytes, kv_cache_bytes(parts, context_tokens), per_gpu_fixed_bytes)) AS vram_gb,
    size_source,
    kv_type,
    kv_method
FROM ctx;
