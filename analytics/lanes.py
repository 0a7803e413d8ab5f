"""Lane stage of ``pantau analyze``: ``lane_stats`` and ``handovers`` from this run's
``step_checks``.

Formulas are in the SQL files ``sql/lanes_stats.sql`` and ``sql/lanes_handovers.sql`` and
in ``docs/mutu-baku.md`` ("Lanes"). The caller owns the transaction.
"""

from __future__ import annotations

from importlib.resources import files

import duckdb

from analytics.mutu_baku import case_partition_key
from analytics.standards import install_standards
from analytics.work_clock import add_work_clock, ensure_clock
from sop_models.model import SopModel


def _sql(name: str, run_id: int) -> str:
    text = files("analytics").joinpath("sql", name).read_text(encoding="utf-8")
    return text.replace("{run_id}", str(int(run_id)))


def build_lane_stats(con: duckdb.DuckDBPyConnection, run_id: int, models: dict[str, SopModel]) -> int:
    """Insert ``lane_stats`` rows (SOP x agency x lane x local month) for run ``run_id``.

    Returns the number of rows written.
    """
    install_standards(con, models)
    ensure_clock(con)
    before = con.execute("SELECT count(*) FROM lane_stats").fetchall()[0][0]
    con.execute(_sql("lanes_stats.sql", run_id))
    return int(con.execute("SELECT count(*) FROM lane_stats").fetchall()[0][0] - before)


def build_handovers(con: duckdb.DuckDBPyConnection, run_id: int, models: dict[str, SopModel]) -> int:
    """Insert ``handovers`` rows (SOP x agency x from_lane x to_lane) for run ``run_id``.

    Needs the working calendar (for the delays) and the run's Mutu Baku case facts (rebuilt
    when missing). Returns the number of rows written.
    """
    key = case_partition_key(con, run_id, models, "sc")
    pairs = f"""
        SELECT p.*, s.calendar_id
        FROM (
            SELECT sc.sop_id, sc.agency, sc.lane AS to_lane,
                   lag(sc.lane) OVER w AS from_lane,
                   lag(sc.complete_ts) OVER w AS from_ts,
                   coalesce(sc.start_ts, sc.complete_ts) AS to_ts
            FROM step_checks sc
            WHERE sc.run_id = {int(run_id)}
            WINDOW w AS (PARTITION BY {key} ORDER BY sc.complete_ts, sc.complete_event_id)
        ) p
        JOIN mutu_baku_sops s ON s.sop_id = p.sop_id
        WHERE p.from_lane IS NOT NULL AND p.to_lane IS NOT NULL AND p.from_lane <> p.to_lane"""
    con.execute("CREATE OR REPLACE TEMP TABLE mutu_baku_handover_pairs AS "
                + add_work_clock(pairs, ["from_ts", "to_ts"]))
    before = con.execute("SELECT count(*) FROM handovers").fetchall()[0][0]
    try:
        con.execute(_sql("lanes_handovers.sql", run_id))
    finally:
        con.execute("DROP TABLE IF EXISTS mutu_baku_handover_pairs")
    return int(con.execute("SELECT count(*) FROM handovers").fetchall()[0][0] - before)
