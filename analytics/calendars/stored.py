"""Whether the store already holds a given calendar install (``pantau analyze`` keeps an
unchanged calendar instead of building it again: :func:`analytics.calendar.install_calendar`
with ``reuse=True``)."""

from __future__ import annotations

import hashlib
from datetime import date

import duckdb

from analytics import sql_files

_SQL_KEY = "calendar_sql_sha256"  # schema_info: the calendar SQL the stored macros came from


def sql_sha256() -> str:
    """Checksum of the calendar's SQL (its tables and macros are stored with the calendar)."""
    return hashlib.sha256(sql_files.sql_file("calendar/calendar.sql").text.encode("utf-8")).hexdigest()


def record_sql(con: duckdb.DuckDBPyConnection) -> None:
    """Note in ``schema_info`` which calendar SQL the stored calendar was built with."""
    if _has_table(con, "schema_info"):  # a Pantau store (tests install into bare connections too)
        con.execute("INSERT OR REPLACE INTO schema_info VALUES (?, ?)", [_SQL_KEY, sql_sha256()])


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary",
                            [name]).fetchall()[0][0])


def same_install(con: duckdb.DuckDBPyConnection, install_version: str, first: date, last: date,
                 versions: dict[str, str]) -> bool:
    """Whether the stored calendar is exactly this install: the same calendars with the same
    versions and days, built by the same calendar SQL."""
    if not all(_has_table(con, t) for t in ("calendar_info", "work_calendar", "work_month_deadlines",
                                           "schema_info")):
        return False
    stored = con.execute("SELECT calendar_id, version, install_version, first_day, last_day "
                         "FROM calendar_info").fetchall()
    sql = con.execute("SELECT value FROM schema_info WHERE key = ?", [_SQL_KEY]).fetchall()
    return (bool(sql) and sql[0][0] == sql_sha256()
            and sorted(stored) == sorted((c, v, install_version, first, last) for c, v in versions.items()))
