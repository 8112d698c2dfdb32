-- Core of the estimates: per runtime profile × model × quant (every real canonical build, and
-- every quant_types entry as an estimate), the weights, KV parts and what the compute buffer and
-- decode speed need from the model's shape. Context-dependent figures (KV cache, compute buffer,
-- speed) are computed from this by the table macro memory_at_context.
--   size_method   file (a real build) | architecture (quant_size_estimates: per-tensor types from
--                 config.json) | calibrated_bits | nominal_bits (parameters × bits per weight)
--   weights_low_bytes / weights_high_bytes  the estimate's band (estimate_bands, figure weights);
--                 equal to weights_bytes for a real file
--   host_weights_bytes  token embeddings llama.cpp keeps in host memory (profile embeddings_on_host)
CREATE OR REPLACE VIEW model_quant_memory AS
WITH real AS (
    SELECT repo_id, quant, gguf_repo_id, file_size_bytes, shard_files FROM gguf_builds WHERE canonical
), pairs AS (
    SELECT repo_id, quant FROM real
    UNION
    SELECT m.repo_id, q.quant FROM hub_models m CROSS JOIN quant_types q WHERE m.removed_at IS NULL
), chosen AS (
    SELECT p.*, pr.repo_id, pr.quant, r.gguf_repo_id, r.shard_files, r.file_size_bytes,
           se.file_bytes AS arch_bytes, se.host_bytes AS arch_host_bytes, se.approximate AS arch_approximate,
           qb.calibrated_bits, qb.nominal_bits, qb.quality, coalesce(qb.ladder, false) AS ladder, qb.sort_order,
           m.params_total, m.params_active, m.context_length,
           coalesce(m.vocab_size, s.vocab_size) AS vocab_size, m.hidden_size AS n_embd,
           s.attention_heads AS n_head, coalesce(s.heads_per_kv, 1) AS heads_per_kv,
           coalesce(m.n_layers, s.layers) AS layers, coalesce(s.moe_layers, 0) AS moe_layers,
           CASE WHEN r.file_size_bytes IS NOT NULL THEN 'file'
                WHEN p.weights_estimate = 'architecture' AND se.file_bytes IS NOT NULL THEN 'architecture'
                WHEN p.weights_bits_source = 'calibrated' AND qb.calibrated_bits IS NOT NULL THEN 'calibrated_bits'
                ELSE 'nominal_bits' END AS size_method,
           kv.parts, kv.kv_method, kv.kv_type
    FROM pairs pr
    JOIN hub_models m ON m.repo_id = pr.repo_id AND m.removed_at IS NULL
    CROSS JOIN runtime_profiles p
    LEFT JOIN real r ON r.repo_id = pr.repo_id AND r.quant = pr.quant
    LEFT JOIN quant_size_estimates se ON se.repo_id = pr.repo_id AND se.quant = pr.quant
    LEFT JOIN quant_bits qb ON qb.quant = pr.quant
    LEFT JOIN model_shapes s ON s.repo_id = pr.repo_id
    LEFT JOIN model_kv_parts kv ON kv.repo_id = pr.repo_id AND kv.profile = p.profile
), sized AS (
    SELECT c.*,
           CASE c.size_method WHEN 'file' THEN c.file_size_bytes
                              WHEN 'architecture' THEN c.arch_bytes
                              WHEN 'calibrated_bits' THEN weights_bytes(c.params_total, c.calibrated_bits)
                              ELSE weights_bytes(c.params_total, c.nominal_bits) END AS weights_bytes,
           CASE WHEN c.size_method = 'architecture' AND c.arch_approximate THEN 'architecture_approx'
                ELSE c.size_method END AS band_kind
    FROM chosen c
)
SELECT s.profile, s.is_default, s.repo_id, s.quant, s.gguf_repo_id, s.shard_files,
       CASE WHEN s.size_method = 'file' THEN 'gguf' ELSE 'estimate' END AS size_source,
       s.size_method,
       s.weights_bytes * 8.0 / nullif(s.params_total, 0) AS bits_per_weight,
       s.weights_bytes,
       CAST(band(s.weights_bytes, b.ratio_p10, s.size_method <> 'file') AS BIGINT) AS weights_low_bytes,
       CAST(band(s.weights_bytes, b.ratio_p90, s.size_method <> 'file') AS BIGINT) AS weights_high_bytes,
       CASE WHEN s.embeddings_on_host THEN least(coalesce(s.arch_host_bytes, 0), s.weights_bytes) ELSE 0 END
           AS host_weights_bytes,
       s.quality, s.ladder, s.sort_order,
       s.params_total, s.params_active, s.context_length, s.vocab_size, s.n_embd, s.n_head, s.heads_per_kv,
       s.layers, s.moe_layers,
       s.parts, s.kv_method, s.kv_type,
       s.overhead_bytes, s.compute_buffer, s.flash_attention, s.compute_out_rows, s.compute_attn_rows,
       s.n_ubatch, s.kv_pad, s.device_reserve_bytes, s.speed_method, s.simple_efficiency, s.multi_gpu_hop_s,
       s.recommended_factor, s.runs_great_factor
FROM sized s
LEFT JOIN estimate_bands b ON b.profile = s.profile AND b.figure = 'weights' AND b.backend = 'any'
                          AND b.kind = s.band_kind
WHERE s.weights_bytes IS NOT NULL;
