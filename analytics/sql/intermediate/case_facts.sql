-- Case facts: one row per analysed case, (sop_id, agency, case_id): a case id is unique only
-- within its agency (a relation, no trailing ';': analytics.mutu_baku adds
-- a working-clock reading of first_ts, last_ts and last_complete_ts with
-- analytics.work_clock.add_work_clock and stores it as the temp table mutu_baku_case_facts).
-- inputs: run_events, mutu_baku_sops, mutu_baku_standards, cases, run_agency_calendars
-- output: (relation)
-- placeholders: case_key
-- case_key: the integer (or, after a hash collision, text) key of a case used by every later join.
-- last_step = the step of the case's last complete event that maps to a step (ts, event_id
-- order); last_complete_ts = the last completion of any activity (what enables the next step).
-- calendar_id = the case's agency's own calendar when it has one (run_agency_calendars), else
-- the SOP's default calendar. last_start_ts = the latest start of a step (a start without a time
-- counts as the latest): a case may have a step in progress only when it is at or after
-- last_complete_ts (intermediate/open_occurrences.sql reads only those cases' events).
SELECT
    g.* EXCLUDE (sop_calendar_id),
    coalesce(ac.calendar_id, g.sop_calendar_id) AS calendar_id,
    coalesce(c.unit, g.event_unit) AS unit,
    -- the case attributes, kept only where a per-unit standard reads them
    CASE WHEN g.sop_id IN (SELECT sop_id FROM mutu_baku_standards WHERE per_attr IS NOT NULL)
         THEN c.attributes END AS unit_attributes
FROM (
    SELECT
        {case_key} AS ck,
        e.sop_id, e.agency, e.case_id,
        any_value(s.calendar_id) AS sop_calendar_id,
        any_value(e.unit) AS event_unit,
        min(e.ts) AS first_ts,
        max(e.ts) AS last_ts,
        max(e.ts) FILTER (WHERE e.lifecycle = 'complete') AS last_complete_ts,
        arg_max(e.step_id, {'ts': e.ts, 'id': e.event_id})
            FILTER (WHERE e.lifecycle = 'complete' AND e.step_id IS NOT NULL) AS last_step,
        max(coalesce(e.ts, 'infinity'::TIMESTAMPTZ))
            FILTER (WHERE e.lifecycle = 'start' AND e.step_id IS NOT NULL) AS last_start_ts
    FROM run_events e
    JOIN mutu_baku_sops s ON s.sop_id = e.sop_id
    GROUP BY e.sop_id, e.agency, e.case_id
) g
LEFT JOIN cases c ON c.sop_id = g.sop_id AND c.agency = g.agency AND c.case_id = g.case_id
LEFT JOIN run_agency_calendars ac ON ac.sop_id = g.sop_id AND ac.agency = g.agency
