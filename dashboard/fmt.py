"""Formatting for people: id-ID numbers and dates, humanised durations ("2 hari 3 jam").

Pure functions, no Streamlit: the pages call them, the tests check them.
"""

from __future__ import annotations

import math
from datetime import date, datetime

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


def day(value: date | datetime | None, lang: str = "id") -> str:
    """``2024-04-05`` -> ``5 April 2024``."""
    if value is None:
        return "–"
    return f"{value.day} {MONTHS[lang][value.month - 1]} {value.year}"


def moment(value: datetime | None, lang: str = "id") -> str:
    """``5 Apr 2024 14.05`` (id uses a dot between hours and minutes) / ``5 Apr 2024 14:05``."""
    if value is None:
        return "–"
    sep = "." if lang == "id" else ":"
    return f"{value.day} {MONTHS_SHORT[lang][value.month - 1]} {value.year} {value.hour:02d}{sep}{value.minute:02d}"


def month_label(value: date | datetime, lang: str = "id") -> str:
    """``Apr 2024``."""
    return f"{MONTHS_SHORT[lang][value.month - 1]} {value.year}"


def duration(minutes: float | None, lang: str = "id", *, day_minutes: float = 1440, parts: int = 2) -> str:
    """Humanise a duration: ``3060`` -> ``2 hari 3 jam``.

    ``day_minutes`` is the length of a day: 1440 for calendar time, 480 for working time
    (then "2 hari" means two working days of 8 hours). Negative values get a minus sign.
    """
    if minutes is None or (isinstance(minutes, float) and math.isnan(minutes)):
        return "–"
    sign = "-" if minutes < 0 else ""
    minutes = abs(float(minutes))
    if minutes < 1:
        return _UNITS[lang]["less"] if minutes > 0 else ("0 menit" if lang == "id" else "0 minutes")
    days, rest = divmod(round(minutes), round(day_minutes))
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


# Minutes in one unit of a Mutu Baku standard; a working day is 480 working minutes.
_UNIT_MINUTES = {"minute": 1.0, "hour": 60.0, "month": 30.4375 * 1440}


def in_unit(value: float | None, unit: str | None, calendar: str | None, lang: str = "id") -> str:
    """Humanise an amount in a standard's unit: ``1.5, "day", "working"`` -> ``1 hari 4 jam``.

    Working days are 8 working hours ("1 hari" = 480 working minutes), calendar days 24 hours;
    months are 30.4375 calendar days. Negative amounts (time already overdue) keep their sign.
    """
    if value is None or unit is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    working = (calendar or "working") == "working"
    minutes_per = (480.0 if working else 1440.0) if unit == "day" else _UNIT_MINUTES.get(unit, 1.0)
    day_minutes = 480 if working and unit in ("minute", "hour", "day") else 1440
    return duration(float(value) * minutes_per, lang, day_minutes=day_minutes)


def hours(value: float | None, lang: str = "id") -> str:
    """Calendar hours humanised: ``51`` -> ``2 hari 3 jam``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return duration(float(value) * 60, lang)


def working_minutes(value: float | None, lang: str = "id") -> str:
    """Working minutes humanised with 8-hour working days: ``540`` -> ``1 hari 1 jam``."""
    return duration(value, lang, day_minutes=480)
