-- Keys and provenance every row must have. Each row returned is a violation.
SELECT 'hub_models' AS table_name, coalesce(repo_id, '?') AS subject, 'null key or provenance' AS detail
FROM hub_models
WHERE repo_id IS NULL OR sha IS NULL OR source_url IS NULL OR fetched_at IS NULL OR run_id IS NULL
UNION ALL
SELECT 'hub_gguf_files', coalesce(gguf_repo_id, '?') || '/' || coalesce(path, '?'), 'null key or provenance'
FROM hub_gguf_files
WHERE gguf_repo_id IS NULL OR base_repo_id IS NULL OR path IS NULL OR size_bytes IS NULL
   OR source_url IS NULL OR fetched_at IS NULL
UNION ALL
SELECT 'devices', coalesce(device_id, '?'), 'null key or source_url'
FROM devices
WHERE device_id IS NULL OR source_url IS NULL OR memory_bytes IS NULL;
