"""The working clock as set-based SQL: a working-minutes reading for every timestamp of a
relation in one pass.

``work_cum(cal, ts)`` (``sql/calendar.sql``) reads the clock of one instant; the analysis
reads it for millions of events, so :func:`add_work_clock` writes the same reading as hash
joins on two small lookup tables that :func:`install_clock` builds from the installed
calendar (``sql/work_clock.sql``, which explains the fixed-offset shortcut).
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from analytics import sql_files

# A day in microseconds, and a shift that keeps the floor division exact for any instant
# after the year -700 (DuckDB's integer division truncates towards zero).
_DAY_US = 86_400_000_000
_SHIFT_DAYS = 1_000_000


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _run(con: duckdb.DuckDBPyConnection, name: str) -> None:
    sql_files.run(con, f"calendar/{name}")


def install_clock(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)build the clock's lookup tables ``work_clock_zone`` and ``work_clock_day`` (temp)
    from the installed ``work_calendar``, and the ``work_clock_local`` macro; call after
    every calendar install."""
    _run(con, "work_clock.sql")
    _run(con, "work_clock_local.sql")


def ensure_clock(con: duckdb.DuckDBPyConnection) -> None:
    """Build the clock's lookup tables on this connection when they are missing (a calendar
    installed by an earlier connection); empty ones when no calendar is installed, so that
    queries joining them fall back to ``timezone()``."""
    present = {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() "
        "WHERE table_name IN ('work_clock_day', 'work_calendar', 'calendar_info')").fetchall()}
    if "work_clock_day" in present:
        return
    if {"work_calendar", "calendar_info"} <= present:
        install_clock(con)
        return
    con.execute("""
        CREATE OR REPLACE TEMP TABLE work_clock_zone (calendar_id VARCHAR, timezone VARCHAR,
                                                      base BIGINT, offset_us BIGINT);
        CREATE OR REPLACE TEMP TABLE work_clock_day (clock_key BIGINT, calendar_id VARCHAR, day DATE,
                                                     open_utc TIMESTAMPTZ, minutes INTEGER,
                                                     cum_before BIGINT)""")
    _run(con, "work_clock_local.sql")


def local_day_key(ts: str, zone: str) -> str:
    """SQL for the ``work_clock_day.clock_key`` of instant ``ts``, ``zone`` being the alias
    of the calendar's ``work_clock_zone`` row."""
    shifted = f"(epoch_us({ts}) + {zone}.offset_us + {_DAY_US * _SHIFT_DAYS}) // {_DAY_US} - {_SHIFT_DAYS}"
    return (f"{zone}.base + coalesce({shifted}, "
            f"timezone({zone}.timezone, {ts})::DATE - DATE '1970-01-01')")


def add_work_clock(
    relation_sql: str, ts_cols: Sequence[str], cal_col: str = "calendar_id", suffix: str = "_wm"
) -> str:
    """A query adding ``<col><suffix>`` = ``work_cum(cal, col)`` for each timestamp column.

    The same numbers as the ``work_cum`` macro, as one hash join on the calendar's zone and
    one integer hash join per column (the lookup tables of :func:`install_clock` must be on
    the connection: :func:`analytics.calendar.install_calendar` builds them, or call
    :func:`ensure_clock` on a connection to a store analysed earlier). Working minutes between two columns are the difference of their ``_wm``
    columns. Out-of-range or NULL timestamps give NULL (see
    :func:`analytics.calendar.ensure_covered`).
    """
    cal = f"x.{_ident(cal_col)}"
    cols, joins = [], [f"LEFT JOIN work_clock_zone _wz ON _wz.calendar_id = {cal}"]
    for i, col in enumerate(ts_cols):
        c, ts = f"_wc{i}", f"x.{_ident(col)}"
        cols.append(f"{c}.cum_before + least(greatest((epoch_us({ts}) - epoch_us({c}.open_utc)) "
                    f"/ 60000000.0, 0), {c}.minutes) AS {_ident(col + suffix)}")
        joins.append(f"LEFT JOIN work_clock_day {c} ON {c}.clock_key = {local_day_key(ts, '_wz')}")
    return f"SELECT x.*, {', '.join(cols)}\nFROM ({relation_sql}) x\n" + "\n".join(joins)
