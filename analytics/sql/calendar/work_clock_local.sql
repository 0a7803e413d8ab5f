-- Local wall-clock time of instant ts in a calendar's zone (run by analytics.work_clock with
-- the clock's lookup tables): the UTC instant plus the zone's fixed offset
-- (work_clock_zone.offset_us, see sql/work_clock.sql), or timezone() for a zone with daylight
-- saving (offset_us NULL). The same TIMESTAMP as timezone(tz, ts), without its cost per row.
-- inputs: (none)
-- output: macro work_clock_local
CREATE OR REPLACE TEMP MACRO work_clock_local(ts, offset_us, tz) AS
    coalesce(make_timestamp(epoch_us(ts) + offset_us), timezone(tz, ts));
