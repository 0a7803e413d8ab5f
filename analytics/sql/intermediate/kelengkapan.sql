-- Kelengkapan, read once for every result that needs it (case_checks.kelengkapan_complete and
-- the missing_kelengkapan deviations): for each analysed case whose log lists the documents
-- submitted (case attribute 'kelengkapan': a JSON list, or one string of items separated by
-- ';', '|' or new lines), the items of the first case step's Kelengkapan it lacks. Items
-- compare trimmed and case-insensitively; a case without the attribute has no row (not checked).
-- inputs: cases, mutu_baku_sops, mutu_baku_kelengkapan
-- output: case_kelengkapan
-- placeholders: cases
-- cases: the cases of the run (analytics.incremental.scope_sql 'case_rows': the table cases in a
-- full run; in an incremental one its full SOPs' rows and those of the recomputed cases, picked
-- by a join before any attribute is parsed).

CREATE OR REPLACE TEMP TABLE case_kelengkapan AS
SELECT s.sop_id, s.agency, s.case_id, s.step_id, s.items,
       list_filter(s.items, lambda x: NOT list_contains(s.submitted, lower(trim(x)))) AS missing
FROM (
    SELECT c.sop_id, c.agency, c.case_id, k.step_id, coalesce(k.items, []::VARCHAR[]) AS items,
           list_transform(
               CASE json_type(c.attributes, '$.kelengkapan')
                   WHEN 'ARRAY' THEN json_extract_string(c.attributes, '$.kelengkapan[*]')
                   ELSE string_split_regex(json_extract_string(c.attributes, '$.kelengkapan'),
                                           '\s*[;|\n]\s*')
               END,
               lambda y: lower(trim(y))) AS submitted
    FROM {cases} c
    LEFT JOIN mutu_baku_kelengkapan k ON k.sop_id = c.sop_id
    WHERE c.sop_id IN (SELECT sop_id FROM mutu_baku_sops)
      AND json_type(c.attributes, '$.kelengkapan') IN ('ARRAY', 'VARCHAR')
) s;
