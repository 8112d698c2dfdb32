-- Table macro: every model × quant × device at a context, per runtime profile. The one definition
-- of fit and speed: the device_fit views, `fitcat fit` and `fitcat estimate` all select from it
-- (memory from memory_at_context). It reads views, so it is created after them (catalog.db
-- apply_objects retries it).
--   devices_table  name of a relation shaped like the devices view (device_id, gpu_count,
--                  bandwidth_gbps, backend, usable_memory_bytes, fp16_tflops_dense): 'devices', or a
--                  temporary view holding one described device
--   other parameters as memory_at_context
-- A device with gpu_count GPUs splits weights + KV across all of them; each GPU also carries the
-- fixed part. needed/usable/headroom are totals over the device's GPUs. Everything that does not
-- depend on the device is computed per model × quant × context before the cross join, so a filter
-- on repo_id or is_default reaches model_quant_memory (docs/performance.md).
-- max_context_tokens (the same on every row of a model × quant × device): solved with the compute
-- buffer at min(context, 2,048) (fixed_ref_bytes, the smallest it gets), then again with the buffer
-- at that answer (it grows with the context); the smaller of the two always fits. NULL when either
-- finds nothing (least() ignores NULLs, hence coalesce/nullif). Skipping the second solve where the
-- buffer cannot grow, with a CASE, made device_fit 5x slower in DuckDB.
-- Bands: decode speed × estimate_bands 'decode_tok_s' for the device's backend and the model kind
-- (dense | moe), falling back to backend 'any'; memory figures from memory_at_context's bands.
CREATE OR REPLACE MACRO fit_estimate(devices_table, profile_name := NULL, repo_name := NULL, ctx_tokens := NULL,
                                     cache_type := NULL, fa := NULL, all_quants := false) AS TABLE
