-- Mutu Baku, case level: one case_checks row per case (run by analytics.mutu_baku), from the
-- case facts, this run's step_checks, the Kelengkapan read once (intermediate/kelengkapan.sql)
-- and the conformance stage's conformance_cases (placeholder: that table, or an empty relation
-- when the stage did not run).
-- inputs: run_events, mutu_baku_case_facts, mutu_baku_open_occ, mutu_baku_sops, mutu_baku_flow_next, mutu_baku_loop_steps, case_kelengkapan, step_checks, ref_step_status, cases, calendar_info, work_clock_zone, macro mutu_baku_span, macro calendar_add, macro work_clock_local
-- output: case_checks
-- placeholders: run_id, conformance_cases, output_recorded
-- on_time: a closed case within every Mutu Baku bound (no step_checks row whose status is a
-- violation, ref_step_status.is_violation) and within the case-level standard; NULL while open
-- and for a case without times (first_ts NULL: a log read in order only, not measurable).

INSERT INTO case_checks BY NAME
WITH facts AS (
    SELECT
        f.*,
        ci.day_minutes::DOUBLE AS day_minutes, s.svc_value, s.svc_unit, s.svc_calendar, s.model_sha256, s.timezone,
        coalesce(p.paused_wm, 0) AS paused_wm,
        coalesce(p.paused_s, 0) AS paused_s,
        epoch(f.last_ts - f.first_ts) AS span_s,
        f.last_ts_wm - f.first_ts_wm AS span_wm
    FROM mutu_baku_case_facts f
    JOIN mutu_baku_sops s ON s.sop_id = f.sop_id
    JOIN calendar_info ci ON ci.calendar_id = f.calendar_id  -- the case's calendar
    LEFT JOIN (
        -- time with the applicant: this run's step checks of a loop's first step after a
        -- return (the completion that enabled them is the loop's last step), from enabled_ts
        -- to where their clock started
        SELECT sc.sop_id, sc.agency, sc.case_id, sum(sc.paused_wm) AS paused_wm,
               sum(epoch(coalesce(sc.start_ts, sc.complete_ts) - sc.enabled_ts)) AS paused_s
        FROM step_checks sc
        JOIN (SELECT DISTINCT sop_id, first_step, last_step FROM mutu_baku_loop_steps) lp
            ON lp.sop_id = sc.sop_id AND lp.first_step = sc.step_id
        WHERE sc.run_id = {run_id} AND sc.occurrence > 1
          AND EXISTS (SELECT 1 FROM run_events e
                      WHERE e.sop_id = sc.sop_id AND e.agency = sc.agency AND e.case_id = sc.case_id
                        AND e.ts = sc.enabled_ts AND e.lifecycle = 'complete'
                        AND e.step_id = lp.last_step)
        GROUP BY sc.sop_id, sc.agency, sc.case_id
    ) p ON p.sop_id = f.sop_id AND p.agency = f.agency AND p.case_id = f.case_id
),
in_progress AS (
    -- a step started after the case's last completion is still being worked on
    SELECT DISTINCT ck FROM mutu_baku_open_occ
),
kel AS (
    -- every Kelengkapan item present; no row (NULL) when the log lists no documents
    SELECT sop_id, agency, case_id, len(missing) = 0 AS kelengkapan_complete FROM case_kelengkapan
),
breaches AS (
    SELECT sop_id, agency, case_id, count(*) AS n
    FROM step_checks
    WHERE run_id = {run_id} AND status IN (SELECT status FROM ref_step_status WHERE is_violation)
    GROUP BY sop_id, agency, case_id
),
judged AS (
    SELECT
        f.*,
        -- open: the last completed step cannot end the flow, or a step is in progress
        (NOT coalesce(fn.can_end, false) OR ip.ck IS NOT NULL) AS is_open,
        -- first -> last event, time with the applicant excluded; months on the local calendar
        CASE WHEN f.svc_value IS NULL THEN NULL
             WHEN f.svc_unit = 'month'
                 THEN f.last_ts > calendar_add(f.calendar_id,
                          f.first_ts + to_microseconds(CAST(round(f.paused_s * 1e6) AS BIGINT)),
                          f.svc_value, 'month')
             ELSE mutu_baku_span(f.svc_unit, f.svc_calendar, f.span_wm - f.paused_wm,
                                 f.span_s - f.paused_s, f.day_minutes) > f.svc_value
        END AS service_std_breach,
        coalesce(b.n, 0)::INTEGER AS breach_count
    FROM facts f
    LEFT JOIN mutu_baku_flow_next fn ON fn.sop_id = f.sop_id AND fn.step_id = coalesce(f.last_step, '')
    LEFT JOIN in_progress ip ON ip.ck = f.ck
    LEFT JOIN breaches b ON b.sop_id = f.sop_id AND b.agency = f.agency AND b.case_id = f.case_id
)
SELECT
    {run_id} AS run_id,
    f.case_id, f.sop_id,
    f.agency, f.unit, f.first_ts, f.last_ts,
    f.is_open,
    f.span_s / 3600.0 AS throughput_hours,
    f.span_wm AS throughput_wm,
    f.svc_value AS service_std_max,
    f.svc_unit AS service_std_unit,
    f.service_std_breach,
    f.breach_count,
    cc.variant_id, cc.alignment_fitness, cc.alignment_status, cc.token_fitness,
    cc.conformant, cc.deviation_count,
    kel.kelengkapan_complete,
    {output_recorded} AS output_recorded,
    f.model_sha256,
    work_clock_local(f.first_ts, z.offset_us, f.timezone)::DATE AS first_day,
    work_clock_local(f.last_ts, z.offset_us, f.timezone)::DATE AS last_day,
    -- a case without times (a log read in order only) is not measurable: neither on time nor late
    CASE WHEN NOT f.is_open AND f.first_ts IS NOT NULL
         THEN f.breach_count = 0 AND NOT coalesce(f.service_std_breach, false) END AS on_time
FROM judged f
LEFT JOIN work_clock_zone z ON z.calendar_id = f.calendar_id
LEFT JOIN cases c ON c.sop_id = f.sop_id AND c.agency = f.agency AND c.case_id = f.case_id
LEFT JOIN kel ON kel.sop_id = f.sop_id AND kel.agency = f.agency AND kel.case_id = f.case_id
LEFT JOIN {conformance_cases} cc
    ON cc.sop_id = f.sop_id AND cc.agency = f.agency AND cc.case_id = f.case_id;
