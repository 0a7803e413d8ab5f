-- Conformance, step 1: the distinct variants of the cases' traces (run by analytics.conformance
-- after conformance_case_variant: intermediate/case_variants.sql, per SOP in a full run).

CREATE OR REPLACE TEMP TABLE conformance_variant_counts AS
SELECT sop_id, variant_id, any_value(seq) AS seq, count(*) AS case_count
FROM conformance_case_variant
GROUP BY sop_id, variant_id;
