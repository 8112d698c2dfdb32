-- Device popularity (issue #19): how common a device is, so lists name the cards people own first.
-- Written from catalog/devices/popularity.csv (survey shares, each with its source) and from the
-- segment defaults in catalog/devices/popularity.py; the devices view exposes the result.

-- A published survey's share for one device, with where it was read.
CREATE TABLE device_popularity (
    device_id    VARCHAR PRIMARY KEY,
    share_pct    DOUBLE NOT NULL,            -- percent of the survey's respondents
    survey       VARCHAR NOT NULL,           -- e.g. Steam Hardware & Software Survey
    survey_date  DATE NOT NULL,              -- the month the share describes (its last day)
    source_url   VARCHAR NOT NULL,
    notes        VARCHAR,
    updated_at   TIMESTAMPTZ NOT NULL,
    run_id       VARCHAR,
    CHECK (share_pct >= 0 AND share_pct <= 100)
);

-- The ordering value for a device no survey covers: per segment, documented, not measured.
CREATE TABLE device_popularity_defaults (
    segment      VARCHAR PRIMARY KEY,
    share_pct    DOUBLE NOT NULL,
    basis        VARCHAR NOT NULL
);
