-- Per model and runtime profile: the KV parts the macros run on, and how they were obtained.
--   by_kind           attention_components (profile kv_method 'by_kind')
--   generic           the generic formula on config.json's shape (profile kv_method 'generic')
--   generic_fallback  by_kind wanted, no attention rows: generic formula, flagged
--   by_kind_fallback  generic wanted, no config shape: attention rows used, flagged
CREATE OR REPLACE VIEW model_kv_parts AS
WITH comp AS (
    SELECT p.profile, a.repo_id,
           list(kv_part(a.kind, a.layer_count, a.kv_heads, a.key_length, a.value_length, a.window_tokens,
                        a.compress_ratio, a.state_bytes, p.default_kv_type, p.n_ubatch, p.kv_pad)) AS parts
    FROM attention_components a CROSS JOIN runtime_profiles p
    GROUP BY p.profile, a.repo_id
), gen AS (
    SELECT p.profile, s.repo_id, kv_generic_parts(s.layers, s.kv_heads, s.head_dim, p.default_kv_type) AS parts
    FROM model_shapes s CROSS JOIN runtime_profiles p
    WHERE s.layers > 0 AND s.kv_heads > 0 AND s.head_dim > 0
)
SELECT m.repo_id, p.profile, p.default_kv_type AS kv_type,
       CASE WHEN p.kv_method = 'by_kind' THEN coalesce(c.parts, g.parts) ELSE coalesce(g.parts, c.parts) END AS parts,
       CASE
           WHEN p.kv_method = 'by_kind' AND c.parts IS NOT NULL
               THEN CASE WHEN list_bool_or(list_transform(c.parts, lambda x: x.fallback)) THEN 'by_kind_partial_fallback' ELSE 'by_kind' END
           WHEN p.kv_method = 'by_kind' AND g.parts IS NOT NULL THEN 'generic_fallback'
           WHEN p.kv_method = 'generic' AND g.parts IS NOT NULL THEN 'generic'
           WHEN p.kv_method = 'generic' AND c.parts IS NOT NULL THEN 'by_kind_fallback'
           ELSE 'unknown'
       END AS kv_method
FROM hub_models m
CROSS JOIN runtime_profiles p
LEFT JOIN comp c ON c.repo_id = m.repo_id AND c.profile = p.profile
LEFT JOIN gen g ON g.repo_id = m.repo_id AND g.profile = p.profile
WHERE m.removed_at IS NULL;
