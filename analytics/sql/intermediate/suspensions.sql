-- Suspended time of step occurrences: a relation (no trailing ';') that analytics.mutu_baku
-- stores, with working-clock readings of suspend_ts and resume_ts, as the temp table
-- mutu_baku_suspended; results/step_checks.sql takes it out of processing and elapsed time
-- (docs/mutu-baku.md, "Lifecycle transitions").
-- inputs: mutu_baku_case_facts, mutu_baku_label_keys
-- output: (relation)
-- placeholders: events
--   events: the store's events, or in an incremental run those of the recomputed cases
--   (analytics.incremental.scope_sql).
-- One row per suspension: a `suspend` of a case's step followed, in the (case, step) order of
-- intermediate/occurrences.sql (ts, a start or suspend before a complete at the same instant,
-- event_id), directly by a `resume` of it. occurrence = the completions of the step before it
-- + 1: the occurrence the suspension interrupts. A suspend without its resume pauses nothing
-- (the log cannot say when the work went on).
-- Only the cases with a suspend are read (suspend_cases, then the (case, step) pairs with one):
-- most logs have none, and then this is one scan of the events' lifecycle that finds nothing,
-- instead of a join of every completion with its case (~4 CPU s per million cases).
WITH suspend_cases AS (
    SELECT DISTINCT e.sop_id, e.agency, e.case_id FROM {events} e WHERE e.lifecycle = 'suspend'
),
ev AS (
    SELECT f.ck, k.sk, e.event_id, e.ts, e.lifecycle, f.calendar_id
    FROM {events} e
    SEMI JOIN suspend_cases s ON s.sop_id = e.sop_id AND s.agency = e.agency AND s.case_id = e.case_id
    JOIN mutu_baku_case_facts f ON f.sop_id = e.sop_id AND f.agency = e.agency AND f.case_id = e.case_id
    JOIN mutu_baku_label_keys k ON k.sop_id = e.sop_id AND k.label = e.activity
    WHERE e.lifecycle IN ('suspend', 'resume', 'complete') AND k.sk IS NOT NULL AND coalesce(k.in_case, true)
),
suspended AS (
    SELECT DISTINCT ck, sk FROM ev WHERE lifecycle = 'suspend'
),
ordered AS (
    SELECT ev.*,
           lead(ev.lifecycle) OVER w AS next_lifecycle,
           lead(ev.ts) OVER w AS next_ts,
           coalesce(sum((ev.lifecycle = 'complete')::INTEGER) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING
                                                                  AND 1 PRECEDING), 0) AS done_before
    FROM ev SEMI JOIN suspended USING (ck, sk)
    WINDOW w AS (PARTITION BY ev.ck, ev.sk ORDER BY ev.ts, ev.lifecycle = 'complete', ev.event_id)
)
SELECT ck, sk, (done_before + 1)::INTEGER AS occurrence, calendar_id,
       ts AS suspend_ts, next_ts AS resume_ts
FROM ordered
WHERE lifecycle = 'suspend' AND next_lifecycle = 'resume'
