"""notebooks/analyst_quickstart.ipynb runs, top to bottom, and its three answers are right.

The notebook is executed with nbclient in this virtualenv's interpreter against a real DuckDB
file. The test appends one cell that pickles the answer DataFrames (the committed notebook
stays free of test plumbing) and compares them with
- hand-worked answers on a small store whose rows are written below, and
- an independent pandas computation from the raw result tables of the analysed store.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from nbclient import NotebookClient

from event_logs.store import init_store, open_store
from pantau.units import DEFAULT_TIMEZONE

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "analyst_quickstart.ipynb"
ANSWERS = ("latest_run", "worst_lanes", "service_breaches", "top_deviations")


# --- running the notebook ----------------------------------------------------------------------
def _kernel_name(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """``python3`` when it starts this interpreter, else a kernelspec written for it."""
    short = {"python", f"python{sys.version_info[0]}", "python{}.{}".format(*sys.version_info[:2])}
    try:
        argv0 = KernelSpecManager().get_kernel_spec("python3").argv[0]
        # jupyter_client runs a bare 'python'/'python3' as sys.executable
        if argv0 in short or os.path.abspath(argv0) == sys.executable:
            return "python3"
    except NoSuchKernel:
        pass
    kernels = tmp / "jupyter" / "kernels" / "pantau-test"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "pantau test", "language": "python",
    }))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp / "jupyter"))  # searched before user/system dirs
    return "pantau-test"


def run_notebook(db: Path, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, pd.DataFrame]:
    """Execute the notebook on ``db``; the answer DataFrames by variable name."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    out = tmp / "answers"
    out.mkdir()
    nb.cells.append(nbformat.v4.new_code_cell(
        f"for _name in {list(ANSWERS)!r}:\n"
        f"    globals()[_name].to_pickle({str(out)!r} + '/' + _name + '.pkl')"))
    monkeypatch.setenv("PANTAU_DB", str(db))
    client = NotebookClient(nb, timeout=120, kernel_name=_kernel_name(tmp, monkeypatch),
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()
    return {name: pd.read_pickle(out / f"{name}.pkl") for name in ANSWERS}


def assert_same(actual: pd.DataFrame, expected: pd.DataFrame, what: str) -> None:
    """Same columns, rows in the same order, equal values (dtype spelling aside)."""
    assert list(actual.columns) == list(expected.columns), f"{what}: columns differ"
    assert len(actual) == len(expected), f"{what}: {len(actual)} rows, expected {len(expected)}"
    pd.testing.assert_frame_equal(actual.reset_index(drop=True), expected.reset_index(drop=True),
                                  check_dtype=False, check_exact=False, rtol=1e-9, obj=what)


# --- a small store whose answers are worked out by hand ----------------------------------------
BATAM = "Dinas Kesehatan Kota Batam"
BANJAR = "Dinas Sosial Kota Banjarbaru"
DKI = "Sekretariat Daerah Provinsi DKI Jakarta"
B1, B2 = "batam-dinkes-integrasi-jkn", "batam-dinkes-jaminan-rs"
BJ, DK = "banjarbaru-dinsos-peserta-jkn", "dki-setda-jkn-wbs"

# (sop_id, agency, lane, month, step occurrences, share violating, waiting_wm): written as
# that many step_checks rows completed on the 2nd of the month, the first share of them
# 'breach', the rest 'ok', every one waiting waiting_wm; rates are binary fractions so that
# they tie exactly where a tie is meant.
LANE_ROWS = [
    # Batam, Q3 2024: Kepala Dinas over two SOPs (4 + 2 + 0) / 24 = 0.25, p90 of its waits
    # (8 x 30, 8 x 100, 8 x 900) 900; Petugas 4 / 16 = 0.25 with p90 50: a tie, broken by p90
    # -> Kepala Dinas
    (B1, BATAM, "Kepala Dinas", date(2024, 7, 1), 8, 0.5, 100.0),
    (B1, BATAM, "Kepala Dinas", date(2024, 8, 1), 8, 0.25, 900.0),
    (B2, BATAM, "Kepala Dinas", date(2024, 9, 1), 8, 0.0, 30.0),
    (B1, BATAM, "Petugas Pelayanan Bantuan", date(2024, 7, 1), 16, 0.25, 50.0),
    (B2, BATAM, "Rumah sakit mitra", date(2024, 9, 1), 4, 0.0, 5.0),
    # ... and in June (Q2) a lane that was worse, outside "this quarter"
    (B1, BATAM, "BPJS Kesehatan", date(2024, 6, 1), 10, 1.0, 4000.0),
    # Banjarbaru, Q3: KELURAHAN 0.75 beats DINAS SOSIAL 0.5 despite its lower p90
    (BJ, BANJAR, "KELURAHAN", date(2024, 8, 1), 4, 0.75, 10.0),
    (BJ, BANJAR, "DINAS SOSIAL", date(2024, 9, 1), 4, 0.5, 2000.0),
    # DKI: data only in Q2 -> no answer for this quarter
    (DK, DKI, "PANTI SOSIAL", date(2024, 5, 1), 6, 0.5, 60.0),
]
# (sop_id, case_id, throughput_hours, service_std_breach)
CASE_ROWS = [
    (BJ, "BJ-1", 1000.0, True), (BJ, "BJ-2", 300.0, False), (BJ, "BJ-3", 800.0, True),
    (BJ, "BJ-4", 100.0, False), (B1, "B-1", 2000.0, None), (B1, "B-2", 50.0, None),
]
# (sop_id, case_id, kind)
DEVIATION_ROWS = [
    (BJ, "BJ-1", "skipped_step"), (BJ, "BJ-1", "skipped_step"), (BJ, "BJ-2", "skipped_step"),
    (BJ, "BJ-3", "rework"), (BJ, "BJ-3", "rework"), (BJ, "BJ-3", "rework"),
    (B1, "B-1", "wrong_order"), (B1, "B-2", "rework"), (B1, "B-2", "rework"),
]


@pytest.fixture(scope="module")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with two runs and hand-written result rows."""
    path = tmp_path_factory.mktemp("small") / "small.duckdb"
    init_store(path)
    con = open_store(path, read_only=False)
    try:
        for run_id in (1, 2):
            con.execute(
                "INSERT INTO runs (run_id, started, finished, pantau_version, sop_ids, event_count, "
                "case_count, as_of) VALUES (?, ?, ?, 'test', ?, 100, 6, ?)",
                [run_id, datetime(2024, 10, run_id, tzinfo=UTC), datetime(2024, 10, run_id, 1, tzinfo=UTC),
                 [B1, BJ], datetime(2024, 9, 30, tzinfo=UTC)])
        steps = []
        for sop_id, agency, lane, month, n, share, wait in LANE_ROWS:
            late = round(n * share)
            steps += [(sop_id, f"{lane}-{month}-{i}", agency, lane, "breach" if i < late else "ok",
                       wait, datetime(month.year, month.month, 2, 3, tzinfo=UTC), month.replace(day=2))
                      for i in range(n)]
        con.executemany(
            "INSERT INTO step_checks (run_id, sop_id, case_id, agency, lane, step_id, occurrence, "
            "status, waiting_wm, complete_ts, complete_day) VALUES (2, ?, ?, ?, ?, 's01', 1, ?, ?, ?, ?)",
            steps)
        con.executemany(
            "INSERT INTO case_checks (run_id, sop_id, case_id, agency, first_ts, last_ts, "
            "throughput_hours, throughput_wm, service_std_max, service_std_unit, service_std_breach) "
            "VALUES (2, ?, ?, 'x', TIMESTAMPTZ '2024-07-01 08:00+08', "
            "TIMESTAMPTZ '2024-07-01 08:00+08' + to_hours(?::BIGINT), ?, 60 * ?, "
            "CASE WHEN ? IS NULL THEN NULL ELSE 1 END, "
            "CASE WHEN ? IS NULL THEN NULL ELSE 'month' END, ?)",
            [(s, c, int(h), h, h, b, b, b) for s, c, h, b in CASE_ROWS])
        con.executemany(
            "INSERT INTO deviations (run_id, sop_id, case_id, kind, explanation_id, explanation_en) "
            "VALUES (2, ?, ?, ?, '-', '-')", DEVIATION_ROWS)
    finally:
        con.close()
    return path


def test_answers_on_a_small_store(small_db: Path, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    got = run_notebook(small_db, tmp_path, monkeypatch)
    assert got["latest_run"]["run_id"].tolist() == [2]
    # times in the dashboard's zone, not the machine's (the trial saw UTC beside WIB)
    assert str(got["latest_run"]["finished"].dt.tz) == DEFAULT_TIMEZONE

    worst = got["worst_lanes"]
    assert worst[["agency", "lane"]].values.tolist() == [
        [BANJAR, "KELURAHAN"], [BATAM, "Kepala Dinas"]]
    assert worst["breach_rate"].tolist() == [0.75, 0.25]
    assert worst["violations"].tolist() == [3, 6] and worst["judged"].tolist() == [4, 24]
    assert worst["sop_ids"].tolist() == [BJ, f"{B1}, {B2}"]
    assert worst["step_occurrences"].tolist() == [4, 24]
    assert worst["waiting_p90_wm"].tolist() == [10.0, 900.0]
    assert pd.Timestamp(worst["quarter"].iloc[0]) == pd.Timestamp("2024-07-01")

    breaches = got["service_breaches"]
    assert breaches["case_id"].tolist() == ["BJ-1", "BJ-3"]  # longest first, no NULL-standard case
    assert breaches["throughput_days"].tolist() == pytest.approx([1000 / 24, 800 / 24])
    assert breaches["service_std_unit"].tolist() == ["month", "month"]

    top = got["top_deviations"]
    assert top.values.tolist() == [
        # Banjarbaru: skipped_step in 2 of 4 cases beats rework (3 rows, 1 case)
        [BJ, "skipped_step", "Langkah dilewati", 3, 2, 4, 0.5],
        # Batam: one case each, rework has more rows
        [B1, "rework", "Pengulangan", 2, 1, 2, 0.5],
    ]


# --- the analysed store, against an independent computation --------------------------------------
def _tables(db: Path) -> dict[str, pd.DataFrame]:
    con = open_store(db)
    try:
        # execute(), not sql(): open_store() leaves a half-read result (DuckDB 2) that sql() refuses
        return {t: con.execute(f"SELECT * FROM {t}").df()
                for t in ("runs", "step_checks", "case_checks", "deviations")}
    finally:
        con.close()


VIOLATIONS = {"breach", "deadline_missed", "too_fast"}  # written here, not read from the store


def expected_worst_lanes(sc: pd.DataFrame) -> pd.DataFrame:
    """Breach rate (violations of the occurrences with a standard) per agency and lane over the
    latest quarter of local completion days, ties to the higher p90 wait."""
    sc = sc.assign(day=pd.to_datetime(sc["complete_day"]))
    start = sc["day"].max().to_period("Q").start_time
    q = sc[(sc["day"] >= start) & (sc["day"] < start + pd.DateOffset(months=3))]
    q = q.assign(violation=q["status"].isin(VIOLATIONS), judged=q["status"] != "no_standard")
    g = q.groupby(["agency", "lane"], dropna=False).agg(
        sop_ids=("sop_id", lambda s: ", ".join(sorted(set(s)))),
        step_occurrences=("status", "size"),
        violations=("violation", "sum"),
        judged=("judged", "sum"),
        waiting_p90_wm=("waiting_wm", lambda s: s.dropna().quantile(0.9) if s.notna().any() else None),
    ).reset_index()
    g["quarter"] = start
    g["breach_rate"] = g["violations"] / g["judged"].where(g["judged"] > 0)
    g = g.sort_values(["agency", "breach_rate", "waiting_p90_wm", "lane"],
                      ascending=[True, False, False, True], na_position="last")
    top = g.groupby("agency", dropna=False, sort=False).head(1)
    top = top.sort_values(["breach_rate", "agency"], ascending=[False, True], na_position="last")
    return top[["agency", "lane", "quarter", "sop_ids", "step_occurrences", "violations", "judged",
                "breach_rate", "waiting_p90_wm"]]


def expected_service_breaches(cc: pd.DataFrame) -> pd.DataFrame:
    """Cases whose first -> last event broke the case-level standard, longest first."""
    b = cc[cc["service_std_breach"].fillna(False).astype(bool)]
    b = b.assign(throughput_days=b["throughput_hours"] / 24)
    b = b.sort_values(["throughput_hours", "sop_id", "agency", "case_id"], ascending=[False, True, True, True])
    return b[["sop_id", "agency", "case_id", "first_day", "last_day", "is_open", "throughput_days",
              "throughput_wm", "service_std_max", "service_std_unit"]]


def expected_top_deviations(dev: pd.DataFrame, cc: pd.DataFrame) -> pd.DataFrame:
    """Per SOP, the deviation kind seen in the most cases (then the most rows, then by name)."""
    labels = {"skipped_step": "Langkah dilewati", "wrong_order": "Urutan salah", "rework": "Pengulangan",
              "both_branches": "Dua cabang dikerjakan", "extra_activity": "Kegiatan tambahan",
              "unmapped_activity": "Kegiatan di luar SOP", "same_person": "Dikerjakan orang yang sama",
              "missing_kelengkapan": "Kelengkapan kurang"}
    # a case is (sop_id, agency, case_id): the same id in two agencies counts twice
    dev = dev.assign(case_key=dev["agency"].fillna("") + "\x1f" + dev["case_id"])
    per = dev.groupby(["sop_id", "kind"]).agg(
        deviations=("case_id", "size"), cases=("case_key", "nunique")).reset_index()
    per.insert(2, "label_id", per["kind"].map(labels))
    checked = cc.groupby("sop_id").size().rename("cases_checked").reset_index()
    per = per.merge(checked, on="sop_id")
    per["share_of_cases"] = per["cases"] / per["cases_checked"]
    per = per.sort_values(["sop_id", "cases", "deviations", "kind"],
                          ascending=[True, False, False, True])
    return per.groupby("sop_id").head(1)


def test_answers_on_the_analysed_store(analysed_db: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    got = run_notebook(analysed_db, tmp_path, monkeypatch)
    raw = _tables(analysed_db)

    assert got["latest_run"]["run_id"].tolist() == [raw["runs"]["run_id"].max()]
    worst = expected_worst_lanes(raw["step_checks"])
    assert len(worst) > 0, "the analysed store has no lane statistics"
    assert_same(got["worst_lanes"], worst, "worst_lanes")
    assert_same(got["service_breaches"], expected_service_breaches(raw["case_checks"]),
                "service_breaches")
    top = expected_top_deviations(raw["deviations"], raw["case_checks"])
    assert len(top) > 0, "the analysed store has no deviations"
    assert_same(got["top_deviations"], top, "top_deviations")


def test_committed_notebook_has_no_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"cell {i} has stored outputs"
