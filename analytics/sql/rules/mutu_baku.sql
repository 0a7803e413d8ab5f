-- Mutu Baku rules used by more than one result, each written once (TEMP macros, installed by
-- analytics.standards.install_rules for a run). The rules are explained in docs/mutu-baku.md.
-- inputs: (none)
-- output: macro mutu_baku_span, macro mutu_baku_to_wm, macro step_quantity
-- placeholders: days_per_month

-- Span of a duration in a standard's unit: `wm` working minutes or `seconds` of calendar time;
-- a working day is `day_minutes` working minutes (the calendar's office hours); a month is
-- days_per_month days (pantau.units.DAYS_PER_MONTH).
CREATE OR REPLACE TEMP MACRO mutu_baku_span(unit, basis, wm, seconds, day_minutes) AS
CASE
    WHEN unit = 'month' THEN seconds / (86400 * {days_per_month})
    WHEN basis = 'working' THEN wm / CASE unit WHEN 'minute' THEN 1.0 WHEN 'hour' THEN 60.0
                                               WHEN 'day' THEN day_minutes END
    ELSE seconds / CASE unit WHEN 'minute' THEN 60.0 WHEN 'hour' THEN 3600.0
                             WHEN 'day' THEN 86400.0 END
END;

-- The same conversion backwards: a standard's value in working minutes (working basis).
CREATE OR REPLACE TEMP MACRO mutu_baku_to_wm(unit, value, day_minutes) AS
value * CASE unit WHEN 'minute' THEN 1.0 WHEN 'hour' THEN 60.0 WHEN 'day' THEN day_minutes END;

-- Per-unit standards ("1 menit per WBS") scale by the case attribute the model names
-- (model_steps.per_attr); a missing, unreadable or non-positive count reads as one unit.
CREATE OR REPLACE TEMP MACRO step_quantity(attributes, per_attr) AS
CASE WHEN per_attr IS NULL THEN 1.0
     ELSE coalesce(CASE WHEN try_cast(attributes ->> per_attr AS DOUBLE) > 0
                        THEN try_cast(attributes ->> per_attr AS DOUBLE) END, 1.0)
END;
