"""The working calendar against a real DuckDB file and an independent pure-Python reference.

The reference below walks day by day with zoneinfo and the ``holidays`` package directly: it
shares no code with analytics/calendar.py, so agreement means the SQL is right, not merely
self-consistent. Expected values in the named tests are worked out by hand in the comments.
"""

from __future__ import annotations

import calendar as pycal
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import duckdb
import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.calendar import (
    CalendarSpec,
    add_working,
    add_working_days,
    calendar_for,
    calendar_version,
    deadline_sql,
    ensure_covered,
    holiday_dates,
    install_calendar,
    load_override,
    month_day_deadline,
    working_minutes,
)
from analytics.work_clock import add_work_clock
from pantau.errors import CalendarError

WIB, WITA = ZoneInfo("Asia/Jakarta"), ZoneInfo("Asia/Makassar")
ZONES = {"Asia/Jakarta": WIB, "Asia/Makassar": WITA}
START, END = date(2023, 1, 1), date(2025, 12, 31)


# --- independent reference ------------------------------------------------------------------
OFF = holidays.Indonesia(years=range(2022, 2028), categories=("public", "government"))


def ref_working(d: date) -> bool:
    return d.weekday() < 5 and d not in OFF


def ref_hours(d: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    return datetime.combine(d, time(8), tz), datetime.combine(d, time(16), tz)


def ref_minutes(a: datetime, b: datetime, tz: ZoneInfo) -> float:
    """Sum of the overlaps of [a, b] with each working day's office hours."""
    total, d = 0.0, a.astimezone(tz).date()
    while d <= b.astimezone(tz).date():
        if ref_working(d):
            o, c = ref_hours(d, tz)
            lo, hi = max(a, o), min(b, c)
            if hi > lo:
                total += (hi - lo).total_seconds() / 60
        d += timedelta(days=1)
    return total


def ref_add(ts: datetime, minutes: float, tz: ZoneInfo) -> datetime:
    """Consume office time day by day until ``minutes`` (> 0) are used up."""
    left, d = minutes, ts.astimezone(tz).date()
    while True:
        if ref_working(d):
            o, c = ref_hours(d, tz)
            o = max(o, ts)
            avail = max((c - o).total_seconds() / 60, 0)
            if avail >= left:
                return o + timedelta(minutes=left)
            left -= avail
        d += timedelta(days=1)


def ref_days_add(ts: datetime, n: int, tz: ZoneInfo) -> datetime:
    d = ts.astimezone(tz).date()
    if n == 0:
        while not (ref_working(d) and ref_hours(d, tz)[1] >= ts):
            d += timedelta(days=1)
        return ref_hours(d, tz)[1]
    while n:
        d += timedelta(days=1)
        n -= ref_working(d)
    return ref_hours(d, tz)[1]


def ref_month_deadline(ts: datetime, dom: int, tz: ZoneInfo) -> datetime:
    local = ts.astimezone(tz).date()
    y, m = local.year, local.month
    while True:
        target = date(y, m, min(dom, pycal.monthrange(y, m)[1]))
        if target >= local:
            break
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    due = target
    while not ref_working(due):
        due -= timedelta(days=1)
    if (due.year, due.month) != (target.year, target.month):
        # no working day of the month on or before it ("awal bulan"): the first one after it
        due = target
        while not ref_working(due):
            due += timedelta(days=1)
    return ref_hours(due, tz)[1]


# --- fixtures -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    """A real DuckDB file with the Jakarta and Makassar calendars, no override files."""
    base = tmp_path_factory.mktemp("cal")
    db = duckdb.connect(str(base / "store.duckdb"))
    specs = [CalendarSpec.for_zone("Asia/Jakarta"), CalendarSpec.for_zone("Asia/Makassar")]
    install_calendar(db, specs, START, END, directory=base)  # empty dir: the package's list only
    yield db
    db.close()


def at(tz: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=tz)


# --- the edges named in the issue -----------------------------------------------------------
def test_friday_1550_to_monday_0810_is_20_minutes(con):
    # week of 3-10 June 2024 has no holiday (Idul Adha is 17 June): 10 min Friday + 10 Monday
    assert not any(date(2024, 6, d) in OFF for d in range(3, 11))
    a, b = at(WIB, 2024, 6, 7, 15, 50), at(WIB, 2024, 6, 10, 8, 10)
    assert working_minutes(con, "Asia/Jakarta", a, b) == pytest.approx(20)
    assert add_working(con, "Asia/Jakarta", a, 20) == b


def test_span_over_idul_fitri_cuti_bersama(con):
    # 8, 9, 12, 15 April 2024 cuti bersama, 10-11 Idul Fitri, 13-14 weekend:
    # Friday 5 April 15:00-16:00 = 60, Tuesday 16 April 08:00-08:30 = 30
    a, b = at(WIB, 2024, 4, 5, 15, 0), at(WIB, 2024, 4, 16, 8, 30)
    assert working_minutes(con, "Asia/Jakarta", a, b) == pytest.approx(90)
    rows = con.execute(
        "SELECT day, is_working, minutes, holiday FROM work_calendar "
        "WHERE calendar_id = 'Asia/Jakarta' AND day BETWEEN '2024-04-08' AND '2024-04-16' "
        "ORDER BY day").fetchall()
    off = {r[0].day: r[3] for r in rows if not r[1]}
    assert sorted(off) == [8, 9, 10, 11, 12, 13, 14, 15]
    assert all("Cuti Bersama" in off[d] for d in (8, 9, 12, 15))
    assert [r[2] for r in rows if r[1]] == [480]  # only the 16th is worked, 8 hours


def test_timestamps_outside_office_hours_count_as_the_boundary(con):
    cal = "Asia/Jakarta"
    fri_close, mon_open = at(WIB, 2024, 6, 7, 16, 0), at(WIB, 2024, 6, 10, 8, 0)
    for ts in (at(WIB, 2024, 6, 8, 10, 0), at(WIB, 2024, 6, 9, 23, 0), at(WIB, 2024, 6, 7, 20, 0),
               at(WIB, 2024, 6, 10, 6, 0)):
        assert working_minutes(con, cal, fri_close, ts) == 0
        assert working_minutes(con, cal, ts, mon_open) == 0
    # Tuesday 06:00 to 20:00 is the whole office day
    assert working_minutes(con, cal, at(WIB, 2024, 6, 11, 6), at(WIB, 2024, 6, 11, 20)) == 480
    # reversed order gives the negative
    assert working_minutes(con, cal, at(WIB, 2024, 6, 11, 9), at(WIB, 2024, 6, 11, 8)) == -60


def test_wita_and_wib_read_the_same_instant_differently(con):
    # 00:30 UTC = 08:30 WITA (open in Banjarbaru) = 07:30 WIB (closed in Jakarta)
    a, b = datetime(2024, 6, 11, 0, 0, tzinfo=UTC), datetime(2024, 6, 11, 0, 30, tzinfo=UTC)
    assert working_minutes(con, "Asia/Makassar", a, b) == 30
    assert working_minutes(con, "Asia/Jakarta", a, b) == 0
    # 08:00-08:30 UTC = 16:00-16:30 WITA (closed) = 15:00-15:30 WIB (open)
    a, b = datetime(2024, 6, 11, 8, 0, tzinfo=UTC), datetime(2024, 6, 11, 8, 30, tzinfo=UTC)
    assert working_minutes(con, "Asia/Makassar", a, b) == 0
    assert working_minutes(con, "Asia/Jakarta", a, b) == 30
    # local day: 16:30 UTC Monday is already Tuesday 00:30 in Makassar, Monday 23:30 in Jakarta
    late = datetime(2024, 6, 10, 16, 30, tzinfo=UTC)
    assert add_working_days(con, "Asia/Makassar", late, 1) == at(WITA, 2024, 6, 12, 16)
    assert add_working_days(con, "Asia/Jakarta", late, 1) == at(WIB, 2024, 6, 11, 16)


def test_add_two_working_days(con):
    cal = "Asia/Jakarta"
    # Monday 10:00 + 2 Hari -> Wednesday 16:00 (close of the 2nd working day after Monday)
    assert add_working_days(con, cal, at(WIB, 2024, 6, 3, 10), 2) == at(WIB, 2024, 6, 5, 16)
    # Thursday 4 April 2024 + 2: Friday 5th, then nothing until Tuesday 16th (cuti bersama)
    assert add_working_days(con, cal, at(WIB, 2024, 4, 4, 10), 2) == at(WIB, 2024, 4, 16, 16)
    # "hari yang sama": today's close, or the next one when today's has passed
    assert add_working_days(con, cal, at(WIB, 2024, 6, 3, 10), 0) == at(WIB, 2024, 6, 3, 16)
    assert add_working_days(con, cal, at(WIB, 2024, 6, 7, 17), 0) == at(WIB, 2024, 6, 10, 16)
    # Mutu Baku contract (SEMANTICS.md): "2 Hari" = 960 working minutes on the working clock
    due = con.execute("SELECT work_deadline('Asia/Jakarta', ?::TIMESTAMPTZ, 2, 'day', 'working')",
                      [at(WIB, 2024, 6, 3, 10)]).fetchone()[0]
    assert due == at(WIB, 2024, 6, 5, 10)


def test_month_day_deadline(con):
    cal = "Asia/Jakarta"
    # across a month end: 26 September 2024 -> Friday 25 October 16:00
    assert month_day_deadline(con, cal, at(WIB, 2024, 9, 26, 9), 25) == at(WIB, 2024, 10, 25, 16)
    # 25 August 2024 is a Sunday: the previous working day, Friday 23rd
    assert month_day_deadline(con, cal, at(WIB, 2024, 7, 26, 9), 25) == at(WIB, 2024, 8, 23, 16)
    # enabled on the 25th itself: that day's close
    assert month_day_deadline(con, cal, at(WIB, 2024, 10, 25, 9), 25) == at(WIB, 2024, 10, 25, 16)
    # day 31 in February 2024: the month's last day, Thursday 29th
    assert month_day_deadline(con, cal, at(WIB, 2024, 2, 10, 9), 31) == at(WIB, 2024, 2, 29, 16)
    # 25 December 2024 is Christmas, 24th a working Tuesday
    assert month_day_deadline(con, cal, at(WIB, 2024, 12, 2, 9), 25) == at(WIB, 2024, 12, 24, 16)
    # contract rule, kept on purpose: enabled Saturday 24 August -> target Sunday 25th ->
    # Friday 23rd, already past (the step is late from the start)
    assert month_day_deadline(con, cal, at(WIB, 2024, 8, 24, 9), 25) == at(WIB, 2024, 8, 23, 16)


# --- set-based at scale ---------------------------------------------------------------------
def test_million_rows_set_based_and_matches_reference(con):
    con.execute("""
        CREATE OR REPLACE TEMP TABLE pairs AS
        SELECT i AS id,
               CASE WHEN i % 2 = 0 THEN 'Asia/Jakarta' ELSE 'Asia/Makassar' END AS calendar_id,
               TIMESTAMPTZ '2023-01-01 00:00:00+00' + to_seconds(hash(i) % (86400 * 900)) AS a,
               TIMESTAMPTZ '2023-01-01 00:00:00+00' + to_seconds(hash(i) % (86400 * 900))
                   + to_seconds(hash(i * 7 + 1) % (86400 * 40)) AS b
        FROM range(1000000) t(i)""")
    query = add_work_clock("SELECT * FROM pairs", ["a", "b"])
    con.execute(f"CREATE OR REPLACE TEMP TABLE clocked AS {query}")
    n, nulls, neg = con.execute(
        "SELECT count(*), count(*) - count(b_wm - a_wm), count_if(b_wm < a_wm) FROM clocked"
    ).fetchone()
    assert (n, nulls, neg) == (1_000_000, 0, 0)
    # the macro (timezone() per instant) and the join helper (fixed-offset day arithmetic)
    # read the same clock, to the last bit
    assert con.execute("SELECT count(*) FILTER (WHERE work_cum(calendar_id, a) IS DISTINCT FROM a_wm "
                       "OR work_cum(calendar_id, b) IS DISTINCT FROM b_wm), count(*) "
                       "FROM clocked WHERE id % 100 = 0").fetchone() == (0, 10_000)
    sample = con.execute("SELECT calendar_id, a, b, b_wm - a_wm FROM clocked "
                         "WHERE id % 4999 = 0 ORDER BY id").fetchall()
    assert len(sample) > 150
    for cal, a, b, wm in sample:
        assert wm == pytest.approx(ref_minutes(a, b, ZONES[cal]), abs=1e-6), (cal, a, b)


def test_clock_reads_local_days_by_offset_only_where_the_zone_keeps_one(tmp_path):
    """Indonesian zones read the local day by fixed-offset arithmetic; a zone with daylight
    saving falls back to timezone(): both give the macro's readings, DST weekends included."""
    con = duckdb.connect(str(tmp_path / "c.duckdb"))
    install_calendar(con, [CalendarSpec.for_zone("Asia/Jakarta"), CalendarSpec.for_zone("Asia/Makassar"),
                           CalendarSpec.for_zone("Europe/Amsterdam")], date(2024, 1, 1), date(2024, 12, 31))
    offsets = dict(con.execute("SELECT calendar_id, offset_us FROM work_clock_zone").fetchall())
    assert offsets == {"Asia/Jakarta": 7 * 3600 * 10**6, "Asia/Makassar": 8 * 3600 * 10**6,
                       "Europe/Amsterdam": None}
    # every 7 minutes over the two DST weekends of 2024 and across local midnights in Indonesia
    con.execute("""
        CREATE TEMP TABLE instants AS
        SELECT z.calendar_id, s.ts
        FROM (VALUES ('Asia/Jakarta'), ('Asia/Makassar'), ('Europe/Amsterdam')) z(calendar_id),
             (SELECT unnest(generate_series(TIMESTAMPTZ '2024-03-29 00:00:00+00',
                                            TIMESTAMPTZ '2024-04-02 00:00:00+00', INTERVAL 7 MINUTE)) AS ts
              UNION ALL
              SELECT unnest(generate_series(TIMESTAMPTZ '2024-10-25 00:00:00+00',
                                            TIMESTAMPTZ '2024-10-29 00:00:00+00', INTERVAL 7 MINUTE))) s""")
    rows = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE ts_wm IS DISTINCT FROM work_cum(calendar_id, ts)), "
        "count(ts_wm) FROM (" + add_work_clock("SELECT * FROM instants", ["ts"]) + ")").fetchone()
    assert rows[0] > 4000 and rows[1] == 0 and rows[2] == rows[0]
    # Monday 1 April 2024 in Amsterdam (summer time, UTC+2): office opens 06:00 UTC
    reading = con.execute(
        "SELECT ts_wm - work_cum('Europe/Amsterdam', TIMESTAMPTZ '2024-04-01 06:00:00+00') FROM ("
        + add_work_clock("SELECT 'Europe/Amsterdam' AS calendar_id, "
                         "TIMESTAMPTZ '2024-04-01 07:30:00+00' AS ts", ["ts"]) + ")").fetchone()[0]
    assert reading == 90.0


