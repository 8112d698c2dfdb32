-- Per model: a hash of every row its exported page and device-fit file are computed from, so the
-- exporter rebuilds only the models whose inputs changed (catalog/exports/publish.py adds the
-- exporter's own code to it). Inputs: the model's rows in models, model_quant_memory (all that
-- device_fit reads per model), quantizations, context_memory, gguf_files and param_candidates, and
-- the catalogue-wide devices, runtime_profiles, speed_constants, estimate_bands and quant_types. Columns that
-- change without changing a page are left out: fetch and verification times, Hub popularity
-- counters, run ids (a test checks that the page builder reads none of them). Row hashes are
-- summed, so row order does not matter and a duplicated row still counts. DuckDB's hash() is not
-- promised stable across releases, so version() is part of the global hash.
CREATE OR REPLACE VIEW page_inputs AS
WITH global AS (
    SELECT hash(
        (SELECT sum(hash(d)::HUGEINT) FROM (SELECT * EXCLUDE (verified_at, memory_verified_at,
                bandwidth_verified_at, fp16_verified_at) FROM devices) d),
        (SELECT sum(hash(p)::HUGEINT) FROM runtime_profiles p),
        (SELECT sum(hash(s)::HUGEINT) FROM speed_constants s),
        (SELECT coalesce(sum(hash(b)::HUGEINT), 0) FROM estimate_bands b),
        (SELECT sum(hash(t)::HUGEINT) FROM quant_types t),
        version()) AS h
), mqm AS (
    SELECT repo_id, sum(hash(q)::HUGEINT) AS h FROM model_quant_memory q GROUP BY repo_id
), quants AS (
    SELECT repo_id, sum(hash(q)::HUGEINT) AS h FROM quantizations q GROUP BY repo_id
), memory AS (
    SELECT repo_id, sum(hash(c)::HUGEINT) AS h FROM context_memory c GROUP BY repo_id
), files AS (
    SELECT f.base_repo_id AS repo_id, sum(hash(f)::HUGEINT) AS h
    FROM (SELECT * EXCLUDE (fetched_at) FROM gguf_files) f GROUP BY f.base_repo_id
), candidates AS (
    SELECT c.repo_id, sum(hash(c)::HUGEINT) AS h
    FROM (SELECT * EXCLUDE (run_id, fetched_at) FROM param_candidates) c GROUP BY c.repo_id
)
SELECT m.repo_id,
       printf('%016x', hash(hash(m), mqm.h, quants.h, memory.h, files.h, candidates.h, global.h)) AS inputs_hash
FROM (SELECT * EXCLUDE (downloads, likes, trending_score, children_count, fetched_at) FROM models) m
CROSS JOIN global
LEFT JOIN mqm USING (repo_id)
LEFT JOIN quants USING (repo_id)
LEFT JOIN memory USING (repo_id)
LEFT JOIN files USING (repo_id)
LEFT JOIN candidates USING (repo_id);
