"""Incremental analysis (issue 16.1): after new imports an analyse recomputes only what they can
change, and its results equal a full run's on the same events.

The store: a simulated log from which some events are held back before the first analysis and
imported afterwards through the real ingest (CSV files, one per SOP): the last events of open and
closed cases (new events extending cases), a middle event of others (events older than the last
run's as-of, filling a gap), and whole cases (new ones). Then one copy is analysed incrementally
and one with ``--full``, and every result table is compared with EXCEPT ALL both ways, run ids
left out.
"""

from __future__ import annotations

import csv
import json
import shutil
from datetime import UTC
from pathlib import Path

import duckdb
import pytest

from analytics import analyze
from analytics.incremental import differences
from event_logs import open_store
from event_logs.ingest import ingest_file
from event_logs.mapping import set_mapping
from event_logs.simulator import simulate

HEADER = ["case_id", "activity", "lifecycle", "timestamp", "resource", "agency", "unit"]


def _hold_back(db: Path, out: Path) -> list[tuple[str, Path]]:
    """Take events out of the store into one CSV per SOP (see the module docstring)."""
    con = duckdb.connect(str(db))
    try:
        con.execute("""
            CREATE TEMP TABLE ranked AS
            SELECT e.*, row_number() OVER (PARTITION BY sop_id, agency, case_id ORDER BY ts DESC, event_id DESC) AS from_end,
                   count(*) OVER (PARTITION BY sop_id, agency, case_id) AS n,
                   hash(sop_id, case_id) % 100 AS h
            FROM events e;
            CREATE TEMP TABLE held AS
            SELECT * FROM ranked
            WHERE (h < 6 AND from_end <= 2 AND n > 3)          -- the last events of a case
               OR (h BETWEEN 6 AND 8 AND from_end = n / 2)      -- a middle one: older than the last run
               OR (h = 9)                                       -- whole cases: new ones""")
        con.execute("DELETE FROM events WHERE event_id IN (SELECT event_id FROM held)")
        con.execute("DELETE FROM cases c WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.sop_id = c.sop_id "
                    "AND e.case_id = c.case_id)")
        files = []
        for (sop_id,) in con.execute("SELECT DISTINCT sop_id FROM held ORDER BY 1").fetchall():
            rows = con.execute(
                "SELECT case_id, activity, lifecycle, strftime(ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ'), "
                "resource, agency, unit FROM held WHERE sop_id = ? ORDER BY ts, event_id", [sop_id]).fetchall()
            path = out / f"{sop_id}.csv"
            with path.open("w", newline="", encoding="utf-8") as f:
                writer = csv.writer(f)
                writer.writerow(HEADER)
                writer.writerows(rows)
            files.append((sop_id, path))
        return files
    finally:
        con.close()


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[str, Path]]]:
    """An analysed store with held-back events in CSV files, not yet imported."""
    root = tmp_path_factory.mktemp("incremental")
    db = root / "base.duckdb"
    simulate(db, cases=400, seed=11)
    con = duckdb.connect(str(db))
    # whole-second timestamps: the CSV round trip keeps them exactly
    con.execute("UPDATE events SET ts = date_trunc('second', ts)")
    con.execute("UPDATE cases SET first_ts = date_trunc('second', first_ts), last_ts = date_trunc('second', last_ts)")
    con.close()
    files = _hold_back(db, root)
    analyze(db)
    return db, files


def _import(db: Path, files: list[tuple[str, Path]]) -> None:
    for sop_id, path in files:
        con = duckdb.connect(str(db), read_only=True)
        agency = con.execute("SELECT any_value(agency) FROM events WHERE sop_id = ?", [sop_id]).fetchall()[0][0]
        con.close()
        ingest_file(db, path, sop_id=sop_id, agency=agency)


def _pair(stores: tuple[Path, list[tuple[str, Path]]], tmp_path: Path) -> tuple[Path, Path]:
    db, files = stores
    inc, full = tmp_path / "inc.duckdb", tmp_path / "full.duckdb"
    shutil.copyfile(db, inc)
    _import(inc, files)
    shutil.copyfile(inc, full)
    return inc, full


def _runs(db: Path) -> list[tuple[str, dict]]:
    con = open_store(db)
    try:
        return [(k, json.loads(r)) for k, r in con.execute(
            "SELECT kind, recomputed::VARCHAR FROM runs ORDER BY run_id").fetchall()]
    finally:
        con.close()


def test_new_events_recompute_only_their_cases_and_equal_a_full_run(stores, tmp_path: Path) -> None:
    inc, full = _pair(stores, tmp_path)
    result = analyze(inc)
    assert result.kind == "incremental"
    whole = analyze(full, full=True)
    assert whole.kind == "full"
    assert differences(inc, full) == {}
    # counted from the last run's figures plus the day's, as a full run counts them
    assert (result.event_count, result.case_count) == (whole.event_count, whole.case_count)
    kind, record = _runs(inc)[-1]
    assert kind == "incremental"
    sops = record["sops"]
    con = open_store(inc)
    try:
        total = con.execute("SELECT count(*) FROM case_checks").fetchall()[0][0]
        opened = con.execute("SELECT count(*) FROM case_checks WHERE is_open").fetchall()[0][0]
    finally:
        con.close()
    recomputed = sum(s["cases"] + s["open_rejudged"] for s in sops.values())
    # the touched cases and the open ones, not all of them
    assert opened <= recomputed < total / 3
    assert all(s["kind"] == "incremental" for s in sops.values())


