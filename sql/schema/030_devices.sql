-- Devices (issue #5). Curated file catalog/devices/devices.csv is the truth; vendor pages
-- verify it. Memory and bandwidth are per GPU; systems carry gpu_count.

-- Resolved: one row per purchasable device variant (curated, or seen only by a scraper).
CREATE TABLE devices_curated (
    device_id             VARCHAR PRIMARY KEY,     -- stable slug, e.g. nvidia-h100-sxm-80gb
    vendor                VARCHAR NOT NULL,
    name                  VARCHAR NOT NULL,
    kind                  VARCHAR NOT NULL,        -- gpu | soc | system | superchip
    segment               VARCHAR NOT NULL,        -- consumer | workstation | datacenter | mac | system
    backend               VARCHAR NOT NULL,        -- cuda | rocm | metal | vulkan | cpu
    gpu_count             INTEGER NOT NULL,
    memory_gb             DOUBLE NOT NULL,         -- as marketed, per GPU (binary GB)
    memory_bytes          BIGINT NOT NULL,         -- memory_gb × 2^30
    memory_type           VARCHAR,
    bandwidth_gbps        DOUBLE,                  -- per GPU, decimal GB/s
    unified               BOOLEAN NOT NULL,
    gpu_share             DOUBLE NOT NULL,         -- share of memory the GPU may use
    reserve_bytes         BIGINT NOT NULL,         -- driver/context reserve per GPU
    usable_memory_bytes   BIGINT NOT NULL,         -- memory_bytes × gpu_share − reserve
    interconnect          VARCHAR,
    fp16_tflops_dense     DOUBLE,                  -- per GPU, dense FP16 tensor
    launch_date           DATE,
    source_url            VARCHAR NOT NULL,
    confidence            VARCHAR NOT NULL,        -- high | medium | low
    origin                VARCHAR NOT NULL,        -- curated | scraped
    reviewed              BOOLEAN NOT NULL,
    match_keys            VARCHAR[] NOT NULL,      -- product labels this device answers to
    notes                 VARCHAR,
    memory_verified_at    TIMESTAMPTZ,
    bandwidth_verified_at TIMESTAMPTZ,
    fp16_verified_at      TIMESTAMPTZ,
    updated_at            TIMESTAMPTZ NOT NULL,
    run_id                VARCHAR,
    CHECK (kind IN ('gpu', 'soc', 'system', 'superchip')),
    CHECK (backend IN ('cuda', 'rocm', 'metal', 'vulkan', 'cpu')),
    CHECK (origin IN ('curated', 'scraped')),
    CHECK (gpu_count >= 1 AND gpu_share > 0 AND gpu_share <= 1)
);

-- Raw: every number a vendor page stated, append-only, with provenance.
CREATE TABLE raw_device_observations (
    run_id          VARCHAR NOT NULL,
    source_url      VARCHAR NOT NULL,
    fetched_at      TIMESTAMPTZ NOT NULL,
    content_sha256  VARCHAR NOT NULL,
    parser          VARCHAR NOT NULL,
    parser_version  VARCHAR NOT NULL,
    vendor          VARCHAR NOT NULL,
    product         VARCHAR NOT NULL,               -- label as printed
    product_key     VARCHAR NOT NULL,
    device_id       VARCHAR,                        -- matched device, NULL if none yet
    field           VARCHAR NOT NULL,               -- memory_gb | bandwidth_gbps | fp16_tflops_dense | memory_type
    value           DOUBLE,                         -- as printed, in the field's unit
    value_text      VARCHAR NOT NULL,
    basis           VARCHAR NOT NULL,               -- dense | sparse | ''
    scope           VARCHAR NOT NULL                -- per_gpu | pair | system
);

-- A vendor number that disagrees (> 3 %) with the resolved one: kept for a human, never applied.
CREATE TABLE device_conflicts (
    device_id        VARCHAR NOT NULL,
    field            VARCHAR NOT NULL,
    resolved_value   DOUBLE,                        -- what devices_curated holds
    observed_value   DOUBLE NOT NULL,               -- the page's figure brought to per-GPU dense
    diff_pct         DOUBLE,
    source_url       VARCHAR NOT NULL,
    content_sha256   VARCHAR NOT NULL,
    first_seen_at    TIMESTAMPTZ NOT NULL,
    last_seen_at     TIMESTAMPTZ NOT NULL,
    run_id           VARCHAR NOT NULL,
    status           VARCHAR NOT NULL DEFAULT 'open',   -- open | resolved
    resolved_at      TIMESTAMPTZ
);
