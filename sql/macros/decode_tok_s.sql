-- Roofline decode speed (profile llama.cpp): seconds per token = bytes read per token /
-- (bandwidth × efficiency) + per-token cost + a hop per extra GPU (layer split runs the GPUs
-- one after another, so bandwidth does not add up). Constants: speed_constants.
CREATE OR REPLACE MACRO decode_tok_s(read_bytes, bandwidth_gbps, efficiency, per_token_s, gpus := 1, hop_s := 0) AS
    1 / (read_bytes / (bandwidth_gbps * 1e9 * efficiency) + per_token_s + (gpus - 1) * hop_s);