def test_set_based_deadlines_match_reference(con):
    rows = con.execute("""
        SELECT calendar_id, a, n, add_ts, days_ts, dom_ts FROM (
            SELECT calendar_id, a, n,
                   work_add(calendar_id, a, n) AS add_ts,
                   work_days_add(calendar_id, a, n % 6) AS days_ts,
                   work_month_deadline(calendar_id, a, 1 + n % 31) AS dom_ts
            FROM (SELECT CASE WHEN i % 2 = 0 THEN 'Asia/Jakarta' ELSE 'Asia/Makassar' END
                             AS calendar_id,
                         TIMESTAMPTZ '2023-02-01 00:00:00+00'
                             + to_seconds(hash(i) % (86400 * 800)) AS a,
                         (hash(i + 3) % 5000)::INTEGER AS n
                  FROM range(400) t(i)))""").fetchall()
    for cal, a, n, add_ts, days_ts, dom_ts in rows:
        tz = ZONES[cal]
        assert add_ts == (a if n == 0 else ref_add(a, n, tz)), (cal, a, n)
        assert days_ts == ref_days_add(a, n % 6, tz), (cal, a, n)
        assert dom_ts == ref_month_deadline(a, 1 + n % 31, tz), (cal, a, n)


def test_deadline_sql_dispatches_on_unit_and_basis(con):
    ts = "TIMESTAMPTZ '2024-06-03 10:00:00+07'"  # Monday 10:00 WIB
    rel = f"""SELECT * FROM (VALUES
        (1, 'Asia/Jakarta', {ts}, 30.0, 'minute', 'working', NULL),
        (2, 'Asia/Jakarta', {ts}, 7.0, 'hour', 'working', NULL),
        (3, 'Asia/Jakarta', {ts}, 2.0, 'day', 'working', NULL),
        (4, 'Asia/Jakarta', {ts}, 72.0, 'hour', 'calendar', NULL),
        (5, 'Asia/Jakarta', {ts}, 7.0, 'day', 'calendar', NULL),
        (6, 'Asia/Jakarta', {ts}, 1.0, 'month', 'calendar', NULL),
        (7, 'Asia/Jakarta', {ts}, NULL, NULL, NULL, 25),
        (8, 'Asia/Jakarta', {ts}, NULL, NULL, NULL, NULL)
    ) v(id, calendar_id, ts, value, unit, basis, dd)"""
    sql = deadline_sql(rel, ts="ts", value="value", unit="unit", basis="basis",
                       deadline_day="dd")
    got = dict(con.execute(f"SELECT id, deadline_ts FROM ({sql})").fetchall())
    assert got == {
        1: at(WIB, 2024, 6, 3, 10, 30),
        2: at(WIB, 2024, 6, 4, 9),    # 6 h left Monday, 1 h Tuesday
        3: at(WIB, 2024, 6, 5, 10),   # 960 working minutes
        4: at(WIB, 2024, 6, 6, 10),   # 3 x 24 jam
        5: at(WIB, 2024, 6, 10, 10),
        6: at(WIB, 2024, 7, 3, 10),
        7: at(WIB, 2024, 6, 25, 16),  # Tuesday 25 June
        8: None,
    }


