"""Mutu Baku ground truth: every logged step occurrence that breaks its standard.

Computed from the events exactly as written (integer-second timestamps), with the rules of
docs/dev/SEMANTICS.md, on the simulator's own working clock:

- enabled = completion of the preceding event of the case (the first event's own ts for the
  case's first occurrence); elapsed = enabled -> complete;
- a repeat of a loop that returns the file to the applicant (``returns_to: pemohon``): the
  time from the preceding completion to the start of the loop's first step (the applicant
  has the file) is paused and not counted; the simulator always logs that start;
- a batch step (a day-of-month deadline): the wait for the batch day is judged by the deadline
  alone; its min/max judge the work itself, from its start event (no start: no span);
- status precedence deadline_missed > breach (elapsed > max) > too_fast (elapsed < min);
  limits scale with the case's per-unit quantity (``model.per_units``).
"""

from __future__ import annotations

import calendar as month_calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import numpy as np

from event_logs.simulator.clock import WorkCalendar
from event_logs.simulator.standards import Limit, StepStandard

CLOSE = time(16, 0)


@dataclass
class Occurrences:
    """Logged step occurrences of one SOP, sorted by case then position in the case."""

    case: np.ndarray        # case index
    step: np.ndarray        # step code (index into ``step_ids``), -1 when unmapped
    has_start: np.ndarray   # bool
    s: np.ndarray           # start, working seconds (meaningless when has_start is False)
    e: np.ndarray           # completion, working seconds
    su: np.ndarray          # start, UTC epoch seconds
    eu: np.ndarray          # completion, UTC epoch seconds
    reentry: np.ndarray     # bool: first step of a repeat of a returns_to: pemohon loop


def add_months(when: datetime, months: float) -> datetime:
    """``when`` + ``months`` calendar months on the local date (day clamped to the month's
    last day); a fraction adds that fraction of 30.4375 days."""
    whole = int(months)
    y, m = divmod(when.month - 1 + whole, 12)
    year, month = when.year + y, m + 1
    day = min(when.day, month_calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day) + timedelta(days=(months - whole) * 30.4375)


def month_deadline_day(cal: WorkCalendar, target: date) -> date:
    """The working day a "tanggal D" deadline falls on: the target date, or the last working
    day before it, or (when that lies in an earlier month: an "awal bulan" day 1 on a holiday)
    the first working day after it; the target itself outside the calendar's range."""
    i = cal.last_on_or_before(target)
    if i >= 0 and (cal.days[i].year, cal.days[i].month) == (target.year, target.month):
        return cal.days[i]
    j = cal.first_on_or_after(target)
    return cal.days[j] if j < len(cal.days) else (cal.days[i] if i >= 0 else target)


class DeadlineTable:
    """Office close of the "tanggal D" deadline for an enabled local date (SEMANTICS rule)."""

    def __init__(self, cal: WorkCalendar) -> None:
        self.cal = cal
        self.utc_of = lru_cache(maxsize=None)(self._utc_of)

    def _utc_of(self, enabled: date, day: int) -> int:
        last = month_calendar.monthrange(enabled.year, enabled.month)[1]
        target = date(enabled.year, enabled.month, min(day, last))
        if target < enabled:
            y, m = (enabled.year + 1, 1) if enabled.month == 12 else (enabled.year, enabled.month + 1)
            target = date(y, m, min(day, month_calendar.monthrange(y, m)[1]))
        due = month_deadline_day(self.cal, target)
        return int(datetime.combine(due, CLOSE, self.cal.zone).timestamp())


def occurrence_numbers(case: np.ndarray, step: np.ndarray) -> np.ndarray:
    """1 for the first time a step is done in a case, 2 for the second, ..."""
    n = len(case)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    key = case.astype(np.int64) * (int(step.max()) + 2) + (step.astype(np.int64) + 1)
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    new = np.ones(n, dtype=bool)
    new[1:] = sorted_key[1:] != sorted_key[:-1]
    group_start = np.maximum.accumulate(np.where(new, np.arange(n), 0))
    out = np.empty(n, dtype=np.int64)
    out[order] = np.arange(n) - group_start + 1
    return out


def _local(utc: int, cal: WorkCalendar) -> datetime:
    return datetime.fromtimestamp(utc, UTC).astimezone(cal.zone)


def breach_truth(occ: Occurrences, step_ids: list[str], standards: dict[str, StepStandard],
                 quantities: dict[str, np.ndarray], cal: WorkCalendar) -> list[tuple[int, str, str, int]]:
    """(case index, status, step id, occurrence) for each breaching occurrence."""
    n = len(occ.case)
    if n == 0:
        return []
    first = np.ones(n, dtype=bool)
    first[1:] = occ.case[1:] != occ.case[:-1]
    own_s = np.where(occ.has_start, occ.s, occ.e)
    own_su = np.where(occ.has_start, occ.su, occ.eu)
    enabled = np.where(first, own_s, np.roll(occ.e, 1))
    enabled_u = np.where(first, own_su, np.roll(occ.eu, 1))
    paused_at = occ.reentry & occ.has_start & ~first
    paused = np.where(paused_at, occ.s - enabled, 0)
    paused_u = np.where(paused_at, occ.su - enabled_u, 0)
    elapsed = {"wm": (occ.e - enabled - paused) / 60.0, "hours": (occ.eu - enabled_u - paused_u) / 3600.0}
    clock_u = enabled_u + paused_u
    # batch steps: the work's own span, start -> complete
    work = {"wm": (occ.e - own_s) / 60.0, "hours": (occ.eu - own_su) / 3600.0}
    number = occurrence_numbers(occ.case, occ.step)
    deadlines = DeadlineTable(cal)
    out: list[tuple[int, str, str, int]] = []

    def check(limit: Limit, rows: np.ndarray, q: np.ndarray, over: bool, batch: bool) -> np.ndarray:
        bound = limit.value * q
        spans, origin = (work, own_su) if batch else (elapsed, clock_u)
        if limit.basis != "months":
            values = spans[limit.basis][rows]
            return values > bound if over else values < bound
        hits = np.zeros(len(rows), dtype=bool)
        for k, r in enumerate(rows):
            start = _local(int(origin[r]), cal)
            due = add_months(start, float(bound[k])).timestamp()
            hits[k] = occ.eu[r] > due if over else occ.eu[r] < due
        return hits

    for code, sid in enumerate(step_ids):
        std = standards[sid]
        if std.is_empty:
            continue
        rows = np.flatnonzero(occ.step == code)
        if len(rows) == 0:
            continue
        if std.per_attribute and std.per_attribute in quantities:
            q = quantities[std.per_attribute][occ.case[rows]]
        else:
            q = np.ones(len(rows))
        status = np.zeros(len(rows), dtype=np.int8)
        batch = bool(std.deadline_day)
        if std.min is not None:
            status[check(std.min, rows, q, over=False, batch=batch)] = 1
        if std.max is not None:
            status[check(std.max, rows, q, over=True, batch=batch)] = 2
        if std.deadline_day:
            for k, r in enumerate(rows):
                due = deadlines.utc_of(_local(int(enabled_u[r]), cal).date(), std.deadline_day)
                if occ.eu[r] > due:
                    status[k] = 3
        names = {1: "too_fast", 2: "breach", 3: "deadline_missed"}
        for k in np.flatnonzero(status):
            r = rows[k]
            out.append((int(occ.case[r]), names[int(status[k])], sid, int(number[r])))
    return out
