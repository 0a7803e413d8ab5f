"""Ringkasan: cases, share on time, share conformant, throughput, trend, open cases at risk.

Every figure is a metric macro of the store (``on_time_share``, ``conformant_share``,
``median_throughput_hours``, ``open_late``, ``open_at_risk``) with the counts behind it.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard.filters import Filters, where
from dashboard.queries.base import case_period, frame

_CASE_AGGREGATES = """
    count(*) AS cases,
    count(*) FILTER (WHERE is_closed) AS closed,
    count(*) FILTER (WHERE NOT is_closed) AS open,
    count(*) FILTER (WHERE on_time) AS on_time,
    -- the closed cases the on-time share is over: a case of a log without times is not measurable
    count(*) FILTER (WHERE is_closed AND on_time IS NOT NULL) AS closed_measured,
    on_time_share(on_time) AS on_time_share,
    count(*) FILTER (WHERE is_closed AND conformant) AS conformant,
    conformant_share(conformant, is_closed) AS conformant_share,
    median_throughput_hours(throughput_hours, is_closed) AS median_throughput_hours,
    count(*) FILTER (WHERE is_closed AND service_std_breach IS NOT NULL) AS service_judged,
    count(*) FILTER (WHERE is_closed AND NOT service_std_breach) AS within_service,
    avg((NOT service_std_breach)::DOUBLE)
        FILTER (WHERE is_closed AND service_std_breach IS NOT NULL) AS within_service_share,
    max(service_std_max) AS service_std_max,
    max(service_std_unit) AS service_std_unit
"""


def _open_counts(con: duckdb.DuckDBPyConnection, f: Filters, by: str) -> pd.DataFrame:
    sql, params = where(f, alias="o", extra=case_period(f, "o"))
    group = f"{by}," if by else ""
    return frame(con, f"""
        SELECT {group} open_late(o.is_late) AS late, open_at_risk(o.status) AS at_risk
        FROM open_results o {sql} {"GROUP BY ALL" if by else ""}""", params)


def overview_totals(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """One row over everything in the filter: the headline numbers."""
    sql, params = where(f, day="first_day")
    totals = frame(con, f"SELECT {_CASE_AGGREGATES} FROM case_results {sql}", params)
    opened = _open_counts(con, f, "")
    totals["late"] = int(opened["late"].iloc[0])
    totals["at_risk"] = int(opened["at_risk"].iloc[0])
    return totals


def overview_by_sop(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """One row per agency and SOP: cases, shares, median throughput vs the service standard,
    and the SOP's on-time target (``on_time_target``)."""
    sql, params = where(f, day="first_day")
    rows = frame(con, f"""
        SELECT agency, sop_id, {_CASE_AGGREGATES}, on_time_target(sop_id, agency) AS target
        FROM case_results {sql} GROUP BY agency, sop_id ORDER BY agency, sop_id""", params)
    opened = _open_counts(con, f, "o.agency, o.sop_id")
    rows = rows.merge(opened, on=["agency", "sop_id"], how="left")
    rows[["late", "at_risk"]] = rows[["late", "at_risk"]].fillna(0).astype("int64")
    return rows


