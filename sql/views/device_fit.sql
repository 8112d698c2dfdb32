-- Analysts' view: device_fit_by_profile under the default runtime profile. A filter on the
-- is_default column (not a join with runtime_profiles) so that only the default profile is computed.
CREATE OR REPLACE VIEW device_fit AS
SELECT f.profile, f.repo_id, f.quant, f.device_id, f.context_tokens, f.verdict, f.gpus_needed, f.headroom_gb,
       f.max_context_tokens, f.decode_tok_s, f.needed_gb, f.usable_gb, f.gpu_count, f.size_source, f.kv_method,
       f.decode_tok_s_low, f.decode_tok_s_high, f.needed_gb_low, f.needed_gb_high,
       f.headroom_gb_low, f.headroom_gb_high, f.decode_terms
FROM device_fit_by_profile f
WHERE f.is_default;
