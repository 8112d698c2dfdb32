-- Estimates (issue #6): the runtime profiles and quant types the estimate macros run on.
-- Documented in docs/methodology.md; every constant carries its source.

-- How a runtime spends memory and time. One row per profile; exactly one is the default.
--   kv_method            'by_kind' (attention_components, llama.cpp's cache layout) or
--                        'generic' (2 × layers × kv_heads × hidden/heads × bytes × ctx, every layer)
--   weights_bits_source  for builds that do not exist: 'calibrated' (median of the catalogue's own
--                        real files, falling back to nominal) or 'nominal' (quant_types.nominal_bits)
--   overhead_bytes       fixed runtime memory per GPU (framework, output buffers)
--   compute_buffer_*     per GPU: base + vocab_size × per_vocab (f32 logits of one ubatch)
--   device_reserve_bytes memory the runtime leaves free on each GPU, on top of the device's
--                        own reserve (devices.usable_memory_bytes already removed driver/OS share)
--   speed_method         'simple' (bandwidth / VRAM × simple_efficiency) or 'roofline'
--                        (bytes read per token / (bandwidth × efficiency) + per-token cost,
--                        constants from speed_constants per backend)
CREATE TABLE runtime_profiles (
    profile                         VARCHAR PRIMARY KEY,
    is_default                      BOOLEAN NOT NULL,
    description                     VARCHAR NOT NULL,
    kv_method                       VARCHAR NOT NULL,
    weights_bits_source             VARCHAR NOT NULL,
    overhead_bytes                  BIGINT NOT NULL,
    compute_buffer_base_bytes       BIGINT NOT NULL,
    compute_buffer_bytes_per_vocab  BIGINT NOT NULL,
    device_reserve_bytes            BIGINT NOT NULL,
    default_kv_type                 VARCHAR NOT NULL,
    n_ubatch                        INTEGER NOT NULL,
    kv_pad                          INTEGER NOT NULL,
    speed_method                    VARCHAR NOT NULL,
    simple_efficiency               DOUBLE,
    multi_gpu_hop_s                 DOUBLE NOT NULL,   -- per extra GPU per token (layer split)
    recommended_factor              DOUBLE NOT NULL,   -- recommended_gb = factor × vram_gb
    runs_great_factor               DOUBLE NOT NULL,   -- runs_great when usable ≥ factor × needed
    source                          VARCHAR NOT NULL,
    CHECK (kv_method IN ('by_kind', 'generic')),
    CHECK (weights_bits_source IN ('calibrated', 'nominal')),
    CHECK (speed_method IN ('simple', 'roofline')),
    CHECK (default_kv_type IN ('f16', 'q8_0', 'q4_0'))
);

INSERT INTO runtime_profiles VALUES
    ('llama.cpp', true,
     'llama.cpp defaults: KV cache by attention kind (f16, n_ubatch 512, cells padded to 256), '
     || 'compute buffer per GPU, 1 GiB left free per GPU (--fit), roofline decode speed fitted per backend',
     'by_kind', 'calibrated',
     0,                     -- driver/context memory is in devices.reserve_bytes, not repeated here
     324534272,             -- 560 MiB measured (Llama-3.1-8B, CUDA, FA off) − 128,256 × 2,048 B logits
     2048,                  -- n_ubatch 512 × 4 bytes of f32 logits per vocabulary entry
     1073741824,            -- llama.cpp --fit target: 1 GiB free per device
     'f16', 512, 256, 'roofline', NULL,
     0.0002,                -- 0.2 ms per extra GPU per token: assumption, no multi-GPU calibration data
     1.3, 1.3,
     'llama.cpp src/llama-kv-cache*.cpp, common/arg.cpp (n_ubatch 512, --fit 1024 MiB); '
     || 'shared/calibration/llamacpp_memory_logs.csv (compute buffer); speed_constants (fit)'),
    ('simple', false,
     'The seed page''s method: weights + generic KV (every layer global, hidden/heads head size, f16) '
     || '+ 0.3 GB; tok/s = bandwidth / VRAM × 0.55. Kept to show how far the common method is off',
     'generic', 'nominal',
     300000000, 0, 0, 0,
     'f16', 512, 256, 'simple', 0.55, 0.0,
     1.3, 1.3,
     'shared/seed/deepseek-v4-flash-page.txt (VRAM = Weights + KV + ~0.3 GB; 5300 / 95.2 × 0.55)');

-- Quant labels: nominal bits (the seed page's figures where it shows them) and quality wording.
-- ladder = the quants the seed page lists; models without a real build get estimate rows for them.
CREATE TABLE quant_types (
    quant         VARCHAR PRIMARY KEY,
    nominal_bits  DOUBLE NOT NULL,
    quality       VARCHAR NOT NULL,
    ladder        BOOLEAN NOT NULL,
    sort_order    INTEGER NOT NULL,
    source        VARCHAR NOT NULL
);

INSERT INTO quant_types VALUES
    ('IQ1_S',   1.56, 'Importance-weighted 1-bit, experimental — severe quality loss', false, 10, 'llama.cpp quantize --help (Llama-3-8B)'),
    ('IQ1_M',   1.75, 'Importance-weighted 1-bit, medium — severe quality loss', false, 11, 'llama.cpp quantize --help (Llama-3-8B)'),
    ('IQ2_XXS', 2.20, 'Importance-weighted 2-bit, extreme compression — significant quality loss', true, 20, 'seed page'),
    ('IQ2_XS',  2.40, 'Importance-weighted 2-bit, extra small', true, 21, 'seed page'),
    ('IQ2_S',   2.50, 'Importance-weighted 2-bit, small', false, 22, 'llama.cpp quantize --help (Llama-3-8B)'),
    ('IQ2_M',   2.70, 'Importance-weighted 2-bit, medium', false, 23, 'llama.cpp quantize --help (Llama-3-8B)'),
    ('Q2_K',    3.40, '2-bit quantization with K-quant improvements', true, 24, 'seed page'),
    ('Q2_K_L',  3.60, '2-bit K-quant, embeddings and output at 8 bits', false, 25, 'bartowski naming (Q8_0 embed/output)'),
    ('IQ3_XXS', 3.06, 'Importance-weighted 3-bit, extra extra small', false, 30, 'llama.cpp quantize --help (Llama-3-8B)'),
    ('IQ3_XS',  3.30, 'Importance-weighted 3-bit, extra small', false, 31, 'llama.cpp quantize --help (Llama-3-8B)'),
    ('IQ3_S',   3.44, 'Importance-weighted 3-bit, small', false, 32, 'llama.cpp quantize --help (Llama-3-8B)'),
    ('IQ3_M',   3.66, 'Importance-weighted 3-bit, medium', false, 33, 'llama.cpp quantize --help (Llama-3-8B)'),
    ('Q3_K_S',  3.50, '3-bit small quantization', false, 34, 'llama.cpp quantize --help (Llama-3-8B)'),
    ('Q3_K_M',  3.90, '3-bit medium quantization', true, 35, 'seed page'),
    ('Q3_K_L',  4.30, '3-bit large quantization', false, 36, 'llama.cpp quantize --help (Llama-3-8B)'),
    ('Q3_K_XL', 4.50, '3-bit K-quant, extra-large mix', false, 37, 'estimate between Q3_K_L and Q4_K_S'),
    ('IQ4_XS',  4.46, 'Importance-weighted 4-bit, extra small', false, 40, 'llama.cpp quantize --help (Llama-3-8B)'),
    ('IQ4_NL',  4.68, 'Importance-weighted 4-bit, non-linear', false, 41, 'llama.cpp quantize --help (Llama-3-8B)'),
    ('Q4_0',    4.55, 'Legacy 4-bit quantization', false, 42, 'llama.cpp quantize --help (Llama-3-8B)'),
    ('MXFP4',   4.25, 'Microscaling FP4 (gpt-oss native)', false, 43, 'ggml GGML_QUANT_SIZES'),
    ('MXFP4_MOE', 4.60, 'Microscaling FP4 experts, other tensors higher precision', false, 44, 'ggml GGML_QUANT_SIZES + mix'),
    ('Q4_K_S',  4.67, '4-bit small quantization', false, 45, 'llama.cpp quantize --help (Llama-3-8B)'),
    ('Q4_K_M',  4.80, '4-bit medium quantization — most popular sweet spot', true, 46, 'seed page'),
    ('Q4_K_L',  5.10, '4-bit medium, embeddings and output at 8 bits', false, 47, 'bartowski naming (Q8_0 embed/output)'),
    ('Q4_K_XL', 5.00, '4-bit K-quant, extra-large mix', false, 48, 'estimate above Q4_K_M'),
    ('Q4_1',    5.00, 'Legacy 4-bit quantization with offsets', false, 49, 'ggml GGML_QUANT_SIZES'),
    ('Q5_0',    5.50, 'Legacy 5-bit quantization', false, 50, 'ggml GGML_QUANT_SIZES'),
    ('Q5_1',    6.00, 'Legacy 5-bit quantization with offsets', false, 51, 'ggml GGML_QUANT_SIZES'),
    ('Q5_K_S',  5.57, '5-bit small quantization', false, 52, 'llama.cpp quantize --help (Llama-3-8B)'),
    ('Q5_K_M',  5.70, '5-bit medium quantization — good quality/size tradeoff', true, 53, 'seed page'),
    ('Q5_K_L',  6.00, '5-bit medium, embeddings and output at 8 bits', false, 54, 'bartowski naming (Q8_0 embed/output)'),
    ('Q5_K_XL', 5.90, '5-bit K-quant, extra-large mix', false, 55, 'estimate above Q5_K_M'),
    ('Q6_K',    6.60, '6-bit quantization, very good quality', true, 60, 'seed page'),
    ('Q6_K_L',  6.80, '6-bit, embeddings and output at 8 bits', false, 61, 'bartowski naming (Q8_0 embed/output)'),
    ('Q6_K_XL', 6.80, '6-bit K-quant, extra-large mix', false, 62, 'estimate above Q6_K'),
    ('Q8_0',    8.00, '8-bit quantization, near-lossless', true, 80, 'seed page'),
    ('Q8_K_XL', 8.50, '8-bit K-quant, extra-large mix', false, 81, 'estimate above Q8_0'),
    ('F16',    16.00, '16-bit half precision, lossless', false, 160, 'ggml GGML_QUANT_SIZES'),
    ('BF16',   16.00, '16-bit bfloat, lossless', false, 161, 'ggml GGML_QUANT_SIZES'),
    ('F32',    32.00, '32-bit float, lossless', false, 320, 'ggml GGML_QUANT_SIZES');
