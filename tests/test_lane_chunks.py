"""The lane statements in shares of the (SOP, agency, unit) keys (analytics.lanes.LANE_CHUNK_ROWS):
past that many step rows a full run writes ``lane_stats`` and ``handovers`` a share at a time, so
their aggregates spill no more than one share's rows; the rows are what one statement over all
the step rows gives."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from analytics import analyze, lanes
from analytics.incremental import differences


def test_the_lane_statements_in_shares_write_what_one_statement_writes(
        analysed_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole, shared = tmp_path / "whole.duckdb", tmp_path / "shared.duckdb"
    shutil.copyfile(analysed_db, whole)
    shutil.copyfile(analysed_db, shared)
    analyze(whole, full=True)
    con = duckdb.connect(str(analysed_db), read_only=True)
    rows = con.execute("SELECT count(*) FROM step_checks").fetchall()[0][0]
    con.close()
    monkeypatch.setattr(lanes, "LANE_CHUNK_ROWS", rows // 7)
    parts: list[int] = []
    real = lanes.lane_chunks
    monkeypatch.setattr(lanes, "lane_chunks", lambda *a: parts.append(real(*a)) or parts[-1])
    analyze(shared, full=True)
    assert parts == [7, 7] or parts == [8, 8]  # lane_stats, then handovers
    assert differences(shared, whole) == {}
    con = duckdb.connect(str(shared), read_only=True)
    try:
        # each key written by one share: no (SOP, agency, unit, lane, month) twice
        dup = con.execute("SELECT count(*) FROM (SELECT sop_id, agency, unit, lane, month FROM lane_stats "
                          "GROUP BY ALL HAVING count(*) > 1)").fetchall()[0][0]
        n = con.execute("SELECT count(*) FROM lane_stats").fetchall()[0][0]
        h = con.execute("SELECT count(*) FROM handovers").fetchall()[0][0]
    finally:
        con.close()
    assert dup == 0 and n > 100 and h > 100
