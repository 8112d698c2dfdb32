-- Decode-speed constants of the roofline model, per runtime profile and backend family:
--   seconds per token = bytes read per token / (bandwidth × efficiency) + per_token_s
-- Fitted by benchmarks/fit_calibration.py on ../shared/calibration (llama.cpp tg runs);
-- medians/p90s are that script's absolute percentage errors on the same rows.
CREATE TABLE speed_constants (
    profile             VARCHAR NOT NULL,
    backend             VARCHAR NOT NULL,     -- cuda | rocm | metal | vulkan | cpu
    efficiency          DOUBLE NOT NULL,      -- share of the marketed bandwidth decode achieves
    per_token_s         DOUBLE NOT NULL,      -- fixed cost per token (kernel launches, sync, sampling)
    n_runs              INTEGER NOT NULL,
    median_abs_err_pct  DOUBLE,
    p90_abs_err_pct     DOUBLE,
    method              VARCHAR NOT NULL,
    source              VARCHAR NOT NULL,
    fitted_on           DATE NOT NULL,
    PRIMARY KEY (profile, backend)
);

INSERT INTO speed_constants VALUES
    ('llama.cpp', 'cuda',   0.8397, 0.001399,  31,  9.8, 34.8, 'wls fit, t0 >= 0, eff <= 1',
     'benchmarks/fit_calibration.py on llamacpp_gpu_and_m2ultra.csv (llama.cpp #15013 CUDA scoreboard); data sha256[:16] 22fdb9d50587e256', DATE '2026-11-28'),
    ('llama.cpp', 'metal',  0.9443, 0.005964, 109,  5.4, 26.2, 'wls fit, t0 >= 0, eff <= 1',
     'benchmarks/fit_calibration.py on llamacpp_apple_silicon.csv (#4167) + M2 Ultra bench rows; data sha256[:16] 22fdb9d50587e256', DATE '2026-11-28'),
    ('llama.cpp', 'rocm',   1.0000, 0.004289,  10, 18.1, 28.7, 'wls fit, eff clamped at 1, t0 refitted',
     'benchmarks/fit_calibration.py on llamacpp_gpu_and_m2ultra.csv (llama.cpp #15021 ROCm scoreboard); data sha256[:16] 22fdb9d50587e256', DATE '2026-11-28'),
    ('llama.cpp', 'vulkan', 0.8561, 0.001048,  12,  8.2, 29.0, 'wls fit, t0 >= 0, eff <= 1',
     'benchmarks/fit_calibration.py on llamacpp_gpu_and_m2ultra.csv (llama.cpp #10879 Vulkan scoreboard); data sha256[:16] 22fdb9d50587e256', DATE '2026-11-28'),
    ('llama.cpp', 'cpu',    0.6000, 0.002000,   0, NULL, NULL, 'assumption',
     'no CPU runs in the calibration data: assumed, not fitted (docs/methodology.md)', DATE '2026-11-28');
