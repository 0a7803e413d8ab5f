-- Migration 6: on-time targets (issues 12.3, 15.1).
-- A target is the on-time share an agency aims at for an SOP. Three places can say it, the
-- first that does wins (macro on_time_target in views.sql): a `pantau target set` for the SOP
-- and agency, one for the SOP (every agency), the model version's own `target_on_time`, the
-- default 90 %.

ALTER TABLE models ADD COLUMN target_on_time DOUBLE;  -- the model file's target_on_time (NULL: not set)

-- Append-only: the latest row per (sop_id, agency) is in force; a row with NULL
-- target_on_time removes the earlier one (`pantau target unset`). Who set it and why is kept.
CREATE TABLE IF NOT EXISTS targets (
    sop_id         VARCHAR NOT NULL,
    agency         VARCHAR,            -- NULL: every agency running the SOP
    target_on_time DOUBLE CHECK (target_on_time IS NULL OR (target_on_time > 0 AND target_on_time <= 1)),
    set_by         VARCHAR NOT NULL,
    set_at         TIMESTAMPTZ NOT NULL,
    reason         VARCHAR
);
