-- What max_context_tokens needs from a model's KV parts, independent of the memory budget:
-- computed once per model × quant × context instead of once per device (see device_fit_by_profile).
--   per_token     bytes each further token adds once every sliding window is full
--   sliding_row   bytes per token of the sliding parts while their windows still grow
--   sliding_full  bytes of every sliding part at its cap
--   cap_max       largest sliding cap
--   fixed         recurrent state + one row of slack per compressed ratio not dividing pad
--   kv_at_max     KV cache at the model's maximum context; kv_at_pad at min(pad, maximum)
--   cells_ctx     some cache holds every token (full, MLA, unknown kind, or no parts): see kv_max_cells
--   ratio_min     smallest compression ratio (NULL: no compressed part)
CREATE OR REPLACE MACRO kv_context_summary(parts, context_length, pad := 256) AS {
    'parts_null': parts IS NULL,
    'per_token': kv_bytes_per_token(parts),
    'sliding_row': coalesce(list_sum(list_transform(parts,
        lambda p: CASE WHEN p.kind = 'sliding' THEN p.row_bytes ELSE 0 END)), 0),
    'sliding_full': coalesce(list_sum(list_transform(parts,
        lambda p: CASE WHEN p.kind = 'sliding' THEN p.row_bytes * p.cap ELSE 0 END)), 0),
    'cap_max': coalesce(list_max(list_transform(parts,
        lambda p: CASE WHEN p.kind = 'sliding' THEN p.cap ELSE 0 END)), 0),
    'fixed': coalesce(list_sum(list_transform(parts,
        lambda p: p.fixed_bytes + CASE WHEN p.kind = 'compressed' AND pad % p.ratio <> 0
                                       THEN p.row_bytes ELSE 0 END)), 0),
    'cells_ctx': coalesce(len(parts) = 0 OR list_bool_or(list_transform(parts,
        lambda p: p.kind NOT IN ('sliding', 'compressed', 'recurrent'))), true),
    'ratio_min': list_min(list_transform(list_filter(parts, lambda p: p.kind = 'compressed'), lambda p: p.ratio)),
    'kv_at_max': kv_cache_bytes(parts, context_length),
    'kv_at_pad': kv_cache_bytes(parts, least(pad, context_length))
};
