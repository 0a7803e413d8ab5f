"""Data page, sidebar and the catalog: what the store holds (imports, filter options, model
versions, vocabularies); the quarantine is :mod:`dashboard.queries.quarantine`."""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard.filters import Filters, where
from dashboard.queries.base import RESULT_TABLES, frame
from event_logs.store import SCHEMA_VERSION
from event_logs.vocabulary import VOCABULARIES


def db_version(con: duckdb.DuckDBPyConnection) -> tuple[int, int, bool, int, bool]:
    """``(latest run id, latest import id, has results, cases, results outdated)``, cheaply.

    *results outdated*: the latest run was written by a Pantau whose result columns were
    older than the store's schema (``runs.schema_version``): analyse again.
    """
    tables = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    run_id, outdated = 0, False
    if set(RESULT_TABLES) <= tables:
        row = con.execute("SELECT run_id, schema_version FROM runs ORDER BY run_id DESC LIMIT 1").fetchall()
        if row:
            run_id = int(row[0][0])
            outdated = row[0][1] is None or int(row[0][1]) < SCHEMA_VERSION
    import_id = int(con.execute("SELECT coalesce(max(import_id), 0) FROM imports").fetchone()[0])
    cases = int(con.execute("SELECT count(*) FROM cases").fetchone()[0])
    return run_id, import_id, run_id > 0, cases, outdated


