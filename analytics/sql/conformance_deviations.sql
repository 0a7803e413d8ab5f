-- Conformance, step 2: deviations per case (run by analytics.conformance after the alignments).
-- Inputs (temp tables): conformance_case_variant, conformance_variant_devs (one row per
-- deviation of a variant, from the alignment rules 1-3), conformance_steps(sop_id, step_id,
-- name, lane), conformance_four_eyes(sop_id, step_a, step_b, label_a_id, label_b_id,
-- label_a_en, label_b_en), conformance_kelengkapan(sop_id, step_id, items, label_id, label_en),
-- case_kelengkapan (intermediate/kelengkapan.sql), run_events (analytics.labels).
-- after_position: for a skipped step, where the alignment places it (the trace position of the
-- last event before it; 0 before the first); NULL for the other kinds.

CREATE OR REPLACE TEMP TABLE conformance_case_devs AS
-- the completions of the steps of a four_eyes pair, read once: the pair's self-join then works
-- on these few rows, not on every completion of a case with the same resource (at a million
-- cases that join, planned before the step filter, ran on tens of millions of pairs)
WITH pair_completions AS MATERIALIZED (
    SELECT e.sop_id, e.agency, e.case_id, e.step_id, e.activity, e.resource, e.ts, e.event_id
    FROM run_events e
    WHERE e.lifecycle = 'complete' AND e.resource IS NOT NULL
      AND EXISTS (SELECT 1 FROM conformance_four_eyes fe
                  WHERE fe.sop_id = e.sop_id AND (fe.step_a = e.step_id OR fe.step_b = e.step_id))
)
-- rules 1-3: a variant's deviations hold for each of its cases; the position picks the event
SELECT
    cv.sop_id, cv.case_id, cv.agency, cv.unit, d.kind, d.step_id,
    CASE WHEN d.position IS NULL THEN st.name ELSE ev.activity END AS activity,
    d.position,
    st.lane,
    cv.event_ids[d.position] AS event_id,
    d.explanation_id, d.explanation_en,
    d.after_position
FROM conformance_variant_devs d
JOIN conformance_case_variant cv ON cv.sop_id = d.sop_id AND cv.variant_id = d.variant_id
LEFT JOIN conformance_steps st ON st.sop_id = d.sop_id AND st.step_id = d.step_id
LEFT JOIN events ev ON ev.event_id = cv.event_ids[d.position]

UNION ALL

-- same_person: one resource completed both steps of a four_eyes pair; the row points at the
-- first completion of the second step by a person who also completed the first one.
SELECT * EXCLUDE (rn) FROM (
    SELECT
        cv.sop_id, cv.case_id, cv.agency, cv.unit, 'same_person' AS kind, fe.step_b AS step_id,
        eb.activity,
        nullif(list_position(cv.event_ids, eb.event_id), 0) AS position,
        st.lane,
        eb.event_id,
        format('{} dan {} diselesaikan oleh orang yang sama ({})', fe.label_a_id, fe.label_b_id, eb.resource),
        format('{} and {} were completed by the same person ({})', fe.label_a_en, fe.label_b_en, eb.resource),
        NULL::INTEGER AS after_position,
        row_number() OVER (PARTITION BY cv.sop_id, cv.agency, cv.case_id, fe.step_a, fe.step_b
                           ORDER BY eb.ts, eb.event_id) AS rn
    FROM conformance_four_eyes fe
    JOIN pair_completions ea ON ea.sop_id = fe.sop_id AND ea.step_id = fe.step_a
    JOIN pair_completions eb ON eb.sop_id = fe.sop_id AND eb.agency = ea.agency
        AND eb.case_id = ea.case_id AND eb.step_id = fe.step_b AND eb.resource = ea.resource
    JOIN conformance_case_variant cv
        ON cv.sop_id = eb.sop_id AND cv.agency = eb.agency AND cv.case_id = eb.case_id
    LEFT JOIN conformance_steps st ON st.sop_id = fe.sop_id AND st.step_id = fe.step_b
)
WHERE rn = 1

UNION ALL

-- missing_kelengkapan: the case's documents lack an item the first step requires
-- (case_kelengkapan, intermediate/kelengkapan.sql: the one reading of the attribute).
SELECT
    m.sop_id, m.case_id, m.agency, cv.unit, 'missing_kelengkapan', m.step_id, st.name,
    NULL, st.lane, NULL,
    format('Kelengkapan {} tidak lengkap: {}', k.label_id, array_to_string(m.missing, '; ')),
    format('Documents required by {} are missing: {}', k.label_en, array_to_string(m.missing, '; ')),
    NULL::INTEGER
FROM case_kelengkapan m
JOIN conformance_kelengkapan k ON k.sop_id = m.sop_id
JOIN conformance_case_variant cv ON cv.sop_id = m.sop_id AND cv.agency = m.agency AND cv.case_id = m.case_id
LEFT JOIN conformance_steps st ON st.sop_id = m.sop_id AND st.step_id = m.step_id
WHERE len(m.missing) > 0;
