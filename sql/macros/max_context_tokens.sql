-- The largest context (a multiple of pad, llama.cpp's cell padding, or the model's maximum)
-- whose KV cache fits in budget_bytes (usable memory − weights − fixed parts).
-- At multiples of pad the cache is linear in two regimes: past every sliding window's cap
-- (windows full: const + per-token × ctx) and below it (windows grow like full layers).
-- Compressed ratios that do not divide pad add one row of slack. NULL: nothing fits.
CREATE OR REPLACE MACRO max_context_tokens(parts, budget_bytes, context_length, pad := 256) AS
    (WITH c AS (
        SELECT kv_bytes_per_token(parts) AS per_token,
               coalesce(list_sum(list_transform(parts,
                   lambda p: CASE WHEN p.kind = 'sliding' THEN p.row_bytes ELSE 0 END)), 0) AS sliding_row,
               coalesce(list_sum(list_transform(parts,
                   lambda p: CASE WHEN p.kind = 'sliding' THEN p.row_bytes * p.cap ELSE 0 END)), 0) AS sliding_full,
               coalesce(list_max(list_transform(parts,
                   lambda p: CASE WHEN p.kind = 'sliding' THEN p.cap ELSE 0 END)), 0) AS cap_max,
               coalesce(list_sum(list_transform(parts,
                   lambda p: p.fixed_bytes + CASE WHEN p.kind = 'compressed' AND pad % p.ratio <> 0
                                                  THEN p.row_bytes ELSE 0 END)), 0) AS fixed
     ), r AS (
        SELECT c.*,
               floor((budget_bytes - fixed - sliding_full) / nullif(per_token, 0) / pad) * pad AS ctx_full_windows,
               floor((budget_bytes - fixed) / nullif(per_token + sliding_row, 0) / pad) * pad AS ctx_growing_windows
        FROM c
     )
     SELECT CASE
                WHEN budget_bytes IS NULL OR parts IS NULL THEN NULL
                WHEN kv_cache_bytes(parts, context_length) <= budget_bytes THEN context_length
                WHEN kv_cache_bytes(parts, least(pad, context_length)) > budget_bytes THEN NULL
                WHEN ctx_full_windows >= cap_max THEN least(context_length, ctx_full_windows)
                ELSE least(context_length, ctx_growing_windows)
            END::BIGINT
     FROM r);
