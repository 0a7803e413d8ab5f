"""Issue 14.4: SOP revisions with effective dates, in one run.

A case is judged by the SOP version in force on the local day of its first event: a second
revision with a changed Waktu judges the cases started after its Tanggal Efektif by the new
Waktu and earlier ones by the old; a step it adds to the flow is a deviation only of the cases
under it; a case spanning the change is judged by the version at its start. Everything goes
through the commands a user types (``pantau sop add``, ``ingest``, ``analyze``) on a real
store, and the expected figures follow from how the log is built below.
"""

from __future__ import annotations

import os

os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")

import csv
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from dashboard_fixture import open_page, store_rows
from registry_helpers import SOP_ID, STEPS, run_cli

from dashboard import fmt

EFFECTIVE_2 = "2024-06-01"
NEW_STEP = ("s04", "Memverifikasi data pemohon", "Petugas Loket")


def model_text(revision: str, effective: str, waktu_s02: str, *, extra_step: bool) -> str:
    """The SOP's model file: rev. 02 may add a verification step between s01 and s02."""
    steps = [*STEPS, NEW_STEP] if extra_step else list(STEPS)
    lines = "\n".join(
        f"  - {{id: {sid}, \"no\": \"{n}\", name: {name}, lane: {lane}, "
        f"waktu: {waktu_s02 if sid == 's02' else '1 Hari'}}}" for n, (sid, name, lane) in enumerate(steps, 1))
    flow = "[s01, s04, s02, s03]" if extra_step else "[s01, s02, s03]"
    return (f"id: {SOP_ID}\ntitle: Izin Contoh\nagency: Dinas Contoh\nregion: Kabupaten Contoh\n"
            f"timezone: Asia/Jakarta\nsource: izin-contoh.docx\nrevision: \"{revision}\"\n"
            f"effective: {effective}\nlanes: [Petugas Loket, Kepala Dinas]\nsteps:\n{lines}\nflow: {flow}\n")


# (case, first event local time, minutes to s02, s03's local time): s02 takes 90 minutes in
# every case, within rev. 01's 2 Jam and over rev. 02's 1 Jam. No case does rev. 02's s04.
# Working days without a holiday in Indonesia (1 June 2024, Hari Lahir Pancasila, is a Saturday).
BEFORE = [("B1", datetime(2024, 5, 27, 9)), ("B2", datetime(2024, 5, 28, 9)), ("B3", datetime(2024, 5, 29, 9))]
AFTER = [("A1", datetime(2024, 6, 3, 9)), ("A2", datetime(2024, 6, 4, 9)), ("A3", datetime(2024, 6, 5, 9))]
SPANNING = ("S1", datetime(2024, 5, 31, 9))  # starts under rev. 01, ends on 3 June under rev. 02


def write_log(path: Path) -> Path:
    rows = []
    for case, t0 in [*BEFORE, *AFTER, SPANNING]:
        t2 = t0 + timedelta(minutes=90)
        t3 = datetime(2024, 6, 3, 10) if case == SPANNING[0] else t2 + timedelta(minutes=10)
        rows += [(case, STEPS[0][1], t0), (case, STEPS[1][1], t2), (case, STEPS[2][1], t3)]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["case_id", "activity", "timestamp"])
        writer.writerows((c, a, t.isoformat(sep=" ")) for c, a, t in rows)
    return path



@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """Two confirmed revisions of one SOP, one log across the change, analysed once."""
    folder = tmp_path_factory.mktemp("revisions")
    db = folder / "s.duckdb"
    first = folder / "rev01.yaml"
    first.write_text(model_text("01", "2024-01-01", "2 Jam", extra_step=False), encoding="utf-8")
    second = folder / "rev02.yaml"
    second.write_text(model_text("02", EFFECTIVE_2, "1 Jam", extra_step=True), encoding="utf-8")
    log = write_log(folder / "log.csv")

    for args in (["sop", "add", str(first), "--db", str(db), "--by", "ina", "--confirm"],
                 ["sop", "add", str(second), "--db", str(db), "--by", "ina", "--confirm"],
                 ["ingest", str(log), "--db", str(db), "--sop", SOP_ID, "-q"],
                 ["analyze", "--db", str(db), "-q"]):
        code, out, err = run_cli(args)
        assert code == 0, (args, out, err)
    (v1,), (v2,) = store_rows(db, "SELECT model_sha256 FROM models WHERE sop_id = ? ORDER BY revision", [SOP_ID])
    return db, v1, v2


def test_each_case_is_judged_by_the_version_in_force_when_it_started(store) -> None:
    db, v1, v2 = store
    judged = dict(store_rows(db, "SELECT case_id, model_sha256 FROM case_checks WHERE sop_id = ?", [SOP_ID]))
    expected = {c: v1 for c, _ in BEFORE} | {c: v2 for c, _ in AFTER} | {SPANNING[0]: v1}
    assert judged == expected
    # every per-case result row names the version its case was judged by
    for table in ("step_checks", "deviations"):
        rows = store_rows(db, f"SELECT DISTINCT case_id, model_sha256 FROM {table} WHERE sop_id = ?", [SOP_ID])
        assert all(expected[c] == sha for c, sha in rows), table
    # the run names the version shown for the SOP: the latest it used
    assert store_rows(db, "SELECT model_sha256 FROM result_models WHERE sop_id = ?", [SOP_ID]) == [(v2,)]