def test_a_second_run_without_new_events_only_rejudges_open_cases(stores, tmp_path: Path) -> None:
    db, _ = stores
    again, full = tmp_path / "again.duckdb", tmp_path / "full.duckdb"
    shutil.copyfile(db, again)
    shutil.copyfile(db, full)
    later = "2025-01-15"  # a later as-of moves every open case's standing
    analyze(again, as_of=later)
    analyze(full, as_of=later, full=True)
    assert differences(again, full) == {}
    _, record = _runs(again)[-1]
    con = open_store(again)
    try:
        opened = con.execute("SELECT count(*) FROM case_checks WHERE is_open").fetchall()[0][0]
    finally:
        con.close()
    # no case has new events: only the open ones' open_cases rows are measured again
    assert sum(s["cases"] for s in record["sops"].values()) == 0
    assert sum(s["open_rejudged"] for s in record["sops"].values()) == opened


def test_a_mapping_change_makes_that_sop_full(stores, tmp_path: Path) -> None:
    inc, full = _pair(stores, tmp_path)
    con = open_store(inc, read_only=False)
    try:
        sop_id, label, step_id = con.execute(
            "SELECT sop_id, label, step_id FROM activity_labels WHERE step_id IS NOT NULL "
            "ORDER BY events DESC, sop_id, label LIMIT 1").fetchall()[0]
        other = con.execute("SELECT min(step_id) FROM model_steps s JOIN models m USING (model_sha256) "
                            "WHERE m.sop_id = ? AND s.step_id <> ?", [sop_id, step_id]).fetchall()[0][0]
        set_mapping(con, sop_id, label, other, source="test")
    finally:
        con.close()
    shutil.copyfile(inc, full)
    analyze(inc)
    analyze(full, full=True)
    assert differences(inc, full) == {}
    _, record = _runs(inc)[-1]
    assert record["sops"][sop_id] == {**record["sops"][sop_id], "kind": "full", "reason": "mapping changed"}
    assert all(s["kind"] == "incremental" for k, s in record["sops"].items() if k != sop_id)


def test_full_flag_and_changed_settings_recompute_everything(stores, tmp_path: Path) -> None:
    db, _ = stores
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(db, copy)
    assert analyze(copy, full=True).kind == "full"
    _, record = _runs(copy)[-1]
    assert {s["reason"] for s in record["sops"].values()} == {"forced"}
    from dataclasses import replace

    from pantau.config import load_settings
    settings = replace(load_settings(store=copy).analysis, at_risk_share=0.5)
    analyze(copy, settings=settings)
    _, record = _runs(copy)[-1]
    assert {s["reason"] for s in record["sops"].values()} == {"settings changed"}


def test_a_model_version_dated_anew_makes_that_sop_full(stores, tmp_path: Path) -> None:
    db, _ = stores
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(db, copy)
    con = open_store(copy, read_only=False)
    try:
        sop_id = con.execute("SELECT min(sop_id) FROM models WHERE status = 'confirmed'").fetchall()[0][0]
        # a case's version is the one in force at its start: a moved effective date may change it
        con.execute("UPDATE models SET effective = DATE '2001-01-01' WHERE sop_id = ? AND status = 'confirmed'",
                    [sop_id])
    finally:
        con.close()
    analyze(copy)
    _, record = _runs(copy)[-1]
    assert record["sops"][sop_id]["reason"] == "model version changed"
    assert all(s["kind"] == "incremental" for k, s in record["sops"].items() if k != sop_id)


