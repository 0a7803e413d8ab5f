-- Migration 1: the event-log store (imports, events, cases, quarantine, simulator truth).
-- The tables are a public API for analysts: columns are described in docs/schema.md (a test
-- keeps that file and the migrated schema in step). Applied by event_logs.store.migrate().

CREATE TABLE IF NOT EXISTS schema_info (
    key   VARCHAR PRIMARY KEY,   -- 'schema_version', 'pantau_version'
    value VARCHAR NOT NULL
);

CREATE SEQUENCE IF NOT EXISTS import_id_seq START 1;

-- One row per imported file (the simulator writes one row per simulated SOP).
CREATE TABLE IF NOT EXISTS imports (
    import_id        INTEGER PRIMARY KEY,
    file_name        VARCHAR NOT NULL,      -- base name of the source file ('simulation' for the simulator)
    sha256           VARCHAR NOT NULL,      -- of the file's bytes; a second import of the same bytes is a no-op
    format           VARCHAR NOT NULL,      -- csv | xlsx | xes | parquet | simulation
    sop_id           VARCHAR NOT NULL,
    agency           VARCHAR,
    mapping          JSON,                  -- column -> field mapping actually used, activity map, tz, options
    rows_read        BIGINT NOT NULL,
    rows_loaded      BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL,
    rows_duplicate   BIGINT NOT NULL,
    started          TIMESTAMPTZ NOT NULL,
    finished         TIMESTAMPTZ NOT NULL,
    pantau_version   VARCHAR
);

-- One row per event. Events whose activity maps to no SOP step keep step_id NULL:
-- they are deviations, never dropped.
CREATE TABLE IF NOT EXISTS events (
    event_id    BIGINT NOT NULL,           -- unique in the store, increasing in import order
    case_id     VARCHAR NOT NULL,
    sop_id      VARCHAR NOT NULL,
    step_id     VARCHAR,                   -- SOP step id ('s01'), NULL when unmapped
    activity    VARCHAR NOT NULL,          -- the label as in the source
    lifecycle   VARCHAR NOT NULL,          -- 'start' | 'complete'
    ts          TIMESTAMPTZ NOT NULL,
    resource    VARCHAR,
    lane        VARCHAR,                   -- the step's lane from the SOP model (NULL when unmapped)
    agency      VARCHAR,
    unit        VARCHAR,                   -- service office, kelurahan, puskesmas, panti sosial
    import_id   INTEGER NOT NULL,
    source_row  BIGINT                     -- 1-based data row in the source file (header excluded)
);

-- One row per case (sop_id, case_id).
CREATE TABLE IF NOT EXISTS cases (
    case_id     VARCHAR NOT NULL,
    sop_id      VARCHAR NOT NULL,
    agency      VARCHAR,
    unit        VARCHAR,
    nik_hash    VARCHAR,                   -- HMAC-SHA256 of the NIK; the NIK itself is never stored
    attributes  JSON,                      -- case attributes (e.g. jumlah_wbs, kelengkapan, resi_no)
    first_ts    TIMESTAMPTZ,
    last_ts     TIMESTAMPTZ,
    import_id   INTEGER,
    PRIMARY KEY (sop_id, case_id)
);

-- Rows that could not be loaded, with the reason. Personal data is hashed here too.
CREATE TABLE IF NOT EXISTS quarantine (
    import_id   INTEGER NOT NULL,
    source_row  BIGINT,                    -- 1-based data row in the source file
    raw         JSON,                      -- the row as read (PII columns replaced by their HMAC)
    reason      VARCHAR NOT NULL
);

-- Ground truth injected by the simulator (empty for real data).
CREATE TABLE IF NOT EXISTS sim_truth (
    case_id     VARCHAR NOT NULL,
    sop_id      VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,          -- deviation kind (as in 'deviations.kind') or a step status: breach | deadline_missed | too_fast
    step_id     VARCHAR,                   -- the step concerned (NULL for extra activities)
    activity    VARCHAR,                   -- the activity label concerned
    detail      VARCHAR                    -- free text: what was injected
);
