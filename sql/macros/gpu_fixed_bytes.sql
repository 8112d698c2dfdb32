-- What every GPU carries besides its share of weights and KV cache, at n_ctx tokens of context
-- (n_kv: the widest KV cache's cells then, kv_max_cells): the profile's flat overhead plus, for
-- compute_buffer 'graph', llama.cpp's compute buffer.
CREATE OR REPLACE MACRO gpu_fixed_bytes(overhead_bytes, compute_buffer, flash_attention, n_ctx, n_kv, n_ubatch,
                                        n_head, n_embd, n_vocab, out_rows, attn_rows, pad := 256) AS
    overhead_bytes + CASE WHEN compute_buffer = 'graph'
                          THEN compute_buffer_bytes(flash_attention, n_ctx, n_kv, n_ubatch, n_head, n_embd, n_vocab,
                                                    out_rows, attn_rows, pad)
                          ELSE 0 END;
