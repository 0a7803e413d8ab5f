"""Shared pieces of the dashboard's SQL: running a query, status sets, period semi-joins."""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from dashboard.filters import DISPLAY_TZ, Filters, where

RESULT_TABLES = (
    "runs", "step_checks", "case_checks", "deviations", "variants", "lane_stats", "handovers",
    "model_quality", "open_cases",
)
# step statuses that count as a Mutu Baku violation (too_fast breaks the lower bound)
VIOLATIONS = ("breach", "deadline_missed", "too_fast")
LATE = ("breach", "deadline_missed")
CLOSED = "NOT coalesce(is_open, false)"
# a case within Mutu Baku: no step outside its time bounds and within the service standard
ON_TIME = "(coalesce(breach_count, 0) = 0 AND NOT coalesce(service_std_breach, false))"
LOCAL_MONTH = f"date_trunc('month', timezone('{DISPLAY_TZ}', first_ts))::DATE"


def frame(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
    """Run ``sql`` with ``params`` and return a DataFrame."""
    return con.execute(sql, params or []).df()


def in_list(column: str, values: tuple[str, ...]) -> tuple[str, list[Any]]:
    """``column IN (?, ?, ...)`` and its parameters (an always-false clause when empty)."""
    if not values:
        return "false", []
    return f"{column} IN ({', '.join('?' for _ in values)})", list(values)


def case_period(f: Filters, alias: str) -> list[tuple[str, list[Any]]]:
    """Restrict a case-keyed table to cases whose first event lies in the period.

    For tables without their own case timestamp (deviations, open cases): a semi-join on
    ``case_checks`` (case ids are unique within an SOP). Empty when no period is set.
    """
    if not (f.start or f.end):
        return []
    sql, params = where(Filters(start=f.start, end=f.end), alias="cc", ts="first_ts")
    return [(
        f"EXISTS (SELECT 1 FROM case_checks cc {sql} AND cc.sop_id = {alias}.sop_id "
        f"AND cc.case_id = {alias}.case_id)",
        params,
    )]


def as_tuple(values: Any) -> tuple[str, ...]:
    """A hashable, sorted tuple of strings from any iterable (cache keys)."""
    return tuple(sorted(str(v) for v in values or ()))
