"""Timestamp text -> TIMESTAMPTZ, as one DuckDB expression (a mixed file is fine).

Recognised, per value:

* ISO 8601 with an offset or ``Z`` (``2024-03-05T09:15:00+07:00``, ``...+0700``, ``...+07``,
  ``...Z``; fractional seconds allowed): the offset in the text wins over any zone.
* ISO 8601 without an offset (``2024-03-05 09:15``, ``2024-03-05T09:15:00.250``,
  ``2024-03-05``), ``yyyy/mm/dd``: local time in the zone.
* Day first, as written in Indonesia: ``dd/mm/yyyy``, ``dd-mm-yyyy``, ``dd.mm.yyyy``, each
  with ``HH:MM``, ``HH:MM:SS``, ``HH.MM`` or no time: local time in the zone.
* Excel serial day numbers (``45356.5``, ``45356,5`` = 2024-03-05 12:00 local), integral part
  of five digits (1927..2173), so a bare year or a count is never read as a date.
* Unix time, as exported by databases and web systems: seconds of ten digits
  (``1709605800``, fractions allowed: ``1709605800.25``) or milliseconds of thirteen
  (``1709605800250``), i.e. 2001-09-09..2286; an instant, so no zone applies.

Plausibility (``[ingest]`` settings): an offset beyond ±14:00 (``+99:99``) reads as no timestamp,
and a time before 1 January of ``earliest_year`` or after ``latest_years_ahead`` years from
today (local dates in the zone) is implausible: both go to quarantine as
``implausible timestamp`` with the reason (years 0000/0001/9999, Excel serial 00000, Unix 0).

Local times that a zone skips (a DST gap, e.g. 02:30 on the last Sunday of March in
Europe/Amsterdam) are read with the offset in force before the gap, so they land that much
later on the clock (03:30 CEST); times a zone repeats take the later (standard-time) offset.
Indonesian zones have no DST.

A date without a time means local midnight (00:00), not the office opening: the source did not
say when in the day it happened, and midnight keeps the date itself right in every zone.
Naive times take ``--tz``, else the SOP model's zone. Anything else is NULL (-> quarantine).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from pantau.errors import IngestError

ZONE_ALIASES: dict[str, str] = {
    "WIB": "Asia/Jakarta",
    "WITA": "Asia/Makassar",
    "WIT": "Asia/Jayapura",
}

_OFFSET_RE = r"\d{4}-\d{1,2}-\d{1,2}[Tt ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*([Zz]|[+-]\d{2}(:?\d{2})?)"
_ISO_NAIVE_RE = r"\d{4}-\d{1,2}-\d{1,2}([Tt ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?"
_TRAILING_OFFSET_RE = r"([+-])([0-9]{2}):?([0-9]{2})?\s*$"
MAX_OFFSET_MINUTES = 14 * 60
_SERIAL_RE = r"\d{5}([.,]\d+)?"
_EPOCH_S_RE = r"\d{10}(\.\d{1,6})?"
_EPOCH_MS_RE = r"\d{13}"

DAY_FIRST_FORMATS: tuple[str, ...] = tuple(
    f"{date} {time}".strip()
    for date in ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d")
    for time in ("%H:%M:%S", "%H:%M", "%H.%M", "")
)


def resolve_zone(con: Any, zone: str, *, source: str) -> str:
    """The IANA name for ``zone`` (WIB/WITA/WIT accepted); IngestError when DuckDB knows no such zone."""
    name = ZONE_ALIASES.get(zone.strip().upper(), zone.strip())
    known = con.execute("SELECT count(*) FROM pg_timezone_names() WHERE name = ?", [name]).fetchall()[0][0]
    if not known:
        raise IngestError(
            f"unknown time zone '{zone}' ({source})",
            hint="use an IANA name such as Asia/Jakarta (WIB), Asia/Makassar (WITA) or Asia/Jayapura (WIT)",
        )
    return name


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def bad_offset_sql(text: str) -> str:
    """True when ``text`` is ISO 8601 with an offset beyond ±14:00 or minutes beyond 59."""
    hours = f"try_cast(regexp_extract({text}, '{_TRAILING_OFFSET_RE}', 2) AS INTEGER)"
    minutes = f"coalesce(try_cast(nullif(regexp_extract({text}, '{_TRAILING_OFFSET_RE}', 3), '') AS INTEGER), 0)"
    return (f"(regexp_full_match({text}, '{_OFFSET_RE}') AND regexp_matches({text}, '{_TRAILING_OFFSET_RE}') "
            f"AND ({minutes} > 59 OR {hours} * 60 + {minutes} > {MAX_OFFSET_MINUTES}))")


@dataclass(frozen=True)
class Window:
    """The plausible timestamps: from local midnight of ``first`` to the end of ``last``."""

    first: date
    last: date

    @classmethod
    def around(cls, today: date, earliest_year: int, years_ahead: int) -> Window:
        """1 January of ``earliest_year`` .. ``today`` plus ``years_ahead`` years."""
        try:
            last = today.replace(year=today.year + years_ahead)
        except ValueError:  # 29 February
            last = today.replace(year=today.year + years_ahead, day=28)
        return cls(date(earliest_year, 1, 1), last)

    def check_sql(self, ts: str, zone: str) -> str:
        """'early' | 'late' for a parsed ``ts`` outside the window, else NULL."""
        lo = f"timezone({_literal(zone)}, TIMESTAMP '{self.first.isoformat()}')"
        hi = f"timezone({_literal(zone)}, TIMESTAMP '{self.last.isoformat()}' + INTERVAL 1 DAY)"
        return f"CASE WHEN {ts} < {lo} THEN 'early' WHEN {ts} >= {hi} THEN 'late' END"


def _like_pattern(fmt: str) -> str:
    """A LIKE pattern every text that ``strptime(text, fmt)`` reads matches: the format's
    separators in order, anything between (a specifier reads digits only, a space any
    amount of white space)."""
    return "%" + re.sub(r"(%[A-Za-z]|\s)+", "%", fmt).strip("%") + "%"


def day_first_sql(text: str) -> str:
    """``try_strptime(text, DAY_FIRST_FORMATS)`` (the first format that reads it), trying only
    the formats whose separators the text has: a failed strptime costs as much as a regex,
    and Indonesian exports often use a format late in the list (``dd-mm-yyyy HH:MM``)."""
    tries = ", ".join(f"CASE WHEN {text} LIKE {_literal(_like_pattern(f))} THEN try_strptime({text}, {_literal(f)}) END"
                      for f in DAY_FIRST_FORMATS)
    return f"coalesce({tries})"


def timestamp_sql(text: str, zone: str) -> str:
    """A DuckDB expression turning the VARCHAR expression ``text`` (trimmed, NULL when empty)
    into a TIMESTAMPTZ, or NULL when it is no timestamp Pantau reads.

    CASE branches are evaluated only for the rows that reach them, so the common ISO case
    costs one regex and one cast per row.
    """
    serial = f"try_cast(replace({text}, ',', '.') AS DOUBLE)"
    zoned = f"timezone({_literal(zone)}, "
    # The patterns exclude each other (a naive ISO time has '-' and ends in a digit; an offset
    # ends in Z or +hh; Unix and serial numbers are digits alone), so the branches are tried
    # most common first: a naive ISO time costs one regex and one cast.
    return f"""(CASE
        WHEN {text} IS NULL THEN NULL
        WHEN regexp_full_match({text}, '{_ISO_NAIVE_RE}') THEN {zoned}try_cast({text} AS TIMESTAMP))
        WHEN regexp_full_match({text}, '{_OFFSET_RE}') THEN
            CASE WHEN NOT {bad_offset_sql(text)} THEN try_cast(upper({text}) AS TIMESTAMPTZ) END
        -- Unix time counts from 1970-01-01 UTC: exact integer microseconds, no double rounding
        WHEN regexp_full_match({text}, '{_EPOCH_S_RE}|{_EPOCH_MS_RE}') THEN timezone('UTC', make_timestamp(
            CASE WHEN regexp_full_match({text}, '{_EPOCH_MS_RE}') THEN try_cast({text} AS BIGINT) * 1000
                 ELSE (try_cast({text} AS DECIMAL(38, 6)) * 1000000)::BIGINT END))
        WHEN regexp_full_match({text}, '{_SERIAL_RE}')
            THEN {zoned}TIMESTAMP '1899-12-30' + to_microseconds(round({serial} * 86400000000)::BIGINT))
        -- digits first: strptime reads 'infinity' and 'epoch' as timestamps
        WHEN regexp_matches({text}, '^[0-9]') THEN {zoned}{day_first_sql(text)})
    END)"""
