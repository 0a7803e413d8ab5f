"""The moment a run judges open cases at ("as of"), recorded in ``runs.as_of``.

Default: the end of the last imported day — midnight after the latest event, on the local
clock of the SOP that holds it. An export sent on the morning of 1 December holds the events
up to 30 November; judging its open cases at the last event's timestamp (15.52) would hide
the rest of that day, and judging them at the moment ``analyze`` runs would make the same
data give different statuses on different days. ``pantau analyze --as-of`` sets it; it may not
lie before the latest event (events after "now" cannot have happened yet).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import duckdb

from pantau.errors import AnalysisError
from pantau.units import ZONE_NAMES


def end_of_day(day: datetime, timezone: str) -> datetime:
    """Midnight after ``day``'s local date in ``timezone`` (an aware datetime, in UTC)."""
    zone = ZoneInfo(timezone)
    local = day.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(local, time(0), tzinfo=zone).astimezone(UTC)


def parse_as_of(text: str, timezone: str) -> datetime:
    """``--as-of``: a date (``2024-12-31``: the end of that day in ``timezone``) or an ISO
    timestamp with an offset (``2024-12-31T16:00+07:00``)."""
    value = text.strip()
    try:
        if len(value) == 10:
            return end_of_day(datetime.fromisoformat(value).replace(tzinfo=ZoneInfo(timezone)), timezone)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise AnalysisError(f"--as-of '{value[:40]}' is neither a date nor a timestamp", field="as_of",
                            hint="give YYYY-MM-DD (the end of that day) or e.g. 2024-12-31T16:00+07:00") from None
    if moment.tzinfo is None:
        raise AnalysisError(f"--as-of '{value}' has no UTC offset", field="as_of",
                            hint="add the offset, e.g. +07:00 (WIB) or +08:00 (WITA), or give a date")
    return moment.astimezone(UTC)


def resolve_as_of(con: duckdb.DuckDBPyConnection, sop_ids: list[str], timezones: dict[str, str],
                  as_of: datetime | str | None) -> tuple[datetime | None, str | None]:
    """The run's as-of for ``sop_ids`` (their zones in ``timezones``) and the zone it is read
    in (that of the SOP with the latest event): ``as_of`` when given (a string is read by
    :func:`parse_as_of`), else the end of the last imported day. (None, None) when the SOPs
    have no events, and when none of their events has a time (logs read in order only) and
    no ``as_of`` is given: nothing of theirs is measured against a clock."""
    latest = con.execute("SELECT sop_id, max(ts) AS last_ts FROM events WHERE sop_id IN (SELECT unnest(?)) "
                         "GROUP BY sop_id ORDER BY last_ts DESC, sop_id LIMIT 1", [sop_ids]).fetchall()
    if not latest:
        return None, None
    sop_id, last_ts = latest[0]
    zone = timezones[sop_id]
    if as_of is None:
        return (None, None) if last_ts is None else (end_of_day(last_ts, zone), zone)
    moment = parse_as_of(as_of, zone) if isinstance(as_of, str) else as_of
    if moment.tzinfo is None:
        raise AnalysisError("as_of must carry a time zone", field="as_of", hint="e.g. datetime.now(UTC)")
    if last_ts is not None and moment < last_ts:
        raise AnalysisError(
            f"--as-of {moment.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M %Z} lies before the latest event "
            f"({last_ts.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M %Z}, SOP {sop_id})", field="as_of",
            hint="open cases are judged after every event they hold; give a later moment, or leave "
                 "--as-of out for the end of the last imported day")
    return moment.astimezone(UTC), zone


def describe(moment: datetime, timezone: str) -> str:
    """``2024-12-31 24:00 WIB``-style text of an as-of, on the SOP's local clock (midnight is
    written as the end of the day before, as the default as-of is meant)."""
    local = moment.astimezone(ZoneInfo(timezone))
    zone = ZONE_NAMES.get(timezone, timezone)
    if local.time() == time(0):
        return f"{local.date() - timedelta(days=1):%Y-%m-%d} 24:00 {zone}"
    return f"{local:%Y-%m-%d %H:%M} {zone}"
