-- The low or high end of an estimate's band: the estimate × a ratio percentile of measured ÷ estimated
-- (estimate_bands); a value that is not an estimate (a real file) has no band: low = high = value.
CREATE OR REPLACE MACRO band(value, ratio, estimated := true) AS
    CASE WHEN value IS NULL THEN NULL WHEN estimated THEN value * coalesce(ratio, 1) ELSE value END;
