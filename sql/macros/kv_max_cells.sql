-- The most cells any one of a model's KV caches holds at ctx tokens: the width of the largest
-- attention mask llama.cpp builds (full and MLA layers: ctx; sliding: min(ctx, cap); compressed:
-- ctx / ratio; recurrent layers have no mask), i.e. the largest kv_cells over the parts. Read off
-- kv_context_summary (computed once per model) rather than the parts list, so that it costs no
-- list walk per device row in fit_estimate. Unknown parts: ctx.
CREATE OR REPLACE MACRO kv_max_cells(summary, ctx) AS
    CASE WHEN summary.cells_ctx THEN ctx
         ELSE greatest(least(ctx, summary.cap_max), coalesce(ceil(ctx / summary.ratio_min), 0)) END;
