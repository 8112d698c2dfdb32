-- Values outside what any real model, file or device has. Each row returned is a violation;
-- `quarantine` names the subject whose last good rows replace it ('model:<repo_id>',
-- 'device:<device_id>'), NULL for a catalogue-wide problem that blocks the release.
SELECT 'hub_models' AS table_name, repo_id AS subject,
       'params_total ' || params_total::VARCHAR || ' outside 1e6..1e13' AS detail,
       'model:' || repo_id AS quarantine
FROM hub_models
WHERE params_total IS NOT NULL AND (params_total < 1e6 OR params_total > 1e13)
UNION ALL
SELECT 'hub_models', repo_id, 'params_active ' || params_active::VARCHAR || ' > params_total',
       'model:' || repo_id
FROM hub_models
WHERE params_active > params_total
UNION ALL
SELECT 'hub_models', repo_id, 'context_length ' || context_length::VARCHAR || ' outside 128..100M',
       'model:' || repo_id
FROM hub_models
WHERE context_length IS NOT NULL AND (context_length < 128 OR context_length > 100000000)
UNION ALL
SELECT 'hub_gguf_files', gguf_repo_id || '/' || path, 'size_bytes ' || size_bytes::VARCHAR || ' outside 1..5e12',
       'model:' || base_repo_id
FROM hub_gguf_files
WHERE size_bytes < 1 OR size_bytes > 5e12
UNION ALL
SELECT 'devices', device_id, 'memory_bytes ' || memory_bytes::VARCHAR || ' outside 1 GiB..2 TiB per GPU',
       'device:' || device_id
FROM devices
WHERE memory_bytes < 2^30 OR memory_bytes > 2^41
UNION ALL
SELECT 'devices', device_id, 'bandwidth_gbps ' || bandwidth_gbps::VARCHAR || ' outside 10..50000',
       'device:' || device_id
FROM devices
WHERE bandwidth_gbps IS NOT NULL AND (bandwidth_gbps < 10 OR bandwidth_gbps > 50000)
UNION ALL
SELECT 'devices', device_id, 'usable memory exceeds memory', 'device:' || device_id
FROM devices
WHERE usable_memory_bytes > memory_bytes OR usable_memory_bytes <= 0;
