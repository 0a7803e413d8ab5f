-- Migration 7: the working calendar is chosen per agency. agency_calendars holds each agency's
-- calendar as data (country holidays from the `holidays` package, office hours, working days,
-- regional days off); an agency without a row keeps the SOP's default calendar (Indonesia in
-- the SOP's zone, its override files). run_calendars records which calendar, in which version,
-- each agency's results of a run were measured on. Described in docs/schema.md.

CREATE TABLE agency_calendars (
    agency         VARCHAR PRIMARY KEY,
    country        VARCHAR NOT NULL,      -- ISO 3166-1 code the holidays package knows ('ID', 'NL')
    subdivision    VARCHAR,               -- its province / state code (NULL: national holidays only)
    office_open    VARCHAR NOT NULL,      -- 'HH:MM' local time
    office_close   VARCHAR NOT NULL,
    workdays       VARCHAR NOT NULL,      -- weekday numbers, Monday = 0: '0,1,2,3,4'
    days_off_name  VARCHAR,               -- the regional days-off file it was given (its name)
    days_off       VARCHAR,               -- that file's text (override format: add / remove)
    set_by         VARCHAR,
    set_at         TIMESTAMPTZ NOT NULL
);

CREATE TABLE run_calendars (
    run_id         INTEGER NOT NULL,
    sop_id         VARCHAR NOT NULL,
    agency         VARCHAR NOT NULL,
    calendar_id    VARCHAR NOT NULL,      -- -> calendar_info.calendar_id of that run
    calendar_version VARCHAR NOT NULL,    -- calendar_info.version: holidays release, hours, days off
    cases          BIGINT NOT NULL        -- the agency's cases of the SOP measured on it
);
