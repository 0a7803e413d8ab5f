-- Conformance, step 3: write variants, deviations, model_quality and the staging table
-- conformance_cases (joined into case_checks by the cases stage). Inputs (temp tables):
-- conformance_run(run_id), conformance_case_variant, conformance_variant_counts,
-- conformance_variant_results, conformance_case_devs, conformance_precision(sop_id, agency,
-- precision); mutu_baku_sops (analytics.standards: the model version of each SOP);
-- conformance_all_case_variant and conformance_all_variants (analytics.conformance: every case
-- and variant of the SOPs, this run's and, in an incremental run, the ones it kept).

INSERT INTO variants BY NAME
SELECT
    r.run_id, v.sop_id, v.variant_id, vr.activities,
    v.case_count, vr.alignment_fitness, vr.token_fitness, vr.alignment_status, vr.cost, vr.is_sop_path,
    m.model_sha256, vr.is_open
FROM (SELECT sop_id, variant_id, count(*) AS case_count FROM conformance_all_case_variant
      GROUP BY sop_id, variant_id) v
JOIN conformance_all_variants vr ON vr.sop_id = v.sop_id AND vr.variant_id = v.variant_id
JOIN mutu_baku_sops m ON m.sop_id = v.sop_id
CROSS JOIN conformance_run r;

INSERT INTO deviations BY NAME
SELECT r.run_id, d.case_id, d.sop_id, d.agency, d.unit, d.kind, d.step_id, d.activity, d.position,
       d.lane, d.event_id, d.explanation_id, d.explanation_en, m.model_sha256, d.after_position
FROM conformance_case_devs d
JOIN mutu_baku_sops m ON m.sop_id = d.sop_id
CROSS JOIN conformance_run r;

-- conformant: the variant fits exactly (alignment fitness 1; token fitness 1 after a fallback);
-- for a variant of open cases (is_open): fits so far (its prefix alignment has no deviation).
-- deviation_count counts every deviation row of the case, same_person and missing_kelengkapan too.
CREATE OR REPLACE TEMP TABLE conformance_cases AS
SELECT
    cv.case_id, cv.sop_id, cv.agency, cv.variant_id,
    vr.alignment_fitness, vr.alignment_status, vr.token_fitness,
    vr.is_sop_path AS conformant,
    coalesce(n.deviation_count, 0)::INTEGER AS deviation_count
FROM conformance_case_variant cv
JOIN conformance_variant_results vr ON vr.sop_id = cv.sop_id AND vr.variant_id = cv.variant_id
LEFT JOIN (
    SELECT sop_id, agency, case_id, count(*) AS deviation_count
    FROM conformance_case_devs GROUP BY sop_id, agency, case_id
) n ON n.sop_id = cv.sop_id AND n.agency = cv.agency AND n.case_id = cv.case_id;

-- fitness: mean case alignment fitness; a case whose variant fell back to token replay
-- contributes its token fitness; a variant with neither (token replay past its bound) none.
-- Summed per variant in variant_id order, so that the same data gives the same number to the
-- last digit on every run (a parallel avg() does not).
INSERT INTO model_quality BY NAME
SELECT r.run_id, q.sop_id, q.agency, q.cases, q.variants, q.fitness, p.precision, m.model_sha256
FROM (
    SELECT sop_id, agency, sum(n)::BIGINT AS cases, count(*) AS variants,
           sum(n * f ORDER BY variant_id) / sum(n) FILTER (WHERE f IS NOT NULL) AS fitness
    FROM (
        SELECT cv.sop_id, cv.agency, cv.variant_id, count(*) AS n,
               any_value(coalesce(vr.alignment_fitness, vr.token_fitness)) AS f
        FROM conformance_all_case_variant cv
        JOIN conformance_all_variants vr ON vr.sop_id = cv.sop_id AND vr.variant_id = cv.variant_id
        GROUP BY cv.sop_id, cv.agency, cv.variant_id
    )
    GROUP BY sop_id, agency
) q
LEFT JOIN conformance_precision p ON p.sop_id = q.sop_id AND p.agency IS NOT DISTINCT FROM q.agency
JOIN mutu_baku_sops m ON m.sop_id = q.sop_id
CROSS JOIN conformance_run r;
