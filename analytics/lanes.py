"""Lane stage of ``pantau analyze``: ``lane_stats`` and ``handovers`` from this run's
``step_checks``.

Formulas are in the SQL files ``sql/results/lane_stats.sql`` and ``sql/results/handovers.sql`` and
in ``docs/mutu-baku.md`` ("Lanes"). The caller owns the transaction.
"""

from __future__ import annotations

import contextlib

import duckdb

from analytics import sql_files
from analytics.incremental import scope_sql
from analytics.lane_scope import lane_steps
from analytics.standards import install_standards
from analytics.work_clock import add_work_clock, ensure_clock
from sop_models.model import SopModel

# Past this many step rows a full run's lane statements run once per share of the (SOP, agency,
# unit) keys (every output row is of one such key): their aggregates and sorts spilled past 50
# GB at 10M cases (89.7M step rows), more than the machine's free disk. A share holds about
# this many rows when the units are many; one unit's rows are never split.
LANE_CHUNK_ROWS = 15_000_000


def lane_chunks(con: duckdb.DuckDBPyConnection, run_id: int, incremental: bool) -> int:
    """How many shares of the (SOP, agency, unit) keys the lane statements run in (one in an
    incremental run: its rows are the recomputed keys')."""
    if incremental:
        return 1
    (n,) = con.execute("SELECT count(*) FROM step_checks WHERE run_id = ?", [int(run_id)]).fetchall()[0]
    return max(1, -(-int(n) // LANE_CHUNK_ROWS))


def _rows(alias: str, run_id: int, incremental: bool, chunk: tuple[int, int] = (0, 1)) -> str:
    if not incremental:
        part, parts = chunk
        share = f" AND hash({alias}.sop_id, {alias}.agency, {alias}.unit) % {int(parts)} = {int(part)}"
        return f"{alias}.run_id = {int(run_id)}" + (share if parts > 1 else "")
    # step_checks is the scope's rows here (lane_scope.lane_steps)
    return f"{alias}.sop_id IN (SELECT sop_id FROM mutu_baku_sops)"


def _lane_rows(con: duckdb.DuckDBPyConnection, incremental: bool) -> contextlib.AbstractContextManager:
    return lane_steps(con) if incremental else contextlib.nullcontext()


def build_lane_stats(con: duckdb.DuckDBPyConnection, run_id: int, models: dict[str, SopModel], *,
                     incremental: bool = False) -> int:
    """Insert ``lane_stats`` rows (SOP x agency x lane x local month) for run ``run_id``.

    ``incremental``: only the keys of ``run_scope_lanes`` (and every key of the SOPs analysed
    full), from every current ``step_checks`` row that may count in them (``run_scope_lane_steps``,
    :mod:`analytics.lane_scope`). Returns the
    number of rows written.
    """
    install_standards(con, models)
    ensure_clock(con)
    before = con.execute("SELECT count(*) FROM lane_stats").fetchall()[0][0]
    parts = lane_chunks(con, run_id, incremental)
    with _lane_rows(con, incremental):
        for part in range(parts):
            sql_files.run(con, "results/lane_stats.sql", run_id=int(run_id),
                          rows=_rows("s", run_id, incremental, (part, parts)),
                          keys=scope_sql("lane_keys", "u", incremental))
    return int(con.execute("SELECT count(*) FROM lane_stats").fetchall()[0][0] - before)


def build_handovers(con: duckdb.DuckDBPyConnection, run_id: int, models: dict[str, SopModel], *,
                    incremental: bool = False) -> int:
    """Insert ``handovers`` rows (SOP x agency x unit x month x from_lane x to_lane) for run ``run_id``.

    A handover is a step occurrence whose predecessor (``step_checks.prev_step_id``, written
    by the Mutu Baku stage) is in another lane; needs the working calendar (for the delays).
    ``incremental``: as in :func:`build_lane_stats`. Returns the number of rows written.
    """
    install_standards(con, models)
    ensure_clock(con)
    before = con.execute("SELECT count(*) FROM handovers").fetchall()[0][0]
    parts = lane_chunks(con, run_id, incremental)
    for part in range(parts):
        pairs = sql_files.render("intermediate/handover_pairs.sql",
                                 rows=_rows("sc", run_id, incremental, (part, parts)))
        with _lane_rows(con, incremental):
            con.execute("CREATE OR REPLACE TEMP TABLE mutu_baku_handover_pairs AS "
                        + add_work_clock(pairs, ["from_ts", "to_ts"]))
        if incremental:  # the rows read were a superset: keep the pairs of the recomputed keys
            con.execute("DELETE FROM mutu_baku_handover_pairs p WHERE NOT "
                        + scope_sql("lane_keys", "p", True))
        try:
            sql_files.run(con, "results/handovers.sql", run_id=int(run_id))
        finally:
            con.execute("DROP TABLE IF EXISTS mutu_baku_handover_pairs")
    return int(con.execute("SELECT count(*) FROM handovers").fetchall()[0][0] - before)
