-- KV cache bytes at ctx tokens for a model's list of KV parts (see kv_part):
-- Σ fixed state + row bytes × cells held at ctx.
CREATE OR REPLACE MACRO kv_cache_bytes(parts, ctx) AS
    list_sum(list_transform(parts,
        lambda p: p.fixed_bytes + p.row_bytes * kv_cells(p.kind, ctx, p.cap, p.ratio)));
