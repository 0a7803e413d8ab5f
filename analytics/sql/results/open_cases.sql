-- Open cases: where each unfinished case stands and how much of its current step's time is
-- used (run by analytics.open_cases), from this run's case_checks (is_open) and the temp tables
-- of the Mutu Baku stage.
-- inputs: case_checks, cases, mutu_baku_sops, mutu_baku_case_facts, mutu_baku_open_occ, mutu_baku_flow_next, mutu_baku_standards, calendar_info, open_cases_as_of, macro work_cum, macro mutu_baku_span, macro step_quantity, macro work_month_deadline, macro work_deadline
-- output: open_cases
-- placeholders: run_id, at_risk_share, case_rows
-- case_rows: the case_checks rows read: this run's (cc.run_id = run_id), or in an incremental
-- run's rejudging of the open cases without new events (analytics.open_cases.rejudge_open)
-- the kept ones, true (the case facts hold only those cases).
--
-- Current step: the step started after the case's last completion and not completed (the
-- latest such start), else the happy-path step after the last completed step. since_ts is
-- when it was enabled (the start of the clock for a step in progress after a return to the
-- applicant is its start event). used = since -> as_of in the standard's unit and calendar.
-- A batch step (day-of-month deadline) is judged like in step_checks: its Waktu bound
-- measures the work from its start event (0 used while it waits for the batch day), and
-- the day deadline measures the wait.
-- Status: not_measurable when the case has no time to measure from (a log read in order only:
-- clock_ts NULL, or no as_of because no event of the run has a time); late when used > max or
-- as_of is past the deadline; at_risk when at_risk_share
-- ([analysis] at_risk_share, 0.8 by default) of the max is used or of the time to a
-- day-of-month deadline has passed; no_standard when
-- the step has neither a maximum nor a deadline day; on_track otherwise.

INSERT INTO open_cases BY NAME
WITH open_case AS (
    SELECT f.*
    FROM case_checks cc
    JOIN mutu_baku_case_facts f ON f.sop_id = cc.sop_id AND f.agency = cc.agency AND f.case_id = cc.case_id
    WHERE {case_rows} AND cc.is_open
),
in_progress AS (
    SELECT o.ck,
           arg_max({'step': o.step_id, 'en': o.enabled_ts,
                    'clock': CASE WHEN o.paused THEN o.start_ts ELSE o.enabled_ts END,
                    'clock_wm': CASE WHEN o.paused THEN o.start_ts_wm ELSE o.enabled_wm END,
                    'st': o.start_ts, 'st_wm': o.start_ts_wm},
                   {'ts': o.start_ts, 'id': o.start_event_id}) AS cur
    FROM mutu_baku_open_occ o
    JOIN open_case f ON f.ck = o.ck
    GROUP BY o.ck
),
clock AS (
    SELECT s.calendar_id, a.as_of, work_cum(s.calendar_id, a.as_of) AS as_of_wm
    FROM (SELECT DISTINCT calendar_id FROM mutu_baku_case_facts) s  -- every case's calendar
    CROSS JOIN open_cases_as_of a
),
cur AS (
    SELECT
        f.sop_id, f.case_id, f.calendar_id,
        f.agency, f.unit, c.attributes,
        coalesce(ip.cur.step, fn.next_step) AS current_step,
        CASE WHEN ip.cur.step IS NOT NULL THEN ip.cur.en ELSE coalesce(f.last_complete_ts, f.first_ts) END
            AS since_ts,
        CASE WHEN ip.cur.step IS NOT NULL THEN ip.cur.clock ELSE coalesce(f.last_complete_ts, f.first_ts) END
            AS clock_ts,
        CASE WHEN ip.cur.step IS NOT NULL THEN ip.cur.clock_wm
             ELSE coalesce(f.last_complete_ts_wm, f.first_ts_wm) END AS clock_wm,
        ip.cur.st AS start_ts, ip.cur.st_wm AS start_wm
    FROM open_case f
    LEFT JOIN in_progress ip ON ip.ck = f.ck
    LEFT JOIN mutu_baku_flow_next fn ON fn.sop_id = f.sop_id AND fn.step_id = coalesce(f.last_step, '')
    LEFT JOIN cases c ON c.sop_id = f.sop_id AND c.agency = f.agency AND c.case_id = f.case_id
),
measured AS (
    SELECT
        u.*, st.std_unit, st.max_unit, st.max_calendar, st.deadline_day, ci.day_minutes::DOUBLE AS day_minutes, k.as_of,
        st.lane AS current_lane,
        st.max_value * step_quantity(u.attributes, st.per_attr) AS max_q,
        CASE WHEN st.deadline_day IS NOT NULL THEN coalesce(u.start_ts, k.as_of) ELSE u.clock_ts END
            AS work_clock_ts,
        mutu_baku_span(st.std_unit, st.std_calendar,
                       k.as_of_wm - CASE WHEN st.deadline_day IS NOT NULL
                                         THEN coalesce(u.start_wm, k.as_of_wm) ELSE u.clock_wm END,
                       epoch(k.as_of - CASE WHEN st.deadline_day IS NOT NULL
                                            THEN coalesce(u.start_ts, k.as_of) ELSE u.clock_ts END),
                       ci.day_minutes::DOUBLE) AS used_raw
    FROM cur u
    JOIN calendar_info ci ON ci.calendar_id = u.calendar_id
    JOIN clock k ON k.calendar_id = u.calendar_id
    LEFT JOIN mutu_baku_standards st ON st.sop_id = u.sop_id AND st.step_id = u.current_step
),
dated AS (
    SELECT
        d.*,
        CASE WHEN d.deadline_day IS NOT NULL
             THEN work_month_deadline(d.calendar_id, d.since_ts, d.deadline_day) END AS day_deadline,
        CASE WHEN d.max_q IS NOT NULL
             THEN work_deadline(d.calendar_id, d.work_clock_ts, d.max_q, d.max_unit, d.max_calendar) END
            AS max_deadline
    FROM measured d
)
SELECT
    {run_id} AS run_id, case_id, sop_id, agency, unit, current_step, current_lane, since_ts,
    CASE WHEN current_step IS NOT NULL THEN used_raw END AS used,
    max_q AS std_max,
    CASE WHEN current_step IS NOT NULL THEN std_unit END AS std_unit,
    max_q - used_raw AS remaining,
    coalesce(day_deadline, max_deadline) AS deadline_ts,
    CASE
        WHEN clock_ts IS NULL OR as_of IS NULL THEN 'not_measurable'
        WHEN max_q IS NULL AND deadline_day IS NULL THEN 'no_standard'
        WHEN (max_q IS NOT NULL AND (CASE WHEN max_unit = 'month' THEN as_of > max_deadline
                                          ELSE used_raw > max_q END))
             OR as_of > day_deadline THEN 'late'
        WHEN used_raw >= {at_risk_share} * max_q
             OR epoch(as_of - since_ts) >= {at_risk_share} * epoch(day_deadline - since_ts) THEN 'at_risk'
        ELSE 'on_track'
    END AS status,
    (SELECT m.model_sha256 FROM mutu_baku_sops m WHERE m.sop_id = dated.sop_id) AS model_sha256
FROM dated;
