-- Migration 2: the analysis result tables (written by `pantau analyze`, read by the dashboard
-- and notebooks). Stores of schema version 1 whose result tables an older `pantau analyze`
-- created get the columns added since (the ALTERs below); new stores get them whole.
-- Public API for analysts: every column is described in docs/schema.md. Each result row
-- carries run_id; `runs` records the model checksums and calendar version it was checked
-- against, so every finding traces back to events (event ids) and an SOP version.
-- Durations: *_wm = working minutes (office hours of the agency's calendar);
-- *_hours = calendar hours. Standards are in the unit of the step's Mutu Baku.

CREATE SEQUENCE IF NOT EXISTS run_id_seq START 1;

CREATE TABLE IF NOT EXISTS runs (
    run_id           INTEGER PRIMARY KEY,
    started          TIMESTAMPTZ NOT NULL,
    finished         TIMESTAMPTZ,
    pantau_version   VARCHAR NOT NULL,
    sop_ids          VARCHAR[] NOT NULL,
    model_sha256     MAP(VARCHAR, VARCHAR),   -- sop_id -> sha256 of the model file used
    calendar_version VARCHAR,
    event_count      BIGINT,
    case_count       BIGINT,
    stage_seconds    MAP(VARCHAR, DOUBLE),    -- wall time of each analyze stage
    alignment_timeouts INTEGER,               -- variants that fell back to token replay
    as_of            TIMESTAMPTZ              -- "now" for open cases (latest event ts)
);

-- One row per step occurrence in a case (a start/complete pair, or a lone complete).
CREATE TABLE IF NOT EXISTS step_checks (
    run_id        INTEGER NOT NULL,
    case_id       VARCHAR NOT NULL,
    sop_id        VARCHAR NOT NULL,
    agency        VARCHAR,
    unit          VARCHAR,
    step_id       VARCHAR NOT NULL,
    occurrence    INTEGER NOT NULL,          -- 1 for the first time the step is done in the case
    lane          VARCHAR,
    resource      VARCHAR,
    enabled_ts    TIMESTAMPTZ,               -- completion of the preceding event, or the case's first event
    start_ts      TIMESTAMPTZ,               -- NULL when the log has no start event
    complete_ts   TIMESTAMPTZ,
    waiting_wm    DOUBLE,                    -- enabled -> start, working minutes
    processing_wm DOUBLE,                    -- start -> complete, working minutes
    paused_wm     DOUBLE,                    -- time the file was back with the applicant (not counted)
    elapsed       DOUBLE,                    -- enabled -> complete in the standard's unit and calendar, pauses excluded
    std_unit      VARCHAR,                   -- minute | hour | day | month
    std_calendar  VARCHAR,                   -- working | calendar
    quantity      DOUBLE,                    -- per-unit multiplier (e.g. jumlah_wbs), 1 otherwise
    std_min       DOUBLE,                    -- scaled by quantity
    std_max       DOUBLE,                    -- scaled by quantity
    deadline_ts   TIMESTAMPTZ,               -- day-of-month or max-based deadline
    status        VARCHAR NOT NULL,          -- ok | breach | too_fast | deadline_missed | no_standard
    overrun       DOUBLE,                    -- elapsed - std_max when breached (standard's unit), else 0
    start_event_id    BIGINT,
    complete_event_id BIGINT,
    prev_step_id  VARCHAR,                   -- the step occurrence completed right before in the case (NULL: none)
    prev_complete_ts TIMESTAMPTZ,            -- its completion
    next_step_id  VARCHAR                    -- the step occurrence completed right after (NULL: none yet)
);
ALTER TABLE step_checks ADD COLUMN IF NOT EXISTS prev_step_id VARCHAR;
ALTER TABLE step_checks ADD COLUMN IF NOT EXISTS prev_complete_ts TIMESTAMPTZ;
ALTER TABLE step_checks ADD COLUMN IF NOT EXISTS next_step_id VARCHAR;

-- One row per case.
CREATE TABLE IF NOT EXISTS case_checks (
    run_id             INTEGER NOT NULL,
    case_id            VARCHAR NOT NULL,
    sop_id             VARCHAR NOT NULL,
    agency             VARCHAR,
    unit               VARCHAR,
    first_ts           TIMESTAMPTZ,
    last_ts            TIMESTAMPTZ,
    is_open            BOOLEAN,              -- the case has not reached an end of the SOP
    throughput_hours   DOUBLE,               -- calendar hours first -> last event
    throughput_wm      DOUBLE,               -- working minutes first -> last event
    service_std_max    DOUBLE,               -- case-level standard (e.g. 1 month), NULL when none
    service_std_unit   VARCHAR,
    service_std_breach BOOLEAN,              -- NULL when the SOP has no case-level standard
    breach_count       INTEGER,              -- step_checks rows with status breach/deadline_missed/too_fast
    variant_id         VARCHAR,
    alignment_fitness  DOUBLE,
    alignment_status   VARCHAR,              -- aligned | token_replay_fallback
    token_fitness      DOUBLE,
    conformant         BOOLEAN,              -- fits the model exactly (alignment fitness = 1)
    deviation_count    INTEGER,
    kelengkapan_complete BOOLEAN,            -- NULL when the log carries no documents submitted
    output_recorded    BOOLEAN               -- NULL when the log records no output
);

CREATE TABLE IF NOT EXISTS deviations (
    run_id         INTEGER NOT NULL,
    case_id        VARCHAR NOT NULL,
    sop_id         VARCHAR NOT NULL,
    agency         VARCHAR,
    unit           VARCHAR,
    kind           VARCHAR NOT NULL,         -- skipped_step | extra_activity | wrong_order | rework | unmapped_activity | both_branches | missing_kelengkapan | same_person
    step_id        VARCHAR,
    activity       VARCHAR,
    position       INTEGER,                  -- 1-based position in the case's trace (NULL for skipped steps: where it was expected)
    lane           VARCHAR,
    event_id       BIGINT,                   -- the event concerned, when there is one
    explanation_id VARCHAR NOT NULL,         -- one line, Bahasa Indonesia
    explanation_en VARCHAR NOT NULL          -- one line, English
);

CREATE TABLE IF NOT EXISTS variants (
    run_id           INTEGER NOT NULL,
    sop_id           VARCHAR NOT NULL,
    variant_id       VARCHAR NOT NULL,       -- stable: hash of sop_id + activity sequence
    activities       VARCHAR[] NOT NULL,     -- step ids (or activity labels when unmapped), in order
    case_count       BIGINT NOT NULL,
    alignment_fitness DOUBLE,
    token_fitness    DOUBLE,
    alignment_status VARCHAR,
    cost             DOUBLE,                 -- alignment cost
    is_sop_path      BOOLEAN                 -- fits the model exactly
);

CREATE TABLE IF NOT EXISTS lane_stats (
    run_id            INTEGER NOT NULL,
    sop_id            VARCHAR NOT NULL,
    agency            VARCHAR,
    unit              VARCHAR,               -- the cases' service unit
    lane              VARCHAR NOT NULL,
    month             DATE NOT NULL,         -- first day of the month of complete_ts (local)
    cases             BIGINT,
    step_occurrences  BIGINT,
    waiting_median_wm DOUBLE,
    waiting_p90_wm    DOUBLE,
    processing_median_wm DOUBLE,
    processing_p90_wm DOUBLE,
    breach_rate       DOUBLE,                -- share of step occurrences breaching their standard
    avg_wip           DOUBLE                 -- average number of steps enabled but not completed
);
ALTER TABLE lane_stats ADD COLUMN IF NOT EXISTS unit VARCHAR;

CREATE TABLE IF NOT EXISTS handovers (
    run_id          INTEGER NOT NULL,
    sop_id          VARCHAR NOT NULL,
    agency          VARCHAR,
    unit            VARCHAR,                 -- the case's service unit
    month           DATE,                    -- first day of the local month the receiving step completed
    from_lane       VARCHAR NOT NULL,
    to_lane         VARCHAR NOT NULL,
    count           BIGINT NOT NULL,
    median_delay_wm DOUBLE
);
ALTER TABLE handovers ADD COLUMN IF NOT EXISTS unit VARCHAR;
ALTER TABLE handovers ADD COLUMN IF NOT EXISTS month DATE;

CREATE TABLE IF NOT EXISTS model_quality (
    run_id     INTEGER NOT NULL,
    sop_id     VARCHAR NOT NULL,
    agency     VARCHAR,
    cases      BIGINT,
    variants   BIGINT,
    fitness    DOUBLE,                        -- mean alignment fitness over cases
    precision  DOUBLE                         -- ETConformance precision of the model on the log
);

CREATE TABLE IF NOT EXISTS open_cases (
    run_id        INTEGER NOT NULL,
    case_id       VARCHAR NOT NULL,
    sop_id        VARCHAR NOT NULL,
    agency        VARCHAR,
    unit          VARCHAR,
    current_step  VARCHAR,                    -- the step expected next (or in progress)
    current_lane  VARCHAR,
    since_ts      TIMESTAMPTZ,                -- when it was enabled
    used          DOUBLE,                     -- time used so far, in the standard's unit/calendar
    std_max       DOUBLE,
    std_unit      VARCHAR,
    remaining     DOUBLE,                     -- std_max - used (negative = late)
    deadline_ts   TIMESTAMPTZ,
    status        VARCHAR NOT NULL            -- late | at_risk (>= 80% used) | on_track | no_standard
);