def test_macros_do_not_capture_caller_columns(con):
    # the caller's columns share names with work_calendar's; the macros must read the caller's
    con.execute("""CREATE OR REPLACE TEMP TABLE clash AS SELECT
        'Asia/Makassar' AS calendar_id, TIMESTAMPTZ '2024-06-11 01:00:00+00' AS open_utc,
        DATE '1999-01-01' AS day, 5 AS minutes, 25 AS dom""")
    row = con.execute("""SELECT work_minutes(calendar_id, open_utc, open_utc + INTERVAL 1 HOUR),
        work_add(calendar_id, open_utc, minutes), work_month_deadline(calendar_id, open_utc, dom)
        FROM clash WHERE work_cum(calendar_id, open_utc) IS NOT NULL
          AND work_days_add(calendar_id, open_utc, minutes) IS NOT NULL""").fetchone()
    assert row == (60, at(WITA, 2024, 6, 11, 9, 5), at(WITA, 2024, 6, 25, 16))


# --- properties -----------------------------------------------------------------------------
SECONDS_2024 = 366 * 86400
YEAR_START = datetime(2024, 1, 1, tzinfo=UTC)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, SECONDS_2024), min_size=3, max_size=3),
       st.sampled_from(sorted(ZONES)))
def test_working_minutes_are_additive_nonnegative_and_match_reference(con, offsets, cal):
    a, b, c = (YEAR_START + timedelta(seconds=s) for s in sorted(offsets))
    ab, bc, ac = con.execute(
        "SELECT work_minutes($1, $2, $3), work_minutes($1, $3, $4), work_minutes($1, $2, $4)",
        [cal, a, b, c]).fetchone()
    assert min(ab, bc, ac) >= 0
    assert ac == pytest.approx(ab + bc, abs=1e-6)
    assert ac == pytest.approx(ref_minutes(a, c, ZONES[cal]), abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, SECONDS_2024), st.integers(1, 20000), st.sampled_from(sorted(ZONES)))
