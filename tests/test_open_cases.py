"""Open cases on a real store: where an unfinished case stands, how much of its current
step's standard is used at ``as_of``, and the whole analyze pipeline on a simulated store."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from test_mutu_baku import BATAM, BATAM_RS, MUBA, Store

from analytics import open_cases

os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")

WIB = ZoneInfo("Asia/Jakarta")
AS_OF = datetime(2024, 7, 3, 12, 0, tzinfo=WIB)  # Wednesday noon
RS_HEAD = [("s01", "complete", "2024-07-01 08:10"), ("s02", "complete", "2024-07-01 08:20"),
           ("s03", "complete", "2024-07-01 08:30"), ("s04", "complete", "2024-07-01 08:35")]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "open.duckdb")
    yield s
    s.con.close()


def wib(when: str) -> datetime:
    return datetime.fromisoformat(when).replace(tzinfo=WIB)


def _open(store: Store) -> dict[str, dict]:
    store.check_cases()
    n = open_cases.build_open_cases(store.con, 1, store.models, AS_OF)
    rows = {r["case_id"]: r for r in store.rows("open_cases")}
    assert n == len(rows)
    return rows


def test_open_cases_late_at_risk_on_track(store: Store) -> None:
    # Batam RS: after s05 the Kepala Dinas has "2 Hari" (960 working minutes) for s06.
    store.case(BATAM_RS, "LATE", [*RS_HEAD, ("s05", "complete", "2024-07-01 09:00")])
    store.case(BATAM_RS, "RISK", [*RS_HEAD, ("s05", "complete", "2024-07-01 15:00")])
    store.case(BATAM_RS, "TRACK", [*RS_HEAD, ("s05", "complete", "2024-07-03 09:00")])
    store.case(BATAM_RS, "DONE", [*RS_HEAD, ("s05", "complete", "2024-07-01 09:00"),
                                  ("s06", "complete", "2024-07-02 09:00"),
                                  ("s07", "complete", "2024-07-02 09:05"),
                                  ("s08", "complete", "2024-07-02 10:00")])
    rows = _open(store)
    assert set(rows) == {"LATE", "RISK", "TRACK"}  # DONE reached s08, the end of the flow
    late, risk, track = rows["LATE"], rows["RISK"], rows["TRACK"]
    assert {r["current_step"] for r in rows.values()} == {"s06"}
    assert {r["current_lane"] for r in rows.values()} == {"Kepala Dinas"}
    # LATE: Mon 09:00 -> Wed 12:00 = 420 + 480 + 240 = 1140 wm = 2.375 days > 2
    assert (late["status"], late["used"], late["std_max"], late["std_unit"], late["remaining"]) == (
        "late", pytest.approx(2.375), 2.0, "day", pytest.approx(-0.375))
    assert late["since_ts"] == wib("2024-07-01 09:00")
    assert late["deadline_ts"] == wib("2024-07-03 09:00")  # 960 wm after Mon 09:00
    # RISK: Mon 15:00 -> Wed 12:00 = 60 + 480 + 240 = 780 wm = 1.625 days: 81% of 2 (>= 80%)
    assert (risk["status"], risk["used"], risk["remaining"]) == (
        "at_risk", pytest.approx(1.625), pytest.approx(0.375))
    # TRACK: Wed 09:00 -> 12:00 = 180 wm = 0.375 days (19%)
    assert (track["status"], track["used"]) == ("on_track", pytest.approx(0.375))
    flags = {r["case_id"]: r["is_open"] for r in store.rows("case_checks")}
    assert flags == {"LATE": True, "RISK": True, "TRACK": True, "DONE": False}


def test_a_step_in_progress_and_a_step_without_standard(store: Store) -> None:
    # In progress: s06 started after s05; its clock runs from s05's completion.
    store.case(BATAM_RS, "BUSY", [*RS_HEAD, ("s05", "complete", "2024-07-02 10:00"),
                                  ("s06", "start", "2024-07-02 11:00")])
    # Batam s06 in progress under "30 Hari" and "tanggal 25": due 25 July 16:00
    store.case(BATAM, "RECAP", [("s05", "complete", "2024-07-01 09:00"),
                                ("s06", "start", "2024-07-01 10:00")])
    # Muba: s07 (the triage) has no Waktu
    store.case(MUBA, "TRIAGE", [("s05", "complete", "2024-07-03 11:00"),
                                ("s06", "complete", "2024-07-03 11:02")])
    # Batam: s03 "5 Menit" expected after the loop, 10 minutes ago
    store.case(BATAM, "WAIT", [("s01", "complete", "2024-07-03 11:40"),
                               ("s02", "complete", "2024-07-03 11:50")])
    rows = _open(store)
    busy = rows["BUSY"]
    # Tue 10:00 -> Wed 12:00 = 360 + 240 = 600 wm = 1.25 days of 2 (62.5%)
    assert (busy["current_step"], busy["since_ts"], busy["status"], busy["used"]) == (
        "s06", wib("2024-07-02 10:00"), "on_track", pytest.approx(1.25))
    recap = rows["RECAP"]
    assert (recap["current_step"], recap["deadline_ts"], recap["status"]) == (
        "s06", wib("2024-07-25 16:00"), "on_track")
    triage = rows["TRIAGE"]
    assert (triage["current_step"], triage["current_lane"], triage["status"]) == (
        "s07", "PETUGAS LAYANAN", "no_standard")
    assert triage["std_max"] is None and triage["remaining"] is None
    wait = rows["WAIT"]
    # 11:50 -> 12:00 = 10 working minutes > 5
    assert (wait["current_step"], wait["status"], wait["used"], wait["remaining"]) == (
        "s03", "late", pytest.approx(10.0), pytest.approx(-5.0))


def test_a_batam_case_that_stops_after_data_entry_is_still_open(store: Store) -> None:
    # Batam 069 (issue 12.7): an ill applicant is covered at once, but the city still reports
    # every participant in the monthly recap, so a case is not finished after s05: it waits
    # at s06, the recap due on the 25th (the model once let it end there, and pass).
    store.case(BATAM, "UHC", [("s01", "complete", "2024-07-01 09:00"),
                              ("s02", "complete", "2024-07-01 09:10"),
                              ("s03", "complete", "2024-07-01 09:12"),
                              ("s04", "complete", "2024-07-01 09:15"),
                              ("s05", "complete", "2024-07-01 09:25")])
    row = _open(store)["UHC"]
    assert (row["current_step"], row["status"]) == ("s06", "on_track")
    assert row["deadline_ts"] == wib("2024-07-25 16:00")


def test_as_of_must_carry_a_time_zone(store: Store) -> None:
    from pantau.errors import AnalysisError

    store.case(BATAM, "A", [("s01", "complete", "2024-07-01 09:00")])
    store.check_cases()
    with pytest.raises(AnalysisError, match="time zone"):
        open_cases.build_open_cases(store.con, 1, store.models, datetime(2024, 7, 3, 12))


def test_open_cases_rebuild_the_mutu_baku_tables_on_a_fresh_connection(store: Store, tmp_path: Path) -> None:
    store.case(BATAM, "A", [("s01", "complete", "2024-07-03 11:40")])
    store.check_cases()
    store.con.close()
    from event_logs.store import open_store

    store.con = open_store(tmp_path / "open.duckdb", read_only=False)
    n = open_cases.build_open_cases(store.con, 1, store.models, AS_OF)
    (row,) = store.rows("open_cases")
    # s02 "20 Menit" since 11:40: 20 minutes used at noon = 100% -> at_risk, not yet late
    assert (n, row["current_step"], row["used"], row["status"]) == (1, "s02", 20.0, "at_risk")


@pytest.mark.slow
def test_the_whole_analyze_pipeline_on_a_simulated_store(tmp_path: Path) -> None:
    from analytics import analyze
    from event_logs import open_store
    from event_logs.simulator import simulate

    db = tmp_path / "sim.duckdb"
    simulate(db, cases=300, seed=5)
    result = analyze(db)
    assert set(result.stage_seconds) >= {"mutu_baku", "cases", "lanes", "open_cases"}
    con = open_store(db)
    try:
        counts = dict(con.execute("""
            SELECT 'step_checks', count(*) FROM step_checks UNION ALL
            SELECT 'case_checks', count(*) FROM case_checks UNION ALL
            SELECT 'lane_stats', count(*) FROM lane_stats UNION ALL
            SELECT 'handovers', count(*) FROM handovers UNION ALL
            SELECT 'open_cases', count(*) FROM open_cases""").fetchall())
        cases = con.execute("SELECT count(DISTINCT (sop_id, agency, case_id)) FROM events").fetchone()[0]
        # completions of a label the run mapped to a step (activity_labels: what it used)
        completes = con.execute("SELECT count(*) FROM events e SEMI JOIN activity_labels l "
                                "ON l.sop_id = e.sop_id AND l.label = e.activity AND l.step_id IS NOT NULL "
                                "WHERE e.lifecycle = 'complete'").fetchone()[0]
        open_flags = con.execute("SELECT count(*) FILTER (WHERE is_open) FROM case_checks").fetchone()[0]
        conformed = con.execute("SELECT count(variant_id) FROM case_checks").fetchone()[0]
    finally:
        con.close()
    assert counts["case_checks"] == cases
    # one step check per completed occurrence of a case step (program steps excepted)
    assert counts["step_checks"] <= completes and counts["step_checks"] > 0.9 * completes
    assert counts["lane_stats"] > 0 and counts["handovers"] > 0
    assert counts["open_cases"] == open_flags
    assert conformed == cases  # the conformance columns were joined
    # the statuses that count as violations, in the store's vocabulary
    con = open_store(db)
    try:
        violations = {r[0] for r in con.execute("SELECT status FROM ref_step_status WHERE is_violation").fetchall()}
    finally:
        con.close()
    assert violations == {"breach", "deadline_missed", "too_fast"}
