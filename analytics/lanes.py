"""Lane stage of ``pantau analyze``: ``lane_stats`` and ``handovers`` from this run's
``step_checks``.

Formulas are in the SQL files ``sql/lanes_stats.sql`` and ``sql/lanes_handovers.sql`` and
in ``docs/mutu-baku.md`` ("Lanes"). The caller owns the transaction.
"""

from __future__ import annotations

from importlib.resources import files

import duckdb

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
    """Insert ``handovers`` rows (SOP x agency x unit x month x from_lane x to_lane) for run ``run_id``.

    A handover is a step occurrence whose predecessor (``step_checks.prev_step_id``, written
    by the Mutu Baku stage) is in another lane; needs the working calendar (for the delays).
    Returns the number of rows written.
    """
    install_standards(con, models)
    ensure_clock(con)
    # consecutive step occurrences of a case: step_checks carries each one's predecessor
    pairs = f"""
        SELECT sc.sop_id, sc.agency, sc.unit, sc.lane AS to_lane, ps.lane AS from_lane,
               date_trunc('month', work_clock_local(sc.complete_ts, z.offset_us, s.timezone))::DATE
                   AS month,
               sc.prev_complete_ts AS from_ts, coalesce(sc.start_ts, sc.complete_ts) AS to_ts,
               s.calendar_id
        FROM step_checks sc
        JOIN mutu_baku_standards ps ON ps.sop_id = sc.sop_id AND ps.step_id = sc.prev_step_id
        JOIN mutu_baku_sops s ON s.sop_id = sc.sop_id
        LEFT JOIN work_clock_zone z ON z.calendar_id = s.calendar_id
        WHERE sc.run_id = {int(run_id)} AND sc.lane IS NOT NULL AND ps.lane IS NOT NULL
          AND sc.lane <> ps.lane"""
    con.execute("CREATE OR REPLACE TEMP TABLE mutu_baku_handover_pairs AS "
                + add_work_clock(pairs, ["from_ts", "to_ts"]))
    before = con.execute("SELECT count(*) FROM handovers").fetchall()[0][0]
    try:
        con.execute(_sql("lanes_handovers.sql", run_id))
    finally:
        con.execute("DROP TABLE IF EXISTS mutu_baku_handover_pairs")
    return int(con.execute("SELECT count(*) FROM handovers").fetchall()[0][0] - before)
