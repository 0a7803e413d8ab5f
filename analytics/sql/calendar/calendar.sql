-- Pantau working calendar: business-time arithmetic as DuckDB macros.
-- Applied by analytics.calendar.install_calendar() after it has filled `work_calendar`
-- and `calendar_info`; described in docs/mutu-baku.md, section "Working calendar".
-- inputs: work_calendar, calendar_info
-- output: work_calendar_open, work_month_deadlines, macro work_cum, macro work_month_deadline, macro day_of_month_target, macro calendar_add, macro work_deadline
-- placeholders: days_per_month
--
-- Clock: work_cum(cal, ts) = working minutes (DOUBLE, fractional) from the calendar's first
-- day to the instant ts. It is continuous and non-decreasing, so
--     working minutes between a and b = work_cum(cal, b) - work_cum(cal, a)
-- and a timestamp outside office hours counts as the nearest boundary on its side.
-- A calendar id is '<IANA zone>' or '<IANA zone>+<suffix>' (the local day of an instant is
-- read in the zone before '+'). Every macro returns NULL when ts falls outside the installed
-- range or the calendar id is unknown (analytics.calendar.ensure_covered() turns that into an
-- error). Each macro is one equality or ASOF join per call site: set-based, no loop per row.
-- Hygiene: a macro argument is substituted as written, and inside a subquery an unqualified
-- name like `calendar_id` would bind to the calendar table's column, not the caller's. So
-- every subquery below reads its arguments only in a FROM-less `SELECT cal AS cal__, ...`
-- (aliases ending in '__' so that they cannot shadow a caller's column either).

-- Working days only: cum_before and workday_no are strictly increasing here, which the
-- ASOF joins below need (non-working days share cum_before with the next working day).
CREATE OR REPLACE VIEW work_calendar_open AS
SELECT * FROM work_calendar WHERE is_working;

-- For each calendar, day-of-month D (1..31) and month: the target date (D, or the month's
-- last day when the month is shorter) and the deadline (office close of the target date, or
-- of the previous working day when the target date is not a working day). A deadline stays in
-- its month: when no working day of the month lies on or before the target (an "awal bulan"
-- day 1 that is a holiday or a weekend), it is the month's first working day after it, never
-- the previous month's last (issue 12.7: 1 January would make a January penetapan due in
-- December; docs/mutu-baku.md, "Day-of-month deadlines").
CREATE OR REPLACE TABLE work_month_deadlines AS
WITH bounds AS (
    SELECT calendar_id, min(day) AS first_day, max(day) AS last_day
    FROM work_calendar GROUP BY calendar_id
),
months AS (
    SELECT DISTINCT c.calendar_id, date_trunc('month', c.day)::DATE AS month_start
    FROM work_calendar c
),
targets AS (
    SELECT m.calendar_id, d.dom,
           least(m.month_start + (d.dom - 1)::INTEGER, last_day(m.month_start))::DATE AS target_day
    FROM months m CROSS JOIN (SELECT range::INTEGER AS dom FROM range(1, 32)) d
),
back AS (
    SELECT t.calendar_id, t.dom, t.target_day, w.day AS due_day, w.close_utc AS due_utc
    FROM targets t
    JOIN bounds b
        -- outside the range the working days are unknown: no answer rather than a wrong one
        ON b.calendar_id = t.calendar_id AND t.target_day BETWEEN b.first_day AND b.last_day
    ASOF LEFT JOIN work_calendar_open w
        ON w.calendar_id = t.calendar_id AND t.target_day >= w.day
)
SELECT k.calendar_id, k.dom, k.target_day,
       CASE WHEN date_trunc('month', k.due_day) = date_trunc('month', k.target_day) THEN k.due_day
            ELSE f.day END AS due_day,
       CASE WHEN date_trunc('month', k.due_day) = date_trunc('month', k.target_day) THEN k.due_utc
            ELSE f.close_utc END AS due_utc
FROM back k
ASOF LEFT JOIN work_calendar_open f
    ON f.calendar_id = k.calendar_id AND k.target_day <= f.day;

-- Local calendar day of an instant in the calendar's zone.
CREATE OR REPLACE MACRO work_local_day(cal, ts) AS
    CAST(timezone(split_part(cal, '+', 1), ts) AS DATE);

-- Working minutes from the calendar's first day to the instant ts (DOUBLE).
CREATE OR REPLACE MACRO work_cum(cal, ts) AS (
    -- microseconds, not epoch(interval): the same value, and several times cheaper per row
    SELECT c.cum_before + least(greatest((epoch_us(p.ts__) - epoch_us(c.open_utc)) / 60000000.0, 0),
                                c.minutes)
    FROM (SELECT cal AS cal__, ts AS ts__) p
    JOIN work_calendar c ON c.calendar_id = p.cal__ AND c.day = work_local_day(p.cal__, p.ts__)
);

-- Working minutes between a and b (negative when b < a).
CREATE OR REPLACE MACRO work_minutes(cal, a, b) AS work_cum(cal, b) - work_cum(cal, a);

