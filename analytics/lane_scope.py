"""Incremental analysis, the lane tables (issue 16.1): which (SOP, agency, unit, local month)
keys of ``lane_stats`` and ``handovers`` an incremental run recomputes, and the step occurrences
their statements read.

A key is recomputed when a touched case's step occurrences changed in it: its old
``step_checks`` rows (``run_prev_steps``, snapshot by :func:`analytics.incremental.install_scope`)
that are not among this run's, and this run's that were not among the old. Those rows are all the
lane statements read, so a key whose rows are the same multiset as before would get the same
rows again. A full SOP's keys are all recomputed (``run_scope_full``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import duckdb

# The step_checks columns the lane statements read (sql/results/lane_stats.sql,
# sql/intermediate/handover_pairs.sql): only these are fetched for a recomputed key's rows, 13
# of the 33 columns (the fetch and the copy of ~500k rows at 1M cases were most of the lane
# stage). A lane statement reading another column fails to bind in an incremental run
# (tests/test_incremental.py), never reads a wrong value.
LANE_COLUMNS = ("sop_id", "agency", "unit", "lane", "case_id", "status", "waiting_wm", "processing_wm",
                "enabled_ts", "start_ts", "complete_ts", "prev_step_id", "prev_complete_ts")
_LANE_SELECT = ", ".join(f"x.{c}" for c in LANE_COLUMNS)

SAME_LANE_KEY = "k.sop_id = {a}.sop_id AND k.agency IS NOT DISTINCT FROM {a}.agency AND k.unit IS NOT DISTINCT FROM {a}.unit"

# The (SOP, agency, unit, local month) keys a step_checks row counts in: the months from its
# enabling to its completion (lane_stats' WIP) include the month of its completion (its counts,
# medians and handovers).
_LANE_KEYS = """
SELECT DISTINCT sop_id, agency, unit,
       unnest(generate_series(date_trunc('month', least(coalesce(enabled_local, complete_local), complete_local)),
                              date_trunc('month', complete_local), INTERVAL 1 MONTH))::DATE AS month
FROM (
    SELECT s.sop_id, s.agency, s.unit,
           work_clock_local(s.enabled_ts, z.offset_us, m.timezone) AS enabled_local,
           work_clock_local(s.complete_ts, z.offset_us, m.timezone) AS complete_local
    FROM run_scope_lane_diff s
    JOIN mutu_baku_sops m ON m.sop_id = s.sop_id
    LEFT JOIN work_clock_zone z ON z.calendar_id = m.calendar_id
)"""
# The touched cases' step occurrences that changed: the old rows (run_prev_steps) not among
# this run's and this run's not among the old, run ids left out (EXCEPT ALL: a row counted twice
# before and once now is a change; NULLs compare equal). {new} is this run's rows of the scope.
_LANE_DIFF = """
CREATE OR REPLACE TEMP TABLE run_scope_lane_diff AS
(SELECT * FROM run_prev_steps EXCEPT ALL {new})
UNION ALL
({new} EXCEPT ALL SELECT * FROM run_prev_steps)"""

# The step_checks rows that may count in a recomputed lane key, copied once (the lane
# statements read them four times, through lane_steps). A row counts in the local months from
# its enabling to its completion; a local month lies within the UTC months of the instant two
# days before and two days after (no zone is two days off UTC), so [m0, m1] below holds every
# month the row counts in (a superset). (The months are taken of a plain TIMESTAMP: date_trunc
# of a TIMESTAMPTZ goes through ICU's zone rules, ~1.5 CPU s per million rows.) First the units'
# month ranges narrow the rows (plain comparisons, the one pass over step_checks); then most
# rows, whose [m0, m1] is one month, meet the keys in an equality join, and the rest one row
# per month of their range (an EXISTS with ranges costs 20-40x more on a million step
# occurrences). Both read only the columns they compare; the rows found are fetched by rowid at
# the end (DuckDB 2 fetches only those: cheaper than taking every column of every candidate
# through the join).
_LANE_ROWS = """
CREATE OR REPLACE TEMP TABLE run_scope_lane_candidates AS
SELECT x.rowid AS lane_row_id, x.sop_id, x.agency, x.unit,
       date_trunc('month', make_timestamp(epoch_us(coalesce(least(x.enabled_ts, x.complete_ts), x.complete_ts)))
                  - INTERVAL 2 DAY)::DATE AS lane_m0,
       date_trunc('month', make_timestamp(epoch_us(x.complete_ts)) + INTERVAL 2 DAY)::DATE AS lane_m1
