"""Ringkasan: cases, share on time, share conformant, throughput, trend, open cases at risk."""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard.filters import Filters, where
from dashboard.queries.base import CLOSED, LOCAL_MONTH, ON_TIME, case_period, frame

_CASE_AGGREGATES = f"""
    count(*) AS cases,
    count(*) FILTER (WHERE {CLOSED}) AS closed,
    count(*) FILTER (WHERE NOT {CLOSED}) AS open,
    avg({ON_TIME}::DOUBLE) FILTER (WHERE {CLOSED}) AS on_time_share,
    avg(conformant::DOUBLE) FILTER (WHERE {CLOSED}) AS conformant_share,
    median(throughput_hours) FILTER (WHERE {CLOSED}) AS median_throughput_hours,
    avg((NOT service_std_breach)::DOUBLE)
        FILTER (WHERE {CLOSED} AND service_std_breach IS NOT NULL) AS within_service_share,
    max(service_std_max) AS service_std_max,
    max(service_std_unit) AS service_std_unit
"""


def _open_counts(con: duckdb.DuckDBPyConnection, f: Filters, by: str) -> pd.DataFrame:
    sql, params = where(f, alias="o", extra=case_period(f, "o"))
    group = f"{by}," if by else ""
    return frame(con, f"""
        SELECT {group}
               count(*) FILTER (WHERE o.status = 'late') AS late,
               count(*) FILTER (WHERE o.status = 'at_risk') AS at_risk
        FROM open_cases o {sql} {"GROUP BY ALL" if by else ""}""", params)


def overview_totals(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """One row over everything in the filter: the headline numbers."""
    sql, params = where(f, ts="first_ts")
    totals = frame(con, f"SELECT {_CASE_AGGREGATES} FROM case_checks {sql}", params)
    opened = _open_counts(con, f, "")
    totals["late"] = int(opened["late"].iloc[0])
    totals["at_risk"] = int(opened["at_risk"].iloc[0])
    return totals


def overview_by_sop(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """One row per agency and SOP: cases, shares, median throughput vs the service standard."""
    sql, params = where(f, ts="first_ts")
    rows = frame(con, f"""
        SELECT agency, sop_id, {_CASE_AGGREGATES}
        FROM case_checks {sql} GROUP BY agency, sop_id ORDER BY agency, sop_id""", params)
    opened = _open_counts(con, f, "o.agency, o.sop_id")
    rows = rows.merge(opened, on=["agency", "sop_id"], how="left")
    rows[["late", "at_risk"]] = rows[["late", "at_risk"]].fillna(0).astype("int64")
    return rows


def monthly_trend(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Per month of case start and agency: cases, share on time and conformant (closed cases)."""
    sql, params = where(f, ts="first_ts")
    return frame(con, f"""
        SELECT {LOCAL_MONTH} AS month, agency,
               count(*) AS cases,
               avg({ON_TIME}::DOUBLE) FILTER (WHERE {CLOSED}) AS on_time_share,
               avg(conformant::DOUBLE) FILTER (WHERE {CLOSED}) AS conformant_share,
               median(throughput_hours) FILTER (WHERE {CLOSED}) AS median_throughput_hours
        FROM case_checks {sql} GROUP BY ALL ORDER BY month, agency""", params)


def open_at_risk(con: duckdb.DuckDBPyConnection, f: Filters, limit: int = 200) -> pd.DataFrame:
    """Open cases already late or at risk, the latest (relative to their standard) first."""
    sql, params = where(f, alias="o", extra=[("o.status IN ('late', 'at_risk')", []), *case_period(f, "o")])
    return frame(con, f"""
        SELECT o.case_id, o.sop_id, o.agency, o.unit, o.current_step, o.current_lane, o.since_ts,
               o.used, o.std_max, o.std_unit, o.remaining, o.deadline_ts, o.status,
               count(*) OVER () AS total
        FROM open_cases o {sql}
        ORDER BY (o.status = 'late') DESC, o.remaining / nullif(o.std_max, 0) ASC NULLS LAST, o.case_id
        LIMIT ?""", [*params, limit])
