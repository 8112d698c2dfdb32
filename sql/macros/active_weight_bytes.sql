-- Weight bytes one decoded token reads: all of a dense model; for an MoE the shared weights,
-- attention and the routed experts a token uses, i.e. the active share of the parameters.
CREATE OR REPLACE MACRO active_weight_bytes(weights_bytes, params_active, params_total) AS
    weights_bytes * least(1.0, coalesce(params_active / nullif(params_total, 0), 1.0));
