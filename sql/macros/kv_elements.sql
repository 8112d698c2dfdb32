-- Cached K/V elements a token attends to at ctx tokens (every layer, every part): the work of
-- attention at that depth, whatever the cache type. Recurrent state is not attended.
CREATE OR REPLACE MACRO kv_elements(parts, ctx) AS
    coalesce(list_sum(list_transform(parts, lambda p: p.row_elements * kv_cells(p.kind, ctx, p.cap, p.ratio))), 0);