-- The earliest instant at which `n` working minutes have passed since ts (n >= 0).
-- n = 0 gives ts itself; negative n gives NULL.
CREATE OR REPLACE MACRO work_add(cal, ts, n) AS
    CASE
        WHEN n = 0 THEN ts
        WHEN n > 0 THEN (
            SELECT CASE WHEN x.target__ - w.cum_before <= w.minutes
                        THEN w.open_utc + to_microseconds(
                                 CAST(round((x.target__ - w.cum_before) * 60000000) AS BIGINT))
                   END
            FROM (SELECT cal AS cal__, work_cum(cal, ts) + n AS target__) x
            ASOF JOIN work_calendar_open w
                ON w.calendar_id = x.cal__ AND x.target__ > w.cum_before
        )
    END;

-- "N hari kerja" read day by day: office close of the N-th working day after the local day
-- of ts (Monday 10:00 + 2 -> Wednesday close). N is rounded up to a whole day. N = 0 ("hari
-- yang sama") is the first office close at or after ts.
CREATE OR REPLACE MACRO work_days_add(cal, ts, n) AS
    CASE
        WHEN n < 0 THEN NULL
        WHEN ceil(n) = 0 THEN (
            SELECT w.close_utc
            FROM (SELECT cal AS cal__, ts AS ts__) x
            ASOF JOIN work_calendar_open w
                ON w.calendar_id = x.cal__ AND x.ts__ <= w.close_utc
        )
        ELSE (
            SELECT w.close_utc
            FROM (SELECT cal AS cal__, ts AS ts__, CAST(ceil(n) AS BIGINT) AS days__) p
            JOIN work_calendar c ON c.calendar_id = p.cal__ AND c.day = work_local_day(p.cal__, p.ts__)
            JOIN work_calendar_open w
                ON w.calendar_id = c.calendar_id AND w.workday_no = c.workday_no + p.days__
        )
    END;

-- "pada tanggal D setiap bulan": the target date is the first local date >= `day` whose day
-- of month is D (the month's last day when the month is shorter). The one statement of the
-- rule: work_month_deadline below and the analysis (step_checks, open_cases) use it.
CREATE OR REPLACE MACRO day_of_month_target(day, d) AS
    CASE WHEN least(date_trunc('month', day)::DATE + (d - 1)::INTEGER, last_day(day)) >= day
         THEN least(date_trunc('month', day)::DATE + (d - 1)::INTEGER, last_day(day))
         ELSE least((date_trunc('month', day) + INTERVAL 1 MONTH)::DATE + (d - 1)::INTEGER,
                    last_day((date_trunc('month', day) + INTERVAL 1 MONTH)::DATE))
    END;

-- The deadline: office close of the target date of the local day of ts; when that date is
-- not a working day, the previous working day's close (offices submit before a holiday), or
-- the next one when the previous lies in another month (work_month_deadlines).
CREATE OR REPLACE MACRO work_month_deadline(cal, ts, d) AS (
    SELECT m.due_utc
    FROM (SELECT cal AS cal__, CAST(d AS INTEGER) AS dom__,
                 day_of_month_target(work_local_day(cal, ts), CAST(d AS INTEGER)) AS target__) x
    JOIN work_month_deadlines m
        ON m.calendar_id = x.cal__ AND m.dom = x.dom__ AND m.target_day = x.target__
);

-- Calendar time (not office hours): minutes and hours as elapsed time, days and months on the
-- local wall clock (equal to 24-hour days in Indonesia, which has no daylight saving time).
-- A fractional month adds its fraction of days_per_month days (the average month).
CREATE OR REPLACE MACRO calendar_add(cal, ts, value, unit) AS
    CASE unit
        WHEN 'minute' THEN ts + to_microseconds(CAST(round(value * 60e6) AS BIGINT))
        WHEN 'hour' THEN ts + to_microseconds(CAST(round(value * 3600e6) AS BIGINT))
        WHEN 'day' THEN timezone(split_part(cal, '+', 1),
            timezone(split_part(cal, '+', 1), ts)
            + to_microseconds(CAST(round(value * 86400e6) AS BIGINT)))
        WHEN 'month' THEN timezone(split_part(cal, '+', 1),
            timezone(split_part(cal, '+', 1), ts)
            + to_months(CAST(trunc(value) AS INTEGER))
            + to_microseconds(CAST(round((value - trunc(value)) * {days_per_month} * 86400e6) AS BIGINT)))
    END;

-- Working minutes in one nominal working day of a calendar (480 for 08:00-16:00).
CREATE OR REPLACE MACRO work_day_minutes(cal) AS (
    SELECT i.day_minutes FROM (SELECT cal AS cal__) p JOIN calendar_info i ON i.calendar_id = p.cal__
);

-- Deadline of a Mutu Baku bound (value, unit, basis) counted from ts, following the shared
-- contract (docs/dev/SEMANTICS.md): working minutes/hours on the working clock, a working day
-- = work_day_minutes(cal) working minutes ("2 Hari" = 960), months always calendar months.
CREATE OR REPLACE MACRO work_deadline(cal, ts, value, unit, basis) AS
    CASE
        WHEN value IS NULL OR value < 0 THEN NULL
        WHEN basis = 'calendar' OR unit = 'month' THEN calendar_add(cal, ts, value, unit)
        -- one work_add per call site: the CASE picks the scale, not the join
        ELSE work_add(cal, ts, value * CASE unit
            WHEN 'minute' THEN 1
            WHEN 'hour' THEN 60
            WHEN 'day' THEN work_day_minutes(cal)
        END)
    END;
