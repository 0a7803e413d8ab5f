"""Each agency's working calendar, kept in the store (``agency_calendars``).

An agency without a row is judged on its SOP's default calendar: Indonesian national holidays
and cuti bersama in the SOP's zone, 08:00-16:00 Monday to Friday, the SOP's override files
(:func:`analytics.calendar.calendar_for`). An agency with a row gets its own calendar, in the
SOP's zone (the model's ``timezone`` is the agency's): the public holidays of its country (and
subdivision) from the ``holidays`` package, its office hours and working days, and its regional
days off (an override file's text, kept in the row so the store needs no file beside it).
Which calendar and version each agency's results used is written to ``run_calendars``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from analytics.calendar import CalendarSpec, calendar_for
from analytics.calendars.overrides import INDONESIA, national_holidays, parse_override
from pantau.errors import CalendarError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
AGENCY_MARK = "+agency:"  # calendar ids of agency calendars: '<zone>+agency:<agency>'


@dataclass(frozen=True)
class AgencyCalendar:
    """One row of ``agency_calendars``."""

    agency: str
    country: str
    subdivision: str | None
    office_open: str
    office_close: str
    workdays: tuple[int, ...]
    days_off_name: str | None
    days_off: str | None
    set_by: str | None
    set_at: datetime

    def spec(self, timezone: str) -> CalendarSpec:
        """The calendar in the SOP's zone ``timezone`` (its days off read again, so a stored
        file is checked as a given one is)."""
        off = None
        if self.days_off is not None:
            off = parse_override(self.days_off.encode("utf-8"), self.days_off_name or "days_off",
                                 f"agency_calendars[{self.agency}].days_off")
        return CalendarSpec(f"{timezone}{AGENCY_MARK}{self.agency}", timezone, office_open=self.office_open,
                            office_close=self.office_close, workdays=self.workdays, country=self.country,
                            subdivision=self.subdivision, days_off=off, name=f"{self.agency} ({self.country})")


def parse_workdays(text: str) -> tuple[int, ...]:
    """``'mon-fri'``, ``'mon,tue,thu'`` or ``'0-4'`` as weekday numbers (Monday = 0)."""
    def day(part: str) -> int:
        part = part.strip().lower()
        if part.isdigit() and int(part) < 7:
            return int(part)
        if part[:3] in WEEKDAYS:
            return WEEKDAYS.index(part[:3])
        raise CalendarError(f"'{part}' is not a weekday", field="workdays", hint="e.g. mon-fri, or mon,tue,wed,thu,sat")

    days: set[int] = set()
    for item in text.split(","):
        first, _, last = item.partition("-")
        lo, hi = day(first), day(last) if last else day(first)
        if hi < lo:
            raise CalendarError(f"'{item.strip()}' runs backwards", field="workdays", hint="e.g. mon-fri")
        days.update(range(lo, hi + 1))
    return tuple(sorted(days))


def set_calendar(con: duckdb.DuckDBPyConnection, agency: str, *, country: str = INDONESIA,
                 subdivision: str | None = None, office_open: str = "08:00", office_close: str = "16:00",
                 workdays: str | tuple[int, ...] = "mon-fri", days_off: Path | None = None,
                 by: str | None = None) -> AgencyCalendar:
    """Set (or replace) ``agency``'s working calendar, checked first: the country and
    subdivision must be known to the holidays package, the hours and days valid, the days-off
    file readable (:mod:`analytics.calendars.overrides` format). Takes effect at the next run."""
    if not agency or not agency.strip():
        raise CalendarError("the agency is missing", field="agency")
    country = country.strip().upper()
    days = parse_workdays(workdays) if isinstance(workdays, str) else tuple(sorted(set(workdays)))
    text = name = None
    if days_off is not None:
        try:
            raw = Path(days_off).read_bytes()
        except OSError as exc:
            raise CalendarError(f"cannot read the days-off file: {exc.strerror}", file=str(days_off)) from exc
        parse_override(raw, Path(days_off).stem, str(days_off))
        text, name = raw.decode("utf-8"), Path(days_off).name
    row = AgencyCalendar(agency.strip(), country, subdivision or None, office_open, office_close, days, name, text,
                         by, datetime.now(UTC))
    row.spec("UTC")  # CalendarSpec checks hours and days
    national_holidays([date.today().year], country, row.subdivision)  # and the country
    con.execute("DELETE FROM agency_calendars WHERE agency = ?", [row.agency])
    con.execute("INSERT INTO agency_calendars (agency, country, subdivision, office_open, office_close, workdays, "
                "days_off_name, days_off, set_by, set_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [row.agency, row.country, row.subdivision, row.office_open, row.office_close,
                 ",".join(map(str, row.workdays)), name, text, by, row.set_at])
    return row


def remove_calendar(con: duckdb.DuckDBPyConnection, agency: str) -> bool:
    """Forget ``agency``'s calendar (it goes back to its SOP's default); False when it had none."""
    found = con.execute("SELECT count(*) FROM agency_calendars WHERE agency = ?", [agency]).fetchall()[0][0]
    con.execute("DELETE FROM agency_calendars WHERE agency = ?", [agency])
    return bool(found)


def calendars(con: duckdb.DuckDBPyConnection) -> list[AgencyCalendar]:
    """Every agency's calendar, by agency."""
    rows = con.execute("SELECT agency, country, subdivision, office_open, office_close, workdays, days_off_name, "
                       "days_off, set_by, set_at FROM agency_calendars ORDER BY agency").fetchall()
    return [AgencyCalendar(r[0], r[1], r[2], r[3], r[4], tuple(int(x) for x in r[5].split(",")), *r[6:])
            for r in rows]


