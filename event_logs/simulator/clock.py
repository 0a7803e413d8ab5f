"""The working-minute clock of one SOP zone, and its mapping to wall-clock instants.

The simulation runs on working time: minute ``w`` is ``w mod 480`` minutes after 08:00 local
on working day ``w // 480`` (Monday-Friday, not a national holiday or cuti bersama from
``holidays.Indonesia(categories=("public", "government"))``). Working time between two logged
instants is therefore their difference on this clock, the same number the analytics calendar
computes from the timestamps (docs/mutu-baku.md, "Working calendar"). A start at a day
boundary is logged at 08:00 of the next day, a completion at 16:00 of the day before.
"""

from __future__ import annotations

import bisect
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import numpy as np

DAY_MINUTES = 480
DAY_SECONDS = DAY_MINUTES * 60
OPEN = time(8, 0)
CLOSE = time(16, 0)
CATEGORIES = ("public", "government")


def calendar_version() -> str:
    """Which holiday list the simulator used (recorded with each simulated import)."""
    return f"holidays {holidays.__version__} Indonesia {'+'.join(CATEGORIES)}; 08:00-16:00 Mon-Fri"


def days_off(first: date, last: date) -> dict[date, str]:
    """National holidays and cuti bersama between ``first`` and ``last`` (date -> name)."""
    found = holidays.Indonesia(years=range(first.year, last.year + 1), categories=CATEGORIES,
                               language="en_US")
    return {d: str(n) for d, n in found.items() if first <= d <= last}


class WorkCalendar:
    """Working days of one zone from ``first`` to ``last`` (inclusive)."""

    def __init__(self, timezone: str, first: date, last: date) -> None:
        self.timezone = timezone
        self.zone = ZoneInfo(timezone)
        self.off = days_off(first, last)
        days: list[date] = []
        d = first
        while d <= last:
            if d.weekday() < 5 and d not in self.off:
                days.append(d)
            d += timedelta(days=1)
        self.days = days
        self.ordinals = [x.toordinal() for x in days]
        self.index = {x: i for i, x in enumerate(days)}
        self.open_utc = np.array(
            [int(datetime.combine(x, OPEN, self.zone).timestamp()) for x in days], dtype=np.int64)

    # --- working days -------------------------------------------------------------------------
    def is_working(self, d: date) -> bool:
        """True for a working day inside the calendar's range."""
        return d in self.index

    def first_on_or_after(self, d: date) -> int:
        """Index of the first working day on or after ``d`` (len(days) when none)."""
        return bisect.bisect_left(self.ordinals, d.toordinal())

    def last_on_or_before(self, d: date) -> int:
        """Index of the last working day on or before ``d`` (-1 when none)."""
        return bisect.bisect_right(self.ordinals, d.toordinal()) - 1

    def date_of(self, minute: float) -> date:
        """The working day a clock minute falls on (a start at 480k is day k)."""
        return self.days[min(int(minute // DAY_MINUTES), len(self.days) - 1)]

    @property
    def horizon(self) -> float:
        """The clock's last minute (office close of the last working day)."""
        return float(len(self.days) * DAY_MINUTES)

    # --- clock <-> wall clock -----------------------------------------------------------------
    def start_utc(self, ws: np.ndarray) -> np.ndarray:
        """UTC epoch seconds of working-second instants logged as starts."""
        day = ws // DAY_SECONDS
        return self.open_utc[day] + (ws - day * DAY_SECONDS)

    def complete_utc(self, ws: np.ndarray) -> np.ndarray:
        """UTC epoch seconds of working-second instants logged as completions."""
        day = np.maximum((ws - 1) // DAY_SECONDS, 0)
        return self.open_utc[day] + (ws - day * DAY_SECONDS)

    def wall(self, minute: float) -> datetime:
        """The local wall-clock time of a clock minute (starts convention)."""
        day = min(int(minute // DAY_MINUTES), len(self.days) - 1)
        utc = int(self.open_utc[day]) + round((minute - day * DAY_MINUTES) * 60)
        return datetime.fromtimestamp(utc, UTC).astimezone(self.zone)

    def minute_of(self, when: datetime) -> float:
        """The clock minute of a wall-clock instant; outside office hours: the next opening."""
        local = when.astimezone(self.zone)
        i = self.first_on_or_after(local.date())
        if i >= len(self.days):
            return float("inf")
        if self.days[i] == local.date():
            into = (local - datetime.combine(local.date(), OPEN, self.zone)).total_seconds() / 60
            if into <= 0:
                return float(i * DAY_MINUTES)
            if into < DAY_MINUTES:
                return i * DAY_MINUTES + into
            i += 1
            if i >= len(self.days):
                return float("inf")
        return float(i * DAY_MINUTES)

    def after_calendar(self, minute: float, seconds: float) -> float:
        """The clock minute at which ``seconds`` of calendar time after ``minute`` have passed
        (moved to the next opening when that falls outside office hours)."""
        return max(minute, self.minute_of(self.wall(minute) + timedelta(seconds=seconds)))

    def on_day(self, d: date, minute_of_day: float) -> float:
        """The clock minute ``minute_of_day`` after opening on the first working day >= ``d``."""
        i = self.first_on_or_after(d)
        if i >= len(self.days):
            return float("inf")
        return i * DAY_MINUTES + minute_of_day
