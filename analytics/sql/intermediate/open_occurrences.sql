-- Occurrences in progress: a relation (no trailing ';'); analytics.mutu_baku adds a
-- working-clock reading of start_ts and stores it as the temp table mutu_baku_open_occ.
-- inputs: run_events, mutu_baku_case_facts, mutu_baku_loop_steps
-- output: (relation)
-- placeholders: ended
--   ended: SQL list of the lifecycle transitions that end an activity instance without
--     completing it (event_logs.lifecycle: ate_abort, withdraw, ...)
-- A step is in progress when its start event comes at or after the case's last completion
-- and no completion of the same step follows it: nothing completed after it, so it is not
-- paired (see intermediate/occurrences.sql). It was enabled by that last completion (the
-- case's first event when nothing is completed yet). occurrence = completions of the step
-- in the case + 1. A start before the case's last completion that never completed is a
-- restart or an abandoned attempt: not in progress; so is a start that an abort, withdrawal or
-- skip of the same step follows.
-- Only the cases whose latest start (case_facts.last_start_ts) is at or after their last
-- completion can have one: their events are read once (a few percent of the cases; joining
-- every start and every completion of the run to the case facts cost ~5 CPU s at 1M cases).
-- ck identifies a case among the case facts (analytics.mutu_baku checks it is unique).
WITH open_facts AS MATERIALIZED (
    SELECT * FROM mutu_baku_case_facts
    WHERE last_start_ts IS NOT NULL AND (last_complete_ts IS NULL OR last_start_ts >= last_complete_ts)
),
case_events AS MATERIALIZED (
    SELECT f.ck, e.step_id, e.event_id, e.lifecycle, e.ts
    FROM run_events e
    JOIN open_facts f ON f.sop_id = e.sop_id AND f.agency = e.agency AND f.case_id = e.case_id
    WHERE e.step_id IS NOT NULL AND e.lifecycle IN ('start', 'complete', {ended})
),
cand AS (
    SELECT f.ck, f.sop_id, f.agency, f.case_id, f.last_step, e.step_id, e.event_id AS start_event_id,
           e.ts AS start_ts, coalesce(f.last_complete_ts, f.first_ts) AS enabled_ts,
           coalesce(f.last_complete_ts_wm, f.first_ts_wm) AS enabled_wm, f.calendar_id
    FROM case_events e
    JOIN open_facts f ON f.ck = e.ck
    WHERE e.lifecycle = 'start'
      AND (f.last_complete_ts IS NULL OR e.ts >= f.last_complete_ts)
),
counted AS (
    SELECT c.ck, c.start_event_id,
           count(d.event_id) FILTER (WHERE d.lifecycle = 'complete') AS n_done,
           count(d.event_id) FILTER (WHERE d.ts >= c.start_ts
               AND (d.lifecycle = 'complete' OR d.event_id > c.start_event_id)) AS n_after
    FROM cand c
    LEFT JOIN case_events d ON d.ck = c.ck AND d.step_id = c.step_id AND d.lifecycle IN ('complete', {ended})
    GROUP BY c.ck, c.start_event_id
)
SELECT
    c.ck, c.sop_id, c.agency, c.case_id, c.step_id, (n.n_done + 1)::INTEGER AS occurrence,
    c.enabled_ts, c.enabled_wm, c.start_ts, c.start_event_id,
    lp.first_step IS NOT NULL AND n.n_done > 0 AS paused,
    c.calendar_id
FROM cand c
JOIN counted n ON n.ck = c.ck AND n.start_event_id = c.start_event_id
LEFT JOIN (SELECT DISTINCT sop_id, first_step, last_step FROM mutu_baku_loop_steps) lp
    ON lp.sop_id = c.sop_id AND lp.first_step = c.step_id AND lp.last_step = c.last_step
WHERE n.n_after = 0
