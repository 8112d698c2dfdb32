-- devices: one row per purchasable device variant. Memory and bandwidth are per GPU;
-- systems add gpu_count (fitting across GPUs is the estimator's job). Decimal GB (1e9)
-- for display; bytes are the truth. Columns documented in docs/devices.md.
-- popularity: a survey share where one exists, else the segment's ordering default;
-- popularity_rank 1 = most common, for "which consumer GPUs" lists. Ties (memory variants one
-- survey entry covers, unsurveyed devices of a segment): more memory, then newer, then id.
CREATE OR REPLACE VIEW devices AS
SELECT
    d.device_id,
    d.vendor,
    d.name,
    d.kind,
    d.segment,
    device_class(d.kind, d.unified, d.segment)              AS device_class,
    d.backend,
    d.gpu_count,
    d.memory_gb,
    d.memory_bytes,
    round(d.memory_bytes / 1e9, 2)                          AS memory_decimal_gb,
    d.memory_type,
    d.unified,
    d.gpu_share,
    d.reserve_bytes,
    d.usable_memory_bytes,
    round(d.usable_memory_bytes / 1e9, 2)                   AS usable_memory_gb,
    d.memory_bytes * d.gpu_count                            AS total_memory_bytes,
    d.bandwidth_gbps,
    d.interconnect,
    d.fp16_tflops_dense,
    d.launch_date,
    d.source_url,
    d.confidence,
    d.origin,
    d.reviewed,
    greatest(d.memory_verified_at, d.bandwidth_verified_at, d.fp16_verified_at) AS verified_at,
    d.memory_verified_at,
    d.bandwidth_verified_at,
    d.fp16_verified_at,
    (SELECT count(*) FROM device_conflicts c
      WHERE c.device_id = d.device_id AND c.status = 'open')  AS open_conflicts,
    d.notes,
    coalesce(p.share_pct, pd.share_pct, 0)                  AS popularity,
    CASE WHEN p.share_pct IS NOT NULL THEN 'survey' ELSE 'segment-default' END AS popularity_source,
    p.survey_date                                           AS popularity_survey_date,
    p.source_url                                            AS popularity_source_url,
    row_number() OVER (ORDER BY coalesce(p.share_pct, pd.share_pct, 0) DESC,
                       d.memory_bytes DESC, d.launch_date DESC NULLS LAST,
                       d.device_id)                         AS popularity_rank
FROM devices_curated d
LEFT JOIN device_popularity p USING (device_id)
LEFT JOIN device_popularity_defaults pd ON pd.segment = d.segment;
