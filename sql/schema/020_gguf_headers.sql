-- GGUF headers read over HTTP Range (issue #4). One row per GGUF build (its first shard's
-- path names it), keyed by the commit sha: a header never changes for a sha, so a row, once
-- written, is never fetched again. Written in one transaction with its tensor types and
-- shards, so a failed read leaves no partial rows.
CREATE TABLE gguf_headers (
    gguf_repo_id        VARCHAR NOT NULL,
    repo_sha            VARCHAR NOT NULL,
    path                VARCHAR NOT NULL,     -- first shard (or the single file)
    base_repo_id        VARCHAR,
    shard_count         INTEGER NOT NULL,
    version             INTEGER NOT NULL,
    tensor_count        BIGINT NOT NULL,      -- all shards
    kv_count            BIGINT NOT NULL,      -- first shard
    data_offset         BIGINT NOT NULL,      -- first shard
    bytes_read          BIGINT NOT NULL,      -- all shards, as received over the wire
    requests            INTEGER NOT NULL,     -- HTTP requests spent (HEAD + GET)
    params              BIGINT NOT NULL,      -- sum of tensor elements
    tensor_bytes        BIGINT NOT NULL,
    file_bytes          BIGINT NOT NULL,      -- data offset + tensor extent, all shards
    bits_per_weight     DOUBLE,               -- 8 * file_bytes / params
    bits_per_weight_tensors DOUBLE,           -- 8 * tensor_bytes / params (llama.cpp's BPW)
    bpw_embeddings      DOUBLE,
    bpw_output          DOUBLE,               -- NULL: output tied to the embedding
    bpw_repeating       DOUBLE,
    file_type           INTEGER,              -- general.file_type (llama_ftype)
    file_type_label     VARCHAR,              -- Q4_K_M, Q8_0, BF16, ...
    architecture        VARCHAR,
    context_length      BIGINT,
    block_count         INTEGER,
    embedding_length    INTEGER,
    head_count          INTEGER,
    head_count_kv       INTEGER[],            -- per layer; 0 = recurrent layer
    key_length          INTEGER,
    value_length        INTEGER,
    kv_lora_rank        INTEGER,
    rope_dimension_count INTEGER,
    sliding_window      BIGINT,
    sliding_window_pattern BOOLEAN[],         -- per layer; true = sliding
    expert_count        INTEGER,
    expert_used_count   INTEGER,
    vocab_size          BIGINT,
    attention           JSON,                 -- attention_components rows derived from GGUF
    source_url          VARCHAR NOT NULL,
    fetched_at          TIMESTAMPTZ NOT NULL,
    run_id              VARCHAR NOT NULL,
    PRIMARY KEY (gguf_repo_id, repo_sha, path)
);

-- The type mix of a build: per ggml type, how many tensors, elements and bytes.
CREATE TABLE gguf_tensor_types (
    gguf_repo_id  VARCHAR NOT NULL,
    repo_sha      VARCHAR NOT NULL,
    path          VARCHAR NOT NULL,
    ggml_type     VARCHAR NOT NULL,
    n_tensors     BIGINT NOT NULL,
    n_elements    BIGINT NOT NULL,
    n_bytes       BIGINT NOT NULL,
    PRIMARY KEY (gguf_repo_id, repo_sha, path, ggml_type)
);

-- Each shard of a build as read: its own header size and what it cost to fetch.
CREATE TABLE gguf_header_shards (
    gguf_repo_id  VARCHAR NOT NULL,
    repo_sha      VARCHAR NOT NULL,
    path          VARCHAR NOT NULL,           -- the build (first shard)
    shard_path    VARCHAR NOT NULL,
    shard_no      INTEGER NOT NULL,           -- 1-based
    tensor_count  BIGINT NOT NULL,
    data_offset   BIGINT NOT NULL,
    file_size     BIGINT,                     -- from HEAD
    bytes_read    BIGINT NOT NULL,
    requests      INTEGER NOT NULL,
    PRIMARY KEY (gguf_repo_id, repo_sha, shard_path)
);

-- Where config.json and a GGUF header disagree on a model's attention layout, and which won
-- (docs/gguf.md: config.json wins when present and consistent; GGUF fills gaps).
CREATE TABLE attention_profile_conflicts (
    repo_id        VARCHAR NOT NULL,
    gguf_repo_id   VARCHAR NOT NULL,
    repo_sha       VARCHAR NOT NULL,
    path           VARCHAR NOT NULL,
    config_rows    JSON NOT NULL,
    gguf_rows      JSON NOT NULL,
    resolution     VARCHAR NOT NULL,          -- config.json | gguf
    reason         VARCHAR NOT NULL,
    detected_at    TIMESTAMPTZ NOT NULL,
    run_id         VARCHAR NOT NULL
);
