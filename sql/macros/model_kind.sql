-- dense | moe: which error band a model's speed estimate takes (estimate_bands.kind). An MoE routes a
-- token through some experts only: moe layers, or fewer than 90 % of its parameters active.
CREATE OR REPLACE MACRO model_kind(moe_layers, params_active, params_total) AS
    CASE WHEN moe_layers > 0 OR params_active < 0.9 * params_total THEN 'moe' ELSE 'dense' END;
