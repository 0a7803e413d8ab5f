-- Migration 14 (issue 14): two result columns, appended (not breaking; `pantau analyze` fills them,
-- NULL on rows written before).
-- deviations.after_position: where the alignment places a skipped step (a model move has no
-- event): the trace position of the last event before it, 0 before the first. The Kasus page
-- drew a step skipped in a loop's second round (Batam RS: s01 s02 s02 s04, the resubmission s01
-- missing) before the case's first event, as if the s01 that was done had been skipped.
-- step_checks.suspended_wm: working minutes an occurrence was suspended (XES suspend -> resume
-- between its start and completion), taken out of processing_wm and elapsed (docs/mutu-baku.md).
ALTER TABLE deviations ADD COLUMN IF NOT EXISTS after_position INTEGER;
ALTER TABLE step_checks ADD COLUMN IF NOT EXISTS suspended_wm DOUBLE;
