-- Every model × quant on every device, at 2,048 tokens and at the model's full context, per
-- runtime profile: fit_estimate over the devices view (the arithmetic, and why it is fast, is
-- documented there). is_default is a column so device_fit's filter on it reaches
-- model_quant_memory: a join with runtime_profiles is not pushed down (docs/performance.md).
-- *_low / *_high: the estimate's band (docs/methodology.md, "Error bands"); decode_terms: what the
-- speed is made of, seconds per token per term (sql/macros/decode_terms.sql).
CREATE OR REPLACE VIEW device_fit_by_profile AS
SELECT profile, is_default, repo_id, quant, device_id, context_tokens, verdict, gpus_needed,
       headroom_gb, headroom_gb_low, headroom_gb_high, max_context_tokens,
       decode_tok_s, decode_tok_s_low, decode_tok_s_high, decode_terms,
       needed_gb, needed_gb_low, needed_gb_high, usable_gb, gpu_count, size_source, kv_method
FROM fit_estimate('devices');
