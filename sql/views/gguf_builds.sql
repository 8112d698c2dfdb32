-- One row per GGUF build (shards summed) of a base model; `canonical` picks one complete build
-- per (repo_id, quant) deterministically: complete builds first, then the hub's canonical GGUF
-- repo (hub_gguf_repos.is_canonical), then GGUF repo id, then path. attached_by: how the build's
-- repo was attached to the base model (tag | card | renamed | re-upload; docs/hub.md).
CREATE OR REPLACE VIEW gguf_builds AS
WITH files AS (
    SELECT base_repo_id AS repo_id, gguf_repo_id, quant,
           gguf_build_path(path) AS build,
           shard, shard_count, size_bytes
    FROM hub_gguf_files
    WHERE quant IS NOT NULL
), builds AS (
    SELECT repo_id, gguf_repo_id, quant, build,
           sum(size_bytes) AS file_size_bytes,
           count(DISTINCT shard) AS shard_files,
           max(shard_count) AS shard_count
    FROM files
    GROUP BY repo_id, gguf_repo_id, quant, build
)
SELECT b.repo_id, b.gguf_repo_id, b.quant, b.build, b.file_size_bytes, b.shard_files, b.shard_count,
       b.shard_files = b.shard_count AS complete, r.attached_by,
       row_number() OVER (PARTITION BY b.repo_id, b.quant
                          ORDER BY (b.shard_files = b.shard_count) DESC, coalesce(r.is_canonical, false) DESC,
                                   b.gguf_repo_id, b.build) = 1
           AND b.shard_files = b.shard_count AS canonical
FROM builds b
LEFT JOIN hub_gguf_repos r ON r.gguf_repo_id = b.gguf_repo_id AND r.removed_at IS NULL;
