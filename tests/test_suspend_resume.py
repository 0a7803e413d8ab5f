"""XES suspend -> resume: the suspended time is taken out of a step's processing time and its
Mutu Baku elapsed time (issue 14, point 8; docs/mutu-baku.md, "Lifecycle transitions").

A real XES file, the real importer and the real analysis of SOP batam-dinkes-integrasi-jkn
(Asia/Jakarta, office 08:00-16:00 Monday-Friday; 1 and 2 July 2024 are ordinary working days).
Its Waktu: s01 "5 Menit", s02 "20 Menit", s03 "5 Menit".
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from analytics import analyze
from event_logs.ingest import ingest_file

SOP = "batam-dinkes-integrasi-jkn"
EVENTS = [  # (step, local time +07:00, transition)
    ("s01", "2024-07-01T09:00:00", "start"),
    ("s01", "2024-07-01T09:04:00", "complete"),
    ("s02", "2024-07-01T09:10:00", "start"),
    ("s02", "2024-07-01T09:15:00", "suspend"),
    ("s02", "2024-07-01T09:40:00", "resume"),
    ("s02", "2024-07-01T09:45:00", "complete"),
    ("s03", "2024-07-01T15:30:00", "start"),
    ("s03", "2024-07-01T15:50:00", "suspend"),
    ("s03", "2024-07-02T08:30:00", "resume"),
    ("s03", "2024-07-02T08:40:00", "complete"),
]


def _xes() -> str:
    events = "".join(
        f'<event><string key="concept:name" value="{step}"/>'
        f'<string key="lifecycle:transition" value="{transition}"/>'
        f'<date key="time:timestamp" value="{ts}+07:00"/></event>'
        for step, ts, transition in EVENTS)
    return ('<?xml version="1.0" encoding="UTF-8"?><log xes.version="1.0" xmlns="http://www.xes-standard.org/">'
            f'<trace><string key="concept:name" value="X1"/>{events}</trace></log>')


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("suspend")
    path = folder / "suspend.xes"
    path.write_text(_xes(), encoding="utf-8")
    store = folder / "s.duckdb"
    assert ingest_file(store, path, sop_id=SOP).rows_loaded == len(EVENTS)
    analyze(store)
    return store


def test_suspended_working_minutes_leave_processing_and_elapsed(db: Path) -> None:
    """Expected, by hand from the fixture's times (working minutes, 08:00-16:00):

    - s01: start 09:00, complete 09:04, no suspension. Enabled by the case's first event
      (09:00): waiting 0, processing 4, suspended 0, elapsed 4 <= 5: ok.
    - s02: enabled by s01's completion 09:04; start 09:10 (waiting 6); suspended 09:15-09:40 =
      25; complete 09:45: processing 09:10-09:45 = 35 - 25 = 10; elapsed 09:04-09:45 = 41 - 25 =
      16 <= 20: ok (without the subtraction 41 > 20 would be a breach by 21).
    - s03: enabled by s02's completion Mon 09:45; start Mon 15:30 (waiting 09:45-15:30 = 345);
      suspended Mon 15:50-16:00 (10) + Tue 08:00-08:30 (30) = 40 working minutes (the night
      between is no working time); complete Tue 08:40: processing Mon 15:30-16:00 (30) + Tue
      08:00-08:40 (40) = 70 - 40 = 30; elapsed Mon 09:45-16:00 (375) + Tue 40 = 415 - 40 = 375
      > 5: breach, overrun 375 - 5 = 370.
    """
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("""
        SELECT step_id, waiting_wm, processing_wm, suspended_wm, elapsed, status, overrun
        FROM step_checks WHERE case_id = 'X1' ORDER BY complete_ts""").fetchall()
    con.close()
    assert rows == [
        ("s01", 0.0, 4.0, 0.0, 4.0, "ok", 0.0),
        ("s02", 6.0, 10.0, 25.0, 16.0, "ok", 0.0),
        ("s03", 345.0, 30.0, 40.0, 375.0, "breach", 370.0),
    ]


def test_the_deadline_moves_by_the_suspended_time(db: Path) -> None:
    """s03 is due 5 working minutes after its clock start (Mon 09:45) plus the 40 suspended
    minutes: 45 working minutes after 09:45, Mon 10:30; s02 is due 09:04 + 20 + 25 = 09:49."""
    con = duckdb.connect(str(db), read_only=True)
    due = dict(con.execute("""
        SELECT step_id, strftime(deadline_ts AT TIME ZONE 'Asia/Jakarta', '%Y-%m-%d %H:%M')
        FROM step_checks WHERE case_id = 'X1'""").fetchall())
    con.close()
    assert due["s02"] == "2024-07-01 09:49" and due["s03"] == "2024-07-01 10:30"


def test_a_suspend_without_its_resume_pauses_nothing(tmp_path: Path) -> None:
    """The log cannot say when the work went on: s02 start 09:10, suspend 09:15, complete
    09:45 is processed 35 working minutes, as if the suspend were not there."""
    global EVENTS
    kept = EVENTS
    EVENTS = [e for e in kept if e[0] != "s03" and not (e[0] == "s02" and e[2] == "resume")]
    try:
        path = tmp_path / "open_suspend.xes"
        path.write_text(_xes(), encoding="utf-8")
    finally:
        EVENTS = kept
    store = tmp_path / "s.duckdb"
    ingest_file(store, path, sop_id=SOP)
    analyze(store)
    con = duckdb.connect(str(store), read_only=True)
    row = con.execute("SELECT processing_wm, suspended_wm FROM step_checks WHERE step_id = 's02'").fetchone()
    con.close()
    assert row == (35.0, 0.0)
