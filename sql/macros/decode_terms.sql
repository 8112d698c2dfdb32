-- Decode speed (profile llama.cpp) as its terms, seconds per token each (constants: speed_constants):
--   read_s       bytes read per token / (bandwidth × efficiency)  weights read + KV cache at the depth
--   per_token_s  fixed per token (sampling, sync, graph launch)
--   hops_s       (gpus − 1) × hop_s                              layer split: the GPUs run one after another
--   layers_s     layers × per_layer_s                            per-layer kernels that do not scale with bytes
--   moe_s        moe_layers × per_moe_layer_s                    router, top-k and expert dispatch
--   attention_s  attn_flops × attention_factor / (bandwidth × 1e9)  attention at depth: 2 × query heads per
--                                                                cached head × KV elements attended; a
--                                                                GPU's compute taken to scale with bandwidth
--   compute_s    2 × active_params × compute_factor / (tflops × 1e12)  compute, where the FLOPS are known
-- decode_tok_s is 1 / their sum (decode_seconds); a page's worked example shows them, with read_gb,
-- the GB read per token that read_s is made of (catalog/exports/page).
CREATE OR REPLACE MACRO decode_terms(read_bytes, bandwidth_gbps, efficiency, per_token_s, gpus := 1, hop_s := 0,
                                     layers := 0, per_layer_s := 0, moe_layers := 0, per_moe_layer_s := 0,
                                     attn_flops := 0, attention_factor := 0,
                                     active_params := 0, tflops := NULL, compute_factor := 0) AS
    {'read_gb': (read_bytes / 1e9)::DOUBLE,
     'read_s': (read_bytes / (bandwidth_gbps * 1e9 * efficiency))::DOUBLE,
     'per_token_s': per_token_s::DOUBLE,
     'hops_s': ((gpus - 1) * hop_s)::DOUBLE,
     'layers_s': (layers * per_layer_s)::DOUBLE,
     'moe_s': (moe_layers * per_moe_layer_s)::DOUBLE,
     'attention_s': (attn_flops * attention_factor / (bandwidth_gbps * 1e9))::DOUBLE,
     'compute_s': coalesce(2 * active_params * compute_factor / (tflops * 1e12), 0)::DOUBLE};
