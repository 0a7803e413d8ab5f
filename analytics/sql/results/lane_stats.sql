-- Lane statistics per SOP x agency x unit x lane x local month (run by analytics.lanes), from
-- this run's step_checks.
-- inputs: step_checks, ref_step_status, mutu_baku_sops, work_clock_zone, macro work_clock_local
-- output: lane_stats
-- placeholders: run_id, rows, keys
-- rows: the step_checks rows s read (this run's; in an incremental run every current row that may
-- count in a recomputed key); keys: the output rows u kept (analytics.incremental.scope_sql).
--
-- A row's month is the local month of complete_ts for the counts and medians; steps without a
-- time (status not_measurable: a log read in order only) have no month and no row here. violations and
-- judged are the counts behind the breach rate (macro breach_rate, sql/views.sql): occurrences
-- whose status is a violation, and those with a standard (ref_step_status).
-- avg_wip = sum over step occurrences of the lane of the part of [enabled_ts, complete_ts]
-- that falls in the month (calendar time, local clock), divided by the month's length: the
-- average number of steps of the lane enabled and not yet completed at an instant of the
-- month. A month with WIP but no completion gets a row with cases = 0.

INSERT INTO lane_stats BY NAME
-- (sc is read three times: recomputing it is cheaper than materialising it. Local times by
-- the work_clock_local macro, sql/work_clock_local.sql.)
WITH sc AS NOT MATERIALIZED (
    SELECT
        s.sop_id, s.agency, s.unit, s.lane, s.case_id, r.is_violation, r.is_judged, s.waiting_wm,
        s.processing_wm,
        work_clock_local(s.enabled_ts, z.offset_us, m.timezone) AS enabled_local,
        work_clock_local(s.complete_ts, z.offset_us, m.timezone) AS complete_local
    FROM step_checks s
    JOIN ref_step_status r ON r.status = s.status
    JOIN mutu_baku_sops m ON m.sop_id = s.sop_id
    LEFT JOIN work_clock_zone z ON z.calendar_id = m.calendar_id
    WHERE {rows}
      AND s.complete_ts IS NOT NULL  -- a step of a log without times has no month (not measurable)
),
done AS (
    SELECT
        sop_id, agency, unit, lane,
        date_trunc('month', complete_local)::DATE AS month,
        count(DISTINCT case_id) AS cases,
        count(*) AS step_occurrences,
        quantile_cont(waiting_wm, 0.5) AS waiting_median_wm,
        quantile_cont(waiting_wm, 0.9) AS waiting_p90_wm,
        quantile_cont(processing_wm, 0.5) AS processing_median_wm,
        quantile_cont(processing_wm, 0.9) AS processing_p90_wm,
        count(*) FILTER (WHERE is_violation) AS violations,
        count(*) FILTER (WHERE is_judged) AS judged,
        NULL::DOUBLE AS avg_wip
    FROM sc
    GROUP BY sop_id, agency, unit, lane, date_trunc('month', complete_local)
),
spans AS (
    -- (occurrence, month it overlaps): most lie in one month and need no series
    SELECT sop_id, agency, unit, lane, enabled_local, complete_local,
           date_trunc('month', complete_local) AS month_start
    FROM sc
    WHERE complete_local > enabled_local
      AND date_trunc('month', enabled_local) = date_trunc('month', complete_local)
    UNION ALL
    SELECT
        sop_id, agency, unit, lane, enabled_local, complete_local,
        unnest(generate_series(date_trunc('month', enabled_local),
                               date_trunc('month', complete_local), INTERVAL 1 MONTH)) AS month_start
    FROM sc
    WHERE date_trunc('month', enabled_local) < date_trunc('month', complete_local)
),
wip AS (
    SELECT
        sop_id, agency, unit, lane, month_start::DATE AS month,
        -- occurrence-seconds in the month / seconds in the month
        sum(epoch(least(complete_local, month_start + INTERVAL 1 MONTH)
                  - greatest(enabled_local, month_start)))
            / epoch((month_start + INTERVAL 1 MONTH) - month_start) AS avg_wip
    FROM spans
    GROUP BY sop_id, agency, unit, lane, month_start
)
SELECT
    {run_id} AS run_id, sop_id, agency, unit, lane, month,
    coalesce(max(cases), 0) AS cases,
    coalesce(max(step_occurrences), 0) AS step_occurrences,
    max(waiting_median_wm) AS waiting_median_wm,
    max(waiting_p90_wm) AS waiting_p90_wm,
    max(processing_median_wm) AS processing_median_wm,
    max(processing_p90_wm) AS processing_p90_wm,
    coalesce(max(violations), 0) AS violations,
    coalesce(max(judged), 0) AS judged,
    coalesce(max(avg_wip), 0.0) AS avg_wip
FROM (SELECT * FROM done UNION ALL BY NAME SELECT * FROM wip) u
WHERE {keys}
GROUP BY sop_id, agency, unit, lane, month;