def test_work_add_inverts_work_minutes(con, offset, minutes, cal):
    ts = YEAR_START + timedelta(seconds=offset)
    due = add_working(con, cal, ts, minutes)
    assert working_minutes(con, cal, ts, due) == pytest.approx(minutes, abs=1e-6)
    # earliest such instant: a second earlier is not enough
    assert working_minutes(con, cal, ts, due - timedelta(seconds=1)) < minutes
    assert due == ref_add(ts, minutes, ZONES[cal])


# --- holidays, overrides, versions ----------------------------------------------------------
def test_holiday_dates_include_cuti_bersama_2024(tmp_path):
    days = holiday_dates([2024], directory=tmp_path)
    assert {date(2024, 4, d) for d in (8, 9, 10, 11, 12, 15)} <= set(days)
    assert days[date(2024, 4, 8)].startswith("Cuti Bersama")


def test_shipped_national_override_is_valid_and_empty():
    ov = load_override("national")
    assert ov.add == {} and ov.remove == frozenset()


def test_override_file_adds_a_regional_holiday(tmp_path):
    (tmp_path / "batam.yaml").write_text(
        "description: contoh libur daerah\n"
        "add:\n  - date: 2024-06-12\n    name: Libur daerah contoh\n"
        "remove:\n  - 2024-04-09\n  - {date: 2024-04-12, reason: masuk kerja}\n",
        encoding="utf-8")
    db = duckdb.connect(str(tmp_path / "o.duckdb"))
    plain, batam = CalendarSpec.for_zone("Asia/Jakarta"), CalendarSpec.for_zone(
        "Asia/Jakarta", ["batam"])
    assert batam.calendar_id == "Asia/Jakarta+batam"
    install_calendar(db, [plain, batam], date(2024, 1, 1), date(2024, 12, 31), directory=tmp_path)
    wed_a, wed_b = at(WIB, 2024, 6, 12, 0), at(WIB, 2024, 6, 13, 0)
    assert working_minutes(db, "Asia/Jakarta", wed_a, wed_b) == 480
    assert working_minutes(db, "Asia/Jakarta+batam", wed_a, wed_b) == 0
    assert db.execute("SELECT holiday FROM work_calendar WHERE calendar_id = "
                      "'Asia/Jakarta+batam' AND day = '2024-06-12'").fetchone()[0] == (
        "Libur daerah contoh")
    # removed cuti bersama days are worked: Tuesday 9 and Friday 12 April
    apr_a, apr_b = at(WIB, 2024, 4, 8, 0), at(WIB, 2024, 4, 16, 0)
    assert working_minutes(db, "Asia/Jakarta+batam", apr_a, apr_b) == 960
    v1 = calendar_version(db, "Asia/Jakarta+batam")
    assert v1 != calendar_version(db, "Asia/Jakarta")
    # editing the file changes that calendar's version, not the other's
    (tmp_path / "batam.yaml").write_text("add:\n  - {date: 2024-06-13, name: X}\n")
    plain_v = calendar_version(db, "Asia/Jakarta")
    install_calendar(db, [plain, batam], date(2024, 1, 1), date(2024, 12, 31), directory=tmp_path)
    assert calendar_version(db, "Asia/Jakarta+batam") != v1
    assert calendar_version(db, "Asia/Jakarta") == plain_v
    db.close()


