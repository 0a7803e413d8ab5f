-- The analysed events: the store's events of the SOPs of this run that are part of a case,
-- each with the step its label maps to (run_labels, analytics.labels: the activity_map table,
-- then the step's exact and normalised name). Labels declared out of scope and steps done once
-- per programme period (scope 'program') are left out; an unmapped label keeps step_id NULL.
-- Every later stage reads events through this view: the mapping is applied in this one place.
-- Events come through run_scope_events (staging/run_scope.sql): the cases this pass judges.
-- inputs: run_scope_events, run_labels
-- output: run_events
CREATE OR REPLACE TEMP VIEW run_events AS
SELECT e.event_id, e.case_id, e.sop_id, l.step_id, e.activity, e.lifecycle, e.ts, e.resource,
       e.agency, e.unit, e.import_id, e.source_row
FROM run_scope_events e
LEFT JOIN run_labels l ON l.sop_id = e.sop_id AND l.label = e.activity
WHERE coalesce(l.in_case, true);
