"""Units side by side: a league table of service units (puskesmas, kelurahan, panti) per SOP.

Every figure is a metric macro of the store (``on_time_share``, ``median_throughput_hours``,
``open_late``, ``on_time_target``) with the counts behind it, grouped on the SOP, the agency
and the unit: the same definitions as Ringkasan's, so a unit's row adds up to its SOP's.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard.filters import Filters, where
from dashboard.queries.base import case_period, frame


def unit_league(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """One row per SOP, agency and service unit: cases, closed, on time (count and share), the
    target the share is read against, median throughput (closed cases) and open cases late now.
    Sorted by SOP, then the lowest on-time share first (the units needing attention)."""
    sql, params = where(f, day="first_day")
    osql, oparams = where(f, alias="o", extra=case_period(f, "o"))
    return frame(con, f"""
        WITH c AS (
            SELECT sop_id, agency, unit,
                   count(*) AS cases,
                   count(*) FILTER (WHERE is_closed) AS closed,
                   count(*) FILTER (WHERE on_time) AS on_time,
                   -- the closed cases the share is over (a case of a log without times is not measured)
                   count(*) FILTER (WHERE is_closed AND on_time IS NOT NULL) AS closed_measured,
                   on_time_share(on_time) AS on_time_share,
                   median_throughput_hours(throughput_hours, is_closed) AS median_throughput_hours
            FROM case_results {sql}
            GROUP BY sop_id, agency, unit),
        o AS (
            SELECT o.sop_id, o.agency, o.unit, open_late(o.is_late) AS late
            FROM open_results o {osql}
            GROUP BY o.sop_id, o.agency, o.unit),
        t AS (
            SELECT sop_id, agency, on_time_target(sop_id, agency) AS target
            FROM (SELECT DISTINCT sop_id, agency FROM c))
        SELECT c.*, coalesce(o.late, 0) AS late, t.target
        FROM c
        LEFT JOIN o ON o.sop_id = c.sop_id AND o.agency = c.agency
                   AND o.unit IS NOT DISTINCT FROM c.unit
        LEFT JOIN t ON t.sop_id = c.sop_id AND t.agency = c.agency
        ORDER BY c.sop_id, c.agency, c.on_time_share ASC NULLS LAST, c.unit NULLS LAST""",
        [*params, *oparams])
