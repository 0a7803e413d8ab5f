-- Migration 4: a machine-readable kind for every quarantined row, and the one reference list
-- of kinds with their labels in Bahasa Indonesia and English (the Data page groups and pages
-- quarantine by kind in SQL). The kind of a row is its first problem; `reason` keeps all of
-- them, each with at most a masked value. Old rows get their kind from their reason.

CREATE TABLE IF NOT EXISTS ref_quarantine_kinds (
    kind           VARCHAR PRIMARY KEY,
    label_id       VARCHAR NOT NULL,
    label_en       VARCHAR NOT NULL,
    description_id VARCHAR NOT NULL,
    description_en VARCHAR NOT NULL
);
-- (its rows come from event_logs/vocabularies/quarantine_kinds.csv, written by every writable open)

ALTER TABLE quarantine ADD COLUMN IF NOT EXISTS kind VARCHAR;

UPDATE quarantine SET kind = replace(regexp_extract(reason,
    '^(unbalanced quote|too many fields|missing case_id|missing activity|missing timestamp|'
    || 'unparsable timestamp|implausible timestamp|unknown lifecycle)', 1), ' ', '_')
WHERE kind IS NULL;
UPDATE quarantine SET kind = NULL WHERE kind = '';
