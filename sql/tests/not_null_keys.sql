-- Keys and provenance every row must have. Each row returned is a violation; `quarantine` as in
-- value_ranges.sql (a row without its key cannot be traced to a subject: catalogue-wide).
SELECT 'hub_models' AS table_name, coalesce(repo_id, '?') AS subject, 'null key or provenance' AS detail,
       'model:' || repo_id AS quarantine
FROM hub_models
WHERE repo_id IS NULL OR sha IS NULL OR source_url IS NULL OR fetched_at IS NULL OR run_id IS NULL
UNION ALL
SELECT 'hub_gguf_files', coalesce(gguf_repo_id, '?') || '/' || coalesce(path, '?'), 'null key or provenance',
       'model:' || base_repo_id
FROM hub_gguf_files
WHERE gguf_repo_id IS NULL OR base_repo_id IS NULL OR path IS NULL OR size_bytes IS NULL
   OR source_url IS NULL OR fetched_at IS NULL
UNION ALL
SELECT 'devices', coalesce(device_id, '?'), 'null key or source_url', 'device:' || device_id
FROM devices
WHERE device_id IS NULL OR source_url IS NULL OR memory_bytes IS NULL;
