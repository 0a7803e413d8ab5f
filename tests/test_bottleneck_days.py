"""bottleneck_days (migration 16): the bottleneck call-out reads per-day sums that analyze
writes, and gives what the query it replaced gave over every ``step_checks`` row: the same
steps, cases, occurrences, hours and ranks for any period and unit. A case beyond the standard
on two days (or in two units) of one step is counted once wherever both are in view."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from analytics.bottleneck_days import write_bottleneck_days
from event_logs import open_store

# the call-out's query before migration 16: every step completion beyond its standard, grouped
OLD = """
SELECT *, row_number() OVER (PARTITION BY sop_id, agency ORDER BY excess_hours DESC, step_id) AS rank
FROM (
    SELECT sop_id, agency, lane, step_id, count(DISTINCT case_id) AS cases, count(*) AS occurrences,
           sum(excess_wm) / 60.0 AS excess_hours
    FROM step_results
    WHERE excess_wm > 0 AND ($1::DATE IS NULL OR complete_day >= $1) AND ($2::DATE IS NULL OR complete_day <= $2)
      AND ($3::VARCHAR IS NULL OR unit = $3)
    GROUP BY sop_id, agency, lane, step_id)"""
NEW = "SELECT * FROM bottlenecks_between($1, $2, $3)"


def _rows(con: duckdb.DuckDBPyConnection, sql: str, args: list) -> list[tuple]:
    return sorted(con.execute(sql, args).fetchall(), key=lambda r: (r[0], r[1] or "", r[2] or "", r[3] or ""))


def _assert_same(con: duckdb.DuckDBPyConnection, args: list) -> list[tuple]:
    old, new = _rows(con, OLD, args), _rows(con, NEW, args)
    assert [r[:6] + r[7:] for r in new] == [r[:6] + r[7:] for r in old], args
    # the hours are sums of doubles added in another order: equal to the last bits
    assert all(abs(a[6] - b[6]) <= 1e-9 * max(1.0, abs(b[6])) for a, b in zip(new, old, strict=True))
    return new


def _views(con: duckdb.DuckDBPyConnection) -> list[list]:
    """No limit; periods from the data's days (two halves, a middle month, one day); its busiest unit."""
    first, last = con.execute("SELECT min(complete_day), max(complete_day) FROM step_checks "
                              "WHERE excess_wm > 0").fetchone()
    middle = first + (last - first) / 2
    unit = con.execute("SELECT unit FROM step_checks WHERE excess_wm > 0 GROUP BY unit "
                       "ORDER BY count(*) DESC, unit LIMIT 1").fetchone()[0]
    return [[None, None, None], [None, middle, None], [middle + timedelta(days=1), None, None],
            [middle.replace(day=1), middle.replace(day=1) + timedelta(days=30), None], [middle, middle, None],
            [None, None, unit], [first, middle, unit]]


def test_the_call_out_reads_what_every_step_row_says(analysed_db: Path) -> None:
    con = open_store(analysed_db)
    try:
        shown = [_assert_same(con, args) for args in _views(con)]
        kept = con.execute("SELECT count(*), sum(occurrences) FROM bottleneck_days").fetchone()
        rows = con.execute("SELECT count(*) FROM step_checks WHERE excess_wm > 0").fetchone()[0]
    finally:
        con.close()
    assert all(shown[:3]) and sum(r[5] for r in shown[0]) == rows > 100
    assert kept[1] == rows and kept[0] < rows  # the days hold every such row, in fewer rows


@pytest.fixture(scope="module")
def repeated(analysed_db: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple, date, date]:
    """A copy where one case completes a step beyond its standard again 40 days later, and once
    more on that day in another unit (``cases.unit`` empty: the event's unit), rewritten by the
    writer analyze calls."""
    db = tmp_path_factory.mktemp("repeats") / "r.duckdb"
    shutil.copyfile(analysed_db, db)
    con = open_store(db, read_only=False)
    try:
        sop, agency, case, step, day, run = con.execute(
            "SELECT sop_id, agency, case_id, step_id, complete_day, run_id FROM step_checks WHERE excess_wm > 0 "
            "ORDER BY sop_id, agency, case_id, step_id, occurrence LIMIT 1").fetchone()
        later = day + timedelta(days=40)
        for n, unit in ((90, "unit"), (91, "'Unit lain (uji)'")):
            con.execute(f"""INSERT INTO step_checks SELECT * REPLACE (occurrence + {n} AS occurrence,
                                complete_ts + INTERVAL 40 DAY AS complete_ts, ? AS complete_day, {unit} AS unit)
                            FROM step_checks WHERE sop_id = ? AND agency = ? AND case_id = ? AND step_id = ?
                              AND occurrence = 1""", [later, sop, agency, case, step])
        write_bottleneck_days(con, run, [sop])
    finally:
        con.close()
    return db, (sop, agency, step), day, later


def test_a_case_late_on_two_days_and_in_two_units_counts_once(repeated) -> None:
    db, (sop, agency, step), day, later = repeated
    con = duckdb.connect(str(db), read_only=True)
    try:
        listed = con.execute("SELECT count(*) FROM bottleneck_days WHERE sop_id = ? AND step_id = ? "
                             "AND repeat_cases IS NOT NULL", [sop, step]).fetchone()[0]
        cases = {}
        for name, args in {"all": [None, None, None], "both": [day, later, None], "first": [day, day, None],
                           "later": [later, later, None], "other unit": [None, None, "Unit lain (uji)"]}.items():
            rows = _assert_same(con, args)
            cases[name] = next(r[4] for r in rows if r[0] == sop and r[1] == agency and r[3] == step)
        for args in _views(con):
            _assert_same(con, args)
    finally:
        con.close()
    assert listed >= 3  # the first day, and the later day in both units
    assert cases["other unit"] == 1 and cases["later"] >= 1 and cases["first"] >= 1
