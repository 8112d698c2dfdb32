-- Decode-speed constants of the estimates v2 speed model (issue #18), per backend, profile llama.cpp.
-- Fitted by catalog/calibration/fit.py (`python -m catalog.calibration.fit --sql` prints these
-- statements) on the public llama.cpp runs in calibration/decode_runs.csv; the errors are the
-- leave-one-source-out absolute % errors of decode tok/s on that backend's runs (docs/methodology.md).
-- The cpu row stays an assumption: there are no CPU runs in the calibration data.
UPDATE speed_constants SET efficiency = 0.8599, per_token_s = 0.000000,
    per_layer_s = 0.0000499, per_moe_layer_s = 0.0000809,
    attention_factor = 0.2095, compute_factor = 0.1361,
    n_runs = 39, median_abs_err_pct = 16.7, p90_abs_err_pct = 23.7,
    method = 'weighted NNLS on 1/tok_s: bandwidth/eff + per-token (per backend) + per-layer + per-MoE-layer (per backend with enough MoE runs) + attention at depth + compute (shared); errors leave-one-source-out',
    source = 'catalog/calibration/fit.py on calibration/ (data sha256[:16] e4ebd497e7dfeaf9)', fitted_on = DATE '2026-12-07'
WHERE profile = 'llama.cpp' AND backend = 'cuda';
UPDATE speed_constants SET efficiency = 0.8666, per_token_s = 0.001812,
    per_layer_s = 0.0000499, per_moe_layer_s = 0.0001070,
    attention_factor = 0.2095, compute_factor = 0.1361,
    n_runs = 136, median_abs_err_pct = 9.4, p90_abs_err_pct = 56.0,
    method = 'weighted NNLS on 1/tok_s: bandwidth/eff + per-token (per backend) + per-layer + per-MoE-layer (per backend with enough MoE runs) + attention at depth + compute (shared); errors leave-one-source-out',
    source = 'catalog/calibration/fit.py on calibration/ (data sha256[:16] e4ebd497e7dfeaf9)', fitted_on = DATE '2026-12-07'
WHERE profile = 'llama.cpp' AND backend = 'metal';
UPDATE speed_constants SET efficiency = 1.0000, per_token_s = 0.002768,
    per_layer_s = 0.0000499, per_moe_layer_s = 0.0000809,
    attention_factor = 0.2095, compute_factor = 0.1361,
    n_runs = 10, median_abs_err_pct = 22.1, p90_abs_err_pct = 76.5,
    method = 'weighted NNLS on 1/tok_s: bandwidth/eff + per-token (per backend) + per-layer + per-MoE-layer (per backend with enough MoE runs) + attention at depth + compute (shared); errors leave-one-source-out',
    source = 'catalog/calibration/fit.py on calibration/ (data sha256[:16] e4ebd497e7dfeaf9)', fitted_on = DATE '2026-12-07'
WHERE profile = 'llama.cpp' AND backend = 'rocm';
UPDATE speed_constants SET efficiency = 0.8438, per_token_s = 0.000152,
    per_layer_s = 0.0000499, per_moe_layer_s = 0.0000319,
    attention_factor = 0.2095, compute_factor = 0.1361,
    n_runs = 97, median_abs_err_pct = 11.1, p90_abs_err_pct = 51.4,
    method = 'weighted NNLS on 1/tok_s: bandwidth/eff + per-token (per backend) + per-layer + per-MoE-layer (per backend with enough MoE runs) + attention at depth + compute (shared); errors leave-one-source-out',
    source = 'catalog/calibration/fit.py on calibration/ (data sha256[:16] e4ebd497e7dfeaf9)', fitted_on = DATE '2026-12-07'
WHERE profile = 'llama.cpp' AND backend = 'vulkan';
