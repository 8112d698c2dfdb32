-- runs_great when usable ≥ factor × needed (the seed's "plenty of headroom", 1.3), decent when
-- usable ≥ needed, else too_small.
CREATE OR REPLACE MACRO fit_verdict(usable_bytes, needed_bytes, great_factor := 1.3) AS
    CASE
        WHEN usable_bytes IS NULL OR needed_bytes IS NULL THEN NULL
        WHEN usable_bytes >= great_factor * needed_bytes THEN 'runs_great'
        WHEN usable_bytes >= needed_bytes THEN 'decent'
        ELSE 'too_small'
    END;
