-- Migration 15 (issue 13): variant_counts, the cases of each trace variant per agency and unit.
-- A scoped reader's variants.case_count counts the cases in its scope only
-- (event_logs/scoped.py); regrouping the scope's case_checks on every read of variants cost
-- 15-30 ms per query at 1M cases, summing these rows a fraction of it. `pantau analyze`
-- rewrites an SOP's rows with its other results (analytics/variant_counts.py); the rows of
-- stores analysed before come from their case_checks here.
CREATE TABLE IF NOT EXISTS variant_counts (
    run_id     INTEGER NOT NULL,   -- the run that wrote the row (the SOP's latest)
    sop_id     VARCHAR NOT NULL,
    variant_id VARCHAR,            -- -> variants.variant_id (case_checks.variant_id)
    agency     VARCHAR,
    unit       VARCHAR,
    cases      BIGINT NOT NULL     -- cases of the SOP, agency and unit with this variant
);
INSERT INTO variant_counts
SELECT max(run_id), sop_id, variant_id, agency, unit, count(*)
FROM case_checks GROUP BY sop_id, variant_id, agency, unit;
