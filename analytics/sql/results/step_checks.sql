-- Mutu Baku, step level: judge every completed step occurrence and write step_checks (run by
-- analytics.mutu_baku). Temp inputs: mutu_baku_case_facts (intermediate/case_facts.sql), the
-- model tables of analytics.standards, mutu_baku_step_keys (analytics.mutu_baku); the rules of
-- rules/mutu_baku.sql and the working calendar's tables and macros.
-- inputs: mutu_baku_case_facts, mutu_baku_suspended, mutu_baku_sops, mutu_baku_standards, mutu_baku_loop_steps, mutu_baku_step_keys, work_clock_zone, work_clock_day, calendar_info, work_month_deadlines, work_calendar_open, macro mutu_baku_span, macro mutu_baku_to_wm, macro step_quantity, macro day_of_month_target, macro work_clock_local, macro calendar_add
-- output: step_checks
-- placeholders: run_id, sop_filter, occurrences, working_deadline, working_deadline_join, step_status, days_per_month, due_clock
-- (sop_filter: a predicate on the case facts' sop_id, the SOPs this statement judges: a full
-- run has one statement per SOP, analytics.standards.sop_filters; occurrences:
-- intermediate/occurrences.sql over their events; step_status: the status rule, generated
-- from ref_step_status in precedence order by analytics.mutu_baku.status_sql)
--
-- pause     = a new iteration of a loop that returned the file to the applicant (returns_to):
--             the agency's clock restarts when it picks the file up again, i.e. at the
--             occurrence's start event (without one, at its completion); the time before is
--             paused_wm (0 for an occurrence that follows no such return)
-- suspended = XES suspend -> resume inside the occurrence (mutu_baku_suspended,
--             intermediate/suspensions.sql): working minutes (suspended_wm) and seconds
--             (suspended_s) that are neither processing nor elapsed: the clock start moves by
--             them (the span shrinks, a deadline moves later by as much)
-- batch     = a step with a day-of-month deadline ("tanggal 25 setiap bulannya"): waiting for
--             the batch day is by design and judged by the deadline alone; its Waktu bounds
--             judge the work itself, so its clock starts at its start event (without one, at
--             its completion: the deadline alone decides)
-- elapsed   = clock start (enabled_ts, the end of the pause, or a batch step's start) -> complete_ts in the
--             standard's unit: working minutes / 1, / 60 or / day_minutes (a working day), or calendar
--             seconds / 60, / 3600, / 86400; months = days / days_per_month
-- breach    = elapsed > max x quantity; for months: complete_ts > clock start + N calendar months
-- too_fast  = elapsed (in the minimum's unit) < min x quantity
-- deadline_missed = complete_ts > office close of the "tanggal D" deadline from enabled_ts
-- status: the first status of ref_step_status (by precedence) whose condition holds.
-- excess    = working minutes from the moment the step fell due (the earliest bound it broke:
--             its maximum, or its day-of-month deadline) to its completion; 0 when within
--             both (due_clock: the working-clock reading of due_ts, analytics.work_clock)
-- The whole chain runs as one statement (per SOP in a full run): nothing of the size of the
-- events is materialised except step_checks itself.

INSERT INTO step_checks BY NAME
WITH raw AS (
    {occurrences}
),
paused AS (
    SELECT
        r.* EXCLUDE (sk, prev_sk, ps_sk, ps_ts, ns_sk)
            REPLACE (coalesce(r.enabled_ts, f.first_ts) AS enabled_ts,
                     coalesce(r.enabled_wm, f.first_ts_wm) AS enabled_wm),
        k.step_id, f.sop_id, f.case_id, f.calendar_id, f.agency, f.unit, f.unit_attributes,
        -- the directly-follows relation (sql/mutu_baku_occurrences.sql, window 1)
        kp.step_id AS prev_step_id, r.ps_ts AS prev_complete_ts, kn.step_id AS next_step_id,
        lp.first_sk IS NOT NULL AND r.occurrence > 1 AS paused,
        coalesce(su.suspended_wm, 0.0) AS suspended_wm,
        coalesce(su.suspended_s, 0.0) AS suspended_s
    FROM raw r
    JOIN (SELECT * FROM mutu_baku_case_facts WHERE {sop_filter}) f ON f.ck = r.ck
    JOIN mutu_baku_step_keys k ON k.sk = r.sk
    LEFT JOIN mutu_baku_step_keys kp ON kp.sk = r.ps_sk
    LEFT JOIN mutu_baku_step_keys kn ON kn.sk = r.ns_sk
    LEFT JOIN (SELECT DISTINCT k1.sk AS first_sk, k2.sk AS last_sk
               FROM mutu_baku_loop_steps l
               JOIN mutu_baku_step_keys k1 ON k1.sop_id = l.sop_id AND k1.step_id = l.first_step
               JOIN mutu_baku_step_keys k2 ON k2.sop_id = l.sop_id AND k2.step_id = l.last_step) lp
        ON lp.first_sk = r.sk AND lp.last_sk = r.prev_sk
    LEFT JOIN (SELECT ck, sk, occurrence, sum(resume_ts_wm - suspend_ts_wm) AS suspended_wm,
                      sum(epoch(resume_ts - suspend_ts)) AS suspended_s
               FROM mutu_baku_suspended GROUP BY ck, sk, occurrence) su
        ON su.ck = r.ck AND su.sk = r.sk AND su.occurrence = r.occurrence
),
occ AS (
    SELECT
        o.*, ci.day_minutes::DOUBLE AS day_minutes,  -- the working day of the case's calendar
        CASE WHEN o.paused THEN coalesce(o.start_ts, o.complete_ts) ELSE o.enabled_ts END AS resume_ts,
        CASE WHEN o.paused THEN coalesce(o.start_wm, o.complete_wm) ELSE o.enabled_wm END AS resume_wm,
        CASE WHEN o.paused OR st.deadline_day IS NOT NULL THEN coalesce(o.start_ts, o.complete_ts)
             ELSE o.enabled_ts END AS clock_ts,
        CASE WHEN o.paused OR st.deadline_day IS NOT NULL THEN coalesce(o.start_wm, o.complete_wm)
             ELSE o.enabled_wm END AS clock_wm,
        st.lane, st.std_unit, st.std_calendar, st.max_unit, st.max_calendar, st.min_unit,
        st.min_calendar, st.deadline_day, coalesce(st.has_standard, false) AS has_standard,
        step_quantity(o.unit_attributes, st.per_attr) AS quantity,
        st.max_value, st.min_value,
        z.offset_us, m.timezone, m.model_sha256,
        work_clock_local(o.enabled_ts, z.offset_us, m.timezone)::DATE AS enabled_day
    FROM paused o
    JOIN mutu_baku_sops m ON m.sop_id = o.sop_id
    JOIN calendar_info ci ON ci.calendar_id = o.calendar_id
    LEFT JOIN work_clock_zone z ON z.calendar_id = o.calendar_id
    LEFT JOIN mutu_baku_standards st ON st.sop_id = o.sop_id AND st.step_id = o.step_id
),
spans AS (
    SELECT
        o.*,
        o.max_value * o.quantity AS max_q,
        o.min_value * o.quantity AS min_q,
        o.complete_wm - o.clock_wm - o.suspended_wm AS span_wm,
        (epoch_us(o.complete_ts) - epoch_us(o.clock_ts)) / 1000000.0 - o.suspended_s AS span_s,
        -- the maximum as an instant: calendar time and months on the local clock ...
        CASE WHEN o.max_value IS NOT NULL AND (o.max_calendar = 'calendar' OR o.max_unit = 'month')
             THEN calendar_add(o.calendar_id,
                               o.clock_ts + to_microseconds(CAST(round(o.suspended_s * 1e6) AS BIGINT)),
                               o.max_value * o.quantity, o.max_unit)
        END AS max_cal_deadline,
        -- ... working time where the working clock reaches clock + max (as work_add does)
        CASE WHEN o.max_value IS NOT NULL AND o.max_calendar = 'working' AND o.max_unit <> 'month'
             THEN o.clock_wm + o.suspended_wm + mutu_baku_to_wm(o.max_unit, o.max_value * o.quantity, o.day_minutes)
        END AS max_target_wm,
        -- "tanggal D": the target date of the calendar's rule (day_of_month_target); its
        -- office close (or the previous working day's) is looked up in work_month_deadlines,
        -- the same table as the work_month_deadline macro reads, as an equality join
        CASE WHEN o.deadline_day IS NOT NULL THEN day_of_month_target(o.enabled_day, o.deadline_day)
        END AS day_target
    FROM occ o
),
deadlines AS (
    SELECT
        s.*,
        md.due_utc AS day_deadline,
        coalesce(s.max_cal_deadline,
                 {working_deadline}) AS max_deadline
    FROM spans s
    LEFT JOIN work_month_deadlines md
        ON md.calendar_id = s.calendar_id AND md.dom = s.deadline_day AND md.target_day = s.day_target
    {working_deadline_join}
),
judged AS (
    SELECT
        d.*,
        mutu_baku_span(d.std_unit, d.std_calendar, d.span_wm, d.span_s, d.day_minutes) AS elapsed,
        CASE WHEN d.max_q IS NULL THEN false
             WHEN d.max_unit = 'month' THEN d.complete_ts > d.max_deadline
             ELSE mutu_baku_span(d.max_unit, d.max_calendar, d.span_wm, d.span_s, d.day_minutes) > d.max_q
        END AS over_max,
        coalesce(mutu_baku_span(d.min_unit, d.min_calendar, d.span_wm, d.span_s, d.day_minutes)
                 < d.min_q, false) AS under_min,
        coalesce(d.complete_ts > d.day_deadline, false) AS missed_day
    FROM deadlines d
),
due AS (
    SELECT j.*,
           CASE WHEN j.over_max AND j.missed_day THEN least(j.max_deadline, j.day_deadline)
                WHEN j.over_max THEN j.max_deadline
                WHEN j.missed_day THEN j.day_deadline END AS due_ts
    FROM judged j
),
clocked AS (
    {due_clock}
)
SELECT
    {run_id} AS run_id,
    j.case_id, j.sop_id, j.agency, j.unit, j.step_id, j.occurrence, j.lane, j.resource,
    j.enabled_ts, j.start_ts, j.complete_ts,
    -- waiting and processing split the span at the start event; a pause is neither, nor is
    -- time suspended (XES suspend -> resume)
    j.start_wm - j.resume_wm AS waiting_wm,
    j.complete_wm - j.start_wm - j.suspended_wm AS processing_wm,
    j.resume_wm - j.enabled_wm AS paused_wm,
    j.elapsed,
    j.std_unit, j.std_calendar, j.quantity,
    -- a minimum in another unit is shown in the reported unit when both are working time
    CASE WHEN j.min_q IS NULL THEN NULL
         WHEN j.min_unit = j.std_unit AND j.min_calendar = j.std_calendar THEN j.min_q
         WHEN j.min_calendar = 'working' AND j.std_calendar = 'working' AND j.std_unit <> 'month'
             THEN mutu_baku_to_wm(j.min_unit, j.min_q, j.day_minutes)
                  / mutu_baku_to_wm(j.std_unit, 1.0, j.day_minutes)
    END AS std_min,
    j.max_q AS std_max,
    coalesce(j.day_deadline, j.max_deadline) AS deadline_ts,
    {step_status} AS status,
    CASE WHEN NOT j.over_max THEN 0.0
         WHEN j.max_unit = 'month' THEN epoch(j.complete_ts - j.max_deadline) / (86400 * {days_per_month})
         ELSE j.elapsed - j.max_q
    END AS overrun,
    j.start_event_id, j.complete_event_id, j.prev_step_id, j.prev_complete_ts, j.next_step_id,
    work_clock_local(j.complete_ts, j.offset_us, j.timezone)::DATE AS complete_day,
    CASE WHEN j.due_ts IS NULL THEN 0.0 ELSE greatest(j.complete_wm - j.due_ts_wm, 0.0) END AS excess_wm,
    j.model_sha256,  -- the version the occurrence is judged by (analytics/revisions.py)
    j.suspended_wm
FROM clocked j;
