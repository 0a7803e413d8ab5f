-- Migration 11: SOP revisions in one run. A case is checked against the SOP version in force on
-- the local day it started (docs/mutu-baku.md, "Revisions"), so one run of an SOP may use
-- several of its versions: every per-case result row names the version it was judged by
-- (case_checks and variants had the column already). model_quality is per version too: its
-- fitness and precision are those of the cases judged by that version. Described in
-- docs/schema.md.

ALTER TABLE step_checks ADD COLUMN model_sha256 VARCHAR;
ALTER TABLE deviations ADD COLUMN model_sha256 VARCHAR;
ALTER TABLE open_cases ADD COLUMN model_sha256 VARCHAR;
ALTER TABLE model_quality ADD COLUMN model_sha256 VARCHAR;
