-- Error bands (issue #18): 10th / 50th / 90th percentile of measured ÷ estimated, per figure,
-- backend and kind, from catalog/calibration/fit.py (`--sql`); method of each row in its own
-- column, documented in docs/methodology.md ("Error bands"). Decode speed: held-out
-- (leave-one-source-out) estimates; weights: real GGUF sizes; compute buffer: allocator logs.
INSERT INTO estimate_bands VALUES ('llama.cpp', 'decode_tok_s', 'any', 'dense', 0.7129, 0.9618, 1.1537, 249,
    'leave-one-source-out', 'catalog/calibration/fit.py on calibration/ (data sha256[:16] e4ebd497e7dfeaf9)', DATE '2026-12-07');
INSERT INTO estimate_bands VALUES ('llama.cpp', 'decode_tok_s', 'any', 'moe', 0.6722, 0.9245, 1.0869, 33,
    'leave-one-source-out', 'catalog/calibration/fit.py on calibration/ (data sha256[:16] e4ebd497e7dfeaf9)', DATE '2026-12-07');
INSERT INTO estimate_bands VALUES ('llama.cpp', 'decode_tok_s', 'cuda', 'dense', 0.8597, 1.0866, 1.2188, 38,
    'leave-one-source-out', 'catalog/calibration/fit.py on calibration/ (data sha256[:16] e4ebd497e7dfeaf9)', DATE '2026-12-07');
INSERT INTO estimate_bands VALUES ('llama.cpp', 'decode_tok_s', 'metal', 'dense', 0.7834, 0.9523, 1.1227, 114,
    'leave-one-source-out', 'catalog/calibration/fit.py on calibration/ (data sha256[:16] e4ebd497e7dfeaf9)', DATE '2026-12-07');
INSERT INTO estimate_bands VALUES ('llama.cpp', 'decode_tok_s', 'metal', 'moe', 0.6414, 0.9486, 1.0104, 22,
    'leave-one-source-out', 'catalog/calibration/fit.py on calibration/ (data sha256[:16] e4ebd497e7dfeaf9)', DATE '2026-12-07');
INSERT INTO estimate_bands VALUES ('llama.cpp', 'decode_tok_s', 'rocm', 'dense', 0.5666, 0.8191, 1.0277, 10,
    'leave-one-source-out', 'catalog/calibration/fit.py on calibration/ (data sha256[:16] e4ebd497e7dfeaf9)', DATE '2026-12-07');
INSERT INTO estimate_bands VALUES ('llama.cpp', 'decode_tok_s', 'vulkan', 'dense', 0.6605, 0.9657, 1.1618, 87,
    'leave-one-source-out', 'catalog/calibration/fit.py on calibration/ (data sha256[:16] e4ebd497e7dfeaf9)', DATE '2026-12-07');
INSERT INTO estimate_bands VALUES ('llama.cpp', 'decode_tok_s', 'vulkan', 'moe', 0.6999, 0.9656, 1.1465, 10,
    'leave-one-source-out', 'catalog/calibration/fit.py on calibration/ (data sha256[:16] e4ebd497e7dfeaf9)', DATE '2026-12-07');
INSERT INTO estimate_bands VALUES ('simple', 'decode_tok_s', 'any', 'dense', 0.8368, 1.361, 1.5927, 249,
    'spread over every run (the seed method fits nothing)', 'catalog/calibration/fit.py on calibration/ (data sha256[:16] e4ebd497e7dfeaf9)', DATE '2026-12-07');
INSERT INTO estimate_bands VALUES ('simple', 'decode_tok_s', 'any', 'moe', 3.2259, 5.0455, 10.5342, 33,
    'spread over every run (the seed method fits nothing)', 'catalog/calibration/fit.py on calibration/ (data sha256[:16] e4ebd497e7dfeaf9)', DATE '2026-12-07');
INSERT INTO estimate_bands VALUES ('llama.cpp', 'weights', 'any', 'architecture', 0.9999, 1.0011, 1.0051, 38,
    'real ÷ estimate over calibration/gguf_sizes.csv', 'catalog/calibration/fit.py on calibration/ (data sha256[:16] e4ebd497e7dfeaf9)', DATE '2026-12-07');
INSERT INTO estimate_bands VALUES ('llama.cpp', 'weights', 'any', 'calibrated_bits', 0.8036, 0.9957, 1.3328, 26,
    'real ÷ estimate, leave-one-model-out median bits', 'catalog/calibration/fit.py on calibration/ (data sha256[:16] e4ebd497e7dfeaf9)', DATE '2026-12-07');
INSERT INTO estimate_bands VALUES ('llama.cpp', 'weights', 'any', 'nominal_bits', 0.9983, 1.0279, 1.3373, 38,
    'real ÷ parameters × nominal bits (quant_types)', 'catalog/calibration/fit.py on calibration/ (data sha256[:16] e4ebd497e7dfeaf9)', DATE '2026-12-07');
INSERT INTO estimate_bands VALUES ('simple', 'weights', 'any', 'nominal_bits', 0.9983, 1.0279, 1.3373, 38,
    'real ÷ parameters × nominal bits (quant_types)', 'catalog/calibration/fit.py on calibration/ (data sha256[:16] e4ebd497e7dfeaf9)', DATE '2026-12-07');
INSERT INTO estimate_bands VALUES ('llama.cpp', 'weights', 'any', 'architecture_approx', 0.9626, 1.0, 1.0634, 3,
    'neighbouring llama.cpp recipes (Q4_K_S..Q4_K_L around Q4_K_M, ...) as a share of the nearest', 'catalog/calibration/fit.py on calibration/ (data sha256[:16] e4ebd497e7dfeaf9)', DATE '2026-12-07');
INSERT INTO estimate_bands VALUES ('llama.cpp', 'compute_buffer', 'any', 'any', 0.9997, 1.0675, 1.1149, 4,
    'measured ÷ estimated over calibration/memory_logs.csv', 'catalog/calibration/fit.py on calibration/ (data sha256[:16] e4ebd497e7dfeaf9)', DATE '2026-12-07');
