-- The events this pass of the run analyses: those of the installed SOPs (mutu_baku_sops), and
-- of an SOP whose cases are judged by several of its versions (run_case_versions, filled by
-- analytics/revisions.py) only the cases judged by the installed version. An SOP without rows
-- in run_case_versions is analysed whole by its installed version (one version in the run).
-- inputs: events, mutu_baku_sops, run_case_versions
-- output: run_scope_events
CREATE OR REPLACE TEMP VIEW run_scope_events AS
SELECT e.*
FROM events e
JOIN mutu_baku_sops s ON s.sop_id = e.sop_id
WHERE s.sop_id NOT IN (SELECT sop_id FROM run_case_versions)
   OR EXISTS (SELECT 1 FROM run_case_versions v
              WHERE v.sop_id = e.sop_id AND v.agency IS NOT DISTINCT FROM e.agency
                AND v.case_id = e.case_id AND v.model_sha256 = s.model_sha256);
