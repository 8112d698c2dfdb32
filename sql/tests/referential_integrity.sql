-- Rows pointing at something that is not there. Each row returned is a violation; `quarantine`
-- as in value_ranges.sql.
SELECT 'hub_gguf_files' AS table_name, f.gguf_repo_id || '/' || f.path AS subject,
       'base model ' || f.base_repo_id || ' not in hub_models' AS detail,
       'model:' || f.base_repo_id AS quarantine
FROM hub_gguf_files f ANTI JOIN hub_models m ON m.repo_id = f.base_repo_id
UNION ALL
SELECT 'attention_components', a.repo_id, 'model not in hub_models', 'model:' || a.repo_id
FROM attention_components a ANTI JOIN hub_models m ON m.repo_id = a.repo_id
UNION ALL
SELECT 'hub_gguf_files', gguf_repo_id || '/' || path,
       'shard ' || shard::VARCHAR || ' of ' || shard_count::VARCHAR, 'model:' || base_repo_id
FROM hub_gguf_files
WHERE shard < 1 OR shard > shard_count;