@pytest.mark.parametrize(("text", "row", "field"), [
    ("add:\n  - date: 2024-13-01\n    name: X\n", 2, "add[1].date"),
    ("add:\n  - {date: 2024-06-01}\n", 2, "add[1].name"),
    ("add:\n  - {date: 2024-06-01, name: X, kota: Batam}\n", 2, "add[1].kota"),
    ("add: 2024-06-01\n", 1, "add"),
    ("tambah:\n  - {date: 2024-06-01, name: X}\n", 1, "tambah"),
    ("remove:\n  - 1 Juni 2024\n", 2, "remove[1].date"),
    ("add:\n  - {date: 2024-06-01, name: X}\nremove:\n  - 2024-06-01\n", 4, "remove[1].date"),
])
def test_bad_override_file_names_file_row_and_field(tmp_path, text, row, field):
    path = tmp_path / "daerah.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CalendarError) as info:
        load_override("daerah", tmp_path)
    err = info.value
    assert (err.file, err.row, err.field) == (str(path), row, field)
    assert str(path) in str(err) and field in str(err)


def test_bad_yaml_and_missing_file(tmp_path):
    (tmp_path / "rusak.yaml").write_text("add: [\n", encoding="utf-8")
    with pytest.raises(CalendarError, match="not valid YAML") as info:
        load_override("rusak", tmp_path)
    assert info.value.file.endswith("rusak.yaml")
    with pytest.raises(CalendarError, match="not found") as info:
        install_calendar(duckdb.connect(), [CalendarSpec.for_zone("Asia/Jakarta", ["rusk"])],
                         START, END, directory=tmp_path)
    assert "rusak" in str(info.value)  # did-you-mean hint


