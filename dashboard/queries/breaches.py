"""Pelanggaran Mutu Baku: violations by step and lane, overrun distribution, worst cases.

Rates are the store's ``breach_rate`` macro over ``step_results`` (the same on every page:
a test compares them); counts per status come as a ``status -> n`` map whose keys are the
``ref_step_status`` vocabulary.
"""

from __future__ import annotations

import math

import duckdb
import pandas as pd

from dashboard.filters import Filters, where
from dashboard.queries.base import frame

# Overrun as a multiple of the standard (elapsed / std_max): unit-free, so steps measured in
# minutes and in months share one histogram.
OVERRUN_BINS: tuple[tuple[float, float], ...] = (
    (1.0, 1.25), (1.25, 1.5), (1.5, 2.0), (2.0, 3.0), (3.0, 5.0), (5.0, 10.0), (10.0, math.inf),
)
# A violation unless the overrun is within the tolerance (views.sql within_tolerance; 0 = none)
def _tolerated_sql(tolerance_min: float, alias: str = "") -> str:
    """The tolerance test of a step row. The minutes are a literal (a float, so nothing but a
    number reaches the SQL): with 0 DuckDB folds the macro to false instead of evaluating it
    on every row (a parameter cost +0.3 s CPU per scan of 8.7M rows)."""
    p = f"{alias}." if alias else ""
    return f"within_tolerance({p}is_late, {p}complete_ts, {p}deadline_ts, {float(tolerance_min)!r}::DOUBLE)"
def _tolerated(tolerance_min: float) -> tuple[str, list[float]]:
    """The step rows with their ``tolerated`` flag (``(sql, params)`` of a derived table)."""
    return f"(SELECT *, {_tolerated_sql(tolerance_min)} AS tolerated FROM step_results)", []


# the status counts of a group from its (status, n) pairs: statuses repeat across the steps
# of a lane, so the pairs are summed per status
_STATUS_MAP = """map_from_entries(list_transform(
        list_distinct(list_transform(pairs, lambda p: p[1])),
        lambda k: (k, list_sum(list_transform(list_filter(pairs, lambda p: p[1] = k), lambda p: p[2]))::UBIGINT)))"""


def breach_counts(con: duckdb.DuckDBPyConnection, f: Filters, tolerance_min: float = 0) -> pd.DataFrame:
    """Occurrences, violations and the breach rate per SOP step, per agency and lane, and in
    all, from one scan of ``step_results`` (``grain``: ``step``, ``lane`` or ``all``).

    ``tolerance_min`` > 0 leaves late occurrences within that many minutes of their deadline
    out of the violations (``tolerated`` counts them; statuses then count the rest).

    The scan only counts rows per step, lane and status (a few thousand groups); the three
    grains are summed from those counts. Grouping the 8.7M rows of a 1M-case store three ways
    with a ``histogram`` each took 2.2 CPU-s, the counts 0.3."""
    rows, rows_params = _tolerated(tolerance_min)
    sql, params = where(f, day="complete_day")
    return frame(con, f"""
        WITH counted AS (
            SELECT sop_id, step_id, agency, lane, status, is_violation, is_judged, tolerated, count(*) AS n
            FROM {rows} {sql} GROUP BY ALL),
        grains AS (
            SELECT CASE grouping(sop_id, step_id, agency, lane)
                       WHEN 3 THEN 'step' WHEN 12 THEN 'lane' ELSE 'all' END AS grain,
                   sop_id, step_id, agency, lane,
                   coalesce(sum(n), 0) AS occurrences,
                   coalesce(sum(n) FILTER (WHERE is_violation AND NOT tolerated), 0) AS violations,
                   coalesce(sum(n) FILTER (WHERE is_judged), 0) AS judged,
                   coalesce(sum(n) FILTER (WHERE tolerated), 0) AS tolerated,
                   list((status, n)) FILTER (WHERE NOT tolerated) AS pairs,
                   any_value(lane) AS step_lane
            FROM counted
            GROUP BY GROUPING SETS ((sop_id, step_id), (agency, lane), ()))
        SELECT grain, sop_id, step_id, agency, lane, occurrences::BIGINT AS occurrences,
               violations::BIGINT AS violations, judged::BIGINT AS judged,
               breach_rate_of(violations, judged) AS breach_rate, tolerated::BIGINT AS tolerated,
               CASE WHEN pairs IS NOT NULL THEN {_STATUS_MAP} END AS statuses, step_lane
        FROM grains
        ORDER BY grain, sop_id, step_id, agency, lane""", [*rows_params, *params])


def _grain(counts: pd.DataFrame, grain: str, keys: list[str]) -> pd.DataFrame:
    rows = counts[counts["grain"] == grain].copy()
    return rows.sort_values(["violations", *keys], ascending=[False] + [True] * len(keys), ignore_index=True)


