"""A partial model against a log of many labels (issue 14.8): labels declared out of scope are
kept and not counted as deviations; ingest and analyze warn when most events carry a label that
matches no step; suggestions only where plausible, so an SOP of nine steps against a log of 300
labels (BPIC15 is like that) prints a bounded report, not a line per label."""

# ruff: noqa: F811  (fixtures imported from conftest_ingest are parameters of the same name)

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest_ingest import ROOT, key_file, query, write_csv  # noqa: F401

from event_logs.mapping import SHOWN_LABELS, SUGGEST_LIMIT
from sop_models import get_model

SOP = "batam-dinkes-integrasi-jkn"
PANTAU = [sys.executable, "-c", "from pantau_cli import main; main()"]
CODES = [f"{p:02d}_HOOFD_{n:03d}" for p in range(1, 16) for n in range(0, 200, 10)]  # 300 labels


def _run(args: list[str], key: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PANTAU_KEY_FILE": str(key), "PM4PY_SHOW_PROGRESS_BAR": "False"}
    return subprocess.run([*PANTAU, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, check=False)


@pytest.fixture
def log(tmp_path: Path) -> Path:
    """Cases doing two SOP steps and then many municipal activities of no step; one label is a
    plausible (reworded) step."""
    steps = get_model(SOP).steps
    rows = []
    for c, code in enumerate(CODES):
        case = f"40{c:05d}"
        rows += [(case, steps[0].name, "2024-03-04 09:00"), (case, code, "2024-03-04 10:00"),
                 (case, CODES[(c + 1) % len(CODES)], "2024-03-04 11:00")]
    rows.append(("4000000", "verifikasi dokumen pemohon", "2024-03-04 12:00"))
    return write_csv(tmp_path / "bpic15.csv", ["case_id", "activity", "timestamp"], rows)


def test_a_partial_model_gives_a_bounded_report_and_a_warning(tmp_path: Path, log: Path, key_file: Path) -> None:
    db = tmp_path / "s.duckdb"
    done = _run(["ingest", str(log), "--db", str(db), "--sop", SOP, "-q"], key_file)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) <= SHOWN_LABELS + 2, lines
    warning = [x for x in lines if x.startswith("Warning: ")]
    assert len(warning) == 1 and "301 of 302 activity labels (67% of the events)" in warning[0], lines
    # the reworded step is suggested, each label with at most three plausible steps
    plausible = [x for x in lines if "'verifikasi dokumen pemohon'" in x]
    assert len(plausible) == 1 and "s02 (" in plausible[0]
    assert all(x.count(" (") <= SUGGEST_LIMIT + 1 for x in lines if x.startswith("unmapped activity"))
    assert not [x for x in lines if "HOOFD" in x]  # municipal codes have no plausible step
    done = _run(["analyze", "--db", str(db), "-q"], key_file)
    assert done.returncode == 0, done.stderr
    assert "Warning: 301 of 302 activity labels" in done.stderr


def test_labels_declared_out_of_scope_are_kept_and_no_deviation(tmp_path: Path, log: Path, key_file: Path) -> None:
    db = tmp_path / "s.duckdb"
    amap = tmp_path / "scope.csv"
    amap.write_text("label,step_id\n" + "".join(f"{c},-\n" for c in CODES), encoding="utf-8")
    done = _run(["ingest", str(log), "--db", str(db), "--sop", SOP, "--activity-map", str(amap), "-q"], key_file)
    assert done.returncode == 0 and "Warning" not in done.stderr, done.stderr
    # one more label declared out of scope from the command line, then analysed
    assert _run(["map", "set", "verifikasi dokumen pemohon", "-", "--sop", SOP, "--db", str(db)],
                key_file).returncode == 0
    done = _run(["analyze", "--db", str(db), "-q"], key_file)
    assert done.returncode == 0 and "Warning" not in done.stderr, done.stderr
    assert query(db, "SELECT count(*) FROM events") == [(3 * len(CODES) + 1,)]  # kept
    assert query(db, "SELECT count(*) FROM deviations WHERE kind = 'unmapped_activity'") == [(0,)]
    assert query(db, "SELECT count(*) FROM activity_labels WHERE how = 'out_of_scope'") == [(len(CODES) + 1,)]
