"""Issue 10.6/10.7 and 15.5 on the command line, each through the real CLI in a subprocess:

* a missing store is an error (``Error: no such database file … Hint: create one …``) for every
  command but those that create one, and no empty file is left behind;
* a missing input file is ``Error:``/``Hint:``, not typer's boxed usage error;
* ``pantau analyze`` waits for a reader holding the store, saying so once, and runs while a
  dashboard-like reader loops in another process, with no failure on either side.
"""

# ruff: noqa: F811  (fixtures imported from conftest_ingest are parameters of the same name)

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest_ingest import ROOT, key_file, run_python  # noqa: F401

PANTAU = [sys.executable, "-c", "from pantau_cli import main; main()"]
SOP = "batam-dinkes-integrasi-jkn"

# every command that reads or changes an existing store (those that create one: init, ingest,
# simulate, demo)
NEEDS_A_STORE = [
    ["analyze"],
    ["analyze", "--sop", SOP],
    ["map", "list"],
    ["map", "set", "Cek berkas", "s02", "--sop", SOP],
    ["map", "unset", "Cek berkas", "--sop", SOP],
    ["map", "import", "{csv}", "--sop", SOP],
    ["user", "list"],
    ["user", "disable", "budi"],
    ["audit", "verify"],
    ["audit", "list"],
    ["dashboard"],
]

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("ready", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
time.sleep(60)
"""

READER_LOOP = """
import json, sys, time
from event_logs.store import READ_RETRY_SECONDS, open_store
from pathlib import Path
stop = Path(sys.argv[2])
reads = failures = 0
errors = []
print("ready", flush=True)
deadline = time.monotonic() + 240
while not stop.exists() and time.monotonic() < deadline:
    try:  # what a dashboard page does: open, a few queries, close; waits a little for a writer
        con = open_store(sys.argv[1], wait_seconds=120)
        con.execute("SELECT count(*) FROM events").fetchall()
        con.execute("SELECT count(*) FROM imports").fetchall()
        time.sleep(0.02)
        con.close()
        reads += 1
    except Exception as exc:
        failures += 1
        errors.append(str(exc)[:300])
print(json.dumps({"reads": reads, "failures": failures, "errors": errors[:3]}), flush=True)
"""


def _env(key_file: Path) -> dict[str, str]:
    env = {**os.environ, "PANTAU_KEY_FILE": str(key_file), "PM4PY_SHOW_PROGRESS_BAR": "False"}
    env.pop("PANTAU_SECRET", None)
    return env


def _run(args: list[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PANTAU, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def _is_error(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert done.stderr.startswith("Error: ") and "\nHint: " in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "Usage:" not in done.stderr and "╭" not in done.stderr


@pytest.mark.parametrize("args", NEEDS_A_STORE, ids=[" ".join(a[:2]) for a in NEEDS_A_STORE])
def test_a_missing_store_is_an_error_and_is_not_created(tmp_path: Path, key_file: Path, args: list[str]) -> None:
    typo = tmp_path / "typo.duckdb"
    csv = tmp_path / "map.csv"
    csv.write_text("label,step_id\nCek berkas,s02\n", encoding="utf-8")
    done = _run([a.replace("{csv}", str(csv)) for a in args] + ["--db", str(typo)], _env(key_file))
    _is_error(done)
    assert f"{typo}: no such database file" in done.stderr and "pantau init" in done.stderr
    assert not typo.exists() and not Path(f"{typo}.wal").exists()


def test_a_folder_given_as_the_store_is_an_error(tmp_path: Path, key_file: Path) -> None:
    _is_error(done := _run(["analyze", "--db", str(tmp_path)], _env(key_file)))
    assert "folder" in done.stderr


def test_init_creates_the_store_the_others_then_find(tmp_path: Path, key_file: Path) -> None:
    db = tmp_path / "new.duckdb"
    assert _run(["init", "--db", str(db)], _env(key_file)).returncode == 0 and db.is_file()
    done = _run(["analyze", "--db", str(db), "-q"], _env(key_file))  # found, and empty: another error
    _is_error(done)
    assert "no such database file" not in done.stderr and "no events" in done.stderr


@pytest.mark.parametrize("option", [[], ["--activity-map", "{missing}"]], ids=["log file", "activity map"])
def test_a_missing_input_file_is_an_error_not_a_usage_box(tmp_path: Path, key_file: Path, option: list[str]) -> None:
    log = tmp_path / ("nope.csv" if not option else "log.csv")
    if option:
        log.write_text("case_id,activity,timestamp\nR1,a,2024-03-05 09:00\n", encoding="utf-8")
    missing = tmp_path / "missing.csv"
    args = ["ingest", str(log), "--db", str(tmp_path / "s.duckdb"), "--sop", SOP, "-q",
            *[o.replace("{missing}", str(missing)) for o in option]]
    done = _run(args, _env(key_file))
    _is_error(done)
    assert f"{missing if option else log}: no such file" in done.stderr
    assert not (tmp_path / "s.duckdb").exists()


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from event_logs.simulator import simulate

    db = tmp_path_factory.mktemp("cli_store") / "s.duckdb"
    simulate(db, cases=150, seed=3, sop_ids=[SOP])
    return db


def test_analyze_waits_for_a_reader_and_says_so_once(simulated: Path, key_file: Path) -> None:
    reader = run_python(HOLD, str(simulated), "2.5")
    try:
        assert reader.stdout.readline().strip() == "ready"
        done = _run(["analyze", "--db", str(simulated), "-q"], _env(key_file))
    finally:
        reader.kill()
        reader.wait()
    assert done.returncode == 0, done.stderr
    notes = [line for line in done.stderr.splitlines() if line.startswith("Note: ")]
    assert notes == [f"Note: the database is in use by a read-only reader (process {reader.pid}); "
                     "waiting up to 30 s for it"], done.stderr
    assert done.stdout.startswith("analysis run ")


@pytest.mark.slow
def test_analyze_while_a_reader_loops_in_another_process(simulated: Path, key_file: Path, tmp_path: Path) -> None:
    """Two ``pantau analyze`` runs while another process opens, queries and closes the store in
    a loop (as dashboard pages do): both runs succeed and no read fails."""
    stop = tmp_path / "stop"
    env = _env(key_file)
    reader = run_python(READER_LOOP, str(simulated), str(stop), env=env)
    try:
        assert reader.stdout.readline().strip() == "ready"
        runs = [_run(["analyze", "--db", str(simulated), "-q"], env) for _ in range(2)]
    finally:
        stop.touch()
    out, _err = reader.communicate(timeout=180)
    report = json.loads(out.strip().splitlines()[-1])
    for done in runs:
        assert done.returncode == 0 and "Error" not in done.stderr, done.stderr
        assert done.stdout.startswith("analysis run ")
    assert report["failures"] == 0, report
    assert report["reads"] > 10, report