def by_step(counts: pd.DataFrame) -> pd.DataFrame:
    """The per-step rows of :func:`breach_counts` (``lane`` = the step's lane)."""
    rows = _grain(counts, "step", ["sop_id", "step_id"])
    return rows.assign(lane=rows["step_lane"]).drop(columns=["agency"])


def by_lane(counts: pd.DataFrame) -> pd.DataFrame:
    """The per-agency-and-lane rows of :func:`breach_counts`."""
    return _grain(counts, "lane", ["agency", "lane"]).drop(columns=["sop_id", "step_id"])


def totals(counts: pd.DataFrame) -> pd.Series:
    """The one row of :func:`breach_counts` over everything in the filter."""
    return counts[counts["grain"] == "all"].iloc[0]


def breaches_by_step(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Per SOP step: occurrences, statuses, breach rate (for notebooks and tests)."""
    return by_step(breach_counts(con, f))


def breaches_by_lane(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Per agency and lane: occurrences, statuses, breach rate."""
    return by_lane(breach_counts(con, f))


def overrun_bins(con: duckdb.DuckDBPyConnection, f: Filters, tolerance_min: float = 0) -> pd.DataFrame:
    """Step occurrences over their maximum (beyond the tolerance), binned by elapsed / standard
    (``bin`` indexes OVERRUN_BINS)."""
    cases = " ".join(
        f"WHEN ratio < {hi} THEN {i}" for i, (_lo, hi) in enumerate(OVERRUN_BINS) if math.isfinite(hi)
    )
    sql, params = where(f, day="complete_day",
                        extra=[(f"status = 'breach' AND std_max > 0 AND NOT {_tolerated_sql(tolerance_min)}", [])])
    return frame(con, f"""
        SELECT CASE {cases} ELSE {len(OVERRUN_BINS) - 1} END AS bin, count(*) AS n
        FROM (SELECT elapsed / std_max AS ratio FROM step_results {sql})
        GROUP BY bin ORDER BY bin""", params)


def overrun_by_step(con: duckdb.DuckDBPyConnection, f: Filters, tolerance_min: float = 0) -> pd.DataFrame:
    """Per step over its maximum (beyond the tolerance): how far over, in the step's own unit
    (median, p90, max)."""
    sql, params = where(f, day="complete_day",
                        extra=[(f"status = 'breach' AND NOT {_tolerated_sql(tolerance_min)}", [])])
    return frame(con, f"""
        SELECT sop_id, step_id, std_unit, std_calendar, count(*) AS n,
               median(overrun) AS median_overrun,
               quantile_cont(overrun, 0.9) AS p90_overrun,
               max(overrun) AS max_overrun
        FROM step_results {sql} GROUP BY ALL ORDER BY n DESC, sop_id, step_id""", params)


def worst_cases(con: duckdb.DuckDBPyConnection, f: Filters, limit: int = 50,
                tolerance_min: float = 0) -> pd.DataFrame:
    """Cases with the largest overrun (elapsed / standard) of a late step.

    The top ``limit`` cases by their worst step are the first ``limit`` distinct cases among
    the late steps sorted by overrun, so only the worst rows are grouped (a top-N sort instead
    of grouping every late step of a million cases); the few cases found are then counted.
    """
    late = f"is_late AND NOT {_tolerated_sql(tolerance_min)}"
    sql, params = where(f, day="complete_day", extra=[(late, [])])
    ratio = "elapsed / nullif(std_max, 0)"
    return frame(con, f"""
        WITH worst_rows AS (
            SELECT case_id, sop_id, agency, {ratio} AS ratio FROM step_results {sql}
            ORDER BY ratio DESC NULLS LAST LIMIT ?),
        top AS (
            SELECT case_id, sop_id, agency, max(ratio) AS worst_ratio FROM worst_rows GROUP BY ALL
            ORDER BY worst_ratio DESC NULLS LAST, case_id, agency LIMIT ?)
        SELECT s.case_id, s.sop_id, s.agency, any_value(s.unit) AS unit,
               count(*) AS violations, any_value(top.worst_ratio) AS worst_ratio,
               arg_max(s.step_id, coalesce(s.elapsed / nullif(s.std_max, 0), 0)) AS worst_step,
               max(s.complete_ts) AS last_violation_ts
        FROM step_results s
        JOIN top ON top.case_id = s.case_id AND top.sop_id = s.sop_id AND top.agency = s.agency
        WHERE s.is_late AND NOT {_tolerated_sql(tolerance_min, "s")}
        GROUP BY s.case_id, s.sop_id, s.agency
        ORDER BY worst_ratio DESC NULLS LAST, violations DESC, s.case_id, s.agency""",
                 [*params, limit * 40, limit])
