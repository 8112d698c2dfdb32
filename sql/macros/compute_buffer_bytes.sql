-- llama.cpp's compute buffer on each GPU: the peak ggml-alloc reserves for the prompt-batch graph
-- (n_ubatch tokens, every one an output), the larger of two moments:
--   output     f32 logits of the ubatch (n_vocab × n_ubatch × 4) + out_rows hidden rows
--   attention  flash attention off: the f32 KQ scores (n_kv × n_ubatch × n_head × 4) and the f32 mask;
--              on: the mask in f32 and f16 (n_kv × n_ubatch × 6), no scores; + attn_rows hidden rows
-- where n_kv is the widest KV cache's cells (kv_max_cells) padded to the cell padding, the ubatch is
-- at most n_ctx tokens, and a hidden row is n_embd × n_ubatch × 4 bytes.
-- Checked against real allocator log lines with flash attention on and off (calibration/memory_logs.csv,
-- tests/test_estimates_memory.py; docs/methodology.md).
CREATE OR REPLACE MACRO compute_buffer_bytes(flash_attention, n_ctx, n_kv, n_ubatch, n_head, n_embd, n_vocab,
                                             out_rows, attn_rows, pad := 256) AS
    greatest(
        (coalesce(n_vocab, 0) + out_rows * coalesce(n_embd, 0)) * least(n_ubatch, n_ctx) * 4,
        ceil(n_kv / pad) * pad * least(n_ubatch, n_ctx)
            * CASE WHEN flash_attention THEN 6 ELSE 4 + 4 * coalesce(n_head, 0) END
            + attn_rows * coalesce(n_embd, 0) * least(n_ubatch, n_ctx) * 4
    );
