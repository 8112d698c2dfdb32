-- One row per GGUF build whose header was read (latest commit read per build path):
-- what the file really is (parameters, effective bits per weight, type mix) and what
-- reading its header cost. Sizes in decimal GB (1e9).
CREATE OR REPLACE VIEW gguf_header_facts AS
WITH latest AS (
    SELECT *, row_number() OVER (PARTITION BY gguf_repo_id, path ORDER BY fetched_at DESC) AS rn
    FROM gguf_headers
), mix AS (
    SELECT gguf_repo_id, repo_sha, path,
           string_agg(ggml_type || ':' || n_tensors, ', ' ORDER BY n_bytes DESC) AS type_mix
    FROM gguf_tensor_types
    GROUP BY ALL
)
SELECT
    l.base_repo_id,
    l.gguf_repo_id,
    l.path,
    l.repo_sha,
    l.shard_count,
    l.architecture,
    l.file_type_label,
    l.params,
    round(l.file_bytes / 1e9, 3)          AS file_gb,
    round(l.bits_per_weight, 3)           AS bits_per_weight,
    round(l.bits_per_weight_tensors, 3)   AS bits_per_weight_tensors,
    round(l.bpw_embeddings, 3)            AS bpw_embeddings,
    round(l.bpw_output, 3)                AS bpw_output,
    round(l.bpw_repeating, 3)             AS bpw_repeating,
    m.type_mix,
    l.context_length,
    l.block_count,
    l.head_count_kv,
    l.key_length,
    l.value_length,
    l.kv_lora_rank,
    l.sliding_window,
    l.expert_count,
    l.expert_used_count,
    l.vocab_size,
    l.data_offset                         AS header_bytes,
    l.bytes_read,
    l.requests,
    l.fetched_at,
    l.run_id
FROM latest AS l
LEFT JOIN mix AS m USING (gguf_repo_id, repo_sha, path)
WHERE l.rn = 1;
