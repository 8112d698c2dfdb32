-- Table macro (a view with parameters): memory per runtime profile × model × quant at a context,
-- the one place where weights, KV cache and compute buffer are added up. It reads views, so it
-- is created after them (catalog.db.apply_objects retries it). Parameters (all optional):
--   profile_name  one profile (NULL: every profile)         repo_name   one model (NULL: all)
--   ctx_tokens    one context, capped at the model's maximum (NULL: 2,048 and the model's maximum)
--   use_ladder    the context ladder 2K, 4K … 1M up to and including the model's maximum
--   cache_type    KV cache type f16 | q8_0 | q4_0 (NULL: the profile's)
--   fa            flash attention on/off (NULL: the profile's)
--   all_quants    every quant label with a size (NULL/false: real builds and the seed's ladder)
-- Columns: the model_quant_memory row, context_tokens, and in bytes kv_bytes, fixed_bytes (per GPU:
-- overhead + compute buffer; fixed_ref_bytes the same at min(context, 2,048)), gpu_weights_bytes (weights minus what stays in host memory),
-- vram_bytes (one GPU) with *_low / *_high bands: weights from estimate_bands 'weights', the
-- compute buffer from 'compute_buffer'; the KV cache has none (it matches llama.cpp's logs byte
-- for byte, docs/methodology.md). kv_summary feeds max_context_from_summary.
CREATE OR REPLACE MACRO memory_at_context(profile_name := NULL, repo_name := NULL, ctx_tokens := NULL,
                                          use_ladder := false, cache_type := NULL, fa := NULL,
                                          all_quants := false) AS TABLE
WITH q AS (
    SELECT * REPLACE (kv_parts_as(parts, cache_type) AS parts, coalesce(cache_type, kv_type) AS kv_type,
                      coalesce(fa, flash_attention) AS flash_attention)
    FROM model_quant_memory
    WHERE (profile_name IS NULL OR profile = profile_name) AND (repo_name IS NULL OR repo_id = repo_name)
      AND (size_source = 'gguf' OR ladder OR coalesce(all_quants, false))
), c AS (
    -- the contexts unnested in the select list, not by a lateral join on q: DuckDB decorrelates
    -- that join by reading q twice, so it materialized q whole and a caller's filter on repo_id
    -- no longer reached model_quant_memory (0.7 s of CPU per device_fit query at 10,000 models,
    -- whatever it selected; docs/performance.md)
    SELECT x.*, kv_context_summary(x.parts, x.context_length, x.kv_pad) AS kv_summary
    FROM (SELECT q.*, CAST(unnest(CASE
        WHEN use_ladder THEN list_distinct(list_append(
            list_filter(list_transform(range(10), lambda i: 2048 * pow(2, i)::BIGINT),
                        lambda x: x <= q.context_length), q.context_length))
        WHEN ctx_tokens IS NULL THEN list_distinct([least(2048, coalesce(q.context_length, 2048)), q.context_length])
        ELSE [least(ctx_tokens, coalesce(q.context_length, ctx_tokens))]
    END) AS BIGINT) AS context_tokens FROM q) x
), m AS (
    SELECT c.*,
           kv_cache_bytes(c.parts, c.context_tokens) AS kv_bytes,
           2 * c.heads_per_kv * kv_elements(c.parts, c.context_tokens) AS attn_flops,
           gpu_fixed_bytes(c.overhead_bytes, c.compute_buffer, c.flash_attention, c.context_tokens,
                           kv_max_cells(c.kv_summary, c.context_tokens), c.n_ubatch, c.n_head, c.n_embd, c.vocab_size,
                           c.compute_out_rows, c.compute_attn_rows, c.kv_pad)
               AS fixed_bytes,
           -- the same at min(context, 2,048): where fit_estimate starts solving max_context_tokens
           gpu_fixed_bytes(c.overhead_bytes, c.compute_buffer, c.flash_attention, least(c.context_tokens, 2048),
                           kv_max_cells(c.kv_summary, least(c.context_tokens, 2048)), c.n_ubatch, c.n_head,
                           c.n_embd, c.vocab_size, c.compute_out_rows, c.compute_attn_rows, c.kv_pad)
               AS fixed_ref_bytes,
           c.weights_bytes - c.host_weights_bytes AS gpu_weights_bytes
    FROM c
), b AS (
    SELECT m.*,
           CAST(band(m.fixed_bytes - m.overhead_bytes, cb.ratio_p10, m.compute_buffer = 'graph') AS BIGINT)
               + m.overhead_bytes AS fixed_low_bytes,
           CAST(band(m.fixed_bytes - m.overhead_bytes, cb.ratio_p90, m.compute_buffer = 'graph') AS BIGINT)
               + m.overhead_bytes AS fixed_high_bytes
    FROM m
    LEFT JOIN estimate_bands cb ON cb.profile = m.profile AND cb.figure = 'compute_buffer' AND cb.backend = 'any'
                               AND cb.kind = 'any'
)
SELECT b.*,
       vram_bytes(b.gpu_weights_bytes, b.kv_bytes, b.fixed_bytes) AS vram_bytes,
       vram_bytes(b.weights_low_bytes - b.host_weights_bytes, b.kv_bytes, b.fixed_low_bytes) AS vram_low_bytes,
       vram_bytes(b.weights_high_bytes - b.host_weights_bytes, b.kv_bytes, b.fixed_high_bytes) AS vram_high_bytes
FROM b;
