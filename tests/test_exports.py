"""``pantau export deviations|breaches|late`` (issue 12.6): every row of an auditor's file says
which run it is, the as-of, the SOP's number and revision, the model checksum, whether its case
is open or closed, and its timestamps in local time with the offset; the Excel file's metadata
lists every filter. Real store (simulate + analyze, judged a month after its last day so open
cases are late), the real CLI in a subprocess.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")

import duckdb
import pandas as pd
import pytest
from dashboard_fixture import session_db

from dashboard.queries.exports import COLUMNS

ROOT = Path(__file__).resolve().parents[1]
PANTAU = [sys.executable, "-c", "from pantau_cli import main; main()"]
OFFSET = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$"


@pytest.fixture(scope="module")
def late_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The simulated store analysed again as of 31 Jan 2025 (its open cases are then late)."""
    from analytics import analyze

    path = tmp_path_factory.mktemp("exports") / "late.duckdb"
    shutil.copy(session_db(tmp_path_factory.getbasetemp(), "simulated"), path)
    analyze(path, as_of="2025-01-31")
    return path


def _export(db: Path, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ}
    return subprocess.run([*PANTAU, "export", *args, "--db", str(db)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def _q(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)


def _common(db: Path, rows: pd.DataFrame) -> None:
    """What every export row carries, checked against the store."""
    run_id, = _q(db, "SELECT max(run_id) FROM runs")[0]
    assert set(rows["run_id"]) == {str(run_id)}
    assert rows["as_of"].astype(str).str.match(OFFSET).all()
    # the run's as-of (31 Jan 2025 24.00 on the clock of the SOP with the latest event), every row
    moment, = _q(db, "SELECT as_of FROM runs WHERE run_id = ?", [run_id])[0]
    assert set(pd.to_datetime(rows["as_of"], utc=True)) == {pd.Timestamp(moment)}
    assert moment in {pd.Timestamp("2025-01-31T16:00:00Z"), pd.Timestamp("2025-01-31T17:00:00Z")}
    models = {s: (n or "", r or "", h) for s, n, r, h in
              _q(db, "SELECT sop_id, sop_number, revision, model_sha256 FROM models")}
    shown = zip(rows["sop_id"], rows["sop_number"], rows["sop_revision"], rows["model_sha256"], strict=True)
    assert all(models[s] == (n, r, h) for s, n, r, h in shown)
    opened = {(s, a, c): o for s, a, c, o in _q(db, "SELECT sop_id, agency, case_id, is_open FROM case_checks")}
    assert [("open" if opened[k] else "closed") for k in zip(rows["sop_id"], rows["agency"], rows["case_id"],
                                                              strict=True)] == list(rows["case_status"])
    assert rows["case_first_ts"].astype(str).str.match(OFFSET).all()


def test_deviation_export_with_a_kind_and_case_filter_lists_them_in_its_metadata(late_db, tmp_path) -> None:
    kind, n = _q(late_db, "SELECT kind, count(*) FROM deviations GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1")[0]
    out = tmp_path / "dev.xlsx"
    done = _export(late_db, tmp_path, "deviations", "--format", "xlsx", "-o", str(out), "--kind", kind)
    assert done.returncode == 0, done.stderr
    sheets = pd.read_excel(io.BytesIO(out.read_bytes()), sheet_name=None, dtype=str, keep_default_na=False)
    rows, meta = sheets["deviasi"], dict(sheets["metadata"].values)
    assert list(rows.columns) == list(COLUMNS["deviations"]) and len(rows) == n
    assert set(rows["kind"]) == {kind}
    assert meta["filter_deviation_kinds"] == kind and meta["filter_case_scope"] == "all"
    assert meta["rows"] == str(n) and "run" in meta["as_of"]
    assert set(sheets["columns"]["column"]) == set(COLUMNS["deviations"])  # every column described
    _common(late_db, rows)
    assert rows["event_ts"][rows["event_ts"] != ""].str.match(OFFSET).all()


def test_deviation_export_of_open_cases_only(late_db, tmp_path) -> None:
    out = tmp_path / "open.csv"
    assert _export(late_db, tmp_path, "deviations", "--cases", "open", "-o", str(out)).returncode == 0
    rows = _csv(out)
    n, = _q(late_db, """SELECT count(*) FROM deviations d JOIN case_checks c ON c.sop_id = d.sop_id
                        AND c.agency = d.agency AND c.case_id = d.case_id WHERE c.is_open""")[0]
    assert len(rows) == n and set(rows["case_status"]) <= {"open"}


def test_breach_export_holds_every_violation_with_local_timestamps(late_db, tmp_path) -> None:
    out = tmp_path / "b.csv"
    assert _export(late_db, tmp_path, "breaches", "-o", str(out)).returncode == 0
    rows = _csv(out)
    n, = _q(late_db, "SELECT count(*) FROM step_checks WHERE status IN ('breach', 'deadline_missed', 'too_fast')")[0]
    assert len(rows) == n > 0
    _common(late_db, rows)
    assert rows["complete_ts"].astype(str).str.match(OFFSET).all()


def test_late_export_holds_the_open_cases_late_at_the_as_of(late_db, tmp_path) -> None:
    out = tmp_path / "late.csv"
    done = _export(late_db, tmp_path, "late", "-o", str(out))
    assert done.returncode == 0, done.stderr
    rows = _csv(out)
    n, = _q(late_db, "SELECT count(*) FROM open_cases WHERE status = 'late'")[0]
    assert len(rows) == n > 0 and set(rows["case_status"]) == {"open"}
    _common(late_db, rows)


def test_an_unknown_export_or_a_misplaced_option_is_an_error_with_a_hint(late_db, tmp_path) -> None:
    for args in (["deviation", "-o", str(tmp_path / "x.csv")],
                 ["late", "--kind", "skipped_step", "-o", str(tmp_path / "x.csv")],
                 ["breaches", "--from", "2024-12-01", "--to", "2024-11-01", "-o", str(tmp_path / "x.csv")]):
        done = _export(late_db, tmp_path, *args)
        assert done.returncode == 1 and "Error:" in done.stderr and "Hint:" in done.stderr
        assert "Traceback" not in done.stderr


def test_late_open_cases_on_ringkasan_say_since_when(monkeypatch, late_db) -> None:
    from streamlit.testing.v1 import AppTest

    from dashboard import app_path, fmt
    from dashboard.i18n import t

    monkeypatch.setenv("PANTAU_DB", str(late_db))
    at = AppTest.from_file(str(app_path()), default_timeout=60)
    at.run()
    assert [e.value for e in at.exception] == []
    table = at.dataframe[-1].value
    late = table[table[t("status", "id")] == "Terlambat"][t("time_remaining", "id")]
    days = {fmt.day_short(d) for d, in _q(late_db, """SELECT timezone(m.timezone, o.deadline_ts)::DATE
        FROM open_cases o JOIN (SELECT DISTINCT sop_id, timezone FROM models) m ON m.sop_id = o.sop_id
        WHERE o.status = 'late'""")}
    assert len(late) and all("(terlambat sejak " in v for v in late)
    assert all(any(d in v for d in days) for v in late)  # the local day it fell due
    assert len(at.get("download_button")) == 2  # the late cases, CSV and Excel
