-- Analysts' view: quantizations_by_profile under the default runtime profile (llama.cpp).
CREATE OR REPLACE VIEW quantizations AS
SELECT q.profile, q.repo_id, q.quant, q.bits_per_weight, q.file_size_bytes, q.file_size_gb, q.size_source,
       q.gguf_repo_id, q.shard_files, q.kv_cache_bytes, q.kv_cache_gb, q.vram_bytes, q.vram_gb, q.context_length,
       q.kv_cache_full_gb, q.vram_full_context_gb, q.recommended_gb, q.quality, q.overhead_gb,
       q.kv_type, q.kv_method, q.params_total, q.params_active, q.size_method,
       q.file_size_gb_low, q.file_size_gb_high, q.vram_gb_low, q.vram_gb_high,
       q.vram_full_context_gb_low, q.vram_full_context_gb_high, q.weights_on_gpu_gb, q.host_weights_gb,
       q.overhead_full_context_gb
FROM quantizations_by_profile q
JOIN runtime_profiles p ON p.profile = q.profile AND p.is_default;
