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
import time
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
    ["user", "enable", "budi"],
    ["user", "add", "budi", "--role", "admin", "--no-password"],
    ["user", "passwd", "budi", "--password-stdin"],
    ["audit", "verify"],
    ["audit", "list"],
    ["dashboard"],
    ["target", "list"],
    ["target", "set", "90%", "--sop", SOP, "--by", "kepala"],
    ["target", "unset", "--sop", SOP, "--by", "kepala"],
    ["sop", "list"],
    ["sop", "confirm", SOP, "--version", "abcd", "--by", "kepala"],
    ["sop", "show", SOP],
    ["sop", "check"],
    ["calendar", "set", "Dinas Kesehatan Kota Batam"],
    ["calendar", "list"],
    ["calendar", "unset", "Dinas Kesehatan Kota Batam"],
    ["report", "--agency", "Dinas Kesehatan Kota Batam", "--month", "2024-03", "-o", "{csv}.pdf"],
    ["digest", "--agency", "Dinas Kesehatan Kota Batam"],
    ["accept", "list"],
    ["accept", "verify"],
    ["accept", "change", "1", "--reason", "berkas susulan", "--by", "auditor"],
    ["accept", "revoke", "1", "--reason", "keliru", "--by", "auditor"],
    ["export", "deviations", "-o", "{csv}.csv"],
    ["evidence", "--case", "BTM-1"],
    ["partition", "split", "--out", "{csv}-parts"],
]
# the commands that may create a store (partition gather writes a new one, refusing an existing file)
CREATORS = {"init", "ingest", "simulate", "demo", "sop add", "partition gather"}

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
done_at = []
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
        done_at.append(time.time())
    except Exception as exc:
        failures += 1
        errors.append(str(exc)[:300])
print(json.dumps({"reads": reads, "failures": failures, "errors": errors[:3], "done_at": done_at}),
      flush=True)
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
    done = _run([a.replace("{csv}", str(csv)) for a in args] + ["--db", str(typo)],
                _env(key_file))
    _is_error(done)
    assert f"{typo}: no such database file" in done.stderr and "pantau init" in done.stderr
    assert not typo.exists() and not Path(f"{typo}.wal").exists()


def _commands(group, prefix=()):
    for name, command in group.commands.items():
        if hasattr(command, "commands"):  # a group (typer vendors its own click)
            yield from _commands(command, (*prefix, name))
        else:
            yield " ".join((*prefix, name)), command


def test_every_command_with_a_store_is_a_creator_or_refuses_a_missing_one() -> None:
    """A command added later (by anyone) with a --db option must be named here: a creator, or
    in NEEDS_A_STORE, whose commands the test above runs against a missing file."""
    import typer.main

    from pantau_cli import app

    with_db = {name for name, command in _commands(typer.main.get_command(app))
               if any(p.name == "db" for p in command.params)}
    assert {"analyze", "ingest", "target set", "map list"} <= with_db  # CONTROL: the tree was walked
    tested = {_name(args, with_db) for args in NEEDS_A_STORE}
    assert with_db - CREATORS - tested == set(), "add them to NEEDS_A_STORE (and give them EXISTING_DB)"


def _name(args: list[str], names: set[str]) -> str:
    return " ".join(args[:2]) if " ".join(args[:2]) in names else args[0]


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
    reader = run_python(HOLD, str(simulated), "120")  # holds the store until the CLI has said it waits
    try:
        assert reader.stdout.readline().strip() == "ready"
        cli = subprocess.Popen([*PANTAU, "analyze", "--db", str(simulated), "-q"], cwd=ROOT, env=_env(key_file),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = cli.stderr.readline()  # blocks until the CLI writes (or ends)
        reader.kill()
        reader.wait()
        out, rest = cli.communicate(timeout=300)
    finally:
        reader.kill()
        reader.wait()
    done = subprocess.CompletedProcess(cli.args, cli.returncode, out, first + rest)
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
        started = time.time()
        runs = [_run(["analyze", "--db", str(simulated), "-q"], env) for _ in range(2)]
        ended = time.time()
    finally:
        stop.touch()
    out, _err = reader.communicate(timeout=180)
    report = json.loads(out.strip().splitlines()[-1])
    for done in runs:
        assert done.returncode == 0 and "Error" not in done.stderr, done.stderr
        assert done.stdout.startswith("analysis run ")
    assert report["failures"] == 0, report
    # How many reads fit depends on the machine's speed; what must hold is that reads went on
    # while the analyze runs did, not only before or after them.
    during = [t for t in report["done_at"] if started < t < ended]
    assert len(during) >= 2, {k: v for k, v in report.items() if k != "done_at"}
