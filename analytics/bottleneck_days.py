"""bottleneck_days: the step completions beyond their standard per SOP, agency, unit, lane,
step and local day (migration 16).

The bottleneck call-out (``bottlenecks_between`` in event_logs/sql/views.sql) adds these rows
up instead of counting the distinct cases of every ``step_checks`` row on each read (~0.3 s of
Ringkasan's first view at 1M cases). A case on more than one row of a step (beyond the
standard on two days, or with step rows in two units) is named in ``repeat_cases`` of each, so
the distinct cases of any period and unit stay exact.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

# Ordered sums: a full and an incremental run add the same minutes in the same order, so they
# write equal rows to the last bit (analytics.incremental.differences compares them exactly).
_ROWS = """
WITH per_case AS (
    SELECT sop_id, agency, unit, lane, step_id, complete_day, case_id,
           count(*) AS occurrences, sum(excess_wm ORDER BY occurrence) AS excess_wm
    FROM step_checks WHERE excess_wm > 0 AND sop_id IN (SELECT unnest($sops)) GROUP BY ALL),
days AS (
    SELECT *, count(*) OVER (PARTITION BY sop_id, agency, lane, step_id, case_id) AS days FROM per_case)
SELECT $run_id, sop_id, agency, unit, lane, step_id, complete_day, count(*), sum(occurrences),
       sum(excess_wm ORDER BY case_id), list(case_id ORDER BY case_id) FILTER (WHERE days > 1)
FROM days GROUP BY sop_id, agency, unit, lane, step_id, complete_day"""


def write_bottleneck_days(con: duckdb.DuckDBPyConnection, run_id: int, sop_ids: Sequence[str]) -> None:
    """Replace the rows of ``sop_ids`` by the sums of their ``step_checks`` rows beyond the
    standard (all of them: an incremental run's kept rows as well as its new ones, so it writes
    what a full run writes)."""
    con.execute("DELETE FROM bottleneck_days WHERE sop_id IN (SELECT unnest(?))", [list(sop_ids)])
    con.execute(f"INSERT INTO bottleneck_days {_ROWS}", {"run_id": run_id, "sops": list(sop_ids)})
