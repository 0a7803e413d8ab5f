-- Migration 12: incremental analysis (issue 16.1). A run records whether it recomputed
-- everything or only what the events imported since the last run can change, and what it
-- recomputed per SOP (docs/schema.md, `runs`; analytics/incremental.py). NULL on runs written
-- before this migration (they count as full runs without a watermark: the next run is full).

ALTER TABLE runs ADD COLUMN IF NOT EXISTS kind VARCHAR;       -- 'full' | 'incremental'
ALTER TABLE runs ADD COLUMN IF NOT EXISTS recomputed JSON;    -- per SOP: kind, reason, cases, watermark, ...
