"""``pantau analyze`` as one run: the pm4py worker thread, failures, repeatability.

The conformance stage's pm4py part runs in a worker thread while DuckDB judges the steps
(analytics/run.py); these tests pin what that must not change: a failing stage stops the
worker and rolls the whole run back, and two runs over the same store write the same
numbers.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from analytics import analyze, conformance, mutu_baku
from analytics.run import RESULT_TABLES
from event_logs import SCHEMA_VERSION, init_store, open_store
from pantau.errors import AnalysisError, SchemaVersionError


def _counts(db: Path) -> dict[str, int]:
    con = open_store(db)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                for t in (*RESULT_TABLES, "runs")}
    finally:
        con.close()


def test_a_failing_stage_stops_the_pm4py_worker_and_keeps_the_old_results(
        analysed_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "copy.duckdb"
    shutil.copyfile(analysed_db, db)
    before = _counts(db)
    checked: list[int] = []
    real_check = conformance._check_variants

    def slow_check(*args, **kwargs):  # each SOP's variants take a while: the stop must cut in
        checked.append(1)
        time.sleep(0.5)
        return real_check(*args, **kwargs)

    def failing_steps(*args, **kwargs):
        time.sleep(0.2)  # the worker is running by now
        raise AnalysisError("disk full (test)")

    monkeypatch.setattr(conformance, "_check_variants", slow_check)
    monkeypatch.setattr(mutu_baku, "build_step_checks", failing_steps)
    started = time.perf_counter()
    with pytest.raises(AnalysisError, match="disk full"):
        analyze(db, full=True)  # a full run: every SOP's variants go to the worker
    # the worker stopped at its next variant instead of checking the other SOPs
    assert len(checked) == 1
    assert time.perf_counter() - started < 30
    assert _counts(db) == before  # rolled back: the previous run's results are intact


def test_two_runs_write_the_same_results(analysed_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "again.duckdb"
    shutil.copyfile(analysed_db, db)
    second = analyze(db, full=True)  # the same events again, every case recomputed
    assert second.stage_seconds["conformance_pm4py"] > 0
    con = open_store(db)
    try:
        first_run = con.execute("SELECT min(run_id) FROM runs").fetchall()[0][0]
        assert first_run != second.run_id
        # the store kept only the new run's rows; compare them with the fixture's
        con.execute(f"ATTACH '{analysed_db}' AS old (READ_ONLY)")
        for table in RESULT_TABLES:
            cols = [r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_catalog = current_database() AND table_name = ? AND column_name <> 'run_id' "
                "ORDER BY ordinal_position", [table]).fetchall()]
            sel = ", ".join(f'"{c}"' for c in cols)
            diff = con.execute(
                f"SELECT (SELECT count(*) FROM (SELECT {sel} FROM {table} EXCEPT ALL SELECT {sel} FROM old.{table})),"
                f" (SELECT count(*) FROM (SELECT {sel} FROM old.{table} EXCEPT ALL SELECT {sel} FROM {table})),"
                f" (SELECT count(*) FROM {table})").fetchall()[0]
            assert diff[:2] == (0, 0), (table, diff)
            assert diff[2] > 0, table
    finally:
        con.close()


def _version_1_store(analysed_db: Path, db: Path) -> None:
    """A store as Pantau 0.1 of schema version 1 left it: events carrying the step and lane
    the import mapped them to, result tables an older analyze created without the
    directly-follows columns."""
    import duckdb

    from event_logs.store import sql_text

    con = duckdb.connect(str(db))
    try:
        con.execute(sql_text("migrations/0001_store.sql"))
        con.execute("INSERT INTO schema_info VALUES ('schema_version', '1'), ('pantau_version', '0.1')")
        con.execute(f"ATTACH '{analysed_db}' AS src (READ_ONLY)")
        con.execute("INSERT INTO imports SELECT * FROM src.imports")
        con.execute("INSERT INTO cases SELECT * FROM src.cases")
        con.execute("""
            INSERT INTO events BY NAME
            SELECT e.* EXCLUDE (attributes), l.step_id, s.lane  -- (attributes: schema version 8)
            FROM src.events e
            LEFT JOIN src.activity_labels l ON l.sop_id = e.sop_id AND l.label = e.activity
            LEFT JOIN (SELECT m.sop_id, st.step_id, st.lane FROM src.models m
                       JOIN src.model_steps st USING (model_sha256)) s
                ON s.sop_id = e.sop_id AND s.step_id = l.step_id""")
        con.execute(sql_text("migrations/0002_results.sql"))
        for column in ("prev_step_id", "prev_complete_ts", "next_step_id"):
            con.execute(f"ALTER TABLE step_checks DROP COLUMN {column}")
        con.execute("DETACH src")
    finally:
        con.close()


def test_a_store_of_schema_version_1_is_refused_by_readers_and_migrated_by_init(
        analysed_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    _version_1_store(analysed_db, db)
    with pytest.raises(SchemaVersionError, match="older than this Pantau") as err:
        open_store(db)  # the dashboard and notebooks: a clear error with the way out
    assert "pantau init --db" in str(err.value)
    assert init_store(db) == SCHEMA_VERSION
    con = open_store(db)
    try:  # the import-time mappings became explicit rows of the mapping table
        migrated = con.execute("SELECT count(*), count(DISTINCT source) FROM activity_map").fetchall()[0]
        columns = {r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'events'").fetchall()}
    finally:
        con.close()
    assert migrated[0] > 0 and migrated[1] == 1
    assert not {"step_id", "lane"} & columns  # events keep what the file said
    analyze(db)
    con = open_store(db, read_only=True)
    try:
        filled = con.execute("SELECT count(prev_step_id), count(next_step_id), count(*) FROM step_checks").fetchall()[0]
        con.execute(f"ATTACH '{analysed_db}' AS src (READ_ONLY)")
        same = con.execute("""
            SELECT count(*) FROM (
                SELECT case_id, sop_id, step_id, occurrence, status, elapsed FROM step_checks
                EXCEPT ALL
                SELECT case_id, sop_id, step_id, occurrence, status, elapsed
                FROM src.step_checks)""").fetchall()[0][0]
    finally:
        con.close()
    assert same == 0  # the migrated store analyses to the same findings
    assert 0 < filled[0] < filled[2] and 0 < filled[1] < filled[2]
