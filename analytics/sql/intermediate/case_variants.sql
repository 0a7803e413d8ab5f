-- Each case's control-flow trace and its variant (a relation, no trailing ';':
-- analytics.conformance stores it as the temp table conformance_case_variant; in a full run
-- one statement per SOP, whose aggregate stays in memory: analytics.standards.sop_filters).
-- inputs: run_events, mutu_baku_sops, conformance_sops
-- output: (relation)
-- placeholders: sop_filter
--   sop_filter: a predicate on e.sop_id, the SOPs of this statement (true: all of conformance_sops).
-- Trace = the case's 'complete' events ordered by ts, then event_id; symbol = step_id, or
-- '?:' || activity when the activity maps to no step. Symbols are joined with chr(31)
-- (unit separator); a case without complete events has the empty trace ''.
-- variant_id = md5(sop_id || chr(30) || model_sha256 || chr(30) || trace): a variant is a trace
-- under one model version (mutu_baku_sops: the version this pass installed), stable across
-- runs and databases.
-- Why list_sort over structs instead of an ordered aggregate: one unordered list per case,
-- sorted in place by (ts, event_id), is ~3x faster than string_agg/list(... ORDER BY ...)
-- on 10M events, and gives the trace and its event ids from the same sort.
-- A case is (sop_id, agency, case_id): the same id in two agencies is two cases, two traces.
-- agency/unit come from the events (the same values the importer writes into cases).
WITH traced AS (
    SELECT
        e.sop_id,
        e.agency,
        e.case_id,
        any_value(e.unit) AS unit,
        list_sort(list({'ts': e.ts, 'event_id': e.event_id, 'symbol': coalesce(e.step_id, '?:' || e.activity)})
            FILTER (WHERE e.lifecycle = 'complete')) AS trace
    FROM run_events e
    WHERE e.sop_id IN (SELECT sop_id FROM conformance_sops) AND {sop_filter}
    GROUP BY e.sop_id, e.agency, e.case_id
)
SELECT
    sop_id,
    agency,
    case_id,
    unit,
    coalesce(array_to_string(list_transform(trace, lambda x: x.symbol), chr(31)), '') AS seq,
    md5(sop_id || chr(30) || (SELECT s.model_sha256 FROM mutu_baku_sops s WHERE s.sop_id = traced.sop_id)
        || chr(30) || seq) AS variant_id,
    coalesce(list_transform(trace, lambda x: x.event_id), []::BIGINT[]) AS event_ids
FROM traced