def test_version_is_recorded_and_stable(con, tmp_path):
    v = calendar_version(con)
    info = con.execute("SELECT calendar_id, version, install_version, holidays_version, "
                       "day_minutes, first_day, last_day FROM calendar_info ORDER BY 1").fetchall()
    assert [r[0] for r in info] == ["Asia/Jakarta", "Asia/Makassar"]
    assert all(r[2] == v and r[3] == holidays.__version__ and r[4] == 480 for r in info)
    assert info[0][5] <= START and info[0][6] >= END + timedelta(days=365)
    # same definition -> same version; other office hours -> another version
    db = duckdb.connect()
    assert install_calendar(db, [CalendarSpec.for_zone("Asia/Jakarta"),
                                 CalendarSpec.for_zone("Asia/Makassar")],
                            START, END, directory=tmp_path) == v
    calls: list[tuple[int, int]] = []
    other = install_calendar(db, [CalendarSpec("Asia/Jakarta+0730", "Asia/Jakarta",
                                               office_open="07:30")], START, END,
                             directory=tmp_path, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(1, 1)]
    assert other != v
    assert db.execute("SELECT day_minutes FROM calendar_info").fetchone()[0] == 510


def test_work_calendar_table_shape(con):
    cols = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                            "WHERE table_name = 'work_calendar'").fetchall())
    assert cols == {
        "calendar_id": "VARCHAR", "day": "DATE", "is_working": "BOOLEAN",
        "open_utc": "TIMESTAMP WITH TIME ZONE", "close_utc": "TIMESTAMP WITH TIME ZONE",
        "minutes": "INTEGER", "cum_before": "BIGINT", "workday_no": "BIGINT",
        "holiday": "VARCHAR",
    }
    # cum_before is a running sum of minutes: checked in SQL over every row
    bad = con.execute("""SELECT count(*) FROM (
        SELECT cum_before - coalesce(sum(minutes) OVER (PARTITION BY calendar_id ORDER BY day
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS diff FROM work_calendar)
        WHERE diff <> 0""").fetchone()[0]
    assert bad == 0


