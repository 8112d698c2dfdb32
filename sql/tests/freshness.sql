-- Sources whose newest successful observation is older than 7 days (a broken nightly job
-- shows up here even while every single row still looks fine). Each row is a violation of the
-- whole catalogue (`quarantine` NULL: it blocks the release).
SELECT 'hub_models' AS table_name, 'hub' AS subject,
       'newest fetch ' || max(fetched_at)::VARCHAR AS detail, NULL::VARCHAR AS quarantine
FROM hub_models
HAVING max(fetched_at) < now() - INTERVAL 7 DAY
UNION ALL
SELECT 'devices_curated', 'devices', 'newest sync ' || max(updated_at)::VARCHAR, NULL
FROM devices_curated
HAVING max(updated_at) < now() - INTERVAL 7 DAY;
