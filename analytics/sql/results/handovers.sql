-- Handovers between lanes (run by analytics.lanes), from intermediate/handover_pairs.sql: this
-- run's step_checks rows whose predecessor (prev_step_id) is in another lane, with a
-- working-clock reading of from_ts (the from-step's completion) and to_ts (the to-step's
-- start, or its completion when the log has no start).
-- inputs: mutu_baku_handover_pairs
-- output: handovers
-- placeholders: run_id
-- A handover is two consecutive completed step occurrences of a case (ordered by
-- complete_ts, then complete_event_id) whose lanes differ. delay = working minutes from_ts ->
-- to_ts (negative when the next step started before the previous one was done). One row per
-- SOP, agency, unit, local month of the receiving step's completion and pair of lanes.

INSERT INTO handovers BY NAME
SELECT
    {run_id} AS run_id, sop_id, agency, unit, month, from_lane, to_lane,
    count(*) AS count,
    quantile_cont(to_ts_wm - from_ts_wm, 0.5) AS median_delay_wm
FROM mutu_baku_handover_pairs
GROUP BY sop_id, agency, unit, month, from_lane, to_lane;
