-- Core tables of the catalogue. Data flows one way:
--   raw_* (append-only observations, with provenance)
--   -> resolved tables (current truth, rebuilt from observations)
--   -> views in sql/views (what analysts and exports read).
-- Sizes are stored in bytes; views convert to decimal GB (1e9).

-- One row per pipeline run (the operator's ledger).
CREATE TABLE runs (
    run_id        VARCHAR PRIMARY KEY,
    flow          VARCHAR NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL,
    ended_at      TIMESTAMPTZ,
    status        VARCHAR NOT NULL,          -- running | completed | failed
    hub_endpoint  VARCHAR,
    counts        JSON,                      -- {"models": n, "gguf_files": n, ...}
    requests      JSON,                      -- {"api": n, "resolvers": n}
    errors        JSON                       -- [{"source", "subject", "error"}]
);

-- Raw observations from the Hub, append-only: what a source said, when, about which commit.
CREATE TABLE raw_hub_responses (
    run_id       VARCHAR NOT NULL,
    repo_id      VARCHAR NOT NULL,
    repo_sha     VARCHAR,
    kind         VARCHAR NOT NULL,           -- model_info | config | tree
    source_url   VARCHAR NOT NULL,
    fetched_at   TIMESTAMPTZ NOT NULL,
    payload      JSON                        -- the response body as received
);

-- Per-subject failures of a run (a repo, a page), so the last good data stays and is reported.
CREATE TABLE source_errors (
    run_id      VARCHAR NOT NULL,
    source      VARCHAR NOT NULL,            -- hub | devices | gguf_header | ...
    subject     VARCHAR NOT NULL,            -- repo id, URL, ...
    error_type  VARCHAR NOT NULL,
    message     VARCHAR NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL
);

-- Resolved: one row per tracked base model (current truth).
CREATE TABLE hub_models (
    repo_id          VARCHAR PRIMARY KEY,
    author           VARCHAR,
    sha              VARCHAR NOT NULL,
    last_modified    TIMESTAMPTZ,
    created_at       TIMESTAMPTZ,
    gated            VARCHAR,                -- 'false' | 'auto' | 'manual'
    downloads        BIGINT,
    likes            BIGINT,
    license          VARCHAR,
    pipeline_tag     VARCHAR,
    architecture     VARCHAR,
    model_type       VARCHAR,
    params_total     BIGINT,
    params_active    BIGINT,
    params_source    VARCHAR,
    context_length   BIGINT,
    vocab_size       BIGINT,
    hidden_size      BIGINT,
    tags             VARCHAR[],
    source_url       VARCHAR NOT NULL,
    fetched_at       TIMESTAMPTZ NOT NULL,
    run_id           VARCHAR NOT NULL,
    removed_at       TIMESTAMPTZ
);

-- Resolved: every GGUF file (shards kept separately) of every tracked GGUF repo.
CREATE TABLE hub_gguf_files (
    gguf_repo_id   VARCHAR NOT NULL,
    base_repo_id   VARCHAR NOT NULL,
    repo_sha       VARCHAR NOT NULL,
    path           VARCHAR NOT NULL,
    quant          VARCHAR,                  -- normalised label (Q4_K_M, IQ2_XXS, BF16, ...)
    shard          INTEGER NOT NULL,         -- 1-based; 1 for single-file builds
    shard_count    INTEGER NOT NULL,
    size_bytes     BIGINT NOT NULL,
    sha256         VARCHAR,
    source_url     VARCHAR NOT NULL,
    fetched_at     TIMESTAMPTZ NOT NULL,
    run_id         VARCHAR NOT NULL,
    PRIMARY KEY (gguf_repo_id, path)
);

-- Resolved: the attention/KV layout of a model, as groups of identical layer components.
-- A layer may contribute several components (DeepSeek-V4: a raw sliding window plus
-- compressed rows). This is what the KV-cache macros run on.
--   kind: full       every token of the context, kv_heads × (key_length + value_length) elements
--         sliding    min(ctx, window_tokens + ubatch) cells, rounded up to 256 (llama.cpp)
--         mla        compressed latent row per token: key_length = kv_lora_rank + rope dim, value 0
--         compressed one row per compress_ratio tokens (DeepSeek-V4 CSA/HCA)
--         recurrent  fixed state_bytes per layer, independent of context
CREATE TABLE attention_components (
    repo_id         VARCHAR NOT NULL,
    kind            VARCHAR NOT NULL,
    layer_count     INTEGER NOT NULL,
    kv_heads        INTEGER NOT NULL DEFAULT 0,
    key_length      INTEGER NOT NULL DEFAULT 0,
    value_length    INTEGER NOT NULL DEFAULT 0,
    window_tokens   BIGINT,
    compress_ratio  INTEGER,
    state_bytes     BIGINT,
    source          VARCHAR NOT NULL,        -- config.json | gguf | ...
    CHECK (kind IN ('full', 'sliding', 'mla', 'compressed', 'recurrent'))
);
