-- One row per tracked base model still on the Hub (removed repos drop out).
--   publisher       the repo owner; family / name parsed from the repo name (docs/hub.md)
--   params_total    chosen parameter count; params_source says which candidate won
--                   (architecture | safetensors_raw | safetensors_unpacked | gguf);
--                   all candidates are in param_candidates; params_disagreement flags > 10 %
--   params_active   parameters read per token (MoE: shared + routed experts used)
--   release_date    the repo's creation date (the Hub has no release date field)
--   derivatives     GGUF derivative repos found (all publishers); canonical_gguf_repo_id the
--                   one the catalogue uses by default
CREATE OR REPLACE VIEW models AS
SELECT
    m.repo_id,
    m.author AS publisher,
    m.family,
    m.name,
    m.architecture,
    m.model_type,
    m.params_total,
    m.params_active,
    m.params_source,
    m.params_disagreement,
    m.context_length,
    m.vocab_size,
    m.hidden_size,
    m.n_layers,
    m.n_experts,
    m.n_experts_used,
    m.n_shared_experts,
    m.moe_intermediate_size,
    CAST(m.created_at AS DATE) AS release_date,
    m.license,
    m.gated,
    m.downloads,
    m.likes,
    m.trending_score,
    m.base_model,
    m.children_count,
    (SELECT count(*) FROM hub_gguf_repos g
      WHERE g.base_repo_id = m.repo_id AND g.removed_at IS NULL) AS derivatives,
    (SELECT min(g.gguf_repo_id) FROM hub_gguf_repos g
      WHERE g.base_repo_id = m.repo_id AND g.removed_at IS NULL AND g.is_canonical) AS canonical_gguf_repo_id,
    'https://huggingface.co/' || m.repo_id AS hf_url,
    m.sha,
    m.last_modified,
    m.fetched_at
FROM hub_models m
WHERE m.removed_at IS NULL;
