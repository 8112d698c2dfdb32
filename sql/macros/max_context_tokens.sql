-- The largest context (a multiple of pad, llama.cpp's cell padding, or the model's maximum)
-- whose KV cache fits in budget_bytes (usable memory − weights − fixed parts).
-- At multiples of pad the cache is linear in two regimes: past every sliding window's cap
-- (windows full: const + per-token × ctx) and below it (windows grow like full layers).
-- Compressed ratios that do not divide pad add one row of slack. NULL: nothing fits.
-- max_context_from_summary does the per-budget arithmetic on kv_context_summary(parts, ...),
-- so views can compute the summary once per model and the budget once per device.
CREATE OR REPLACE MACRO max_context_from_summary(s, budget_bytes, context_length, pad := 256) AS
    CASE
        WHEN budget_bytes IS NULL OR s.parts_null THEN NULL
        WHEN s.kv_at_max <= budget_bytes THEN context_length
        WHEN s.kv_at_pad > budget_bytes THEN NULL
        WHEN floor((budget_bytes - s.fixed - s.sliding_full) / nullif(s.per_token, 0) / pad) * pad >= s.cap_max
            THEN least(context_length,
                       floor((budget_bytes - s.fixed - s.sliding_full) / nullif(s.per_token, 0) / pad) * pad)
        ELSE least(context_length, floor((budget_bytes - s.fixed) / nullif(s.per_token + s.sliding_row, 0) / pad) * pad)
    END::BIGINT;

CREATE OR REPLACE MACRO max_context_tokens(parts, budget_bytes, context_length, pad := 256) AS
    max_context_from_summary(kv_context_summary(parts, context_length, pad), budget_bytes, context_length, pad);
