"""Kasus: one case's steps, alignment and deviations; candidates for the case picker."""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard.filters import Filters, where
from dashboard.queries.base import frame


def case_candidates(con: duckdb.DuckDBPyConnection, f: Filters, limit: int = 300) -> pd.DataFrame:
    """Cases to pick from: the most problematic first, then the most recent."""
    sql, params = where(f, day="first_day")
    return frame(con, f"""
        SELECT case_id, sop_id, agency, first_ts, breach_count, deviation_count, is_open
        FROM case_results {sql}
        ORDER BY coalesce(breach_count, 0) + coalesce(deviation_count, 0) DESC, first_ts DESC, case_id
        LIMIT ?""", [*params, limit])


def case_keys(con: duckdb.DuckDBPyConnection, f: Filters, case_id: str) -> pd.DataFrame:
    """The cases with this id: one row per (SOP, agency). A case is (sop_id, agency, case_id):
    the same id in two agencies' registers is two cases, and the page asks which."""
    return frame(con, "SELECT sop_id, agency FROM case_results WHERE case_id = ? ORDER BY sop_id, agency",
                 [case_id])


def _one_case(table: str, order: str):
    def query(con: duckdb.DuckDBPyConnection, f: Filters, sop_id: str, agency: str,
              case_id: str) -> pd.DataFrame:
        return frame(con, f"SELECT * FROM {table} WHERE sop_id = ? AND agency = ? AND case_id = ? {order}",
                     [sop_id, agency, case_id])

    query.__doc__ = f"Rows of ``{table}`` for one case (sop_id, agency, case_id)."
    return query


case_summary = _one_case("case_results", "")
# the complete event's id keeps the file's order where a log has no times (complete_ts NULL)
case_steps = _one_case("step_results", "ORDER BY complete_ts, complete_event_id, occurrence, step_id")
case_deviations = _one_case("deviation_results", "ORDER BY position NULLS LAST, kind_sort, step_id")
case_open = _one_case("open_results", "")


def case_trace(con: duckdb.DuckDBPyConnection, f: Filters, sop_id: str, agency: str,
               case_id: str) -> pd.DataFrame:
    """The case's variant: its activities in order (step ids, or labels when unmapped)."""
    return frame(con, """
        SELECT v.variant_id, v.activities, v.is_sop_path, v.alignment_fitness, v.case_count
        FROM case_checks c JOIN variants v ON v.sop_id = c.sop_id AND v.variant_id = c.variant_id
            AND v.model_sha256 IS NOT DISTINCT FROM c.model_sha256
        WHERE c.sop_id = ? AND c.agency = ? AND c.case_id = ?""", [sop_id, agency, case_id])


def case_events(con: duckdb.DuckDBPyConnection, f: Filters, sop_id: str, agency: str,
                case_id: str) -> pd.DataFrame:
    """The case's events as the log gave them, in order (time, then file order; a log without
    timestamps in file order): event id, import (id, file), source row, label, lifecycle, time,
    resource, agency, unit and each event's own attributes (JSON text). The Kasus page and the
    evidence pack read this one list."""
    return frame(con, """
        SELECT e.event_id, e.import_id, i.file_name, e.source_row, e.ts, e.activity, e.lifecycle,
               e.resource, e.agency, e.unit, e.attributes::VARCHAR AS attributes
        FROM events e LEFT JOIN imports i ON i.import_id = e.import_id
        WHERE e.sop_id = ? AND e.agency = ? AND e.case_id = ?
        ORDER BY e.ts NULLS LAST, e.event_id""", [sop_id, agency, case_id])
