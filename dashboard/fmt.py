"""Formatting for people: id-ID numbers and dates, humanised durations ("2 hari 3 jam").

Pure functions, no Streamlit: the pages call them, the tests check them.
"""

from __future__ import annotations

import math
from datetime import date, datetime

from pantau.units import DAYS_PER_MONTH

MONTHS = {
    "id": ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
           "September", "Oktober", "November", "Desember"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"],
}
MONTHS_SHORT = {k: [m[:3] for m in v] for k, v in MONTHS.items()}
MONTHS_SHORT["id"][4] = "Mei"  # "Mei" is already short; keep Indonesian abbreviations natural
MONTHS_SHORT["id"][7] = "Agu"

_UNITS = {
    "id": {"day": "hari", "hour": "jam", "minute": "menit", "month": "bulan", "less": "< 1 menit"},
    "en": {"day": ("day", "days"), "hour": ("hour", "hours"), "minute": ("minute", "minutes"),
           "month": ("month", "months"), "less": "< 1 minute"},
}


def number(value: float | int | None, decimals: int = 0, lang: str = "id") -> str:
    """``12345.6`` -> ``12.345,6`` (id) or ``12,345.6`` (en); None/NaN -> ``–``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:,.{decimals}f}"
    if lang == "id":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def percent(share: float | None, decimals: int = 1, lang: str = "id") -> str:
    """A share in [0, 1] as a percentage: ``0.953`` -> ``95,3%``."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "–"
    return number(share * 100, decimals, lang) + "%"


def count_of(n: float | int | None, of: float | int | None, lang: str = "id") -> str:
    """The counts behind a rate: ``134 dari 693`` / ``134 of 693``."""
    if n is None or of is None or (isinstance(of, float) and math.isnan(of)):
        return "–"
    word = "dari" if lang == "id" else "of"
    return f"{number(int(n), 0, lang)} {word} {number(int(of), 0, lang)}"


def day(value: date | datetime | None, lang: str = "id") -> str:
    """``2024-04-05`` -> ``5 April 2024``."""
    if value is None:
        return "–"
    return f"{value.day} {MONTHS[lang][value.month - 1]} {value.year}"


def day_short(value: date | datetime | None, lang: str = "id") -> str:
    """``2024-12-27`` -> ``27 Des 2024``; ``–`` for none (an event of a log without times)."""
    if value is None or value != value:  # None, NaT
        return "–"
    return f"{value.day} {MONTHS_SHORT[lang][value.month - 1]} {value.year}"


def moment(value: datetime | None, lang: str = "id") -> str:
    """``5 Apr 2024 14.05`` (id uses a dot between hours and minutes) / ``5 Apr 2024 14:05``;
    ``–`` for none (an event of a log without times)."""
    if value is None or value != value:  # None, NaT
        return "–"
    sep = "." if lang == "id" else ":"
    return f"{value.day} {MONTHS_SHORT[lang][value.month - 1]} {value.year} {value.hour:02d}{sep}{value.minute:02d}"


def month_label(value: date | datetime, lang: str = "id") -> str:
    """``Apr 2024``."""
    return f"{MONTHS_SHORT[lang][value.month - 1]} {value.year}"


def duration(minutes: float | None, lang: str = "id", *, day_minutes: float | None = 1440,
             parts: int = 2) -> str:
    """Humanise a duration: ``3060`` -> ``2 hari 3 jam``.

    ``day_minutes`` is the length of a day: 1440 for calendar time, the office day of the
    SOP's calendar for working time (480 for 08:00-16:00: then "2 hari" means two working
    days); None when it is not known (hours and minutes only). Negative values get a minus sign.
    """
    if minutes is None or (isinstance(minutes, float) and math.isnan(minutes)):
        return "–"
    sign = "-" if minutes < 0 else ""
    minutes = abs(float(minutes))
    if minutes < 1:
        return _UNITS[lang]["less"] if minutes > 0 else ("0 menit" if lang == "id" else "0 minutes")
    days, rest = divmod(round(minutes), round(day_minutes)) if day_minutes else (0, round(minutes))
    hours, mins = divmod(rest, 60)
    chunks = [(days, "day"), (hours, "hour"), (mins, "minute")]
    words = []
    for amount, unit in chunks:
        if amount and len(words) < parts:
            words.append(f"{amount} {_unit_word(unit, amount, lang)}")
        elif words and len(words) < parts and not amount:
            # stop at the first gap after the largest unit: "2 hari" not "2 hari 0 jam 5 menit"
            break
    return sign + " ".join(words)


def _unit_word(unit: str, amount: int, lang: str) -> str:
    word = _UNITS[lang][unit]
    if lang == "id":
        return word
    singular, plural = word
    return singular if amount == 1 else plural


def standard(value: float | None, unit: str | None, calendar: str | None, lang: str = "id") -> str:
    """A Mutu Baku bound for people: ``2 hari kerja``, ``96 jam kalender``, ``30 menit``."""
    if value is None or unit is None:
        return "–"
    amount = number(value, 0 if float(value).is_integer() else 1, lang)
    word = _UNITS[lang][unit] if lang == "id" else _unit_word(unit, 2 if value != 1 else 1, lang)
    if unit in ("minute", "hour") and calendar == "working":
        return f"{amount} {word}"
    qualifier = {"id": {"working": "kerja", "calendar": "kalender"},
                 "en": {"working": "working", "calendar": "calendar"}}[lang][calendar or "working"]
    return f"{amount} {word} {qualifier}" if lang == "id" else f"{amount} {qualifier} {word}"


# Minutes in one unit of a Mutu Baku standard (a working day: the calendar's office day).
_UNIT_MINUTES = {"minute": 1.0, "hour": 60.0, "month": DAYS_PER_MONTH * 1440}


def in_unit(value: float | None, unit: str | None, calendar: str | None, lang: str = "id", *,
            day_minutes: float | None) -> str:
    """Humanise an amount in a standard's unit: ``1.5, "day", "working"`` -> ``1 hari 4 jam``.

    A working day is ``day_minutes`` working minutes (the SOP's office day, from its calendar),
    a calendar day 24 hours; months are DAYS_PER_MONTH calendar days. Negative amounts (time
    already overdue) keep their sign.
    """
    if value is None or unit is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    working = (calendar or "working") == "working"
    if unit == "day" and working and not day_minutes:
        return standard(float(value), unit, calendar, lang)  # the office day is unknown
    minutes_per = ((day_minutes or 1440.0) if working else 1440.0) if unit == "day" else _UNIT_MINUTES.get(unit, 1.0)
    per_day = day_minutes if working and unit in ("minute", "hour", "day") else 1440
    return duration(float(value) * minutes_per, lang, day_minutes=per_day)


def hours(value: float | None, lang: str = "id") -> str:
    """Calendar hours humanised: ``51`` -> ``2 hari 3 jam``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return duration(float(value) * 60, lang)


def working_minutes(value: float | None, lang: str = "id", *, day_minutes: float | None) -> str:
    """Working minutes humanised in the calendar's working days: ``540`` -> ``1 hari 1 jam``
    with an office day of 480 minutes."""
    return duration(value, lang, day_minutes=day_minutes)
