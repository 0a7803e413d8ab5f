-- Mutu Baku, case level: one case_checks row per case (run by analytics.mutu_baku).
-- Inputs (temp): mutu_baku_case_facts, mutu_baku_open_occ (analytics.mutu_baku),
-- mutu_baku_sops, mutu_baku_flow_next, mutu_baku_kelengkapan (analytics/standards.py), the
-- conformance stage's conformance_cases, and this run's step_checks.
-- Placeholders filled by Python: <run_id>, <conformance_cases>, <output_recorded>,
-- <breach_statuses>.

INSERT INTO case_checks BY NAME
WITH facts AS (
    SELECT
        f.*,
        s.day_minutes, s.svc_value, s.svc_unit, s.svc_calendar,
        coalesce(p.paused_wm, 0) AS paused_wm,
        coalesce(p.paused_s, 0) AS paused_s,
        epoch(f.last_ts - f.first_ts) AS span_s,
        f.last_ts_wm - f.first_ts_wm AS span_wm
    FROM mutu_baku_case_facts f
    JOIN mutu_baku_sops s ON s.sop_id = f.sop_id
    LEFT JOIN (
        -- time with the applicant: this run's step checks of a loop's first step after a
        -- return (the completion that enabled them is the loop's last step), from enabled_ts
        -- to where their clock started
        SELECT sc.sop_id, sc.case_id, sum(sc.paused_wm) AS paused_wm,
               sum(epoch(coalesce(sc.start_ts, sc.complete_ts) - sc.enabled_ts)) AS paused_s
        FROM step_checks sc
        JOIN (SELECT DISTINCT sop_id, first_step, last_step FROM mutu_baku_loop_steps) lp
            ON lp.sop_id = sc.sop_id AND lp.first_step = sc.step_id
        WHERE sc.run_id = {run_id} AND sc.occurrence > 1
          AND EXISTS (SELECT 1 FROM events e
                      WHERE e.sop_id = sc.sop_id AND e.case_id = sc.case_id
                        AND e.ts = sc.enabled_ts AND e.lifecycle = 'complete'
                        AND e.step_id = lp.last_step)
        GROUP BY sc.sop_id, sc.case_id
    ) p ON p.sop_id = f.sop_id AND p.case_id = f.case_id
),
in_progress AS (
    -- a step started after the case's last completion is still being worked on
    SELECT DISTINCT ck FROM mutu_baku_open_occ
),
kel AS (
    -- every Kelengkapan item of the first case step among the documents the log lists
    -- (a JSON list, or one string split at ';', '|' or new lines; trimmed, any case);
    -- NULL (no row) when the log lists no documents for the case
    SELECT c.sop_id, c.case_id,
           list_has_all(list_transform(c.docs, lambda y: lower(trim(y))),
                        list_transform(coalesce(k.items, []::VARCHAR[]), lambda x: lower(trim(x))))
               AS kelengkapan_complete
    FROM (
        SELECT sop_id, case_id,
               CASE json_type(attributes, '$.kelengkapan')
                   WHEN 'ARRAY' THEN json_extract_string(attributes, '$.kelengkapan[*]')
                   ELSE string_split_regex(json_extract_string(attributes, '$.kelengkapan'),
                                           '\s*[;|\n]\s*')
               END AS docs
        FROM cases
        WHERE sop_id IN (SELECT sop_id FROM mutu_baku_sops)
          AND json_type(attributes, '$.kelengkapan') IN ('ARRAY', 'VARCHAR')
    ) c
    LEFT JOIN mutu_baku_kelengkapan k ON k.sop_id = c.sop_id
),
breaches AS (
    SELECT sop_id, case_id, count(*) AS n
    FROM step_checks
    WHERE run_id = {run_id} AND status IN ({breach_statuses})
    GROUP BY sop_id, case_id
)
SELECT
    {run_id} AS run_id,
    f.case_id, f.sop_id,
    f.agency, f.unit, f.first_ts, f.last_ts,
    -- open: the last completed step cannot end the flow, or a step is in progress
    (NOT coalesce(fn.can_end, false) OR ip.ck IS NOT NULL) AS is_open,
    f.span_s / 3600.0 AS throughput_hours,
    f.span_wm AS throughput_wm,
    f.svc_value AS service_std_max,
    f.svc_unit AS service_std_unit,
    -- first -> last event, time with the applicant excluded; months on the local calendar
    CASE WHEN f.svc_value IS NULL THEN NULL
         WHEN f.svc_unit = 'month'
             THEN f.last_ts > calendar_add(f.calendar_id,
                      f.first_ts + to_microseconds(CAST(round(f.paused_s * 1e6) AS BIGINT)),
                      f.svc_value, 'month')
         ELSE mutu_baku_span(f.svc_unit, f.svc_calendar, f.span_wm - f.paused_wm,
                             f.span_s - f.paused_s, f.day_minutes) > f.svc_value
    END AS service_std_breach,
    coalesce(b.n, 0)::INTEGER AS breach_count,
    cc.variant_id, cc.alignment_fitness, cc.alignment_status, cc.token_fitness,
    cc.conformant, cc.deviation_count,
    kel.kelengkapan_complete,
    {output_recorded} AS output_recorded
FROM facts f
LEFT JOIN cases c ON c.sop_id = f.sop_id AND c.case_id = f.case_id
LEFT JOIN mutu_baku_flow_next fn ON fn.sop_id = f.sop_id AND fn.step_id = coalesce(f.last_step, '')
LEFT JOIN in_progress ip ON ip.ck = f.ck
LEFT JOIN breaches b ON b.sop_id = f.sop_id AND b.case_id = f.case_id
LEFT JOIN kel ON kel.sop_id = f.sop_id AND kel.case_id = f.case_id
LEFT JOIN {conformance_cases} cc ON cc.sop_id = f.sop_id AND cc.case_id = f.case_id;