# --- errors and model link ------------------------------------------------------------------
def test_out_of_range_and_unknown_calendar_raise(con):
    with pytest.raises(CalendarError, match="no answer") as info:
        working_minutes(con, "Asia/Jakarta", at(WIB, 2010, 1, 1), at(WIB, 2024, 1, 1))
    assert "covers" in str(info.value)
    with pytest.raises(CalendarError, match="no answer") as info:
        working_minutes(con, "Asia/Jakarta+batam", at(WIB, 2024, 1, 1), at(WIB, 2024, 1, 2))
    assert "Asia/Jakarta" in str(info.value)  # did-you-mean
    with pytest.raises(CalendarError, match="time zone"):
        working_minutes(con, "Asia/Jakarta", datetime(2024, 1, 1), at(WIB, 2024, 1, 2))
    rel = ("SELECT 'Asia/Jakarta' AS calendar_id, TIMESTAMPTZ '2024-05-01 09:00:00+07' AS ts "
           "UNION ALL SELECT 'Asia/Jakarta', TIMESTAMPTZ '2031-01-01 09:00:00+07'")
    with pytest.raises(CalendarError, match="1 timestamp") as info:
        ensure_covered(con, rel, ["ts"])
    assert info.value.field == "ts"
    ensure_covered(con, rel + " LIMIT 1", ["ts"])


