-- Handover pairs: this run's step occurrences whose predecessor in the case (step_checks
-- carries it: prev_step_id, prev_complete_ts) is in another lane, with the local month of the
-- receiving step's completion. A relation: analytics.lanes adds a working-clock reading of
-- from_ts and to_ts and stores it as mutu_baku_handover_pairs.
-- inputs: step_checks, mutu_baku_standards, mutu_baku_sops, work_clock_zone, macro work_clock_local
-- output: (relation)
-- placeholders: rows
-- rows: the step_checks rows sc read (this run's; in an incremental run every current row that
-- may count in a recomputed key: analytics.lanes keeps the pairs of those keys).
SELECT sc.sop_id, sc.agency, sc.unit, sc.lane AS to_lane, ps.lane AS from_lane,
       date_trunc('month', work_clock_local(sc.complete_ts, z.offset_us, s.timezone))::DATE AS month,
       sc.prev_complete_ts AS from_ts, coalesce(sc.start_ts, sc.complete_ts) AS to_ts,
       s.calendar_id
FROM step_checks sc
JOIN mutu_baku_standards ps ON ps.sop_id = sc.sop_id AND ps.step_id = sc.prev_step_id
JOIN mutu_baku_sops s ON s.sop_id = sc.sop_id
LEFT JOIN work_clock_zone z ON z.calendar_id = s.calendar_id
WHERE {rows} AND sc.lane IS NOT NULL AND ps.lane IS NOT NULL
  AND sc.lane <> ps.lane
