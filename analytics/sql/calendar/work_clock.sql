-- The working clock's lookup tables (run by analytics.work_clock after every calendar install;
-- temp tables of the analysing connection, not part of the store's schema).
-- inputs: work_calendar, calendar_info
-- output: work_clock_zone, work_clock_day
--
-- Reading the clock of an instant needs the calendar day it falls on in the agency's zone.
-- timezone() gives it but costs about as much as the rest of the reading together on
-- millions of events. Indonesia's zones have had one fixed UTC offset since 1964, so for a
-- calendar whose offset never changes over the installed range the local day is plain
-- arithmetic on the UTC instant: (epoch_us + offset_us) floor-divided by a day. A zone
-- with daylight saving gets offset_us NULL and its days are read with timezone(), as before.
-- Days are keyed by one integer, clock_key = base + day number, unique across calendars, so
-- the lookup is a single integer hash join.

CREATE OR REPLACE TEMP TABLE work_clock_zone AS
SELECT
    c.calendar_id,
    any_value(i.timezone) AS timezone,
    (row_number() OVER (ORDER BY c.calendar_id) * 1048576)::BIGINT AS base,
    -- local wall-clock time of the office opening minus its UTC instant, the same every day
    CASE WHEN count(DISTINCT epoch_us(c.day + i.office_open::TIME) - epoch_us(c.open_utc)) = 1
         THEN any_value(epoch_us(c.day + i.office_open::TIME) - epoch_us(c.open_utc))
    END AS offset_us
FROM work_calendar c
JOIN calendar_info i ON i.calendar_id = c.calendar_id
GROUP BY c.calendar_id;

CREATE OR REPLACE TEMP TABLE work_clock_day AS
SELECT
    z.base + (c.day - DATE '1970-01-01') AS clock_key,
    c.calendar_id, c.day, c.open_utc, c.minutes, c.cum_before
FROM work_calendar c
JOIN work_clock_zone z ON z.calendar_id = c.calendar_id;
