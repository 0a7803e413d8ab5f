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

-- Accepted deviations (migration 9, event_logs/acceptances.py). The state of each acceptance:
-- its accept entry says what it covers; its latest accept or change entry the reason and
-- expiry in force; a revoke entry ends it. status: revoked, else expired (valid_until before
-- today, the machine's date), else in_force (ref_acceptance_status says which take findings
-- out of the rates).
CREATE OR REPLACE VIEW acceptances AS
WITH latest AS (
    SELECT acceptance_id, reason, valid_until, actor, written_at
    FROM (SELECT *, row_number() OVER (PARTITION BY acceptance_id ORDER BY seq DESC) AS n
          FROM acceptance_log WHERE action IN ('accept', 'change'))
    WHERE n = 1),
revoked AS (
    SELECT acceptance_id, arg_max(actor, seq) AS revoked_by, max(written_at) AS revoked_at,
           arg_max(reason, seq) AS revoke_reason
    FROM acceptance_log WHERE action = 'revoke' GROUP BY acceptance_id)
SELECT a.acceptance_id, a.sop_id, a.agency, a.unit, a.case_id, a.kind, a.step_id, a.period_from,
       a.period_to, a.case_id IS NULL AS is_rule, l.reason, l.valid_until,
       a.actor AS accepted_by, a.actor_role AS accepted_role, a.written_at AS accepted_at,
       l.actor AS changed_by, l.written_at AS changed_at, r.revoked_by, r.revoked_at, r.revoke_reason,
       CASE WHEN r.acceptance_id IS NOT NULL THEN 'revoked'
            WHEN l.valid_until < current_date THEN 'expired'
            ELSE 'in_force' END AS status
FROM acceptance_log a
JOIN latest l USING (acceptance_id)
LEFT JOIN revoked r USING (acceptance_id)
WHERE a.action = 'accept';

-- THE rule of acceptance, defined once: a deviation is accepted when an acceptance in force
-- names its SOP and kind and, where the acceptance says them, its case, agency, unit and step,
-- and the first local day of its case lies in the acceptance's period. One row per accepted
-- deviation, with the (lowest) acceptance id that covers it.
CREATE OR REPLACE VIEW accepted_deviations AS
SELECT d.run_id, d.sop_id, d.agency, d.unit, d.case_id, d.kind, d.step_id, d.position, d.event_id,
       min(a.acceptance_id) AS acceptance_id
FROM deviations d
JOIN acceptances a ON a.sop_id = d.sop_id AND a.kind = d.kind
JOIN ref_acceptance_status s ON s.status = a.status AND s.in_force
LEFT JOIN case_checks c ON (a.period_from IS NOT NULL OR a.period_to IS NOT NULL)
    AND c.sop_id = d.sop_id AND c.agency IS NOT DISTINCT FROM d.agency AND c.case_id = d.case_id
WHERE (a.case_id IS NULL OR a.case_id = d.case_id)
  AND (a.agency IS NULL OR a.agency IS NOT DISTINCT FROM d.agency)
  AND (a.unit IS NULL OR a.unit IS NOT DISTINCT FROM d.unit)
  AND (a.step_id IS NULL OR a.step_id IS NOT DISTINCT FROM d.step_id)
  AND (a.period_from IS NULL OR c.first_day >= a.period_from)
  AND (a.period_to IS NULL OR c.first_day <= a.period_to)
GROUP BY ALL;

-- One row per deviation, with its kind's display order, how it is detected, and whether an
-- acceptance in force covers it (accepted: shown, marked, and left out of every count).
CREATE OR REPLACE VIEW deviation_results AS
SELECT d.*, k.sort AS kind_sort, k.detected_by, x.acceptance_id, x.acceptance_id IS NOT NULL AS accepted
FROM deviations d
JOIN ref_deviation_kinds k ON k.kind = d.kind
LEFT JOIN accepted_deviations x ON x.sop_id = d.sop_id AND x.agency IS NOT DISTINCT FROM d.agency
    AND x.case_id = d.case_id AND x.kind = d.kind AND x.step_id IS NOT DISTINCT FROM d.step_id
    AND x.position IS NOT DISTINCT FROM d.position AND x.event_id IS NOT DISTINCT FROM d.event_id;

-- One row per case, with whether it is closed (has reached an end of its SOP). Accepted
-- deviations leave the counts: deviation_count counts the others, and a case whose every
-- alignment deviation is accepted is conformant (model_conformant, deviations_found and
-- deviations_accepted keep what the analysis found). Only cases with an accepted deviation are
-- looked at again, so a store without acceptances reads case_checks as it is.
CREATE OR REPLACE VIEW case_results AS
WITH acc AS (
    SELECT d.sop_id, d.agency, d.case_id,
           count(*) FILTER (WHERE d.accepted) AS accepted,
           count(*) FILTER (WHERE d.accepted AND d.detected_by = 'alignment') AS accepted_alignment,
           count(*) FILTER (WHERE NOT d.accepted AND d.detected_by = 'alignment') AS open_alignment
    FROM deviation_results d
    WHERE EXISTS (SELECT 1 FROM accepted_deviations x WHERE x.sop_id = d.sop_id
                  AND x.agency IS NOT DISTINCT FROM d.agency AND x.case_id = d.case_id)
    GROUP BY ALL)
SELECT c.* REPLACE (
           (c.deviation_count - coalesce(acc.accepted, 0))::INTEGER AS deviation_count,
           coalesce(c.conformant OR (acc.accepted_alignment > 0 AND acc.open_alignment = 0), c.conformant)
               AS conformant),
       NOT coalesce(c.is_open, false) AS is_closed,
       c.conformant AS model_conformant,
       c.deviation_count AS deviations_found,
       coalesce(acc.accepted, 0) AS deviations_accepted
