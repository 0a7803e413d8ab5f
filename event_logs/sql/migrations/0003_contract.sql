-- Migration 3: the store as the one contract. Models, vocabularies and the activity mapping
-- become data in the store; events keep only what the source file said; results say which
-- model version they were computed with and carry the local days their periods are read in.
-- Every table and column is described in docs/schema.md.

-- Vocabularies. The rows come from event_logs/vocabularies/*.csv and are written again by
-- every writable open (event_logs.vocabularies.sync): the CSV file is their one source.
CREATE TABLE ref_step_status (
    status         VARCHAR PRIMARY KEY,
    precedence     INTEGER NOT NULL,     -- 1 wins: the first status whose condition holds
    when_flag      VARCHAR NOT NULL,     -- the judged condition (missed_day, over_max, under_min, no_bound, always)
    is_judged      BOOLEAN NOT NULL,     -- the step has a standard to be judged by
    is_violation   BOOLEAN NOT NULL,     -- counts as a Mutu Baku violation (the breach rate's numerator)
    is_late        BOOLEAN NOT NULL,     -- counts as late (over the upper bound or the deadline)
    color          VARCHAR NOT NULL,
    label_id       VARCHAR NOT NULL,
    label_en       VARCHAR NOT NULL,
    description_id VARCHAR NOT NULL,
    description_en VARCHAR NOT NULL
);
CREATE TABLE ref_open_status (
    status         VARCHAR PRIMARY KEY,
    precedence     INTEGER NOT NULL,
    is_late        BOOLEAN NOT NULL,
    color          VARCHAR NOT NULL,
    label_id       VARCHAR NOT NULL,
    label_en       VARCHAR NOT NULL,
    description_id VARCHAR NOT NULL,
    description_en VARCHAR NOT NULL
);
CREATE TABLE ref_deviation_kinds (
    kind           VARCHAR PRIMARY KEY,
    sort           INTEGER NOT NULL,
    detected_by    VARCHAR NOT NULL,     -- alignment | rule
    color          VARCHAR NOT NULL,
    label_id       VARCHAR NOT NULL,
    label_en       VARCHAR NOT NULL,
    description_id VARCHAR NOT NULL,
    description_en VARCHAR NOT NULL
);
CREATE TABLE ref_alignment_status (
    status         VARCHAR PRIMARY KEY,
    label_id       VARCHAR NOT NULL,
    label_en       VARCHAR NOT NULL,
    description_id VARCHAR NOT NULL,
    description_en VARCHAR NOT NULL
);
CREATE TABLE ref_model_status (
    status         VARCHAR PRIMARY KEY,
    label_id       VARCHAR NOT NULL,
    label_en       VARCHAR NOT NULL,
    description_id VARCHAR NOT NULL,
    description_en VARCHAR NOT NULL
);

-- SOP models, one row per version (keyed by the sha256 of the model file's text).
CREATE TABLE models (
    model_sha256   VARCHAR PRIMARY KEY,
    sop_id         VARCHAR NOT NULL,
    title          VARCHAR NOT NULL,
    agency         VARCHAR NOT NULL,
    region         VARCHAR,
    timezone       VARCHAR NOT NULL,
    sop_number     VARCHAR,
    revision       VARCHAR,
    created        DATE,
    revised        DATE,
    effective      DATE,
    approved_by    VARCHAR,
    source         VARCHAR,               -- the SOP document the model was read from
    calendar_id    VARCHAR NOT NULL,      -- the working calendar its Waktu is measured on
    service_std_raw      VARCHAR,         -- the Standar Pelayanan's printed Waktu
    service_std_value    DOUBLE,
    service_std_unit     VARCHAR,
    service_std_calendar VARCHAR,
    status         VARCHAR NOT NULL,      -- draft | confirmed (ref_model_status)
    origin         VARCHAR NOT NULL,      -- bundled | file
    model_text     VARCHAR NOT NULL,      -- the model file itself: reading it gives the model back
    added_at       TIMESTAMPTZ NOT NULL,
    added_by       VARCHAR,
    confirmed_at   TIMESTAMPTZ,
    confirmed_by   VARCHAR
);
CREATE TABLE model_lanes (
    model_sha256   VARCHAR NOT NULL,
    lane_no        INTEGER NOT NULL,      -- 1-based, in the document's order
    lane           VARCHAR NOT NULL,
    PRIMARY KEY (model_sha256, lane_no)
);
CREATE TABLE model_steps (
    model_sha256   VARCHAR NOT NULL,
    step_no        INTEGER NOT NULL,      -- 1-based row of the activity table
    step_id        VARCHAR NOT NULL,
    printed_no     VARCHAR,               -- the number printed in the document (may differ)
    name           VARCHAR NOT NULL,      -- the Kegiatan text
    lane           VARCHAR NOT NULL,
    lane_source    VARCHAR,               -- printed | inferred
    kind           VARCHAR,               -- task | decision | ...
    scope          VARCHAR NOT NULL,      -- case | program
    kelengkapan    VARCHAR[],
    output         VARCHAR,
    waktu_raw      VARCHAR,               -- the printed Waktu
    std_unit       VARCHAR NOT NULL,      -- the unit results are reported in
    std_calendar   VARCHAR NOT NULL,      -- working | calendar
    max_value      DOUBLE,
    max_unit       VARCHAR,
    max_calendar   VARCHAR,
    min_value      DOUBLE,
    min_unit       VARCHAR,
    min_calendar   VARCHAR,
    per_unit       VARCHAR,               -- the unit a per-unit Waktu scales by ('WBS')
    per_attr       VARCHAR,               -- the case attribute that counts it ('jumlah_wbs')
    deadline_day   INTEGER,               -- "tanggal D setiap bulan"
    has_standard   BOOLEAN NOT NULL,
    on_main_path   BOOLEAN NOT NULL,      -- on the main path (first branch of each choice)
    PRIMARY KEY (model_sha256, step_id)
);
CREATE TABLE model_flow_next (
    model_sha256   VARCHAR NOT NULL,
    step_id        VARCHAR NOT NULL,      -- '' = no step done yet
    next_step      VARCHAR,               -- the main-path step after it (NULL: none)
    can_end        BOOLEAN NOT NULL       -- a case may end after it
);
CREATE TABLE model_loops (
    model_sha256   VARCHAR NOT NULL,
    loop_id        VARCHAR NOT NULL,
    first_step     VARCHAR NOT NULL,      -- a first step of the loop body
    last_step      VARCHAR NOT NULL,      -- a last step of the loop body
    returns_to     VARCHAR                -- 'pemohon': the file goes back to the applicant (paused time)
);
CREATE TABLE model_four_eyes (
    model_sha256   VARCHAR NOT NULL,
    step_a         VARCHAR NOT NULL,
    step_b         VARCHAR NOT NULL       -- must be completed by another person than step_a
);
CREATE TABLE model_artifacts (
    model_sha256   VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,      -- dot_lanes | bpmn | pnml
    content        VARCHAR NOT NULL,
    PRIMARY KEY (model_sha256, kind)
);

-- The activity mapping: labels of the source files -> SOP steps, applied at analysis time.
-- Exact and normalised matches of a step's name or id need no row; a row here decides.
CREATE TABLE activity_map (
    sop_id         VARCHAR NOT NULL,
    label          VARCHAR NOT NULL,
    step_id        VARCHAR,               -- NULL with out_of_scope: known, but no SOP step
    out_of_scope   BOOLEAN NOT NULL,
    source         VARCHAR NOT NULL,      -- cli | file | dashboard | migrated
    set_by         VARCHAR,
    set_at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (sop_id, label)
);
-- A store imported before this migration mapped labels at import time (also from
-- --activity-map files): those mappings are kept as explicit rows.
INSERT INTO activity_map
SELECT sop_id, activity, any_value(step_id), false, 'migrated', NULL, now()
FROM events WHERE step_id IS NOT NULL
GROUP BY sop_id, activity HAVING count(DISTINCT step_id) = 1;
ALTER TABLE events DROP COLUMN step_id;
ALTER TABLE events DROP COLUMN lane;

-- Results: the model version, the local days, the on-time rule and the counts behind rates.
ALTER TABLE runs ADD COLUMN schema_version INTEGER;   -- the store schema the run wrote (NULL: older)
ALTER TABLE runs ADD COLUMN parameters JSON;          -- the settings it ran with (at-risk share, alignment budgets, ...)
ALTER TABLE case_checks ADD COLUMN model_sha256 VARCHAR;
ALTER TABLE case_checks ADD COLUMN first_day DATE;
ALTER TABLE case_checks ADD COLUMN last_day DATE;
ALTER TABLE case_checks ADD COLUMN on_time BOOLEAN;
ALTER TABLE step_checks ADD COLUMN complete_day DATE;
ALTER TABLE variants ADD COLUMN model_sha256 VARCHAR;
ALTER TABLE lane_stats ADD COLUMN violations BIGINT;
ALTER TABLE lane_stats ADD COLUMN judged BIGINT;
ALTER TABLE lane_stats DROP COLUMN breach_rate;

CREATE TABLE activity_labels (
    run_id         INTEGER NOT NULL,
    sop_id         VARCHAR NOT NULL,
    model_sha256   VARCHAR NOT NULL,
    label          VARCHAR NOT NULL,
    events         BIGINT NOT NULL,       -- events of the analysed cases with this label
    step_id        VARCHAR,               -- the step it was mapped to (NULL: unmapped or out of scope)
    how            VARCHAR,               -- map | exact | normalised | out_of_scope; NULL: unmapped
    suggestions    JSON                   -- unmapped: up to three [step_id, score] candidates, never applied
);
