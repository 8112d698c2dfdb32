-- Hub source, issue #3: parameter candidates, MoE shape, GGUF repos, incremental refresh.

-- More resolved facts per base model (MoE columns feed the active-bytes estimates).
ALTER TABLE hub_models ADD COLUMN name VARCHAR;
ALTER TABLE hub_models ADD COLUMN family VARCHAR;
ALTER TABLE hub_models ADD COLUMN base_model VARCHAR;              -- cardData.base_model (first)
ALTER TABLE hub_models ADD COLUMN children_count INTEGER;          -- childrenModelCount
ALTER TABLE hub_models ADD COLUMN trending_score DOUBLE;
ALTER TABLE hub_models ADD COLUMN n_layers INTEGER;
ALTER TABLE hub_models ADD COLUMN n_experts INTEGER;               -- routed experts (NULL: dense)
ALTER TABLE hub_models ADD COLUMN n_experts_used INTEGER;          -- routed experts per token
ALTER TABLE hub_models ADD COLUMN n_shared_experts INTEGER;
ALTER TABLE hub_models ADD COLUMN moe_intermediate_size BIGINT;
ALTER TABLE hub_models ADD COLUMN params_disagreement BOOLEAN;     -- two candidates > 10 % apart
ALTER TABLE hub_models ADD COLUMN config_sha VARCHAR;              -- commit the config was read at

-- Every parameter count we found, with its source; exactly one chosen per model.
CREATE TABLE param_candidates (
    repo_id          VARCHAR NOT NULL,
    repo_sha         VARCHAR NOT NULL,
    source           VARCHAR NOT NULL,   -- safetensors_raw | safetensors_unpacked | architecture | gguf
    params_total     BIGINT,
    params_active    BIGINT,
    chosen           BOOLEAN NOT NULL,
    rejected_reason  VARCHAR,
    detail           JSON,
    run_id           VARCHAR NOT NULL,
    fetched_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (repo_id, source)
);

-- GGUF derivative repos of each base model (all kept; one canonical per base model).
CREATE TABLE hub_gguf_repos (
    gguf_repo_id         VARCHAR PRIMARY KEY,
    base_repo_id         VARCHAR NOT NULL,
    publisher            VARCHAR NOT NULL,
    sha                  VARCHAR NOT NULL,
    last_modified        TIMESTAMPTZ,
    downloads            BIGINT,
    likes                BIGINT,
    trusted_rank         INTEGER,        -- position in [hub].gguf_publishers; NULL: untrusted
    is_canonical         BOOLEAN NOT NULL DEFAULT false,
    gguf_total_params    BIGINT,         -- gguf.total of the listing
    gguf_architecture    VARCHAR,
    gguf_context_length  BIGINT,
    tree_sha             VARCHAR,        -- commit whose file tree hub_gguf_files holds
    source_url           VARCHAR NOT NULL,
    fetched_at           TIMESTAMPTZ NOT NULL,
    run_id               VARCHAR NOT NULL,
    removed_at           TIMESTAMPTZ
);

-- Incremental refresh: the commit each repo's details were last read at, and how it went.
--   status ok | gated | not_found | bad_config: settled for that sha (re-read when sha changes)
-- Transient failures (time-outs, 5xx, rate limits, request cap) leave the watermark alone,
-- so the next run tries again.
CREATE TABLE hub_watermarks (
    repo_id        VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,     -- model | gguf
    sha            VARCHAR NOT NULL,
    last_modified  TIMESTAMPTZ,
    status         VARCHAR NOT NULL,
    run_id         VARCHAR NOT NULL,
    checked_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (repo_id, kind)
);

-- Discovery scans: only a complete scan may mark repos removed.
CREATE TABLE hub_scans (
    run_id       VARCHAR PRIMARY KEY,
    complete     BOOLEAN NOT NULL,
    found        INTEGER NOT NULL,
    removed      INTEGER NOT NULL,
    scanned_at   TIMESTAMPTZ NOT NULL
);
