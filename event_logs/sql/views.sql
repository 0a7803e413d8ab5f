-- Pantau's public layer: the views and metric macros that the dashboard, the notebook and the
-- exports read. Result tables hold the rows `pantau analyze` wrote (one run per SOP); the views
-- add what the vocabularies say about them; each headline metric is defined exactly once, here,
-- as a macro over the views' columns, so every page and notebook computes it the same way:
--
--   SELECT agency, on_time_share(on_time), median_throughput_hours(throughput_hours, is_closed)
--   FROM case_results GROUP BY agency;
--
-- Applied (CREATE OR REPLACE) by every writable open of the store; a read-only connection to a
-- store whose definitions are older gets this file's as TEMP objects (event_logs.store).
-- Documented in docs/schema.md ("Public views and metrics").

-- When each confirmed model version of an SOP is in force, on local days: from its effective
-- date (in_force_from; NULL for the SOP's first version: in force from the start, so a day
-- before every version's date takes the earliest) until the next version's effective date
-- (in_force_until, exclusive; NULL: still in force). No effective date: in force from the
-- start. Equal dates: the version added last; the one it replaces gets an empty period.
-- This is the one rule of which version applies on a day: models_in_force(day) reads it, and
-- analysis judges each case by the version of its first event's day (analytics/revisions.py).
CREATE OR REPLACE VIEW model_periods AS
SELECT sop_id, model_sha256, revision, effective,
       CASE WHEN row_number() OVER w > 1 THEN coalesce(effective, DATE '0001-01-01') END AS in_force_from,
       lead(coalesce(effective, DATE '0001-01-01')) OVER w AS in_force_until
FROM models
WHERE status = 'confirmed'
WINDOW w AS (PARTITION BY sop_id ORDER BY coalesce(effective, DATE '0001-01-01'), added_at, model_sha256);

-- The model version of each SOP in force on local day `day` (model_periods).
CREATE OR REPLACE MACRO models_in_force(day) AS TABLE
SELECT sop_id, model_sha256
FROM model_periods
WHERE coalesce(in_force_from, DATE '0001-01-01') <= day
  AND (in_force_until IS NULL OR day < in_force_until);

-- The model version each SOP's stored results were computed with (its latest run).
CREATE OR REPLACE VIEW result_models AS
SELECT sop_id, arg_max(model_sha256, run_id) AS model_sha256, max(run_id) AS run_id
FROM (SELECT run_id, unnest(map_keys(model_sha256)) AS sop_id,
             unnest(map_values(model_sha256)) AS model_sha256 FROM runs)
GROUP BY sop_id;

-- One row per case, with whether it is closed (has reached an end of its SOP).
CREATE OR REPLACE VIEW case_results AS
SELECT c.*, NOT coalesce(c.is_open, false) AS is_closed
FROM case_checks c;

-- One row per step occurrence, with what its Mutu Baku status means (ref_step_status).
CREATE OR REPLACE VIEW step_results AS
SELECT s.*, r.is_judged, r.is_violation, r.is_late
FROM step_checks s
JOIN ref_step_status r ON r.status = s.status;

-- One row per open case, with whether its standing counts as late (ref_open_status).
CREATE OR REPLACE VIEW open_results AS
SELECT o.*, r.is_late
FROM open_cases o
JOIN ref_open_status r ON r.status = o.status;

-- One row per deviation, with its kind's display order and how it is detected.
CREATE OR REPLACE VIEW deviation_results AS
SELECT d.*, k.sort AS kind_sort, k.detected_by
FROM deviations d
JOIN ref_deviation_kinds k ON k.kind = d.kind;

-- Share on time: of the closed cases, those within every Mutu Baku bound of every step and
-- within the case-level standard (case_checks.on_time; NULL while a case is open).
CREATE OR REPLACE MACRO on_time_share(on_time) AS avg(on_time::DOUBLE);

-- Breach rate: of the step occurrences that have a standard, those violating it (every
-- status with is_violation: over the maximum, past the deadline, under the minimum).
CREATE OR REPLACE MACRO breach_rate(is_violation, is_judged) AS
    count(*) FILTER (WHERE is_violation)::DOUBLE / nullif(count(*) FILTER (WHERE is_judged), 0);

-- Tolerance for tiny overruns (the Pelanggaran page's "ignore overruns under N minutes",
-- default 0 = none): a late step occurrence completed less than `tolerance_min` minutes of the
-- clock after the instant it was due (`deadline_ts`) is tolerated, i.e. not counted as a
-- violation. Wall-clock minutes: an overrun across the office's closing hours is never hidden.
CREATE OR REPLACE MACRO within_tolerance(is_late, complete_ts, deadline_ts, tolerance_min) AS
    coalesce(is_late AND tolerance_min > 0
             AND complete_ts < deadline_ts + to_microseconds(CAST(tolerance_min * 60000000 AS BIGINT)),
             false);

-- Share conformant: of the closed cases, those whose trace fits the SOP model exactly.
CREATE OR REPLACE MACRO conformant_share(conformant, is_closed) AS
    avg(conformant::DOUBLE) FILTER (WHERE is_closed);

-- Fitness: the mean alignment fitness of the closed cases (token fitness after a fallback).
CREATE OR REPLACE MACRO mean_fitness(alignment_fitness, token_fitness, is_closed) AS
    avg(coalesce(alignment_fitness, token_fitness)) FILTER (WHERE is_closed);

-- Median throughput: first event -> last event of the closed cases, in calendar hours.
CREATE OR REPLACE MACRO median_throughput_hours(throughput_hours, is_closed) AS
    median(throughput_hours) FILTER (WHERE is_closed);

-- Open cases late now, and at risk (ref_open_status; open_results has is_late).
CREATE OR REPLACE MACRO open_late(is_late) AS count(*) FILTER (WHERE is_late);
CREATE OR REPLACE MACRO open_at_risk(status) AS count(*) FILTER (WHERE status = 'at_risk');

-- On-time targets (migration 6). The target rows in force: the latest per (sop_id, agency),
-- unless that latest row removed it (target_on_time NULL).
CREATE OR REPLACE VIEW targets_in_force AS
SELECT sop_id, agency, target_on_time, set_by, set_at, reason
FROM (SELECT *, row_number() OVER (PARTITION BY sop_id, agency ORDER BY set_at DESC) AS latest
      FROM targets)
WHERE latest = 1 AND target_on_time IS NOT NULL;

-- The on-time share an agency aims at for an SOP: `pantau target set` for the SOP and agency,
-- else for the SOP, else the target_on_time of the model version the results were computed
-- with, else 90 %. The only place the default lives.
CREATE OR REPLACE MACRO on_time_target(sop, agency_name) AS coalesce(
    (SELECT t.target_on_time FROM targets_in_force t WHERE t.sop_id = sop AND t.agency = agency_name),
    (SELECT t.target_on_time FROM targets_in_force t WHERE t.sop_id = sop AND t.agency IS NULL),
    (SELECT m.target_on_time FROM result_models r JOIN models m USING (model_sha256) WHERE r.sop_id = sop),
    0.9);

-- Where that target comes from: 'agency', 'sop', 'model' or 'default' (a page says "target
-- 90 % (default)", a report names who set it).
CREATE OR REPLACE MACRO on_time_target_source(sop, agency_name) AS CASE
    WHEN EXISTS (SELECT 1 FROM targets_in_force t WHERE t.sop_id = sop AND t.agency = agency_name) THEN 'agency'
    WHEN EXISTS (SELECT 1 FROM targets_in_force t WHERE t.sop_id = sop AND t.agency IS NULL) THEN 'sop'
    WHEN (SELECT m.target_on_time FROM result_models r JOIN models m USING (model_sha256)
          WHERE r.sop_id = sop) IS NOT NULL THEN 'model'
    ELSE 'default' END;
