-- Core of the estimates: per runtime profile × model × quant (every real canonical build, and
-- every quant_types entry as an estimate), the weights, KV parts and per-GPU fixed memory.
CREATE OR REPLACE VIEW model_quant_memory AS
WITH real AS (
    SELECT repo_id, quant, gguf_repo_id, file_size_bytes, shard_files FROM gguf_builds WHERE canonical
), pairs AS (
    SELECT repo_id, quant FROM real
    UNION
    SELECT m.repo_id, q.quant FROM hub_models m CROSS JOIN quant_types q WHERE m.removed_at IS NULL
), sized AS (
    SELECT p.profile, p.is_default, pr.repo_id, pr.quant, r.gguf_repo_id, r.shard_files,
           CASE WHEN r.file_size_bytes IS NOT NULL THEN 'gguf' ELSE 'estimate' END AS size_source,
           CASE WHEN r.file_size_bytes IS NOT NULL THEN r.file_size_bytes * 8.0 / nullif(m.params_total, 0)
                WHEN p.weights_bits_source = 'calibrated' THEN coalesce(qb.calibrated_bits, qb.nominal_bits)
                ELSE qb.nominal_bits END AS bits_per_weight,
           coalesce(r.file_size_bytes,
                    weights_bytes(m.params_total,
                                  CASE WHEN p.weights_bits_source = 'calibrated'
                                       THEN coalesce(qb.calibrated_bits, qb.nominal_bits)
                                       ELSE qb.nominal_bits END)) AS weights_bytes,
           qb.quality, coalesce(qb.ladder, false) AS ladder, qb.sort_order,
           m.params_total, m.params_active, m.context_length, m.vocab_size,
           kv.parts, kv.kv_method, kv.kv_type,
           p.overhead_bytes + compute_buffer_bytes(m.vocab_size, p.compute_buffer_base_bytes,
                                                   p.compute_buffer_bytes_per_vocab) AS per_gpu_fixed_bytes,
           p.device_reserve_bytes, p.speed_method, p.simple_efficiency, p.multi_gpu_hop_s,
           p.recommended_factor, p.runs_great_factor, p.kv_pad
    FROM pairs pr
    JOIN hub_models m ON m.repo_id = pr.repo_id AND m.removed_at IS NULL
    CROSS JOIN runtime_profiles p
    LEFT JOIN real r ON r.repo_id = pr.repo_id AND r.quant = pr.quant
    LEFT JOIN quant_bits qb ON qb.quant = pr.quant
    LEFT JOIN model_kv_parts kv ON kv.repo_id = pr.repo_id AND kv.profile = p.profile
)
SELECT * FROM sized WHERE weights_bytes IS NOT NULL;
