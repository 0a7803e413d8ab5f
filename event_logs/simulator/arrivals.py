"""When cases arrive: counts per working day with seasonality, and a time of day.

Weights per working day: month factor (busy January, quiet December) x weekday factor x
Ramadan (fewer) or the weeks after the Idul Fitri leave (more) x the SOP's day-of-month
profile. Idul Fitri dates come from the same ``holidays`` list as the calendar.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from event_logs.simulator.clock import DAY_MINUTES, WorkCalendar, days_off
from event_logs.simulator.config import SimConfig, SopConfig


def lebaran_windows(first: date, last: date, after_days: int) -> list[tuple[date, date, date]]:
    """(Ramadan start, Idul Fitri, end of the busy weeks after the leave) per Idul Fitri."""
    off = days_off(first - timedelta(days=400), last + timedelta(days=400))
    out = []
    for d, name in sorted(off.items()):
        if name.strip().lower() != "eid al-fitr":
            continue
        leave_end = d
        while (nxt := leave_end + timedelta(days=1)) in off or nxt.weekday() >= 5:
            leave_end = nxt
        out.append((d - timedelta(days=30), d, leave_end + timedelta(days=after_days)))
    return out


def day_weights(cal: WorkCalendar, first: date, last: date, sim: SimConfig,
                sop: SopConfig) -> tuple[np.ndarray, np.ndarray]:
    """(working-day indices in [first, last], relative arrival weight of each)."""
    lo, hi = cal.first_on_or_after(first), cal.last_on_or_before(last)
    idx = np.arange(lo, hi + 1, dtype=np.int64)
    windows = lebaran_windows(first, last, sim.after_lebaran_days)
    weights = np.empty(len(idx))
    for k, i in enumerate(idx):
        d = cal.days[i]
        w = sim.month_factors.get(d.month, 1.0) * sim.weekday_factors[d.weekday()]
        for ramadan, idul_fitri, busy_end in windows:
            if ramadan <= d < idul_fitri:
                w *= sim.ramadan_factor
            elif idul_fitri < d <= busy_end:
                w *= sim.after_lebaran_factor
        for a, b, factor in sop.month_day_profile:
            if a <= d.day <= b:
                w *= factor
        weights[k] = w
    return idx, weights


def arrival_minutes(n: int, cal: WorkCalendar, first: date, last: date, sim: SimConfig,
                    sop: SopConfig, rng: np.random.Generator) -> np.ndarray:
    """``n`` sorted arrival instants (clock minutes) between ``first`` and ``last``."""
    idx, weights = day_weights(cal, first, last, sim, sop)
    if n == 0 or len(idx) == 0:
        return np.empty(0)
    counts = rng.multinomial(n, weights / weights.sum())
    days = np.repeat(idx, counts)
    # mornings are busier; the last applicants come in around 15:00
    minute = rng.beta(1.6, 2.6, size=n) * 420.0
    return np.sort(days * DAY_MINUTES + minute)
