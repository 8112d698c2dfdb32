-- Fewest GPUs of this kind that hold the model: the split part (weights + KV) shared out, each
-- GPU also carrying its own fixed part. NULL when one GPU cannot even hold its fixed part.
CREATE OR REPLACE MACRO gpus_needed(split_bytes, per_gpu_fixed_bytes, usable_per_gpu_bytes) AS
    CASE WHEN usable_per_gpu_bytes > per_gpu_fixed_bytes
         THEN CAST(greatest(1, ceil(split_bytes / (usable_per_gpu_bytes - per_gpu_fixed_bytes))) AS INTEGER)
    END;
