-- The real Hub's mess (issue #16): how each GGUF build was attached to its base model, the
-- look-ups that resolved renamed and re-uploaded ids, and a scope that does not flap.

-- How a build reached its base model (catalog/hub/lineage.py, docs/hub.md):
--   tag        a base_model:quantized tag names the base
--   card       its quantized tag names the build itself (or is missing); its card's base_model does
--   renamed    the id it names is an old id of the base (the Hub redirects it)
--   re-upload  the id it names is another repo whose card names the base (through <= 3 hops)
ALTER TABLE hub_gguf_repos ADD COLUMN attached_by VARCHAR;
ALTER TABLE hub_gguf_repos ADD COLUMN attached_via VARCHAR;   -- the id named, when not the base itself
UPDATE hub_gguf_repos SET attached_by = 'tag';               -- every earlier attachment was by tag

-- What the Hub answered for an id a build names that is not tracked: where it lives now (the
-- Hub's redirect, followed) and what its card names. Cached forever; NULL repo_id: no such repo.
CREATE TABLE hub_aliases (
    alias_key    VARCHAR PRIMARY KEY,     -- the id as named, lower case
    named        VARCHAR NOT NULL,        -- the id as named
    repo_id      VARCHAR,                 -- the id the Hub serves it under now
    base_models  VARCHAR[],               -- cardData.base_model of that repo
    source_url   VARCHAR NOT NULL,
    fetched_at   TIMESTAMPTZ NOT NULL,
    run_id       VARCHAR NOT NULL
);

-- Complete discovery scans in a row that left a tracked model out of the scope; it is marked
-- removed when this reaches [hub] drop_after_scans (a model near the edge of a top-N list
-- does not flap out and back in).
ALTER TABLE hub_models ADD COLUMN missed_scans INTEGER DEFAULT 0;
UPDATE hub_models SET missed_scans = 0;