WITH mem AS (
    SELECT *,
           model_kind(moe_layers, params_active, params_total) AS model_kind,
           greatest(0, active_weight_bytes(weights_bytes, params_active, params_total) - host_weights_bytes)
               + kv_bytes AS read_bytes
    FROM memory_at_context(profile_name := profile_name, repo_name := repo_name, ctx_tokens := ctx_tokens,
                           cache_type := cache_type, fa := fa, all_quants := all_quants)
    WHERE context_length > 0
), dev AS (
    -- per profile × device: the speed constants and both kinds' speed bands, joined here (a few
    -- hundred rows) rather than on every model × device row
    SELECT p.profile, d.device_id, d.gpu_count, d.bandwidth_gbps, d.backend, d.fp16_tflops_dense,
           d.usable_memory_bytes,
           s.efficiency, s.per_token_s, s.per_layer_s, s.per_moe_layer_s, s.attention_factor, s.compute_factor,
           coalesce(bd.ratio_p10, ad.ratio_p10) AS dense_p10, coalesce(bd.ratio_p90, ad.ratio_p90) AS dense_p90,
           coalesce(bm.ratio_p10, am.ratio_p10) AS moe_p10, coalesce(bm.ratio_p90, am.ratio_p90) AS moe_p90
    FROM query_table(devices_table) d
    CROSS JOIN runtime_profiles p
    LEFT JOIN speed_constants s ON s.profile = p.profile AND s.backend = d.backend
    LEFT JOIN estimate_bands bd ON bd.profile = p.profile AND bd.figure = 'decode_tok_s'
                               AND bd.backend = d.backend AND bd.kind = 'dense'
    LEFT JOIN estimate_bands ad ON ad.profile = p.profile AND ad.figure = 'decode_tok_s'
                               AND ad.backend = 'any' AND ad.kind = 'dense'
    LEFT JOIN estimate_bands bm ON bm.profile = p.profile AND bm.figure = 'decode_tok_s'
                               AND bm.backend = d.backend AND bm.kind = 'moe'
    LEFT JOIN estimate_bands am ON am.profile = p.profile AND am.figure = 'decode_tok_s'
                               AND am.backend = 'any' AND am.kind = 'moe'
), fit AS (
    SELECT mem.*, dev.* EXCLUDE (profile),
           usable_bytes(dev.usable_memory_bytes, mem.device_reserve_bytes) AS usable_per_gpu
    FROM mem JOIN dev ON dev.profile = mem.profile
), totals AS (
    SELECT fit.*,
           fit.gpu_count * fit.usable_per_gpu AS usable_total,
           vram_bytes(fit.gpu_weights_bytes, fit.kv_bytes, fit.fixed_bytes, fit.gpu_count) AS needed_total,
           vram_bytes(fit.weights_low_bytes - fit.host_weights_bytes, fit.kv_bytes, fit.fixed_low_bytes,
                      fit.gpu_count) AS needed_low,
           vram_bytes(fit.weights_high_bytes - fit.host_weights_bytes, fit.kv_bytes, fit.fixed_high_bytes,
                      fit.gpu_count) AS needed_high,
           max_context_from_summary(fit.kv_summary, fit.gpu_count * fit.usable_per_gpu - fit.gpu_weights_bytes
                                    - fit.gpu_count * fit.fixed_ref_bytes, fit.context_length, fit.kv_pad)
               AS max_ctx_first
    FROM fit
), solved AS (
    SELECT t.*,
           nullif(least(coalesce(t.max_ctx_first, 0), coalesce(max_context_from_summary(t.kv_summary,
               t.usable_total - t.gpu_weights_bytes - t.gpu_count * gpu_fixed_bytes(
                   t.overhead_bytes, t.compute_buffer, t.flash_attention, t.max_ctx_first,
                   kv_max_cells(t.kv_summary, t.max_ctx_first), t.n_ubatch, t.n_head, t.n_embd, t.vocab_size,
                   t.compute_out_rows, t.compute_attn_rows, t.kv_pad),
               t.context_length, t.kv_pad), 0)), 0) AS max_context_tokens,
           CASE WHEN t.needed_total <= t.usable_total AND t.speed_method <> 'simple'
                THEN decode_terms(t.read_bytes, t.bandwidth_gbps, t.efficiency, t.per_token_s, t.gpu_count,
                                  t.multi_gpu_hop_s, t.layers, t.per_layer_s, t.moe_layers, t.per_moe_layer_s,
                                  t.attn_flops, t.attention_factor, t.params_active, t.fp16_tflops_dense,
                                  t.compute_factor)
           END AS decode_terms,
           CASE WHEN t.needed_total > t.usable_total THEN NULL
                WHEN t.speed_method = 'simple'
                    THEN decode_tok_s_simple(t.bandwidth_gbps, t.vram_bytes, t.simple_efficiency)
                -- decode_tok_s (the same terms) rather than decode_seconds(decode_terms): DuckDB folds
                -- the terms' struct away here, while through the CASE above it built one per row
                -- (device_fit's full pass took twice as long; docs/performance.md)
                ELSE decode_tok_s(t.read_bytes, t.bandwidth_gbps, t.efficiency, t.per_token_s, t.gpu_count,
                                  t.multi_gpu_hop_s, t.layers, t.per_layer_s, t.moe_layers, t.per_moe_layer_s,
                                  t.attn_flops, t.attention_factor, t.params_active, t.fp16_tflops_dense,
                                  t.compute_factor)
           END AS decode_tok_s,
           CASE WHEN t.model_kind = 'moe' THEN t.moe_p10 ELSE t.dense_p10 END AS speed_p10,
           CASE WHEN t.model_kind = 'moe' THEN t.moe_p90 ELSE t.dense_p90 END AS speed_p90
    FROM totals t
)
SELECT
    profile, is_default, repo_id, quant, device_id, context_tokens, context_length,
    fit_verdict(usable_total, needed_total, runs_great_factor) AS verdict,
    gpus_needed(gpu_weights_bytes + kv_bytes, fixed_bytes, usable_per_gpu) AS gpus_needed,
    gb(usable_total - needed_total) AS headroom_gb,
    gb(usable_total - needed_high) AS headroom_gb_low,
    gb(usable_total - needed_low) AS headroom_gb_high,
    max_context_tokens,
    decode_tok_s,
    decode_terms,
    band(decode_tok_s, speed_p10) AS decode_tok_s_low,
    band(decode_tok_s, speed_p90) AS decode_tok_s_high,
    gb(needed_total) AS needed_gb, gb(needed_low) AS needed_gb_low, gb(needed_high) AS needed_gb_high,
    gb(usable_total) AS usable_gb,
    gpu_count, bandwidth_gbps, fp16_tflops_dense, backend, size_source, size_method, kv_method, kv_type, flash_attention,
    sort_order, bits_per_weight, params_total, params_active, model_kind, layers, moe_layers,
    gb(weights_bytes) AS weights_gb, gb(weights_low_bytes) AS weights_gb_low, gb(weights_high_bytes) AS weights_gb_high,
    gb(host_weights_bytes) AS host_weights_gb,
    gb(greatest(0, active_weight_bytes(weights_bytes, params_active, params_total) - host_weights_bytes))
        AS active_weights_gb,
    gb(read_bytes) AS read_gb_per_token,
    gb(kv_bytes) AS kv_cache_gb,
    gb(fixed_bytes) AS overhead_gb, gb(fixed_low_bytes) AS overhead_gb_low, gb(fixed_high_bytes) AS overhead_gb_high,
    gb(vram_bytes) AS vram_gb, gb(vram_low_bytes) AS vram_gb_low, gb(vram_high_bytes) AS vram_gb_high,
    recommended_factor * gb(vram_bytes) AS recommended_gb,
    attn_flops, speed_method, simple_efficiency, efficiency, per_token_s, per_layer_s, per_moe_layer_s,
    attention_factor, compute_factor, multi_gpu_hop_s
FROM solved;
