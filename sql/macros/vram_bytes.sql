-- Memory a model needs on `gpus` GPUs: weights and KV cache are split between them, and every
-- GPU carries its own fixed part (runtime overhead + compute buffer).
CREATE OR REPLACE MACRO vram_bytes(weights_bytes, kv_bytes, per_gpu_fixed_bytes, gpus := 1) AS
    weights_bytes + kv_bytes + gpus * per_gpu_fixed_bytes;
