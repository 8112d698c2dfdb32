-- Effective bits per weight per quant: nominal (quant_types) and calibrated. calibrated_bits is the
-- stored calibration (quant_calibration, moved only past a tolerance by catalog/calibration.py),
-- or the live median when none is stored yet; live_bits is the median over the catalogue's own
-- real builds of file bytes × 8 / parameters, as of now.
CREATE OR REPLACE VIEW quant_bits AS
WITH real AS (
    SELECT b.quant, median(b.file_size_bytes * 8.0 / m.params_total) AS bits, count(*) AS n
    FROM gguf_builds b JOIN hub_models m ON m.repo_id = b.repo_id
    WHERE b.canonical AND m.params_total > 0 AND m.removed_at IS NULL
    GROUP BY b.quant
)
SELECT q.quant, q.nominal_bits, coalesce(c.calibrated_bits, r.bits) AS calibrated_bits,
       CASE WHEN c.quant IS NOT NULL THEN c.calibration_builds ELSE coalesce(r.n, 0) END AS calibration_builds,
       r.bits AS live_bits, coalesce(r.n, 0) AS live_builds, c.updated_at AS calibrated_at,
       q.quality, q.ladder, q.sort_order
FROM quant_types q
LEFT JOIN real r USING (quant)
LEFT JOIN quant_calibration c USING (quant);