FROM step_checks x SEMI JOIN run_scope_lane_units k
    ON k.sop_id = x.sop_id AND k.agency IS NOT DISTINCT FROM x.agency
   AND k.unit IS NOT DISTINCT FROM x.unit AND x.complete_ts >= k.first_month - INTERVAL 2 DAY
   AND coalesce(least(x.enabled_ts, x.complete_ts), x.complete_ts) < k.last_month + INTERVAL 33 DAY;
CREATE OR REPLACE TEMP TABLE run_scope_lane_steps AS
WITH months AS (
    SELECT lane_row_id, sop_id, agency, unit, lane_m0 AS month FROM run_scope_lane_candidates
    WHERE lane_m0 = lane_m1
    UNION ALL
    SELECT lane_row_id, sop_id, agency, unit,
           unnest(generate_series(lane_m0, lane_m1, INTERVAL 1 MONTH))::DATE AS month
    FROM run_scope_lane_candidates WHERE lane_m0 < lane_m1
),
hits AS (
    SELECT DISTINCT m.lane_row_id FROM months m SEMI JOIN run_scope_lanes k
        ON k.sop_id = m.sop_id AND k.agency IS NOT DISTINCT FROM m.agency
       AND k.unit IS NOT DISTINCT FROM m.unit AND k.month = m.month
)
SELECT {columns} FROM step_checks x WHERE x.rowid IN (SELECT lane_row_id FROM hits);
DROP TABLE run_scope_lane_candidates"""
def delete_lane_keys(con: duckdb.DuckDBPyConnection, run_id: int) -> None:
    """``run_scope_lanes``: the keys of the touched cases' changed step occurrences (the module
    docstring); delete the incremental SOPs' ``lane_stats`` and ``handovers`` rows of every key
    in it. (This run's rows of an incremental SOP are those of its touched cases.)"""
    con.execute(_LANE_DIFF.format(new=f"SELECT s.* EXCLUDE (run_id) FROM step_checks s WHERE s.run_id = {int(run_id)} "
                                      "AND s.sop_id IN (SELECT sop_id FROM run_scope_incremental)"))
    con.execute("CREATE OR REPLACE TEMP TABLE run_scope_lanes AS " + _LANE_KEYS)
    con.execute("DROP TABLE run_scope_lane_diff")
    con.execute("CREATE OR REPLACE TEMP TABLE run_scope_lane_units AS SELECT sop_id, agency, unit, "
                "min(month) AS first_month, max(month) AS last_month FROM run_scope_lanes GROUP BY ALL")
    con.execute(_LANE_ROWS.replace("{columns}", _LANE_SELECT))
    if con.execute("SELECT count(*) FROM run_scope_full").fetchall()[0][0]:  # and every row of a full SOP
        con.execute(f"INSERT INTO run_scope_lane_steps SELECT {_LANE_SELECT} FROM step_checks x "
                    "WHERE sop_id IN (SELECT sop_id FROM run_scope_full)")
    for table in ("lane_stats", "handovers"):
        con.execute(f"DELETE FROM {table} x USING run_scope_lanes k "
                    f"WHERE {SAME_LANE_KEY.format(a='x')} AND k.month = x.month")


@contextlib.contextmanager
def lane_steps(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Within the block, ``step_checks`` means the rows an incremental run's lane statements
    read (``run_scope_lane_steps``, after :func:`delete_lane_keys`): a temp view of that name
    shadows the stored table, so the lane SQL runs unchanged on a few thousand rows instead
    of filtering millions. Nothing may write ``step_checks`` meanwhile."""
    con.execute("CREATE OR REPLACE TEMP VIEW step_checks AS SELECT * FROM run_scope_lane_steps")
    try:
        yield
    finally:
        con.execute("DROP VIEW IF EXISTS temp.main.step_checks")