def run_specs(con: duckdb.DuckDBPyConnection, models: Mapping[str, Any]
              ) -> tuple[list[CalendarSpec], list[tuple[str, str, str]]]:
    """The calendars a run needs for ``models`` (sop_id -> model): each SOP's default one,
    and each agency calendar an agency with cases of the SOP has; with the rows
    ``(sop_id, agency, calendar_id)`` of those agencies (the temp table ``run_agency_calendars``)."""
    specs = [calendar_for(m) for m in models.values()]
    own = {c.agency: c for c in calendars(con)}
    rows: list[tuple[str, str, str]] = []
    if own:
        pairs = con.execute("SELECT DISTINCT sop_id, agency FROM cases WHERE sop_id IN (SELECT unnest(?)) "
                            "AND agency IN (SELECT unnest(?)) ORDER BY ALL", [list(models), list(own)]).fetchall()
        for sop_id, agency in pairs:
            spec = own[agency].spec(models[sop_id].timezone)
            specs.append(spec)
            rows.append((sop_id, agency, spec.calendar_id))
    return specs, rows


def install_run_agencies(con: duckdb.DuckDBPyConnection, rows: list[tuple[str, str, str]]) -> None:
    """Create or replace ``run_agency_calendars(sop_id, agency, calendar_id)`` from ``rows``."""
    con.execute("CREATE OR REPLACE TEMP TABLE run_agency_calendars "
                "(sop_id VARCHAR, agency VARCHAR, calendar_id VARCHAR)")
    if rows:
        con.executemany("INSERT INTO run_agency_calendars VALUES (?, ?, ?)", [list(r) for r in rows])


def record_run(con: duckdb.DuckDBPyConnection, run_id: int) -> None:
    """Write ``run_calendars`` for run ``run_id``: per SOP and agency of its case checks, the
    calendar and version their results were measured on."""
    con.execute("""
        INSERT INTO run_calendars (run_id, sop_id, agency, calendar_id, calendar_version, cases)
        SELECT ?, f.sop_id, coalesce(f.agency, ''), f.calendar_id, i.version, count(*)
        FROM mutu_baku_case_facts f JOIN calendar_info i ON i.calendar_id = f.calendar_id
        GROUP BY ALL""", [run_id])
