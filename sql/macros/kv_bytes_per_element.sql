-- Bytes per cached K/V element for llama.cpp's cache types (ggml block sizes):
-- f16 2; q8_0 34 bytes per 32 elements; q4_0 18 bytes per 32. Anything else is an error.
CREATE OR REPLACE MACRO kv_bytes_per_element(kv_type) AS
    CASE lower(kv_type)
        WHEN 'f16' THEN 2.0
        WHEN 'bf16' THEN 2.0
        WHEN 'f32' THEN 4.0
        WHEN 'q8_0' THEN 34 / 32
        WHEN 'q4_0' THEN 18 / 32
        ELSE error('unknown KV cache type: ' || coalesce(kv_type, 'NULL'))
    END;
