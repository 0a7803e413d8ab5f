"""The Data page's upload: ingest + analyze in another process on a copy, then an atomic swap.

Readers in other processes keep reading while the upload runs: one holds a read-only
connection open the whole time (a notebook), one reopens for every read (the dashboard). Neither
may ever fail, every read must show either the old or the new database (never a mix), and a
new connection afterwards must see the uploaded cases.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from dashboard_fixture import build_results_db, session_db, write_upload_csv
from streamlit.testing.v1 import AppTest

from dashboard import app_path, jobs
from pantau.errors import StoreError, StoreLockedError

SOP = "batam-dinkes-jaminan-rs"
READER = r"""
import json, sys, time
from pathlib import Path
from event_logs.store import open_store

path, stop, mode = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
errors, states, reads = [], set(), 0
held = open_store(path) if mode == "hold" else None
print("ready", flush=True)
deadline = time.monotonic() + 120
while not stop.exists() and time.monotonic() < deadline:
    try:
        con = held or open_store(path)
        with_run = con.execute("SELECT max(run_id) FROM runs").fetchone()[0]
        cases = con.execute("SELECT count(*) FROM case_checks").fetchone()[0]
        events = con.execute("SELECT count(*) FROM events").fetchone()[0]
        states.add((with_run, cases, events))
        reads += 1
        if held is None:
            con.close()
    except Exception as exc:  # the test fails on any
        errors.append(repr(exc))
    time.sleep(0.005)
print(json.dumps({"errors": errors, "states": sorted(states), "reads": reads}), flush=True)
"""


@pytest.fixture()
def live(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the simulated + analysed store (the 'live' database)."""
    path = tmp_path / "live" / "pantau.duckdb"
    path.parent.mkdir()
    shutil.copyfile(session_db(tmp_path_factory.getbasetemp(), "simulated"), path)
    return path


def state(path: Path) -> tuple[int, int, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("""SELECT (SELECT max(run_id) FROM runs), (SELECT count(*) FROM case_checks),
                                     (SELECT count(*) FROM events)""").fetchone()
    finally:
        con.close()


def start_reader(path: Path, stop: Path, mode: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", READER, str(path), str(stop), mode],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    return proc


def test_upload_while_other_processes_read(live: Path, tmp_path: Path) -> None:
    csv = write_upload_csv(tmp_path / "log_puskesmas.csv", sop_id=SOP, cases=12)
    before = state(live)
    stop = tmp_path / "stop"
    readers = {mode: start_reader(live, stop, mode) for mode in ("hold", "reopen")}
    try:
        time.sleep(0.3)
        events = list(jobs.start_upload(live, csv, sop_id=SOP))
        time.sleep(0.5)
    finally:
        stop.touch()
    results = {mode: json.loads(p.communicate(timeout=60)[0].strip().splitlines()[-1]) for mode, p in readers.items()}

    stages = [e["stage"] for e in events if e["event"] == "progress"]
    assert [s for s in jobs.STAGES if s in stages] == list(jobs.STAGES)
    done = events[-1]
    assert done["event"] == "done" and done["changed"] and done["rows_loaded"] == 12 * 8
    after = state(live)
    assert after[0] == done["run_id"] > before[0]
    assert after[2] == before[2] + done["rows_loaded"]
    con = duckdb.connect(str(live), read_only=True)
    assert con.execute("SELECT count(*) FROM case_checks WHERE case_id LIKE 'UPL-%'").fetchone()[0] == 12
    assert con.execute("SELECT file_name FROM imports ORDER BY import_id DESC LIMIT 1").fetchone()[0] == csv.name
    con.close()

    for mode, result in results.items():
        assert result["errors"] == [], mode
        assert result["reads"] > 10, mode
        assert {tuple(s) for s in result["states"]} <= {tuple(before), tuple(after)}, mode
    assert [tuple(s) for s in results["hold"]["states"]] == [tuple(before)]  # a notebook keeps its view
    assert tuple(after) in {tuple(s) for s in results["reopen"]["states"]}  # new connections see the swap
    assert sorted(p.name for p in live.parent.iterdir()) == ["pantau.duckdb"]  # no temporary file left


def test_a_writer_holding_the_file_stops_the_upload_with_what_to_do(live: Path, tmp_path: Path) -> None:
    csv = write_upload_csv(tmp_path / "log.csv", sop_id=SOP, cases=2)
    writer = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('open', flush=True); time.sleep(60)", str(live)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "open"
        ident = jobs.file_id(live)
        with pytest.raises(StoreLockedError) as err:
            list(jobs.start_upload(live, csv, sop_id=SOP))
        assert "locked" in str(err.value) and "Close it or wait" in str(err.value)
        assert jobs.file_id(live) == ident
    finally:
        writer.kill()
        writer.wait()
    assert sorted(p.name for p in live.parent.iterdir()) == ["pantau.duckdb"]


def test_swap_refuses_when_the_file_changed_meanwhile(tmp_path: Path) -> None:
    live = build_results_db(tmp_path / "live.duckdb", cases=6)
    work = tmp_path / "work.duckdb"
    expected = jobs.snapshot(live, work)
    con = duckdb.connect(str(live))  # another writer finishes in between
    con.execute("CREATE TABLE another_writers_table AS SELECT 1 AS x")
    con.close()
    changed = jobs.file_id(live)
    with pytest.raises(StoreError, match="changed by another process"):
        jobs.swap(work, live, expected)
    assert jobs.file_id(live) == changed and work.exists()
    jobs.swap(work, live, changed)  # with the right identity it goes through
    assert not work.exists() and jobs.file_id(live)[0] != changed[0]


def test_the_same_file_twice_changes_nothing(live: Path, tmp_path: Path) -> None:
    csv = write_upload_csv(tmp_path / "log.csv", sop_id=SOP, cases=2)
    list(jobs.start_upload(live, csv, sop_id=SOP))
    ident = jobs.file_id(live)
    events = list(jobs.start_upload(live, csv, sop_id=SOP))
    assert events[-1]["changed"] is False and "already imported" in events[-1]["ingest"]
    assert jobs.file_id(live) == ident


def test_upload_through_the_data_page(live: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    csv = write_upload_csv(tmp_path / "log_kantor.csv", sop_id=SOP, cases=3)
    monkeypatch.setenv("PANTAU_DB", str(live))
    at = AppTest.from_file(str(app_path()), default_timeout=120)
    at.query_params = {"sop": SOP}
    at.switch_page("views/data.py").run()
    at.file_uploader(key="upload_file").set_value((csv.name, csv.read_bytes(), "text/csv")).run()
    assert at.selectbox(key="upload_sop").value == SOP
    at.button(key="upload_go").click().run()
    assert [e.value for e in at.exception] == [] and [e.value for e in at.error] == []
    # the page ran again by itself: the history already holds the import, and the result is in
    # Bahasa Indonesia with Indonesian numbers
    assert any("Diimpor 24 baris: 24 dimuat, 0 dikarantina" in s.value for s in at.success), \
        [s.value for s in at.success]
    assert "log_kantor.csv" in set(at.dataframe[0].value.iloc[:, 1])
