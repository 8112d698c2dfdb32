-- Decode speed (profile llama.cpp): 1 / decode_seconds(decode_terms(...)) (every term and its source
-- in decode_terms.sql).
CREATE OR REPLACE MACRO decode_tok_s(read_bytes, bandwidth_gbps, efficiency, per_token_s, gpus := 1, hop_s := 0,
                                     layers := 0, per_layer_s := 0, moe_layers := 0, per_moe_layer_s := 0,
                                     attn_flops := 0, attention_factor := 0,
                                     active_params := 0, tflops := NULL, compute_factor := 0) AS
    1 / decode_seconds(decode_terms(read_bytes, bandwidth_gbps, efficiency, per_token_s, gpus, hop_s,
                                    layers, per_layer_s, moe_layers, per_moe_layer_s, attn_flops,
                                    attention_factor, active_params, tflops, compute_factor));
