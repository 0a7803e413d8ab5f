-- Migration 5: variants.is_open — the variant's trace stops where the SOP's flow cannot end
-- (its cases are still running). Such a variant is aligned as a prefix: alignment_fitness,
-- cost and is_sop_path then say "so far" (docs/mutu-baku.md, "Conformance of open cases").
-- NULL on rows written before this migration (run 'pantau analyze' again to fill it).

ALTER TABLE variants ADD COLUMN IF NOT EXISTS is_open BOOLEAN;
