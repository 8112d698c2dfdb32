-- The run ledger also keeps what a run changed (changes.json counts) and its data-check results.
ALTER TABLE runs ADD COLUMN changes JSON;   -- {"models_added": n, "sizes_changed": n, ...}
ALTER TABLE runs ADD COLUMN checks JSON;    -- {"value_ranges": violations, ...}; -1: the check errored
