-- One attention_components row as a KV "part": what its layers store per cached cell.
--   full        kv_heads × (key_length + value_length) per layer per token
--   mla         the compressed latent row only: kv_heads (1) × key_length (kv_lora_rank + rope)
--   sliding     same row, but at most `cap` cells: window + n_ubatch rounded up to kv_pad
--   compressed  same row, one per compress_ratio tokens (DeepSeek-V4 CSA/HCA)
--   recurrent   no per-token row; layer_count × state_bytes, fixed (Mamba/RWKV/hybrids)
-- row_elements is the row in cache elements, so kv_parts_as can re-price a part for another
-- cache type. A component missing what its kind needs (sliding without a window, compressed
-- without a ratio, an unknown kind) falls back to the generic full-attention formula and says so
-- in `fallback` (llama.cpp src/llama-kv-cache*.cpp; docs/methodology.md).
CREATE OR REPLACE MACRO kv_part(kind, layer_count, kv_heads, key_length, value_length, window_tokens,
                                compress_ratio, state_bytes, kv_type, ubatch := 512, pad := 256) AS
    (WITH k AS (
        SELECT CASE
                   WHEN kind = 'sliding' AND coalesce(window_tokens, 0) > 0 THEN 'sliding'
                   WHEN kind = 'compressed' AND coalesce(compress_ratio, 0) > 0 THEN 'compressed'
                   WHEN kind IN ('full', 'mla', 'recurrent') THEN kind
                   ELSE 'full'
               END AS eff
     )
     SELECT {
        'kind': k.eff,
        'row_elements': CASE k.eff
                            WHEN 'recurrent' THEN 0
                            WHEN 'mla' THEN layer_count * kv_heads * key_length
                            ELSE layer_count * kv_heads * (key_length + coalesce(value_length, 0))
                        END,
        'row_bytes': CASE k.eff
                         WHEN 'recurrent' THEN 0.0
                         WHEN 'mla' THEN layer_count * kv_heads * key_length * kv_bytes_per_element(kv_type)
                         ELSE layer_count * kv_heads * (key_length + coalesce(value_length, 0))
                              * kv_bytes_per_element(kv_type)
                     END,
        'cap': CASE WHEN k.eff = 'sliding'
                    THEN CAST(ceil((window_tokens + ubatch) / pad) * pad AS BIGINT) END,
        'ratio': CASE WHEN k.eff = 'compressed' THEN compress_ratio END,
        'fixed_bytes': CASE WHEN k.eff = 'recurrent' THEN layer_count * coalesce(state_bytes, 0) ELSE 0 END,
        'fallback': k.eff IS DISTINCT FROM kind
     } FROM k);
