"""People-facing formatting: id-ID numbers and dates, humanised durations."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard import fmt


def test_numbers_and_percent_in_both_languages() -> None:
    assert fmt.number(1234567.891, 2) == "1.234.567,89"
    assert fmt.number(1234567.891, 2, "en") == "1,234,567.89"
    assert fmt.percent(0.953) == "95,3%"
    assert fmt.percent(None) == "–"


def test_dates() -> None:
    assert fmt.day(date(2024, 4, 5)) == "5 April 2024"
    assert fmt.day(date(2024, 8, 17), "en") == "17 August 2024"
    assert fmt.moment(datetime(2024, 4, 5, 14, 5)) == "5 Apr 2024 14.05"
    assert fmt.month_label(date(2024, 8, 1)) == "Agu 2024"


@pytest.mark.parametrize(
    "minutes,lang,day_minutes,expected",
    [
        (3060, "id", 1440, "2 hari 3 jam"),
        (3060, "en", 1440, "2 days 3 hours"),
        (61, "id", 1440, "1 jam 1 menit"),
        (45, "en", 1440, "45 minutes"),
        (960, "id", 480, "2 hari"),           # two working days
        (2880, "id", 1440, "2 hari"),
        (0.5, "id", 1440, "< 1 menit"),
        (-90, "id", 1440, "-1 jam 30 menit"),
        (None, "id", 1440, "–"),
    ],
)
def test_duration(minutes: float, lang: str, day_minutes: float, expected: str) -> None:
    assert fmt.duration(minutes, lang, day_minutes=day_minutes) == expected


@given(st.integers(min_value=1, max_value=10_000_000))
def test_duration_never_shows_more_than_two_parts_and_starts_with_the_largest(minutes: int) -> None:
    text = fmt.duration(minutes, "id")
    words = text.split()
    assert len(words) <= 4
    largest = "hari" if minutes >= 1440 else "jam" if minutes >= 60 else "menit"
    assert words[1] == largest


def test_standard() -> None:
    assert fmt.standard(2, "day", "working") == "2 hari kerja"
    assert fmt.standard(96, "hour", "calendar") == "96 jam kalender"
    assert fmt.standard(30, "minute", "working") == "30 menit"
    assert fmt.standard(1, "month", "calendar", "en") == "1 calendar month"
