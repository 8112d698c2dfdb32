-- Every model × quant on every device, at 2,048 tokens and at the model's full context, per
-- runtime profile. A device with gpu_count GPUs splits weights + KV across all of them; each GPU
-- also carries the fixed part. needed/usable/headroom are totals over the device's GPUs.
-- Performance: everything that does not depend on the device (KV bytes at the context, the
-- max-context summary, active weight bytes) is computed per model × quant × context before the
-- cross join with devices, and the two contexts come from one scan (no shared CTE), so a filter
-- on repo_id reaches model_quant_memory, and so does a filter on is_default (device_fit's), which is
-- why that column is here: a join with runtime_profiles is not pushed down, and computed every
-- profile only to drop all but one (2.4x slower at 15M rows, docs/performance.md).
CREATE OR REPLACE VIEW device_fit_by_profile AS
WITH ctx AS (
    SELECT q.*, c.context_tokens,
           kv_cache_bytes(q.parts, c.context_tokens) AS kv_bytes,
           kv_context_summary(q.parts, q.context_length, q.kv_pad) AS kv_summary
    FROM model_quant_memory q,
         unnest(list_distinct([least(2048, q.context_length), q.context_length])) c(context_tokens)
    WHERE (q.size_source = 'gguf' OR q.ladder) AND q.context_length > 0
), fit AS (
    SELECT ctx.*, d.device_id, d.gpu_count, d.bandwidth_gbps, d.backend,
           usable_bytes(d.usable_memory_bytes, ctx.device_reserve_bytes) AS usable_per_gpu
    FROM ctx CROSS JOIN devices d
), totals AS (
    SELECT fit.*,
           fit.gpu_count * fit.usable_per_gpu AS usable_total,
           vram_bytes(fit.weights_bytes, fit.kv_bytes, fit.per_gpu_fixed_bytes, fit.gpu_count) AS needed_total,
           vram_bytes(fit.weights_bytes, fit.kv_bytes, fit.per_gpu_fixed_bytes) AS vram_one_gpu
    FROM fit
)
SELECT
    t.profile,
    t.is_default,
    t.repo_id,
    t.quant,
    t.device_id,
    t.context_tokens,
    fit_verdict(t.usable_total, t.needed_total, t.runs_great_factor) AS verdict,
    gpus_needed(t.weights_bytes + t.kv_bytes, t.per_gpu_fixed_bytes, t.usable_per_gpu) AS gpus_needed,
    gb(t.usable_total - t.needed_total) AS headroom_gb,
    max_context_from_summary(t.kv_summary,
                             t.usable_total - t.weights_bytes - t.gpu_count * t.per_gpu_fixed_bytes,
                             t.context_length, t.kv_pad) AS max_context_tokens,
    CASE WHEN t.needed_total > t.usable_total THEN NULL
         WHEN t.speed_method = 'simple' THEN decode_tok_s_simple(t.bandwidth_gbps, t.vram_one_gpu, t.simple_efficiency)
         ELSE decode_tok_s(active_weight_bytes(t.weights_bytes, t.params_active, t.params_total) + t.kv_bytes,
                           t.bandwidth_gbps, s.efficiency, s.per_token_s, t.gpu_count, t.multi_gpu_hop_s)
    END AS decode_tok_s,
    gb(t.needed_total) AS needed_gb,
    gb(t.usable_total) AS usable_gb,
    t.gpu_count,
    t.size_source,
    t.kv_method
FROM totals t
LEFT JOIN speed_constants s ON s.profile = t.profile AND s.backend = t.backend;
