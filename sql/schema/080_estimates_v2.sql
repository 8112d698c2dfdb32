-- Estimates v2 (issue #18): memory as llama.cpp allocates it, sizes from the architecture, a richer
-- speed model and an error band on every estimate. Documented in docs/methodology.md.

-- Runtime profiles:
--   flash_attention     llama.cpp's default `-fa auto` resolves to on wherever the backend has a
--                       flash-attention kernel (CUDA, ROCm, Metal, Vulkan, CPU), so on by default
--   compute_buffer      'graph': the compute buffer ggml-alloc reserves (macro compute_buffer_bytes);
--                       'none': no compute buffer (the seed's method counts a flat overhead instead)
--   compute_out_rows    f32 rows of n_embd × n_ubatch live next to the logits at the output peak
--   compute_attn_rows   the same next to the attention scores / mask at the attention peak
--   embeddings_on_host  llama.cpp keeps untied token embeddings in host memory (CPU_Mapped buffer):
--                       they do not count against GPU memory
--   weights_estimate    for quants without a build: 'architecture' (per-tensor types from
--                       config.json, table quant_size_estimates) or 'bits' (parameters × bits)
ALTER TABLE runtime_profiles ADD COLUMN flash_attention BOOLEAN;
ALTER TABLE runtime_profiles ADD COLUMN compute_buffer VARCHAR;
ALTER TABLE runtime_profiles ADD COLUMN compute_out_rows DOUBLE;
ALTER TABLE runtime_profiles ADD COLUMN compute_attn_rows DOUBLE;
ALTER TABLE runtime_profiles ADD COLUMN embeddings_on_host BOOLEAN;
ALTER TABLE runtime_profiles ADD COLUMN weights_estimate VARCHAR;

UPDATE runtime_profiles SET
    flash_attention = true, compute_buffer = 'graph', compute_out_rows = 2, compute_attn_rows = 5,
    embeddings_on_host = true, weights_estimate = 'architecture',
    description = 'llama.cpp defaults: KV cache by attention kind (f16, n_ubatch 512, cells padded to 256), '
        || 'flash attention on (-fa auto), compute buffer as ggml-alloc reserves it, token embeddings in host '
        || 'memory, 1 GiB left free per GPU (--fit), sizes from the architecture, decode speed fitted per backend',
    source = 'llama.cpp src/llama-kv-cache*.cpp, src/llama-graph.cpp, src/llama-quant.cpp, common/arg.cpp '
        || '(n_ubatch 512, -fa auto, --fit 1024 MiB); calibration/memory_logs.csv (compute buffer rows, '
        || 'fitted 2026-12-02); speed_constants (fit)'
WHERE profile = 'llama.cpp';

UPDATE runtime_profiles SET
    flash_attention = false, compute_buffer = 'none', compute_out_rows = 0, compute_attn_rows = 0,
    embeddings_on_host = false, weights_estimate = 'bits'
WHERE profile = 'simple';

-- The compute buffer is no longer base + vocab × constant (derived from one flash-attention-off run).
ALTER TABLE runtime_profiles DROP COLUMN compute_buffer_base_bytes;
ALTER TABLE runtime_profiles DROP COLUMN compute_buffer_bytes_per_vocab;

-- Size of each quant of each model as llama-quantize would write it, from config.json's tensor shapes
-- and llama.cpp's per-tensor type rules (catalog/estimates). Resolved: rewritten by
-- catalog.estimates.sizes.store_size_estimates from the latest stored config.json.
--   host_bytes   untied token embeddings (kept in host memory by llama.cpp)
--   approximate  a dynamic (UD-) label mapped to its nearest llama.cpp recipe
--   config_sha / estimator  the config.json commit and estimator version the row was computed from
--                (a model is recomputed only when either changes)
CREATE TABLE quant_size_estimates (
    repo_id      VARCHAR NOT NULL,
    quant        VARCHAR NOT NULL,
    file_bytes   BIGINT NOT NULL,
    host_bytes   BIGINT NOT NULL,
    params       BIGINT NOT NULL,
    approximate  BOOLEAN NOT NULL,
    config_sha   VARCHAR,
    estimator    VARCHAR NOT NULL,
    computed_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (repo_id, quant)
);

-- Decode-speed terms beyond bytes read (values: 081_speed_model_v2.sql):
--   per_layer_s       per transformer layer and token (kernel launches, norms, small ops)
--   per_moe_layer_s   per MoE layer and token (router, top-k, expert dispatch)
--   attention_factor  bandwidth-seconds per attention FLOP at depth (bytes / FLOP)
--   compute_factor    work per active parameter, in units of 2 FLOPs, against fp16_tflops_dense
ALTER TABLE speed_constants ADD COLUMN per_layer_s DOUBLE DEFAULT 0;
ALTER TABLE speed_constants ADD COLUMN per_moe_layer_s DOUBLE DEFAULT 0;
ALTER TABLE speed_constants ADD COLUMN attention_factor DOUBLE DEFAULT 0;
ALTER TABLE speed_constants ADD COLUMN compute_factor DOUBLE DEFAULT 0;

-- Error bands: measured ÷ estimated over the calibration data, left out one source at a time
-- (catalog/calibration/fit.py). An estimate E is shown as [E × ratio_p10, E × ratio_p90].
--   figure  decode_tok_s | weights | compute_buffer
--   backend cuda | rocm | metal | vulkan | cpu | any (fallback when a backend has too few rows)
--   kind    decode: dense | moe; weights: architecture | architecture_approx | calibrated_bits |
--           nominal_bits; compute_buffer: any
CREATE TABLE estimate_bands (
    profile     VARCHAR NOT NULL,
    figure      VARCHAR NOT NULL,
    backend     VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,
    ratio_p10   DOUBLE NOT NULL,
    ratio_p50   DOUBLE NOT NULL,
    ratio_p90   DOUBLE NOT NULL,
    n           INTEGER NOT NULL,
    method      VARCHAR NOT NULL,
    source      VARCHAR NOT NULL,
    fitted_on   DATE NOT NULL,
    PRIMARY KEY (profile, figure, backend, kind),
    CHECK (ratio_p10 <= ratio_p50 AND ratio_p50 <= ratio_p90)
);