def test_past_the_token_replay_bound_the_run_is_repeated_full(stores, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from analytics import conformance

    # a full run replays only the first variants within the bound: an incremental run cannot
    # choose the same ones from part of them, so it is rolled back and repeated full
    monkeypatch.setattr(conformance, "TOKEN_REPLAY_MAX_WORK", 200)
    inc, full = _pair(stores, tmp_path)
    analyze(inc)
    analyze(full, full=True)
    assert differences(inc, full) == {}
    _, record = _runs(inc)[-1]
    reasons = [s["reason"] for s in record["sops"].values()]
    # an SOP whose variants stay within the bound together stays incremental
    assert "its variants pass the token-replay bound" in reasons
    assert set(reasons) <= {"its variants pass the token-replay bound", None}


def test_a_label_first_seen_in_the_day_and_a_variant_gone(stores, tmp_path: Path) -> None:
    # the day brings a label no earlier import had, on a case whose variant no other case has:
    # the label's count comes from the day alone, and the case's old variant drops out
    inc, full = _pair(stores, tmp_path)
    con = open_store(inc)
    try:
        sop_id, agency, case_id, variant_id, last = con.execute("""
            SELECT c.sop_id, c.agency, c.case_id, c.variant_id, max(e.ts)
            FROM case_checks c JOIN variants v ON v.sop_id = c.sop_id AND v.variant_id = c.variant_id
            JOIN events e ON e.sop_id = c.sop_id AND e.agency = c.agency AND e.case_id = c.case_id
            WHERE v.case_count = 1 AND NOT c.is_open
            GROUP BY ALL ORDER BY ALL LIMIT 1""").fetchall()[0]
    finally:
        con.close()
    path = tmp_path / "day-new-label.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerow([case_id, "Cek ulang berkas (label baru)", "complete",
                         last.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "petugas-9", agency, None])
    for db in (inc, full):
        ingest_file(db, path, sop_id=sop_id, agency=agency)
    analyze(inc)
    analyze(full, full=True)
    assert differences(inc, full) == {}
    con = open_store(inc)
    try:
        assert con.execute("SELECT events FROM activity_labels WHERE sop_id = ? AND label = ?",
                           [sop_id, "Cek ulang berkas (label baru)"]).fetchall() == [(1,)]
        assert not con.execute("SELECT count(*) FROM variants WHERE sop_id = ? AND variant_id = ?",
                               [sop_id, variant_id]).fetchall()[0][0]
    finally:
        con.close()
    assert _runs(inc)[-1][1]["sops"][sop_id]["kind"] == "incremental"


def test_a_unit_first_given_by_the_day_moves_the_cases_old_lane_rows(stores, tmp_path: Path) -> None:
    # stored cases without a unit take the unit of their new events (cases.unit): all their old
    # step occurrences leave the no-unit lane keys of earlier months, which must be recomputed
    # although no new occurrence reaches them (the lane keys of the changed rows, old side)
    db, files = stores
    base = tmp_path / "base.duckdb"
    shutil.copyfile(db, base)
    day: set[tuple[str, str]] = set()
    for sop_id, path in files:
        with path.open(newline="", encoding="utf-8") as f:
            day |= {(sop_id, row["case_id"]) for row in csv.DictReader(f) if row["unit"]}
    con = duckdb.connect(str(base))
    try:
        con.execute("CREATE TEMP TABLE blank AS SELECT c.sop_id, c.case_id FROM cases c "
                    "JOIN (SELECT unnest(?::VARCHAR[]) AS sop_id, unnest(?::VARCHAR[]) AS case_id) d "
                    "USING (sop_id, case_id) ORDER BY ALL LIMIT 12",
                    [[d[0] for d in sorted(day)], [d[1] for d in sorted(day)]])
        for table in ("events", "cases"):
            con.execute(f"UPDATE {table} t SET unit = NULL FROM blank b WHERE b.sop_id = t.sop_id AND b.case_id = t.case_id")
    finally:
        con.close()
    analyze(base, full=True)
    con = open_store(base)
    try:  # the blanked cases' old occurrences count in no-unit lane rows of several months
        assert con.execute("SELECT count(DISTINCT month) FROM lane_stats WHERE unit IS NULL").fetchall()[0][0] > 1
    finally:
        con.close()
    inc, full = _pair((base, files), tmp_path)
    assert analyze(inc).kind == "incremental"
    analyze(full, full=True)
    assert differences(inc, full) == {}
    con = open_store(inc)
    try:
        assert not con.execute("SELECT count(*) FROM lane_stats WHERE unit IS NULL").fetchall()[0][0]
    finally:
        con.close()


def _calendar_installs(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT calendar_id, install_version, installed_at FROM calendar_info ORDER BY 1").fetchall()
    finally:
        con.close()


def test_a_run_without_new_events_keeps_the_calendar_and_needs_no_pm4py(stores, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    db, _ = stores
    again = tmp_path / "again.duckdb"
    shutil.copyfile(db, again)
    before = _calendar_installs(again)
    # a fresh interpreter: this one has imported pm4py and holidays already
    code = ("import sys; from analytics import analyze; r = analyze(sys.argv[1]); "
            "print(r.kind, 'pm4py' in sys.modules, 'holidays' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(again)], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert out.stdout.split() == ["incremental", "False", "False"]
    # the stored calendar is this run's install: kept as it was, not written again
    assert _calendar_installs(again) == before


def test_a_changed_calendar_is_installed_anew_and_makes_its_sop_full(stores, tmp_path: Path) -> None:
    from analytics.calendars.agency import set_calendar

    inc, full = _pair(stores, tmp_path)
    con = open_store(inc, read_only=False)
    try:
        sop_id, agency = con.execute("SELECT sop_id, agency FROM cases ORDER BY ALL LIMIT 1").fetchall()[0]
        set_calendar(con, agency, workdays="mon-sat")
    finally:
        con.close()
    shutil.copyfile(inc, full)
    before = {c: v for c, v, _ in _calendar_installs(inc)}
    analyze(inc)
    analyze(full, full=True)
    assert differences(inc, full) == {}
    after = {c: v for c, v, _ in _calendar_installs(inc)}
    assert len(after) == len(before) + 1  # the agency's own calendar beside its SOP's
    _, record = _runs(inc)[-1]
    assert record["sops"][sop_id]["reason"] == "calendar changed"
