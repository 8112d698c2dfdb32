-- Effective bits per weight per quant: nominal (quant_types) and calibrated, the median over the
-- catalogue's own real builds of file bytes × 8 / parameters.
CREATE OR REPLACE VIEW quant_bits AS
WITH real AS (
    SELECT b.quant, median(b.file_size_bytes * 8.0 / m.params_total) AS bits, count(*) AS n
    FROM gguf_builds b JOIN hub_models m ON m.repo_id = b.repo_id
    WHERE b.canonical AND m.params_total > 0 AND m.removed_at IS NULL
    GROUP BY b.quant
)
SELECT q.quant, q.nominal_bits, r.bits AS calibrated_bits, coalesce(r.n, 0) AS calibration_builds,
       q.quality, q.ladder, q.sort_order
FROM quant_types q LEFT JOIN real r USING (quant);
