"""Pelanggaran Mutu Baku: violations by step and lane, overrun distribution, worst cases."""

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

STATUS_COLUMNS = ("occurrences", "ok", "breach", "deadline_missed", "too_fast", "no_standard")


def breach_counts(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Per SOP step, agency and lane: occurrences and how many ended in each status.

    One scan of ``step_checks`` for both views of the page (by step, by lane): see
    :func:`by_step` and :func:`by_lane`.
    """
    sql, params = where(f, ts="complete_ts")
    return frame(con, f"""
        SELECT sop_id, step_id, agency, lane,
               count(*) AS occurrences,
               count(*) FILTER (WHERE status = 'ok') AS ok,
               count(*) FILTER (WHERE status = 'breach') AS breach,
               count(*) FILTER (WHERE status = 'deadline_missed') AS deadline_missed,
               count(*) FILTER (WHERE status = 'too_fast') AS too_fast,
               count(*) FILTER (WHERE status = 'no_standard') AS no_standard
        FROM step_checks {sql} GROUP BY ALL""", params)


def _roll_up(counts: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    rolled = counts.groupby(keys, as_index=False, dropna=False)[list(STATUS_COLUMNS)].sum()
    rolled["breach_rate"] = (rolled["breach"] + rolled["deadline_missed"]) / rolled["occurrences"]
    rolled["violations"] = rolled["breach"] + rolled["deadline_missed"] + rolled["too_fast"]
    return rolled.sort_values(["violations", *keys], ascending=[False] + [True] * len(keys), ignore_index=True)


def by_step(counts: pd.DataFrame) -> pd.DataFrame:
    """:func:`breach_counts` per SOP step (with its lane)."""
    lanes = counts.groupby(["sop_id", "step_id"], dropna=False)["lane"].first().reset_index()
    return _roll_up(counts, ["sop_id", "step_id"]).merge(lanes, on=["sop_id", "step_id"], how="left")


def by_lane(counts: pd.DataFrame) -> pd.DataFrame:
    """:func:`breach_counts` per agency and lane."""
    return _roll_up(counts, ["agency", "lane"])


def breaches_by_step(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Per SOP step: occurrences, statuses, breach rate (for notebooks and tests)."""
    return by_step(breach_counts(con, f))


def breaches_by_lane(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Per agency and lane: occurrences, statuses, breach rate."""
    return by_lane(breach_counts(con, f))


def overrun_bins(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Breached step occurrences binned by elapsed / standard (``bin`` indexes OVERRUN_BINS)."""
    cases = " ".join(
        f"WHEN ratio < {hi} THEN {i}" for i, (_lo, hi) in enumerate(OVERRUN_BINS) if math.isfinite(hi)
    )
    sql, params = where(f, ts="complete_ts", extra=[("status = 'breach' AND std_max > 0", [])])
    return frame(con, f"""
        SELECT CASE {cases} ELSE {len(OVERRUN_BINS) - 1} END AS bin, count(*) AS n
        FROM (SELECT elapsed / std_max AS ratio FROM step_checks {sql})
        GROUP BY bin ORDER BY bin""", params)


def overrun_by_step(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Per breached step: how far over, in the step's own unit (median, p90, max)."""
    sql, params = where(f, ts="complete_ts", extra=[("status = 'breach'", [])])
    return frame(con, f"""
        SELECT sop_id, step_id, std_unit, std_calendar, count(*) AS n,
               median(overrun) AS median_overrun,
               quantile_cont(overrun, 0.9) AS p90_overrun,
               max(overrun) AS max_overrun
        FROM step_checks {sql} GROUP BY ALL ORDER BY n DESC, sop_id, step_id""", params)


def worst_cases(con: duckdb.DuckDBPyConnection, f: Filters, limit: int = 50) -> pd.DataFrame:
    """Cases with the largest overrun (elapsed / standard) of a late step.

    The top ``limit`` cases by their worst step are the first ``limit`` distinct cases among
    the late steps sorted by overrun, so only the worst rows are grouped (a top-N sort instead
    of grouping every late step of a million cases); the few cases found are then counted.
    """
    sql, params = where(f, ts="complete_ts", extra=[("status IN ('breach', 'deadline_missed')", [])])
    ratio = "elapsed / nullif(std_max, 0)"
    return frame(con, f"""
        WITH worst_rows AS (
            SELECT case_id, sop_id, {ratio} AS ratio FROM step_checks {sql}
            ORDER BY ratio DESC NULLS LAST LIMIT ?),
        top AS (
            SELECT case_id, sop_id, max(ratio) AS worst_ratio FROM worst_rows GROUP BY ALL
            ORDER BY worst_ratio DESC NULLS LAST, case_id LIMIT ?)
        SELECT s.case_id, s.sop_id, any_value(s.agency) AS agency, any_value(s.unit) AS unit,
               count(*) AS violations, any_value(top.worst_ratio) AS worst_ratio,
               arg_max(s.step_id, coalesce({ratio.replace('elapsed', 's.elapsed').replace('std_max', 's.std_max')}, 0)) AS worst_step,
               max(s.complete_ts) AS last_violation_ts
        FROM step_checks s JOIN top ON top.case_id = s.case_id AND top.sop_id = s.sop_id
        WHERE s.status IN ('breach', 'deadline_missed')
        GROUP BY s.case_id, s.sop_id
        ORDER BY worst_ratio DESC NULLS LAST, violations DESC, s.case_id""", [*params, limit * 40, limit])
