-- Weights of a build that does not exist: parameters × effective bits per weight / 8.
CREATE OR REPLACE MACRO weights_bytes(params, bits_per_weight) AS
    CAST(round(params * bits_per_weight / 8) AS BIGINT);
