-- Calibrated bits per weight as published, per quant. The live value (the median over the
-- catalogue's real builds, view quant_bits) moves a little whenever one build is added anywhere;
-- every estimated size of that quant, in every model, would follow. It is stored here and moved
-- only when the live value drifts by more than a tolerance (catalog/calibration.py), so estimates
-- stay put from night to night and an unchanged model's page is not rebuilt for a rounding wobble.
CREATE TABLE quant_calibration (
    quant               VARCHAR PRIMARY KEY,
    calibrated_bits     DOUBLE NOT NULL,     -- the live median when it was stored
    calibration_builds  INTEGER NOT NULL,    -- real builds it was the median of
    updated_at          TIMESTAMPTZ NOT NULL,
    run_id              VARCHAR
);
