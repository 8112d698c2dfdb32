-- The shape the generic KV formula needs, from each model's latest config.json (raw_hub_responses):
-- layers, attention heads, KV heads, and the generic head size hidden_size / attention heads.
CREATE OR REPLACE VIEW model_shapes AS
WITH latest AS (
    SELECT repo_id, arg_max(payload, fetched_at) AS cfg
    FROM raw_hub_responses
    WHERE kind = 'config' AND payload IS NOT NULL
    GROUP BY repo_id
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