def test_the_new_waktu_judges_only_cases_started_after_its_effective_date(store) -> None:
    db = store[0]
    s02 = {c: (status, std_max) for c, status, std_max in store_rows(
        db, "SELECT case_id, status, std_max FROM step_checks WHERE sop_id = ? AND step_id = 's02'", [SOP_ID])}
    old = {c: ("ok", 2.0) for c, _ in BEFORE} | {SPANNING[0]: ("ok", 2.0)}
    new = {c: ("breach", 1.0) for c, _ in AFTER}
    assert s02 == old | new
    on_time = dict(store_rows(db, "SELECT case_id, on_time FROM case_checks WHERE sop_id = ?", [SOP_ID]))
    assert on_time == {c: s == "ok" for c, (s, _) in s02.items()}


def test_a_step_added_by_the_new_revision_is_a_deviation_only_under_it(store) -> None:
    db, v1, v2 = store
    devs = store_rows(db, "SELECT case_id, kind, step_id, model_sha256 FROM deviations WHERE sop_id = ? ORDER BY 1",
              [SOP_ID])
    assert devs == [(c, "skipped_step", "s04", v2) for c, _ in AFTER]
    conformant = dict(store_rows(db, "SELECT case_id, conformant FROM case_checks WHERE sop_id = ?", [SOP_ID]))
    assert conformant == {c: c not in {a for a, _ in AFTER} for c in conformant}
    # one trace, two variants: a variant is a trace under one model version
    variants = store_rows(db, "SELECT model_sha256, case_count, is_sop_path FROM variants WHERE sop_id = ? ORDER BY 2 DESC",
                  [SOP_ID])
    assert sorted(variants) == sorted([(v1, len(BEFORE) + 1, True), (v2, len(AFTER), False)])
    # model quality per version: the fitness of the cases each version judged
    quality = dict(store_rows(db, "SELECT model_sha256, fitness FROM model_quality WHERE sop_id = ?", [SOP_ID]))
    assert quality[v1] == 1.0 and quality[v2] < 1.0


def test_models_in_force_follows_the_effective_dates(store) -> None:
    db, v1, v2 = store
    for day, sha in (("2023-12-31", v1), ("2024-01-01", v1), ("2024-05-31", v1), (EFFECTIVE_2, v2),
                     ("2030-01-01", v2)):
        assert store_rows(db, "SELECT model_sha256 FROM models_in_force(?::DATE) WHERE sop_id = ?", [day, SOP_ID]) == [(sha,)]
    periods = store_rows(db, "SELECT model_sha256, in_force_from, in_force_until FROM model_periods WHERE sop_id = ? "
                     "ORDER BY in_force_from NULLS FIRST", [SOP_ID])
    assert [(p[0], str(p[1]), str(p[2])) for p in periods] == [(v1, "None", EFFECTIVE_2), (v2, EFFECTIVE_2, "None")]



def test_the_case_page_says_which_version_judged_the_case(monkeypatch, store) -> None:
    db, v1, v2 = store
    for case, revision, sha in ((AFTER[0][0], "02", v2), (SPANNING[0], "01", v1)):
        at = open_page(monkeypatch, db, "kasus", {"case": case, "sop": SOP_ID})
        notes = [c.value for c in at.caption if "Dinilai dengan SOP" in c.value]
        assert notes and f"rev. {revision}" in notes[0] and sha[:12] in notes[0], (case, notes)


def test_the_model_page_lists_the_revisions_and_the_cases_each_judged(monkeypatch, store) -> None:
    db, v1, v2 = store
    at = open_page(monkeypatch, db, "model", {"sop": SOP_ID})
    table = next(d.value for d in at.dataframe if "Kasus dinilai" in d.value.columns)
    assert list(table["No. Revisi"]) == ["01", "02"]
    assert list(table["Kasus dinilai"]) == [fmt.number(len(BEFORE) + 1), fmt.number(len(AFTER))]
    assert list(table["Checksum model"]) == [v1[:12], v2[:12]]
    # shown in the latest version used; the earlier one can be chosen
    assert at.selectbox(key=f"model_version_{SOP_ID}").value == v2
    at.selectbox(key=f"model_version_{SOP_ID}").set_value(v1).run()
    assert any(v1 in c.value for c in at.code)


def test_per_agency_figures_stay_one_row_per_agency_and_sop(store) -> None:
    """model_quality has a row per version; the Deviasi page's table one per agency and SOP."""
    from dashboard import queries
    from dashboard.filters import Filters
    from event_logs.store import open_store

    db = store[0]
    con = open_store(db)
    try:
        rows = queries.QUERIES["fitness_by_agency"](con, Filters())
    finally:
        con.close()
    assert len(rows) == 1 and int(rows["cases"].iloc[0]) == len(BEFORE) + len(AFTER) + 1
    (p1, n1), (p2, n2) = store_rows(db, "SELECT precision, cases FROM model_quality ORDER BY model_sha256 = ?", [store[2]])
    assert rows["precision"].iloc[0] == pytest.approx((p1 * n1 + p2 * n2) / (n1 + n2))
