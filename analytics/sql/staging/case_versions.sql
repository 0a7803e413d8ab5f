-- Which model version judges each case: the confirmed version in force (model_periods, the
-- store's one rule, sql/views.sql) on the local day of the case's first event, in its SOP's
-- zone (run_revised_sops.timezone). A case spanning a revision is judged by the version of its
-- start; a case without times (a log read in order only: no start day) by the version in force
-- now (the open period). Only SOPs with more than one confirmed version are listed (run_revised_sops); the
-- others are judged whole by their one version.
-- inputs: events, model_periods, run_revised_sops
-- output: run_case_versions
CREATE OR REPLACE TEMP TABLE run_case_versions AS
SELECT c.sop_id, c.agency, c.case_id, p.model_sha256
FROM (
    SELECT e.sop_id, e.agency, e.case_id, timezone(any_value(r.timezone), min(e.ts))::DATE AS start_day
    FROM events e
    JOIN run_revised_sops r ON r.sop_id = e.sop_id
    GROUP BY e.sop_id, e.agency, e.case_id
) c
JOIN model_periods p ON p.sop_id = c.sop_id
    AND (c.start_day IS NULL AND p.in_force_until IS NULL
         OR c.start_day >= coalesce(p.in_force_from, DATE '0001-01-01')
            AND (p.in_force_until IS NULL OR c.start_day < p.in_force_until));
