-- Step occurrences: a relation (no trailing ';') used as the first CTE of
-- results/step_checks.sql (rules in docs/mutu-baku.md, contract in docs/dev/SEMANTICS.md).
-- inputs: (none)
-- output: (relation)
-- placeholders: clocked_events
--   clocked_events: the analysed events with a working-clock reading: event_id, ck (key of
--     the case, unique), sk (integer key of the step, NULL when the event maps to no step;
--     temp table mutu_baku_step_keys), is_c (lifecycle = 'complete'), ts, ts_wm, resource.
-- One row per completed occurrence (case, step, occurrence).
--
-- Two window passes, no per-case loop:
-- 1. case order (ts, event_id): for each event, the latest complete event strictly before
--    it (any activity, mapped or not: the completion that enabled what follows), and the
--    step occurrences completed right before and right after it (the directly-follows
--    relation of step_checks: prev_step_id, prev_complete_ts, next_step_id);
-- 2. (case, step) order (ts, start before complete at the same instant, event_id): a complete
--    pairs with the event right before it when that is a start (the last start since the
--    step's previous completion; earlier starts were restarts). occurrence = completions of
--    the step so far.
-- (Plain columns, not structs, travel through the windows: a struct in a window function
-- costs several times more on millions of rows.)
WITH ev AS (
    {clocked_events}
),
w1 AS (
    SELECT
        ev.*,
        -- the latest completion before this event (three last_values share one frame
        -- evaluation: cheaper than max over the same frame)
        last_value(CASE WHEN ev.is_c THEN ev.ts END IGNORE NULLS) OVER w AS pc_ts,
        last_value(CASE WHEN ev.is_c THEN ev.ts_wm END IGNORE NULLS) OVER w AS pc_wm,
        last_value(CASE WHEN ev.is_c THEN coalesce(ev.sk, 0) END IGNORE NULLS) OVER w AS pc_sk,
        -- the step occurrences completed right before and right after (activities of no
        -- step skipped): the directly-follows relation of step_checks
        last_value(CASE WHEN ev.is_c THEN ev.sk END IGNORE NULLS) OVER w AS ps_sk,
        last_value(CASE WHEN ev.is_c AND ev.sk IS NOT NULL THEN ev.ts END IGNORE NULLS) OVER w AS ps_ts,
        first_value(CASE WHEN ev.is_c THEN ev.sk END IGNORE NULLS) OVER wn AS ns_sk
    FROM ev
    WINDOW w AS (PARTITION BY ev.ck ORDER BY ev.ts, ev.event_id
                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
           wn AS (PARTITION BY ev.ck ORDER BY ev.ts, ev.event_id
                  ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)
),
w2 AS (
    SELECT
        w1.*,
        lag(w1.is_c) OVER w AS p_is_c,
        lag(w1.ts) OVER w AS p_ts,
        lag(w1.ts_wm) OVER w AS p_wm,
        lag(w1.event_id) OVER w AS p_id,
        lag(w1.resource) OVER w AS p_res,
        lag(w1.pc_ts) OVER w AS p_pc_ts,
        lag(w1.pc_wm) OVER w AS p_pc_wm,
        lag(w1.pc_sk) OVER w AS p_pc_sk,
        sum(w1.is_c::INTEGER) OVER (w ROWS UNBOUNDED PRECEDING) AS n_done
    FROM w1
    WHERE w1.sk IS NOT NULL
    WINDOW w AS (PARTITION BY w1.ck, w1.sk ORDER BY w1.ts, w1.is_c, w1.event_id)
),
paired AS (
    SELECT w2.*, coalesce(NOT w2.p_is_c, false) AS has_start
    FROM w2
    WHERE w2.is_c
)
SELECT
    p.ck, p.sk,
    p.n_done::INTEGER AS occurrence,
    -- enabled = latest completion before the occurrence's first event (its start when
    -- paired); NULL when none: the caller takes the case's first event
    CASE WHEN p.has_start THEN p.p_pc_ts ELSE p.pc_ts END AS enabled_ts,
    CASE WHEN p.has_start THEN p.p_pc_wm ELSE p.pc_wm END AS enabled_wm,
    -- the step key of that completion (0: an activity of no step)
    CASE WHEN p.has_start THEN p.p_pc_sk ELSE p.pc_sk END AS prev_sk,
    CASE WHEN p.has_start THEN p.p_ts END AS start_ts,
    CASE WHEN p.has_start THEN p.p_wm END AS start_wm,
    CASE WHEN p.has_start THEN p.p_id END AS start_event_id,
    p.ts AS complete_ts,
    p.ts_wm AS complete_wm,
    p.event_id AS complete_event_id,
    p.ps_sk, p.ps_ts, p.ns_sk,
    coalesce(p.resource, CASE WHEN p.has_start THEN p.p_res END) AS resource
FROM paired p
