-- Analysts' view: context_memory_by_profile under the default runtime profile.
CREATE OR REPLACE VIEW context_memory AS
SELECT c.profile, c.repo_id, c.quant, c.context_tokens, c.kv_cache_bytes, c.kv_cache_gb, c.vram_gb,
       c.size_source, c.kv_type, c.kv_method, c.vram_gb_low, c.vram_gb_high, c.overhead_gb
FROM context_memory_by_profile c
JOIN runtime_profiles p ON p.profile = c.profile AND p.is_default;
