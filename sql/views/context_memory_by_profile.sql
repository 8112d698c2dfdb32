-- KV cache and VRAM along a context ladder (2K … 1M, doubling), up to and including the
-- model's own maximum, per runtime profile × model × quant (memory_at_context). VRAM includes
-- the compute buffer at that context; *_low / *_high are its band.
CREATE OR REPLACE VIEW context_memory_by_profile AS
SELECT profile, repo_id, quant, context_tokens,
       CAST(kv_bytes AS BIGINT) AS kv_cache_bytes,
       gb(kv_bytes) AS kv_cache_gb,
       gb(vram_bytes) AS vram_gb,
       size_source, kv_type, kv_method,
       gb(vram_low_bytes) AS vram_gb_low,
       gb(vram_high_bytes) AS vram_gb_high,
       gb(fixed_bytes) AS overhead_gb
FROM memory_at_context(use_ladder := true)
WHERE context_length > 0;
