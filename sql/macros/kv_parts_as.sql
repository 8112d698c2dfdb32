-- A model's KV parts priced for another cache type (`--cache-type-k/v` f16 | q8_0 | q4_0): each row
-- is row_elements × the type's bytes per element; recurrent state (f32) does not change. NULL
-- kv_type: the parts as they are.
CREATE OR REPLACE MACRO kv_parts_as(parts, kv_type) AS
    CASE WHEN kv_type IS NULL THEN parts
         ELSE list_transform(parts, lambda p: struct_update(p,
                  row_bytes := p.row_elements * kv_bytes_per_element(kv_type)))
    END;
