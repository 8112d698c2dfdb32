-- The seed page's speed: tok/s = bandwidth (GB/s) / VRAM (GB) × efficiency (0.55).
CREATE OR REPLACE MACRO decode_tok_s_simple(bandwidth_gbps, vram_bytes, efficiency := 0.55) AS
    bandwidth_gbps * 1e9 / vram_bytes * efficiency;