def test_bad_specs_raise():
    with pytest.raises(CalendarError, match="time zone"):
        CalendarSpec.for_zone("Asia/Jakrta")
    with pytest.raises(CalendarError, match="calendar id"):
        CalendarSpec("Asia/Jakarta", "Asia/Makassar")
    with pytest.raises(CalendarError, match="after"):
        CalendarSpec.for_zone("Asia/Jakarta", office_open="16:00", office_close="08:00")
    with pytest.raises(CalendarError, match="two different"):
        install_calendar(duckdb.connect(), [CalendarSpec.for_zone("Asia/Jakarta"),
                                            CalendarSpec.for_zone("Asia/Jakarta", workdays=(0,))],
                         START, END)


def test_calendar_for_model_uses_its_zone():
    from sop_models.loader import load_model, model_paths

    spec = calendar_for(SimpleNamespace(timezone="Asia/Makassar"))
    assert (spec.calendar_id, spec.office_open, spec.office_close, spec.workdays) == (
        "Asia/Makassar", "08:00", "16:00", (0, 1, 2, 3, 4))
    assert calendar_for(SimpleNamespace(timezone="Asia/Jakarta"), ["batam"]).calendar_id == (
        "Asia/Jakarta+batam")
    for path in model_paths():  # the curated models, when present
        model = load_model(path)
        assert calendar_for(model).timezone == model.timezone


def test_a_read_only_connection_to_an_analysed_store_reads_the_clock(analysed_db):
    """An analyst's read-only connection: ensure_clock builds the lookup tables as temp
    tables, and add_work_clock then reads what the work_cum macro reads, on every step
    completion the analysis wrote."""
    from analytics.work_clock import ensure_clock
    from sop_models import get_model

    con = duckdb.connect(str(analysed_db), read_only=True)
    try:
        sops = [r[0] for r in con.execute("SELECT DISTINCT sop_id FROM step_checks").fetchall()]
        cal = ", ".join(f"('{s}', '{calendar_for(get_model(s)).calendar_id}')" for s in sops)
        ensure_clock(con)
        relation = (f"SELECT c.calendar_id, sc.complete_ts FROM step_checks sc "
                    f"JOIN (VALUES {cal}) c(sop_id, calendar_id) USING (sop_id)")
        n, read, differ = con.execute(
            "SELECT count(*), count(complete_ts_wm), count(*) FILTER (WHERE complete_ts_wm IS "
            "DISTINCT FROM work_cum(calendar_id, complete_ts)) FROM ("
            + add_work_clock(relation, ["complete_ts"]) + ")").fetchone()
    finally:
        con.close()
    assert len(sops) == 5 and n > 15_000 and read == n and differ == 0
