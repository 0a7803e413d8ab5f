"""The working calendar: exact, set-based business-time arithmetic in DuckDB.

:func:`install_calendar` writes one row per calendar per day to ``work_calendar`` (office
hours in the agency's zone, weekends, national holidays and cuti bersama from ``holidays``,
override files in ``analytics/calendars/``) with the working minutes before each day, and
creates the SQL macros of ``analytics/sql/calendar.sql``: ``work_cum``, ``work_minutes``,
``work_add``, ``work_days_add``, ``work_month_deadline``, ``calendar_add``,
``work_deadline``. Each is an equality or ASOF join, so a million timestamps cost well under
a second and nothing loops per event in Python; :mod:`analytics.work_clock` reads the clock
of whole relations for the analysis. The rules are documented in ``docs/mutu-baku.md``
("Working calendar").
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import available_timezones

import duckdb

from analytics import sql_files
from analytics.calendars.overrides import (
    INDONESIA,
    Override,
    apply_overrides,
    holiday_dates,
    load_override,
    national_holidays,
    overrides_for,
    years_without_cuti_bersama,
)
from analytics.calendars.stored import record_sql, same_install
from analytics.work_clock import install_clock
from pantau.errors import CalendarError, did_you_mean
from pantau.units import DAYS_PER_MONTH, ZONE_NAMES
from sop_models.model import calendar_id_for

if TYPE_CHECKING:
    import pandas as pd

# holidays, pandas and numpy are imported where a calendar is built, not on import: an analyze
# run whose calendar is unchanged keeps the stored one and needs none of them (~1.5 s at start-up)

__all__ = [
    "CalendarSpec", "Override", "add_working", "add_working_days",
    "calendar_for", "calendar_version", "deadline_sql", "ensure_covered", "holiday_dates",
    "install_calendar", "install_for_models", "install_specs", "load_override", "month_day_deadline", "working_minutes",
]

CALENDAR_FORMAT = "pantau-calendar/1"  # bump when a rule in calendar.sql changes meaning
MARGIN_BEFORE = timedelta(days=31)
# deadlines of events late in the data ("1 Bulan", "tanggal 25") must still resolve
MARGIN_AFTER = timedelta(days=400)


# --- calendar definitions -----------------------------------------------------------------
def _clock(value: str, what: str) -> time:
    try:
        t = time.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise CalendarError(f"{what} must be HH:MM, got {value!r}", field=what) from exc
    if t.second or t.microsecond or t.tzinfo:  # working minutes per day must be whole
        raise CalendarError(f"{what} must be HH:MM, got {value!r}", field=what)
    return t


@cache
def _zones() -> frozenset[str]:
    # the system's zone names, read once: a walk of the tz database (~65 ms) per spec added
    # most of an incremental run's calendar stage
    return frozenset(available_timezones())


@dataclass(frozen=True)
class CalendarSpec:
    """One working calendar: office hours on workdays in a local zone, minus holidays.

    ``calendar_id`` is the zone (``"Asia/Jakarta"``) or the zone plus a suffix
    (``"Asia/Jakarta+batam"``): SQL reads the local day in the zone before ``+``.
    ``workdays`` are ``date.weekday()`` numbers (0 = Monday). ``overrides`` names override
    files in ``analytics/calendars/`` (``national.yaml`` always applies); ``extra_holidays``
    and ``removed_holidays`` are applied last.
    """

    calendar_id: str
    timezone: str
    office_open: str = "08:00"
    office_close: str = "16:00"
    workdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    extra_holidays: tuple[tuple[date, str], ...] = ()
    removed_holidays: frozenset[date] = frozenset()
    overrides: tuple[str, ...] = ()
    name: str = ""
    # whose public holidays (the holidays package's country and subdivision codes); Indonesia's
    # include cuti bersama and national.yaml's corrections, another country's neither
    country: str = INDONESIA
    subdivision: str | None = None
    days_off: Override | None = None  # an agency's regional days off, kept in the store

    def __post_init__(self) -> None:
        if self.timezone not in _zones():
            raise CalendarError(
                f"unknown time zone {self.timezone!r}",
                field="timezone",
                hint=did_you_mean(self.timezone, sorted(ZONE_NAMES)),
            )
        if self.calendar_id != self.timezone and not self.calendar_id.startswith(
            self.timezone + "+"
        ):
            raise CalendarError(
                f"calendar id {self.calendar_id!r} must be {self.timezone!r} or start with "
                f"'{self.timezone}+'",
                field="calendar_id",
            )
        if _clock(self.office_close, "office_close") <= _clock(self.office_open, "office_open"):
            raise CalendarError("office_close must be after office_open", field="office_close")
        if not self.workdays or not set(self.workdays) <= set(range(7)):
            raise CalendarError("workdays must be weekday numbers 0..6", field="workdays")

    @classmethod
    def for_zone(cls, timezone: str, overrides: Sequence[str] = (), **kwargs: Any) -> CalendarSpec:
        """The default calendar of a zone, with named override files (id ``zone+name...``)."""
        calendar_id = calendar_id_for(timezone, overrides)
        name = kwargs.pop("name", None) or f"{ZONE_NAMES.get(timezone, timezone)} {calendar_id}"
        return cls(calendar_id, timezone, overrides=tuple(overrides), name=name, **kwargs)

    @property
    def day_minutes(self) -> int:
        """Working minutes in one full working day (480 for 08:00-16:00)."""
        o, c = _clock(self.office_open, "office_open"), _clock(self.office_close, "office_close")
        return (c.hour * 60 + c.minute) - (o.hour * 60 + o.minute)


def calendar_for(model: Any, overrides: Sequence[str] | None = None) -> CalendarSpec:
    """The calendar an SOP is checked against: its agency's zone, 08:00-16:00 Monday-Friday.

    ``overrides`` names regional override files; by default they come from the model's
    ``calendar_overrides`` (a field the SOP model may carry; absent means none).
    """
    if overrides is None:
        overrides = tuple(getattr(model, "calendar_overrides", ()) or ())
    return CalendarSpec.for_zone(model.timezone, overrides)


@cache
def holidays_version() -> str:
    """The installed ``holidays`` package's version (part of every calendar version), read
    from its metadata: the package itself is imported only to build a calendar."""
    from importlib.metadata import version

    return version("holidays")


def _version(parts: Any) -> str:
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
    return f"cal1-h{holidays_version()}-{digest[:12]}"


# --- install --------------------------------------------------------------------------------
def _rows(spec: CalendarSpec, first: date, last: date, off: dict[date, str]) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    days = pd.date_range(first, last, freq="D")
    names = [off.get(d) for d in days.date]  # a loop over days, never over events
    working = np.isin(days.weekday, spec.workdays) & np.array([n is None for n in names])

    def utc(clock: str) -> pd.DatetimeIndex:
        t = _clock(clock, "office hours")
        local = days + pd.Timedelta(hours=t.hour, minutes=t.minute)
        # Indonesia has no DST; elsewhere a gap shifts forward and an overlap takes standard time
        return local.tz_localize(spec.timezone, nonexistent="shift_forward",
                                 ambiguous=np.zeros(len(days), dtype=bool)).tz_convert("UTC")

    open_utc, close_utc = utc(spec.office_open), utc(spec.office_close)
    span = ((close_utc - open_utc).total_seconds() // 60).to_numpy().astype("int64")
    minutes = np.where(working, span, 0)
    return pd.DataFrame({
        "calendar_id": spec.calendar_id, "day": days.date, "is_working": working,
        "open_utc": open_utc, "close_utc": close_utc, "minutes": minutes,
        "cum_before": np.cumsum(minutes) - minutes, "workday_no": np.cumsum(working),
        "holiday": names,
    })


def install_calendar(
    con: duckdb.DuckDBPyConnection,
    specs: Sequence[CalendarSpec],
    start: date,
    end: date,
    *,
    directory: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    reuse: bool = False,
) -> str:
    """Create/replace ``work_calendar``, ``calendar_info`` and the calendar macros.

    Covers ``[start - 31 days, end + 400 days]`` for each calendar and returns the version
    string of this install (also in ``calendar_info.install_version``; each calendar's own
    version is in ``calendar_info.version``). Record it with every result. ``reuse``: when
    the store already holds exactly this install (the same calendars, versions and days, from
    the same calendar SQL), keep it and only build this connection's clock tables: nothing
    is written and the holidays are not computed (``pantau analyze`` after a day's import).
    """
    unique: dict[str, CalendarSpec] = {}
    for spec in specs:
        seen = unique.setdefault(spec.calendar_id, spec)
        if replace(seen, name=spec.name) != spec:  # the name is only a label
            raise CalendarError(f"two different definitions of calendar {spec.calendar_id!r}")
    if not unique:
        raise CalendarError("no calendar to install")
    if end < start:
        raise CalendarError(f"calendar range ends ({end}) before it starts ({start})")
    first, last = start - MARGIN_BEFORE, end + MARGIN_AFTER
    years = range(first.year, last.year + 1)
    planned = []
    for spec in unique.values():
        where = (spec.country, spec.subdivision)
        ovs = (overrides_for(spec.overrides, directory) if spec.country == INDONESIA
               else [load_override(n, directory) for n in spec.overrides])
        ovs += [spec.days_off] if spec.days_off is not None else []
        parts = [CALENDAR_FORMAT, holidays_version(), spec.timezone, spec.office_open,
                 spec.office_close, sorted(spec.workdays), sorted(spec.extra_holidays),
                 sorted(spec.removed_holidays), [(o.name, o.sha256) for o in ovs]]
        if where != (INDONESIA, None):  # so every Indonesian calendar keeps its version
            parts.append(list(where))
        planned.append((spec, ovs, _version(parts)))
    install_version = (planned[0][2] if len(planned) == 1 else
                       _version(sorted((spec.calendar_id, version) for spec, _, version in planned)))
    if reuse and same_install(con, install_version, first, last,
                               {spec.calendar_id: version for spec, _, version in planned}):
        install_clock(con)
        return install_version
    import pandas as pd

    no_cuti = years_without_cuti_bersama(years)
    public: dict[tuple[str, str | None], dict[date, str]] = {}
    frames: list[pd.DataFrame] = []
    info: list[dict[str, Any]] = []
    for i, (spec, ovs, version) in enumerate(planned, 1):
        where = (spec.country, spec.subdivision)
        if where not in public:
            public[where] = national_holidays(years, *where)
        own = Override("spec", spec.calendar_id, "", dict(spec.extra_holidays),
                       frozenset(spec.removed_holidays))
        off = apply_overrides(public[where], [*ovs, own])
        frames.append(_rows(spec, first, last, off))
        info.append({
            "calendar_id": spec.calendar_id, "name": spec.name or spec.calendar_id,
            "timezone": spec.timezone, "office_open": spec.office_open,
            "office_close": spec.office_close, "day_minutes": spec.day_minutes,
            "workdays": ",".join(map(str, sorted(spec.workdays))),
            "overrides": ",".join(f"{o.name}@{o.sha256[:12]}" for o in ovs),
            "first_day": first, "last_day": last, "holidays_version": holidays_version(),
            "country": spec.country, "subdivision": spec.subdivision,
            "years_without_cuti_bersama": ",".join(map(str, no_cuti)) if spec.country == INDONESIA else "",
            "version": version, "install_version": install_version,
        })
        if progress:
            progress(i, len(planned))
    con.register("_pantau_calendar_rows", pd.concat(frames, ignore_index=True))
    con.register("_pantau_calendar_meta", pd.DataFrame(info))
    try:
        con.execute("""
            CREATE OR REPLACE TABLE work_calendar AS
            SELECT calendar_id::VARCHAR AS calendar_id, day::DATE AS day,
                   is_working::BOOLEAN AS is_working,
                   open_utc::TIMESTAMPTZ AS open_utc, close_utc::TIMESTAMPTZ AS close_utc,
                   minutes::INTEGER AS minutes, cum_before::BIGINT AS cum_before,
                   workday_no::BIGINT AS workday_no, holiday::VARCHAR AS holiday
            FROM _pantau_calendar_rows ORDER BY calendar_id, day""")
        con.execute("""
            CREATE OR REPLACE TABLE calendar_info AS
            SELECT calendar_id::VARCHAR AS calendar_id, name::VARCHAR AS name,
                   timezone::VARCHAR AS timezone, office_open::VARCHAR AS office_open,
                   office_close::VARCHAR AS office_close, day_minutes::INTEGER AS day_minutes,
                   workdays::VARCHAR AS workdays, overrides::VARCHAR AS overrides,
                   first_day::DATE AS first_day, last_day::DATE AS last_day,
                   holidays_version::VARCHAR AS holidays_version,
                   country::VARCHAR AS country, subdivision::VARCHAR AS subdivision,
                   years_without_cuti_bersama::VARCHAR AS years_without_cuti_bersama,
                   version::VARCHAR AS version, install_version::VARCHAR AS install_version,
                   now() AS installed_at
            FROM _pantau_calendar_meta""")
    finally:
        con.unregister("_pantau_calendar_rows")
        con.unregister("_pantau_calendar_meta")
    sql_files.run(con, "calendar/calendar.sql", days_per_month=DAYS_PER_MONTH)
    record_sql(con)
    install_clock(con)
    return install_version


def calendar_version(con: duckdb.DuckDBPyConnection, calendar_id: str | None = None) -> str:
    """The installed version: of one calendar, or of the whole install when no id is given."""
    try:
        # fetchall, not fetchone: DuckDB 2 keeps a half-read result open on the connection
        rows = con.execute(
            "SELECT version, install_version FROM calendar_info "
            "WHERE calendar_id = coalesce(?, calendar_id) LIMIT 1", [calendar_id]
        ).fetchall()
    except duckdb.CatalogException as exc:
        raise CalendarError("no working calendar installed",
                            hint="call analytics.calendar.install_calendar first") from exc
    if not rows:
        raise CalendarError(f"calendar {calendar_id!r} is not installed")
    return rows[0][0] if calendar_id else rows[0][1]


# --- SQL for analytics (set-based) ----------------------------------------------------------
def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def deadline_sql(
    relation_sql: str,
    *,
    ts: str,
    cal: str = "calendar_id",
    value: str | None = None,
    unit: str | None = None,
    basis: str | None = None,
    deadline_day: str | None = None,
    out: str = "deadline_ts",
) -> str:
    """A query adding column ``out``: the deadline of each row counted from column ``ts``.

    ``value``/``unit``/``basis`` name the columns of a Mutu Baku bound (unit minute | hour |
    day | month, basis working | calendar; see the ``work_deadline`` macro);
    ``deadline_day`` names a day-of-month column ("tanggal 25"), which wins when not NULL.
    """
    x = {k: f"x.{_ident(v)}" for k, v in
         {"ts": ts, "cal": cal, "value": value, "unit": unit, "basis": basis,
          "day": deadline_day}.items() if v}
    exprs = []
    if deadline_day:
        exprs.append((f"{x['day']} IS NOT NULL",
                      f"work_month_deadline({x['cal']}, {x['ts']}, {x['day']})"))
    if value:
        if not (unit and basis):
            raise CalendarError("deadline_sql needs unit and basis columns with value")
        exprs.append(("TRUE", f"work_deadline({x['cal']}, {x['ts']}, {x['value']}, "
                              f"{x['unit']}, {x['basis']})"))
    if not exprs:
        raise CalendarError("deadline_sql needs value/unit/basis or deadline_day columns")
    case = "CASE " + " ".join(f"WHEN {w} THEN {e}" for w, e in exprs) + " END"
    return f"SELECT x.*, {case} AS {_ident(out)}\nFROM ({relation_sql}) x"


def _installed(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[date, date]]:
    try:
        rows = con.execute("SELECT calendar_id, first_day, last_day FROM calendar_info").fetchall()
    except duckdb.CatalogException as exc:
        raise CalendarError("no working calendar installed",
                            hint="call analytics.calendar.install_calendar first") from exc
    return {r[0]: (r[1], r[2]) for r in rows}


def _range_hint(installed: dict[str, tuple[date, date]], cal: str) -> str:
    if cal not in installed:
        return did_you_mean(cal, sorted(installed))
    first, last = installed[cal]
    return (f"calendar {cal!r} covers {first} .. {last}: reinstall it with "
            "install_calendar(con, specs, start, end) covering the data")


def ensure_covered(
    con: duckdb.DuckDBPyConnection,
    relation_sql: str,
    ts_cols: Sequence[str],
    cal_col: str = "calendar_id",
) -> None:
    """Raise :class:`CalendarError` when a non-NULL timestamp has no calendar day to answer.

    Call it once before the set-based macros, which return NULL rather than fail.
    """
    installed = _installed(con)
    cal = _ident(cal_col)
    for col in ts_cols:
        ts = _ident(col)
        n, lo, hi, some_cal = con.execute(
            f"SELECT count(*), min({ts}), max({ts}), any_value({cal}) FROM ({relation_sql}) x "
            f"WHERE {ts} IS NOT NULL AND work_cum({cal}, {ts}) IS NULL").fetchall()[0]
        if n:
            raise CalendarError(
                f"{n} timestamp(s) between {lo} and {hi} (calendar {some_cal!r}) are outside "
                "the installed working calendar", field=col,
                hint=_range_hint(installed, str(some_cal)))


# --- single values (tests, notebooks, small uses) -------------------------------------------
def _aware(ts: datetime, what: str) -> datetime:
    if ts.tzinfo is None:
        raise CalendarError(f"{what} must carry a time zone: {ts}", field=what,
                            hint="use datetime(..., tzinfo=ZoneInfo('Asia/Jakarta')) or UTC")
    return ts


def _one(con: duckdb.DuckDBPyConnection, sql: str, cal: str, *params: Any) -> Any:
    installed = _installed(con)
    value = con.execute(sql, [cal, *params]).fetchall()[0][0]
    if value is None:
        raise CalendarError(f"calendar {cal!r} has no answer for {params}",
                            hint=_range_hint(installed, cal))
    return value.astimezone(UTC) if isinstance(value, datetime) else value


def working_minutes(con: duckdb.DuckDBPyConnection, cal: str, a: datetime, b: datetime) -> float:
    """Working minutes from ``a`` to ``b`` (negative when b < a) on calendar ``cal``."""
    return float(_one(con, "SELECT work_minutes(?::VARCHAR, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ)",
                      cal, _aware(a, "a"), _aware(b, "b")))


def add_working(
    con: duckdb.DuckDBPyConnection, cal: str, ts: datetime, minutes: float
) -> datetime:
    """The earliest instant at which ``minutes`` working minutes have passed since ``ts``."""
    return _one(con, "SELECT work_add(?::VARCHAR, ?::TIMESTAMPTZ, ?::DOUBLE)",
                cal, _aware(ts, "ts"), minutes)


def add_working_days(con: duckdb.DuckDBPyConnection, cal: str, ts: datetime, n: int) -> datetime:
    """Office close of the ``n``-th working day after the local day of ``ts`` (0: same day)."""
    return _one(con, "SELECT work_days_add(?::VARCHAR, ?::TIMESTAMPTZ, ?::DOUBLE)",
                cal, _aware(ts, "ts"), n)


def month_day_deadline(
    con: duckdb.DuckDBPyConnection, cal: str, ts: datetime, day: int
) -> datetime:
    """The "setiap tanggal ``day``" deadline for a step enabled at ``ts``."""
    if not 1 <= day <= 31:
        raise CalendarError(f"day of month must be 1..31, got {day}", field="deadline_day")
    return _one(con, "SELECT work_month_deadline(?::VARCHAR, ?::TIMESTAMPTZ, ?::INTEGER)",
                cal, _aware(ts, "ts"), day)


# --- the analyze stage ----------------------------------------------------------------------
def install_for_models(
    con: duckdb.DuckDBPyConnection,
    models: Sequence[Any],
    first_ts: datetime | date | None,
    last_ts: datetime | date | None,
) -> str:
    """Install the calendars of ``models`` (one per zone/override set) over the events' range.

    ``first_ts``/``last_ts`` are the earliest and latest event timestamps (None when there
    are no events: today is used). The install margins (31 days before, 400 after) cover
    the local-date shift of any zone. Returns the install version for ``runs``.
    """
    return install_specs(con, [calendar_for(m) for m in models], first_ts, last_ts)


def install_specs(
    con: duckdb.DuckDBPyConnection,
    specs: Sequence[CalendarSpec],
    first_ts: datetime | date | None,
    last_ts: datetime | date | None,
    *,
    reuse: bool = False,
) -> str:
    """Install ``specs`` over the events' range (see :func:`install_for_models`; ``reuse``: as
    in :func:`install_calendar`)."""
    def day(value: datetime | date | None) -> date:
        if value is None:
            return datetime.now(UTC).date()
        return value.date() if isinstance(value, datetime) else value

    start, end = day(first_ts), day(last_ts)
    # DuckDB 2 refuses con.register() while a caller's fetchone() result is still open
    # (analyze reads the event range with fetchone): a finished query releases it
    con.execute("SELECT 1").fetchall()
    return install_calendar(con, specs, min(start, end), max(start, end), reuse=reuse)
