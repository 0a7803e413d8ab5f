-- Migration 9: findings an auditor and a head can read (issues 12, 15).
-- step_checks.excess_wm: how much working time a step occurrence took beyond its standard,
-- the one figure the bottleneck call-out adds up (view `bottlenecks` in views.sql; rule in
-- docs/mutu-baku.md, "Bottleneck"). Result column: NULL on rows written before this
-- migration (run 'pantau analyze' again to fill it).

ALTER TABLE step_checks ADD COLUMN IF NOT EXISTS excess_wm DOUBLE;
