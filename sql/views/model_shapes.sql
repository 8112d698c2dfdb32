-- The shape the generic KV formula needs, from the config.json the model's resolved row was
-- built from (hub_models.config_sha; a quarantined model keeps its last good one, not the newest
-- fetched): layers, attention heads, KV heads, and the generic head size hidden_size / heads.
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
           TRY_CAST(coalesce(cfg->'text_config'->>'hidden_size', cfg->>'hidden_size') AS BIGINT) AS hidden_size
    FROM latest
)
SELECT repo_id, layers, heads AS attention_heads, coalesce(kv_heads, heads) AS kv_heads, hidden_size,
       hidden_size // nullif(heads, 0) AS head_dim
FROM fields;
