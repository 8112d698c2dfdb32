-- llama.cpp's compute buffer per GPU: a base plus the f32 logits of one ubatch
-- (vocab_size × per_vocab bytes); constants in runtime_profiles.
CREATE OR REPLACE MACRO compute_buffer_bytes(vocab_size, base_bytes, per_vocab_bytes) AS
    base_bytes + coalesce(vocab_size, 0) * per_vocab_bytes;
