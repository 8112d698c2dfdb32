-- Decode speed (profile llama.cpp), seconds per token as a sum of terms (constants: speed_constants):
--   bytes read per token / (bandwidth × efficiency)        weights actually read + KV cache at the depth
--   + per_token_s                                          fixed per token (sampling, sync, graph launch)
--   + layers × per_layer_s                                 per-layer kernels that do not scale with bytes
--   + moe_layers × per_moe_layer_s                         router, top-k and expert dispatch
--   + attn_flops × attention_factor / (bandwidth × 1e9)     attention at depth: 2 × query heads per
--                                                          cached head × KV elements attended; a GPU's
--                                                          compute taken to scale with its bandwidth
--   + 2 × active_params × compute_factor / (tflops × 1e12)  compute, where the device's FLOPS are known
--   + (gpus − 1) × hop_s                                   layer split: the GPUs run one after another
CREATE OR REPLACE MACRO decode_tok_s(read_bytes, bandwidth_gbps, efficiency, per_token_s, gpus := 1, hop_s := 0,
                                     layers := 0, per_layer_s := 0, moe_layers := 0, per_moe_layer_s := 0,
                                     attn_flops := 0, attention_factor := 0,
                                     active_params := 0, tflops := NULL, compute_factor := 0) AS
    1 / (read_bytes / (bandwidth_gbps * 1e9 * efficiency) + per_token_s + (gpus - 1) * hop_s
         + layers * per_layer_s + moe_layers * per_moe_layer_s
         + attn_flops * attention_factor / (bandwidth_gbps * 1e9)
         + coalesce(2 * active_params * compute_factor / (tflops * 1e12), 0));