FROM case_checks c
LEFT JOIN acc ON acc.sop_id = c.sop_id AND acc.agency IS NOT DISTINCT FROM c.agency AND acc.case_id = c.case_id;

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


-- Share on time: of the closed cases, those within every Mutu Baku bound of every step and
-- within the case-level standard (case_checks.on_time; NULL while a case is open).
CREATE OR REPLACE MACRO on_time_share(on_time) AS avg(on_time::DOUBLE);

-- Breach rate: of the step occurrences that have a standard, those violating it (every
-- status with is_violation: over the maximum, past the deadline, under the minimum).
-- breach_rate_of takes the two counts (a query that counts grouped rows first: Pelanggaran's
-- step, lane and total rows from one pass over step_results); breach_rate counts the rows.
CREATE OR REPLACE MACRO breach_rate_of(violations, judged) AS violations::DOUBLE / nullif(judged, 0);
CREATE OR REPLACE MACRO breach_rate(is_violation, is_judged) AS
    breach_rate_of(count(*) FILTER (WHERE is_violation), count(*) FILTER (WHERE is_judged));

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

-- Deviations counted: the rows of deviation_results an acceptance in force does not cover.
CREATE OR REPLACE MACRO deviations_counted(accepted) AS count(*) FILTER (WHERE NOT coalesce(accepted, false));

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

-- Bottlenecks (migration 7; docs/mutu-baku.md, "Bottleneck"). Per SOP, agency, lane and step:
-- the working time its completed occurrences took beyond their standard (step_checks.excess_wm:
-- from the moment each fell due to its completion), the cases and occurrences that did, and
-- the step's rank within its SOP and agency (1 = the bottleneck: the most working hours beyond
-- the standard; ties by step id). Over the step completions of local days first_day..last_day
-- and one service unit; a NULL argument does not limit. Read from bottleneck_days (migration
-- 16: those step_checks rows summed per unit and day, what analyze writes with them); a case
-- with such completions on several days of the period is in each day's cases and in each
-- day's repeat_cases: counted once.
CREATE OR REPLACE MACRO bottlenecks_between(first_day, last_day, unit_name) AS TABLE
WITH days AS (
    SELECT * FROM bottleneck_days
    WHERE (first_day IS NULL OR complete_day >= first_day)
      AND (last_day IS NULL OR complete_day <= last_day)
      AND (unit_name IS NULL OR unit = unit_name)),
repeats AS (
    SELECT sop_id, agency, lane, step_id, count(*) - count(DISTINCT case_id) AS counted_again
    FROM (SELECT sop_id, agency, lane, step_id, unnest(repeat_cases) AS case_id
          FROM days WHERE repeat_cases IS NOT NULL)
    GROUP BY ALL)
SELECT *, row_number() OVER (PARTITION BY sop_id, agency ORDER BY excess_hours DESC, step_id) AS rank
FROM (
    SELECT d.sop_id, d.agency, d.lane, d.step_id,
           (sum(d.cases) - coalesce(any_value(r.counted_again), 0))::BIGINT AS cases,
           sum(d.occurrences)::BIGINT AS occurrences,
           sum(d.excess_wm) / 60.0 AS excess_hours
    FROM days d
    LEFT JOIN repeats r ON r.sop_id = d.sop_id AND r.agency IS NOT DISTINCT FROM d.agency
        AND r.lane IS NOT DISTINCT FROM d.lane AND r.step_id IS NOT DISTINCT FROM d.step_id
    GROUP BY d.sop_id, d.agency, d.lane, d.step_id
);

-- Every step that added working time beyond its standard, over all the stored results; the
-- bottleneck of an SOP and agency is its row with rank 1.
CREATE OR REPLACE VIEW bottlenecks AS
SELECT sop_id, agency, lane, step_id, cases, excess_hours, occurrences, rank
FROM bottlenecks_between(NULL, NULL, NULL);

-- An instant as local wall-clock text with its UTC offset, in zone `tz`:
-- local_timestamp_text(TIMESTAMPTZ '2024-12-27 09:00:00+00', 'Asia/Jakarta') = '2024-12-27 16:00:00+07:00'.
-- What exports print, so a row reads the same in any spreadsheet and any zone.
CREATE OR REPLACE MACRO local_timestamp_text(ts, tz) AS CASE WHEN ts IS NOT NULL THEN
    strftime(timezone(tz, ts), '%Y-%m-%d %H:%M:%S')
    || CASE WHEN epoch(timezone(tz, ts)) < epoch(ts) THEN '-' ELSE '+' END
    || lpad((abs(epoch(timezone(tz, ts)) - epoch(ts))::BIGINT // 3600)::VARCHAR, 2, '0') || ':'
    || lpad(((abs(epoch(timezone(tz, ts)) - epoch(ts))::BIGINT % 3600) // 60)::VARCHAR, 2, '0') END;

-- The month a case counts in on a monthly trend: the local month of its completion (its last
-- event) for a closed case; NULL while it is open (it joins the month it closes in). A month's
-- on-time share is then on_time_share over the cases closed in it, and a month is final once
-- runs.as_of has passed its end (docs/mutu-baku.md, "Monthly trend").
CREATE OR REPLACE MACRO completion_month(last_day, is_closed) AS
    CASE WHEN is_closed THEN date_trunc('month', last_day)::DATE END;
