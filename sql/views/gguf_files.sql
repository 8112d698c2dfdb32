-- One row per GGUF weights file (each shard its own row) of every live GGUF repo.
--   quant          normalised label (Q4_K_M, IQ4_XS, UD-Q4_K_XL, MXFP4, BF16, F16, ...)
--   shard          1-based position; shard_count the number of files of the build
--   build_path     the path without its shard suffix: one value per build
--   build_size_bytes  sum of the build's shard sizes (= size_bytes for single files)
--   is_canonical   the file's repo is its base model's canonical GGUF repo (docs/hub.md)
--   attached_by    how the repo was attached to its base model: tag | card | renamed | re-upload
--   attached_via   the id its tag or card named, when that is not the base model itself
CREATE OR REPLACE VIEW gguf_files AS
WITH files AS (
    SELECT f.*, gguf_build_path(f.path) AS build_path
    FROM hub_gguf_files f
)
SELECT
    f.gguf_repo_id,
    f.base_repo_id,
    r.publisher,
    r.is_canonical,
    r.attached_by,
    r.attached_via,
    f.path,
    f.build_path,
    f.quant,
    f.shard,
    f.shard_count,
    f.size_bytes,
    sum(f.size_bytes) OVER (PARTITION BY f.gguf_repo_id, f.build_path) AS build_size_bytes,
    f.sha256,
    f.repo_sha,
    'https://huggingface.co/' || f.gguf_repo_id || '/resolve/' || f.repo_sha || '/' || f.path AS download_url,
    f.fetched_at
FROM files f
JOIN hub_gguf_repos r USING (gguf_repo_id)
WHERE r.removed_at IS NULL;
