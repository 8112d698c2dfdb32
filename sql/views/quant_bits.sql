-- Effective bits per weight per quant: nominal (quant_types) and calibrated, and how the size
-- estimate from the architecture compares with the catalogue's real builds (the check).
--   calibrated_bits  the stored calibration (quant_calibration, moved only past a tolerance by
--                    catalog/calibration), or the live median when none is stored yet; it sizes only
--                    models whose config.json cannot be counted
--   live_bits        the median over the catalogue's own real builds of file bytes × 8 / parameters
--   arch_ratio       median of real file bytes ÷ the architecture estimate (quant_size_estimates) over
--                    the real builds that have one (arch_builds): 1.0 when the per-tensor rules hold
CREATE OR REPLACE VIEW quant_bits AS
WITH builds AS (
    SELECT b.quant, b.file_size_bytes, m.params_total, se.file_bytes AS arch_bytes
    FROM gguf_builds b
    JOIN hub_models m ON m.repo_id = b.repo_id
    LEFT JOIN quant_size_estimates se ON se.repo_id = b.repo_id AND se.quant = b.quant
    WHERE b.canonical AND m.params_total > 0 AND m.removed_at IS NULL
), real AS (
    SELECT quant, median(file_size_bytes * 8.0 / params_total) AS bits, count(*) AS n,
           median(file_size_bytes / arch_bytes) AS arch_ratio, count(arch_bytes) AS arch_builds
    FROM builds
    GROUP BY quant
)
SELECT q.quant, q.nominal_bits, coalesce(c.calibrated_bits, r.bits) AS calibrated_bits,
       CASE WHEN c.quant IS NOT NULL THEN c.calibration_builds ELSE coalesce(r.n, 0) END AS calibration_builds,
       r.bits AS live_bits, coalesce(r.n, 0) AS live_builds, c.updated_at AS calibrated_at,
       q.quality, q.ladder, q.sort_order,
       r.arch_ratio, coalesce(r.arch_builds, 0) AS arch_builds
FROM quant_types q
LEFT JOIN real r USING (quant)
LEFT JOIN quant_calibration c USING (quant);
