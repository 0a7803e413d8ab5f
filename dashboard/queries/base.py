"""Shared pieces of the dashboard's SQL: running a query, lists, period semi-joins.

Metrics are not defined here: every headline metric is a macro of the store's public layer
(``event_logs/sql/views.sql``: ``on_time_share``, ``breach_rate``, ...) over its views
(``case_results``, ``step_results``, ``open_results``, ``deviation_results``); the queries
call them, so a page cannot compute a metric its own way.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from dashboard.filters import Filters, where

RESULT_TABLES = (
    "runs", "step_checks", "case_checks", "deviations", "variants", "lane_stats", "handovers",
    "model_quality", "open_cases", "activity_labels",
)


def frame(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
    """Run ``sql`` with ``params`` and return a DataFrame."""
    return con.execute(sql, params or []).df()


def in_list(column: str, values: tuple[str, ...]) -> tuple[str, list[Any]]:
    """``column IN (?, ?, ...)`` and its parameters (an always-false clause when empty)."""
    if not values:
        return "false", []
    return f"{column} IN ({', '.join('?' for _ in values)})", list(values)


def case_period(f: Filters, alias: str) -> list[tuple[str, list[Any]]]:
    """Restrict a case-keyed table to cases whose first local day lies in the period.

    For tables without their own case day (deviations, open cases): a semi-join on
    ``case_checks`` on the case's key (sop_id, agency, case_id: a case id is unique only
    within its agency). Empty when no period is set.
    """
    if not (f.start or f.end):
        return []
    sql, params = where(Filters(start=f.start, end=f.end), alias="cc", day="first_day")
    return [(
        f"EXISTS (SELECT 1 FROM case_checks cc {sql} AND cc.sop_id = {alias}.sop_id "
        f"AND cc.agency = {alias}.agency AND cc.case_id = {alias}.case_id)",
        params,
    )]


def as_tuple(values: Any) -> tuple[str, ...]:
    """A hashable, sorted tuple of strings from any iterable (cache keys)."""
    return tuple(sorted(str(v) for v in values or ()))
