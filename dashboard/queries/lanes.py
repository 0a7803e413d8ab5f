"""Lane & bottleneck: waiting vs processing, work in progress, handovers, the process map.

The breach rate of a lane is the store's ``breach_rate`` macro over ``step_results``, grouped
exactly as on the Pelanggaran page (``queries.breaches``): the two pages cannot disagree.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard.filters import Filters, where
from dashboard.queries.base import frame

# calendar minutes enabled -> complete; epoch arithmetic is several times faster than an interval
MINUTES = "(epoch_us(complete_ts) - epoch_us(enabled_ts)) / 60e6"


def _weighted(column: str) -> str:
    # monthly medians combined, weighted by the month's step occurrences (an approximation
    # the page says; step_checks gives exact figures)
    return (f"sum({column} * step_occurrences) / "
            f"nullif(sum(CASE WHEN {column} IS NOT NULL THEN step_occurrences END), 0)")


def lane_summary(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Per agency and lane: waiting and processing (working minutes), breach rate."""
    sql, params = where(f, month="month")
    times = frame(con, f"""
        SELECT agency, lane, sum(step_occurrences) AS step_occurrences,
               {_weighted('waiting_median_wm')} AS waiting_wm,
               {_weighted('processing_median_wm')} AS processing_wm,
               {_weighted('waiting_p90_wm')} AS waiting_p90_wm
        FROM lane_stats {sql} GROUP BY agency, lane""", params)
    sql, params = where(f, day="complete_day")
    rates = frame(con, f"""
        SELECT agency, lane, count(*) FILTER (WHERE is_violation) AS violations,
               count(*) FILTER (WHERE is_judged) AS judged,
               breach_rate(is_violation, is_judged) AS breach_rate,
               any_value(sop_id) AS sop_id
        FROM step_results {sql} GROUP BY agency, lane""", params)
    rows = times.merge(rates, on=["agency", "lane"], how="outer")
    order = rows["waiting_wm"].fillna(0) + rows["processing_wm"].fillna(0)
    return rows.assign(_order=order).sort_values("_order", ascending=False).drop(columns="_order").reset_index(drop=True)


def lane_wip(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Average work in progress per month and lane (summed over the units)."""
    sql, params = where(f, month="month")
    return frame(con, f"""
        SELECT month, agency, lane, sum(avg_wip) AS avg_wip, sum(step_occurrences) AS step_occurrences
        FROM lane_stats {sql} GROUP BY ALL ORDER BY month, agency, lane""", params)


def handover_matrix(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Handovers between lanes (per agency): count and count-weighted median delay."""
    sql, params = where(f, month="month")
    return frame(con, f"""
        SELECT agency, from_lane, to_lane, sum(count) AS n,
               sum(median_delay_wm * count) / nullif(sum(CASE WHEN median_delay_wm IS NOT NULL
                                                         THEN count END), 0) AS delay_wm,
               any_value(sop_id) AS sop_id
        FROM handovers {sql} GROUP BY ALL ORDER BY n DESC""", params)


def process_nodes(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Steps of one SOP (``f.sop_id``): occurrences, breach rate, median duration (minutes)."""
    sql, params = where(f, day="complete_day")
    return frame(con, f"""
        SELECT step_id, any_value(lane) AS lane, count(*) AS n,
               breach_rate(is_violation, is_judged) AS breach_rate,
               median(({MINUTES})) AS median_min
        FROM step_results {sql} GROUP BY step_id ORDER BY step_id""", params)


def process_arcs(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Directly-follows arcs between the steps of one SOP, with the start and end of cases.

    Read from ``step_checks.prev_step_id`` / ``next_step_id`` (written by ``pantau analyze``):
    an arc per occurrence whose completion falls in the period. ``median_min`` is the median
    calendar time from the previous step's completion (for a case's first step, its first
    event) to this step's completion; ``breach_rate`` the target step's. Open cases have no
    end arc.
    """
    sql, params = where(f, day="complete_day")
    return frame(con, f"""
        WITH s AS MATERIALIZED (
            SELECT agency, case_id, step_id, prev_step_id, next_step_id, is_violation, is_judged,
                   (epoch_us(complete_ts) - epoch_us(coalesce(prev_complete_ts, enabled_ts))) / 60e6
                       AS minutes
            FROM step_results {sql}
        )
        SELECT coalesce(prev_step_id, '__start__') AS src, step_id AS dst, count(*) AS n,
               median(minutes) AS median_min, breach_rate(is_violation, is_judged) AS breach_rate
        FROM s GROUP BY ALL
        UNION ALL
        SELECT step_id, '__end__', count(*), NULL, NULL
        FROM s WHERE next_step_id IS NULL
          AND (agency, case_id) NOT IN (SELECT agency, case_id FROM open_cases WHERE sop_id = ?)
        GROUP BY ALL
        ORDER BY n DESC""", [*params, f.sop_id])
