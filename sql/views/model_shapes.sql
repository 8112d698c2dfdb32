-- The shape the estimates need, from the config.json the model's resolved row was built from
-- (hub_models.config_sha; a quarantined model keeps its last good one, not the newest fetched):
-- layers, attention heads, KV heads, the generic head size hidden_size / attention heads (the
-- generic KV formula), the vocabulary (compute buffer), and for decode speed the query heads per
-- cached K/V head (attention work at depth) and the MoE layers (from first_k_dense_replace on, every
-- decoder_sparse_step-th layer routes to experts).
CREATE OR REPLACE VIEW model_shapes AS
WITH latest AS (
    SELECT r.repo_id, arg_max(r.payload, r.fetched_at) AS cfg
    FROM raw_hub_responses r JOIN hub_models m ON m.repo_id = r.repo_id AND m.config_sha = r.repo_sha
    WHERE r.kind = 'config' AND r.payload IS NOT NULL
    GROUP BY r.repo_id
), fields AS (
    SELECT repo_id,
           TRY_CAST(coalesce(cfg->'text_config'->>'num_hidden_layers', cfg->>'num_hidden_layers') AS INTEGER) AS layers,
           TRY_CAST(coalesce(cfg->'text_config'->>'num_attention_heads', cfg->>'num_attention_heads') AS INTEGER) AS heads,
           TRY_CAST(coalesce(cfg->'text_config'->>'num_key_value_heads', cfg->>'num_key_value_heads') AS INTEGER) AS kv_heads,
           TRY_CAST(coalesce(cfg->'text_config'->>'hidden_size', cfg->>'hidden_size') AS BIGINT) AS hidden_size,
           TRY_CAST(coalesce(cfg->'text_config'->>'vocab_size', cfg->>'vocab_size') AS BIGINT) AS vocab_size,
           TRY_CAST(coalesce(cfg->'text_config'->>'kv_lora_rank', cfg->>'kv_lora_rank') AS INTEGER) AS kv_lora_rank,
           TRY_CAST(coalesce(cfg->'text_config'->>'n_routed_experts', cfg->>'n_routed_experts',
                             cfg->'text_config'->>'num_experts', cfg->>'num_experts',
                             cfg->'text_config'->>'num_local_experts', cfg->>'num_local_experts') AS INTEGER) AS experts,
           coalesce(TRY_CAST(coalesce(cfg->'text_config'->>'first_k_dense_replace',
                                      cfg->>'first_k_dense_replace') AS INTEGER), 0) AS first_dense,
           greatest(1, coalesce(TRY_CAST(coalesce(cfg->'text_config'->>'decoder_sparse_step',
                                                  cfg->>'decoder_sparse_step') AS INTEGER), 1)) AS sparse_step
    FROM latest
)
SELECT repo_id, layers, heads AS attention_heads, coalesce(kv_heads, heads) AS kv_heads, hidden_size,
       hidden_size // nullif(heads, 0) AS head_dim, vocab_size,
       -- query heads per cached K/V head (MLA caches one latent head for all of them)
       heads / nullif(CASE WHEN kv_lora_rank > 0 THEN 1 ELSE coalesce(kv_heads, heads) END, 0) AS heads_per_kv,
       CASE WHEN coalesce(experts, 0) > 1 AND layers > 0
            THEN greatest(0, layers // sparse_step - least(first_dense, layers) // sparse_step) ELSE 0 END AS moe_layers
FROM fields;
