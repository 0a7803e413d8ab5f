-- Migration 16 (issue 15): bottleneck_days, the step completions beyond their standard per
-- SOP, agency, unit, lane, step and local day of completion. The bottleneck call-out
-- (views.sql bottlenecks_between) counted the distinct cases of each step over every
-- step_checks row on each read: ~0.3 s of Ringkasan's first view at 1M cases (8.9M rows).
-- These rows hold the same counts a few thousand rows at a time. A case on more than one row
-- of a step (beyond the standard on two days, or with step rows in two units) is named in
-- repeat_cases of each, so a period's distinct cases are exact: the rows' cases minus the
-- repeats counted more than once. `pantau analyze` rewrites an SOP's rows with its other results
-- (analytics/bottleneck_days.py, the same statement); the rows of stores analysed before come
-- from their step_checks here.
CREATE TABLE IF NOT EXISTS bottleneck_days (
    run_id       INTEGER NOT NULL,   -- the run that wrote the row (the SOP's latest)
    sop_id       VARCHAR NOT NULL,
    agency       VARCHAR,
    unit         VARCHAR,
    lane         VARCHAR,
    step_id      VARCHAR,
    complete_day DATE,               -- step_checks.complete_day
    cases        BIGINT NOT NULL,    -- distinct cases with such a completion that day
    occurrences  BIGINT NOT NULL,    -- the completions (step_checks rows with excess_wm > 0)
    excess_wm    DOUBLE NOT NULL,    -- their working minutes beyond the standard, summed
    repeat_cases VARCHAR[]           -- the row's cases on another row of the step too (sorted); NULL: none
);
INSERT INTO bottleneck_days
WITH per_case AS (
    SELECT sop_id, agency, unit, lane, step_id, complete_day, case_id,
           count(*) AS occurrences, sum(excess_wm ORDER BY occurrence) AS excess_wm, max(run_id) AS run_id
    FROM step_checks WHERE excess_wm > 0 GROUP BY ALL),
days AS (
    SELECT *, count(*) OVER (PARTITION BY sop_id, agency, lane, step_id, case_id) AS days FROM per_case)
SELECT max(run_id), sop_id, agency, unit, lane, step_id, complete_day, count(*), sum(occurrences),
       sum(excess_wm ORDER BY case_id), list(case_id ORDER BY case_id) FILTER (WHERE days > 1)
FROM days GROUP BY sop_id, agency, unit, lane, step_id, complete_day;