def monthly_trend(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Per month of completion (``completion_month``), agency and SOP: the cases closed in it,
    how many within Mutu Baku and conformant, the shares, and the SOP's on-time target. The
    period selects cases by their completion day (the month they count in); a case of a log
    without times has no month (ui.untimed_note counts it)."""
    sql, params = where(f, day="last_day", extra=[("is_closed AND last_day IS NOT NULL", [])])
    return frame(con, f"""
        SELECT completion_month(last_day, is_closed) AS month, agency, sop_id,
               count(*) AS closed,
               count(*) FILTER (WHERE on_time) AS on_time,
               on_time_share(on_time) AS on_time_share,
               count(*) FILTER (WHERE conformant) AS conformant,
               conformant_share(conformant, is_closed) AS conformant_share,
               median_throughput_hours(throughput_hours, is_closed) AS median_throughput_hours,
               on_time_target(sop_id, agency) AS target
        FROM case_results {sql} GROUP BY ALL ORDER BY month, agency, sop_id""", params)


def targets(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Per agency and SOP in view: the on-time target and where it comes from
    (``on_time_target`` / ``on_time_target_source``). The keys in view are read from
    ``case_checks``: ``case_results`` has its rows one for one, and would fold the accepted
    deviations into every case first (about half the query's CPU at 1M cases)."""
    sql, params = where(Filters(f.agency, f.sop_id, f.unit))
    return frame(con, f"""
        SELECT agency, sop_id, on_time_target(sop_id, agency) AS target,
               on_time_target_source(sop_id, agency) AS target_source
        FROM (SELECT DISTINCT agency, sop_id FROM case_checks {sql}) ORDER BY agency, sop_id""", params)


def bottlenecks(con: duckdb.DuckDBPyConnection, f: Filters, top: int = 1) -> pd.DataFrame:
    """Per agency and SOP in view: the ``top`` steps adding the most working time beyond their
    standard (``bottlenecks_between`` over the step completions in the period and unit)."""
    sql, params = where(f, unit=False, extra=[("rank <= ?", [top])])
    return frame(con, f"""
        SELECT sop_id, agency, lane, step_id, cases, occurrences, excess_hours, rank
        FROM bottlenecks_between(?, ?, ?) {sql}
        ORDER BY excess_hours DESC, sop_id, agency, rank""", [f.start, f.end, f.unit, *params])


def open_at_risk(con: duckdb.DuckDBPyConnection, f: Filters, limit: int = 200,
                 late_only: bool = False) -> pd.DataFrame:
    """Open cases already late (or at risk, unless ``late_only``), sorted by how late: the
    longest past its step's deadline first (``overdue_hours``: calendar hours from the deadline
    to the run's as-of, negative = time still left), then the at-risk ones, soonest due first.
    A deadline is an instant, so steps measured in minutes and in days sort on one clock."""
    which = "o.is_late" if late_only else "(o.is_late OR o.status = 'at_risk')"
    sql, params = where(f, alias="o", extra=[(which, []), *case_period(f, "o")])
    return frame(con, f"""
        SELECT o.case_id, o.sop_id, o.agency, o.unit, o.current_step, o.current_lane, o.since_ts,
               o.used, o.std_max, o.std_unit, o.remaining, o.deadline_ts, o.status,
               (epoch_us(r.as_of) - epoch_us(o.deadline_ts)) / 3.6e9 AS overdue_hours,
               count(*) OVER () AS total
        FROM open_results o LEFT JOIN runs r ON r.run_id = o.run_id {sql}
        ORDER BY o.is_late DESC, o.deadline_ts ASC NULLS LAST,
                 o.remaining / nullif(o.std_max, 0) ASC NULLS LAST, o.sop_id, o.agency, o.case_id
        LIMIT ?""", [*params, limit])


def run_facts(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """The analysis runs behind the results in the filter: run id, as-of (the moment open
    cases are judged at), when it finished, the calendar version; the latest first. A run
    that only re-judged open cases at a later as-of (an incremental run without their events)
    wrote their ``open_cases`` rows, not their ``case_checks``: it is behind the results too."""
    sql, params = where(f, alias="c", day="first_day")
    return frame(con, f"""
        SELECT r.run_id, r.as_of, r.finished, r.calendar_version, r.parameters
        FROM runs r
        WHERE r.run_id IN (
            SELECT c.run_id FROM case_results c {sql}
            UNION
            SELECT o.run_id FROM open_results o
            JOIN case_results c ON c.sop_id = o.sop_id AND c.agency = o.agency AND c.case_id = o.case_id {sql})
        ORDER BY r.run_id DESC""", params + params)