def filter_options(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Distinct (agency, SOP, unit) with their first and last case day (the SOP's local days)
    and number of cases, from the analysed cases (``case_results``)."""
    return frame(con, """
        SELECT agency, sop_id, unit, min(first_day) AS first_day, max(first_day) AS last_day,
               count(*) AS cases
        FROM case_results GROUP BY ALL ORDER BY agency, sop_id, unit""")


def catalog_models(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Every stored model version, with its calendar's working day and whether the pages show
    the SOP in it (the version of the SOP's latest run, else the one in force today)."""
    has_calendar = bool(con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'calendar_info'").fetchall()[0][0])
    day_minutes = ("(SELECT i.day_minutes FROM calendar_info i WHERE i.calendar_id = m.calendar_id)"
                   if has_calendar else "NULL")
    return frame(con, f"""
        SELECT m.model_sha256, m.sop_id, m.title, m.agency, m.region, m.timezone, m.sop_number,
               m.revision, m.effective, m.source, m.calendar_id, {day_minutes}::DOUBLE AS day_minutes,
               m.service_std_value, m.service_std_unit, m.service_std_calendar, m.status, m.origin,
               m.model_sha256 = coalesce(r.model_sha256, f.model_sha256) AS shown
        FROM models m
        LEFT JOIN result_models r ON r.sop_id = m.sop_id
        LEFT JOIN models_in_force(current_date) f ON f.sop_id = m.sop_id
        ORDER BY m.sop_id, m.added_at""")


def catalog_steps(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Every step of every stored model version."""
    return frame(con, """
        SELECT model_sha256, step_no, step_id, printed_no, name, lane, scope, kind, waktu_raw,
               std_unit, std_calendar, max_value, max_unit, max_calendar, min_value, min_unit,
               min_calendar, per_unit, deadline_day, kelengkapan, output, on_main_path
        FROM model_steps ORDER BY model_sha256, step_no""")


def catalog_lanes(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """The lanes of every stored model version, in document order."""
    return frame(con, "SELECT model_sha256, lane_no, lane FROM model_lanes ORDER BY ALL")


def vocabularies(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Every vocabulary row (``ref_*`` tables) in one long frame: vocabulary, key, and the
    columns some vocabularies have (NULL elsewhere)."""
    tables = [table for table, _key in VOCABULARIES.values()]
    found: dict[str, set[str]] = {table: set() for table in tables}
    for table, column in con.execute(  # one catalog query for every vocabulary table
            f"SELECT table_name, column_name FROM information_schema.columns "
            f"WHERE table_name IN ({', '.join('?' for _ in tables)})", tables).fetchall():
        found[table].add(column)
    parts = []
    for name, (table, key) in VOCABULARIES.items():
        columns = found[table]
        pick = ", ".join(f"{c}" if c in columns else f"NULL AS {c}" for c in (
            "label_id", "label_en", "description_id", "description_en", "color", "sort",
            "precedence", "is_violation", "is_late", "is_judged"))
        parts.append(f"SELECT '{name}' AS vocabulary, {key} AS key, {pick} FROM {table}")
    return frame(con, " UNION ALL BY NAME ".join(parts))


def model_text(con: duckdb.DuckDBPyConnection, f: Filters, model_sha256: str) -> pd.DataFrame:
    """The stored model file of one version (``model_text``), with its status."""
    return frame(con, "SELECT model_sha256, status, model_text FROM models WHERE model_sha256 = ?", [model_sha256])


def model_versions(con: duckdb.DuckDBPyConnection, f: Filters, sop_id: str | None = None) -> pd.DataFrame:
    """Every confirmed version of ``sop_id`` (default: the filters' SOP; none: of every SOP)
    with the days it is in force (``model_periods``) and how many of the cases in the filters
    it judged (``case_results.model_sha256``)."""
    sop = sop_id or f.sop_id
    sql, params = where(f, extra=[("sop_id = coalesce(?, sop_id)", [sop])], day="first_day")
    return frame(con, f"""
        SELECT p.sop_id, p.model_sha256, p.revision, p.effective, p.in_force_from, p.in_force_until,
               coalesce(n.cases, 0) AS cases
        FROM model_periods p
        LEFT JOIN (SELECT model_sha256, count(*) AS cases FROM case_results {sql} GROUP BY ALL) n
            USING (model_sha256)
        WHERE p.sop_id = coalesce(?, p.sop_id)
        ORDER BY p.sop_id, coalesce(p.in_force_from, DATE '0001-01-01'), p.model_sha256""", [*params, sop])


def model_artifact(con: duckdb.DuckDBPyConnection, f: Filters, model_sha256: str, kind: str) -> pd.DataFrame:
    """One stored drawing or export of a model version (``dot_lanes``, ``bpmn``, ``pnml``)."""
    return frame(con, "SELECT content FROM model_artifacts WHERE model_sha256 = ? AND kind = ?",
                 [model_sha256, kind])


def imports(con: duckdb.DuckDBPyConnection, f: Filters, limit: int = 500) -> pd.DataFrame:
    """Import history, newest first."""
    sql, params = where(f, unit=False)
    return frame(con, f"""
        SELECT import_id, file_name, format, sop_id, agency, rows_read, rows_loaded,
               rows_quarantined, rows_duplicate, started, finished, pantau_version, sha256
        FROM imports {sql} ORDER BY import_id DESC LIMIT ?""", [*params, limit])


def untimed_cases(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Cases of a log without times (read in order only: ``first_day`` NULL) in the filter's
    agency, SOP and unit, closed and open. They have no day, so no period holds them; their
    conformance is measured, their Mutu Baku is not (status ``not_measurable``)."""
    sql, params = where(Filters(f.agency, f.sop_id, f.unit), extra=[("first_day IS NULL", [])])
    return frame(con, f"""
        SELECT count(*) AS cases, count(*) FILTER (WHERE is_closed) AS closed
        FROM case_results {sql}""", params)


def run_as_of(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Per SOP in view (the filter's agency, SOP and unit; any period): the run whose results
    the pages show, the moment it judged open cases at (``runs.as_of``) and the SOP's zone.
    The SOPs in view come from ``case_checks`` (``case_results`` has the same rows, after
    folding in the accepted deviations, which a list of SOPs does not need)."""
    sql, params = where(Filters(f.agency, f.sop_id, f.unit))
    return frame(con, f"""
        SELECT r.sop_id, r.run_id, runs.as_of, m.timezone, r.model_sha256
        FROM result_models r
        JOIN runs USING (run_id)
        JOIN models m ON m.model_sha256 = r.model_sha256
        WHERE r.sop_id IN (SELECT DISTINCT sop_id FROM case_checks {sql})
        ORDER BY r.sop_id""", params)
