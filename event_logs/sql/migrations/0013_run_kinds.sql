-- Migration 13: the kinds of run (runs.kind) as a vocabulary like every other kind and status:
-- 'full' or 'incremental' (event_logs/vocabularies/run_kinds.csv, synced on every writable
-- open; analytics/incremental.py decides which a run is).

CREATE TABLE IF NOT EXISTS ref_run_kinds (
    kind           VARCHAR PRIMARY KEY,
    label_id       VARCHAR NOT NULL,
    label_en       VARCHAR NOT NULL,
    description_id VARCHAR NOT NULL,
    description_en VARCHAR NOT NULL
);
