-- KV cache bytes at ctx tokens, summed over a model's attention_components (thin version:
-- every component treated as full attention; sql/macros grows per attention kind).
CREATE OR REPLACE MACRO kv_cache_bytes(layer_count, kv_heads, key_length, value_length, ctx, bytes_per_element := 2) AS
    layer_count * kv_heads * (key_length + value_length) * bytes_per_element * ctx;
