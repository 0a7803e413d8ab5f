-- Migration 10: accepted deviations (issue 12.4).
-- An auditor accepts a deviation (one finding: a case + kind [+ step]) or a rule (an SOP + kind
-- [+ step, agency, unit, period]): it stays visible, marked, but leaves the rates. The
-- acceptances live in a hash-chained file beside the store (<store>.acceptances.jsonl,
-- event_logs/acceptances.py), which the dashboard may write while the store stays read-only.
-- acceptance_log is the copy of that file: written again from it by every writable open, and
-- shadowed by the file's latest state on every read-only open (event_logs.store), so every
-- reader sees an acceptance at once. The rule that matches findings is the view
-- accepted_deviations (event_logs/sql/views.sql).

CREATE TABLE IF NOT EXISTS ref_acceptance_status (
    status         VARCHAR PRIMARY KEY,
    precedence     INTEGER NOT NULL,
    in_force       BOOLEAN NOT NULL,     -- the acceptance takes its findings out of the rates
    color          VARCHAR NOT NULL,
    label_id       VARCHAR NOT NULL,
    label_en       VARCHAR NOT NULL,
    description_id VARCHAR NOT NULL,
    description_en VARCHAR NOT NULL
);

-- One row per entry of the acceptances file, in its order (append-only: an entry is never
-- changed; a change or a revocation is a new entry naming the acceptance).
CREATE TABLE IF NOT EXISTS acceptance_log (
    seq            BIGINT NOT NULL,       -- the entry's number in the file (1, 2, ...)
    written_at     TIMESTAMPTZ NOT NULL,  -- when it was written
    actor          VARCHAR NOT NULL,      -- who accepted, changed or revoked
    actor_role     VARCHAR NOT NULL,      -- their role (inspektorat), or 'cli'
    action         VARCHAR NOT NULL,      -- accept | change | revoke
    acceptance_id  BIGINT NOT NULL,       -- the seq of the entry that accepted it
    sop_id         VARCHAR,               -- what it covers (set on the accept entry only)
    agency         VARCHAR,               -- NULL: every agency running the SOP
    unit           VARCHAR,               -- NULL: every unit
    case_id        VARCHAR,               -- one case's finding; NULL: a rule
    kind           VARCHAR,               -- the deviation kind (ref_deviation_kinds)
    step_id        VARCHAR,               -- NULL: every step
    period_from    DATE,                  -- cases whose first local day is on or after it
    period_to      DATE,                  -- ... and on or before it
    valid_until    DATE,                  -- expiry: in force through this day (NULL: no expiry)
    reason         VARCHAR,               -- why (accept, change, revoke)
    entry_hash     VARCHAR NOT NULL       -- the entry's sha256 in the file's hash chain
);
