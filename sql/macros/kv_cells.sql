-- Cells a KV part holds at ctx tokens: sliding min(ctx, cap); compressed ceil(ctx / ratio);
-- recurrent none; full and mla every token.
CREATE OR REPLACE MACRO kv_cells(kind, ctx, cap, ratio) AS
    CASE kind
        WHEN 'sliding' THEN least(ctx, cap)
        WHEN 'compressed' THEN ceil(ctx / ratio)
        WHEN 'recurrent' THEN 0
        ELSE ctx
    END;
