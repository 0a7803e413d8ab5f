"""Data page and sidebar: what the store holds (imports, quarantine, filter options)."""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard.filters import DISPLAY_TZ, Filters, where
from dashboard.queries.base import RESULT_TABLES, frame

# Result columns the pages read that older versions of `pantau analyze` did not write: a
# store analysed before them must be analysed again (analyze adds the columns).
REQUIRED_RESULT_COLUMNS = {"step_checks": ("prev_step_id", "prev_complete_ts", "next_step_id"),
                           "lane_stats": ("unit",), "handovers": ("unit", "month")}


def db_version(con: duckdb.DuckDBPyConnection) -> tuple[int, int, bool, int, bool]:
    """``(latest run id, latest import id, has results, cases, results outdated)``, cheaply.

    *results outdated*: the store holds results written by an older Pantau that lack
    columns the pages read (:data:`REQUIRED_RESULT_COLUMNS`).
    """
    tables = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    run_id = 0
    outdated = False
    if set(RESULT_TABLES) <= tables:
        run_id = int(con.execute("SELECT coalesce(max(run_id), 0) FROM runs").fetchone()[0])
        present = set(con.execute(
            "SELECT table_name || '.' || column_name FROM information_schema.columns "
            "WHERE table_schema = 'main'").fetchall())
        outdated = any((f"{table}.{column}",) not in present
                       for table, columns in REQUIRED_RESULT_COLUMNS.items() for column in columns)
    import_id = int(con.execute("SELECT coalesce(max(import_id), 0) FROM imports").fetchone()[0])
    cases = int(con.execute("SELECT count(*) FROM cases").fetchone()[0])
    return run_id, import_id, run_id > 0, cases, outdated


def filter_options(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Distinct (agency, SOP, unit) with their first and last case day (local WIB dates).

    Read from ``case_checks`` when the store was analysed, else from ``cases``.
    """
    tables = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    source = "case_checks" if "case_checks" in tables else "cases"
    return frame(con, f"""
        SELECT agency, sop_id, unit,
               timezone('{DISPLAY_TZ}', min(first_ts))::DATE AS first_day,
               timezone('{DISPLAY_TZ}', max(first_ts))::DATE AS last_day,
               count(*) AS cases
        FROM {source} GROUP BY ALL ORDER BY agency, sop_id, unit""")


def imports(con: duckdb.DuckDBPyConnection, f: Filters, limit: int = 500) -> pd.DataFrame:
    """Import history, newest first."""
    sql, params = where(f, unit=False)
    return frame(con, f"""
        SELECT import_id, file_name, format, sop_id, agency, rows_read, rows_loaded,
               rows_quarantined, rows_duplicate, started, finished, pantau_version, sha256
        FROM imports {sql} ORDER BY import_id DESC LIMIT ?""", [*params, limit])


def quarantine_summary(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Quarantined rows per import and reason."""
    sql, params = where(f, alias="i", unit=False)
    return frame(con, f"""
        SELECT q.import_id, i.file_name, q.reason, count(*) AS n
        FROM quarantine q JOIN imports i ON i.import_id = q.import_id {sql}
        GROUP BY ALL ORDER BY q.import_id DESC, n DESC, q.reason""", params)


def quarantine_rows(con: duckdb.DuckDBPyConnection, f: Filters, import_id: int | None = None,
                    reason: str | None = None, limit: int = 500) -> pd.DataFrame:
    """Quarantined rows (as read, PII hashed) of one import and/or reason."""
    extra = []
    if import_id is not None:
        extra.append(("q.import_id = ?", [import_id]))
    if reason:
        extra.append(("q.reason = ?", [reason]))
    sql, params = where(f, alias="i", unit=False, extra=extra)
    return frame(con, f"""
        SELECT q.import_id, q.source_row, q.reason, q.raw::VARCHAR AS raw
        FROM quarantine q JOIN imports i ON i.import_id = q.import_id {sql}
        ORDER BY q.import_id DESC, q.source_row NULLS FIRST LIMIT ?""", [*params, limit])
