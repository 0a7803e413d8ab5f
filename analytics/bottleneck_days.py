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
# {rows} is the step_checks rows beyond the standard that are summed; {keys} the days kept.
_ROWS = """
WITH per_case AS (
    SELECT sop_id, agency, unit, lane, step_id, complete_day, case_id,
           count(*) AS occurrences, sum(excess_wm ORDER BY occurrence) AS excess_wm
    FROM ({rows}) GROUP BY ALL),
days AS (
    SELECT *, count(*) OVER (PARTITION BY sop_id, agency, lane, step_id, case_id) AS days FROM per_case)
SELECT $run_id, sop_id, agency, unit, lane, step_id, complete_day, count(*), sum(occurrences),
       sum(excess_wm ORDER BY case_id), list(case_id ORDER BY case_id) FILTER (WHERE days > 1)
FROM days {keys} GROUP BY sop_id, agency, unit, lane, step_id, complete_day"""
_BEYOND = "SELECT * FROM step_checks WHERE excess_wm > 0 AND sop_id IN (SELECT unnest($sops))"

# a row of day k (its key), and a case's rows of step k (on any day, in any unit); NULLs match
_SAME_DAY = ("k.sop_id = {a}.sop_id AND k.agency IS NOT DISTINCT FROM {a}.agency "
             "AND k.unit IS NOT DISTINCT FROM {a}.unit AND k.lane IS NOT DISTINCT FROM {a}.lane "
             "AND k.step_id IS NOT DISTINCT FROM {a}.step_id AND k.complete_day IS NOT DISTINCT FROM {a}.complete_day")
_SAME_STEP = ("k.sop_id = {a}.sop_id AND k.case_id = {a}.case_id AND k.agency IS NOT DISTINCT FROM {a}.agency "
              "AND k.lane IS NOT DISTINCT FROM {a}.lane AND k.step_id IS NOT DISTINCT FROM {a}.step_id")

# An incremental run's days to rewrite: those of the touched cases' rows beyond the standard,
# as the last run wrote them (run_prev_steps, analytics.incremental.install_scope) and as this
# run wrote them. A day's row reads its cases' rows of the step on every day (`days`); a case
# whose rows did not change keeps its count, so no other day's row can change.
_DAYS = """
CREATE OR REPLACE TEMP TABLE run_scope_bottleneck_days AS
SELECT DISTINCT sop_id, agency, unit, lane, step_id, complete_day FROM run_prev_steps
WHERE excess_wm > 0 AND sop_id IN (SELECT unnest($sops))
UNION
SELECT DISTINCT sop_id, agency, unit, lane, step_id, complete_day FROM step_checks
WHERE run_id = $run_id AND excess_wm > 0 AND sop_id IN (SELECT unnest($sops))"""
# the rows beyond the standard of every case on such a day, on all the step's days
_DAY_ROWS = f"""
WITH beyond AS ({_BEYOND}),
day_cases AS (
    SELECT DISTINCT x.sop_id, x.agency, x.lane, x.step_id, x.case_id FROM beyond x
    SEMI JOIN run_scope_bottleneck_days k ON {_SAME_DAY.format(a='x')})
SELECT x.* FROM beyond x SEMI JOIN day_cases k ON {_SAME_STEP.format(a='x')}"""


def write_bottleneck_days(con: duckdb.DuckDBPyConnection, run_id: int, sop_ids: Sequence[str],
                          incremental: Sequence[str] = ()) -> None:
    """Replace the rows of ``sop_ids`` by the sums of their ``step_checks`` rows beyond the
    standard. An SOP in ``incremental`` (analysed incrementally: needs the scope of
    :func:`analytics.incremental.install_scope`) gets only the days its touched cases' rows
    were or are on rewritten, from all the step rows of those days' cases, so it holds what a
    full run writes."""
    scoped = [s for s in sop_ids if s in incremental]
    full = [s for s in sop_ids if s not in incremental]
    if full:
        con.execute("DELETE FROM bottleneck_days WHERE sop_id IN (SELECT unnest(?))", [full])
        con.execute(f"INSERT INTO bottleneck_days {_ROWS.format(rows=_BEYOND, keys='')}",
                    {"run_id": run_id, "sops": full})
    if scoped:
        con.execute(_DAYS, {"run_id": run_id, "sops": scoped})
        con.execute(f"DELETE FROM bottleneck_days x USING run_scope_bottleneck_days k WHERE {_SAME_DAY.format(a='x')}")
        keys = f"x SEMI JOIN run_scope_bottleneck_days k ON {_SAME_DAY.format(a='x')}"
        con.execute(f"INSERT INTO bottleneck_days {_ROWS.format(rows=_DAY_ROWS, keys=keys)}",
                    {"run_id": run_id, "sops": scoped})
        con.execute("DROP TABLE run_scope_bottleneck_days")
