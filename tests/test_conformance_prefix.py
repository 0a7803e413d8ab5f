"""Open cases judged on their prefix (docs/mutu-baku.md, "Conformance of open cases").

A variant whose trace stops where the SOP's flow cannot end is aligned as a prefix: steps
that may still come are no deviation, and fitness / cost / conformant say "so far". On the
simulated store (tests/conftest.py, the simulator's injected ground truth in sim_truth):
every open case without an injected alignment deviation is conformant so far, and
deviations match the truth with precision and recall >= 0.95 per kind on closed and open
cases separately.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")

import duckdb
import pytest

from analytics.conformance import run_conformance
from event_logs import open_store
from event_logs.store import init_store
from sop_models import get_model

ALIGNMENT_KINDS = ("skipped_step", "extra_activity", "wrong_order", "rework", "unmapped_activity",
                   "both_branches")
KINDS = (*ALIGNMENT_KINDS, "missing_kelengkapan", "same_person")


@pytest.fixture(scope="module")
def open_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4,000 simulated cases over six weeks (many still open at the end), analysed."""
    from analytics import analyze
    from event_logs.simulator import simulate

    path = tmp_path_factory.mktemp("open") / "sim.duckdb"
    simulate(path, cases=4000, seed=20242, start=date(2024, 3, 1), end=date(2024, 4, 15), deviation_rate=0.3)
    analyze(path)
    return path


def _score(detected: set, truth: set) -> tuple[float, float]:
    hit = len(detected & truth)
    return (hit / len(detected) if detected else 1.0, hit / len(truth) if truth else 1.0)


def _case_open(con) -> dict[tuple[str, str], bool]:
    return {(s, c): bool(o) for s, c, o in con.execute(
        "SELECT cc.sop_id, cc.case_id, v.is_open FROM case_checks cc "
        "JOIN variants v ON v.sop_id = cc.sop_id AND v.variant_id = cc.variant_id").fetchall()}


def test_open_cases_without_injected_deviation_are_conformant_so_far(open_db: Path) -> None:
    con = open_store(open_db)
    try:
        kinds = ", ".join(f"'{k}'" for k in ALIGNMENT_KINDS)
        rows = con.execute(f"""
            SELECT cc.sop_id, cc.case_id, cc.conformant, cc.alignment_fitness, v.alignment_status,
                   EXISTS (SELECT 1 FROM sim_truth t WHERE t.sop_id = cc.sop_id AND t.case_id = cc.case_id
                           AND t.kind IN ({kinds})) AS injected
            FROM case_checks cc JOIN variants v ON v.sop_id = cc.sop_id AND v.variant_id = cc.variant_id
            WHERE v.is_open""").fetchall()
        # an open variant is open as a whole: its cases are open in case_checks too
        mixed = con.execute("""
            SELECT count(*) FROM case_checks cc JOIN variants v USING (sop_id, variant_id)
            WHERE v.is_open AND NOT cc.is_open""").fetchone()[0]
    finally:
        con.close()
    clean = [r for r in rows if not r[5]]
    print(f"\nopen cases: {len(rows)}, without an injected alignment deviation: {len(clean)}, "
          f"conformant so far: {sum(1 for r in clean if r[2])}")
    assert len(clean) >= 200, "too few open cases in the simulated store to say anything"
    assert all(r[4] == "aligned" for r in rows)
    assert [r[:2] for r in clean if not r[2]] == []
    assert all(r[3] == 1.0 for r in clean)
    assert mixed == 0


def test_deviations_match_truth_on_closed_and_open_cases_separately(open_db: Path) -> None:
    con = open_store(open_db)
    try:
        kinds = ", ".join(f"'{k}'" for k in KINDS)
        detected = set(con.execute(
            f"SELECT DISTINCT sop_id, case_id, kind FROM deviations WHERE kind IN ({kinds})").fetchall())
        truth = set(con.execute(
            f"SELECT DISTINCT sop_id, case_id, kind FROM sim_truth WHERE kind IN ({kinds})").fetchall())
        opened = _case_open(con)
    finally:
        con.close()
    failures = []
    for group, wanted in (("closed", False), ("open", True)):
        det = {d for d in detected if opened.get(d[:2]) == wanted}
        tru = {t for t in truth if opened.get(t[:2]) == wanted}
        print(f"\n{group} cases: {sum(1 for v in opened.values() if v == wanted)}, "
              f"deviations {len(det)} detected, {len(tru)} injected")
        for kind in KINDS:
            p, r = _score({d for d in det if d[2] == kind}, {t for t in tru if t[2] == kind})
            n = sum(1 for t in tru if t[2] == kind)
            print(f"  {kind:20s} precision {p:.3f} recall {r:.3f} ({n} injected)")
            if p < 0.95 or r < 0.95:
                failures.append((group, kind, p, r))
        if wanted:
            assert len(tru) >= 40, "too few deviations injected into open cases to measure"
    assert failures == []


def test_variant_of_open_cases_is_marked_and_judged_so_far(tmp_path: Path) -> None:
    # Banjarbaru's flow ends only after s06: a case that stopped after s03 or s05 is still
    # running. Worked example of docs/mutu-baku.md ("Conformance of open cases").
    model = get_model("banjarbaru-dinsos-peserta-jkn")
    db = tmp_path / "store.duckdb"
    init_store(db)
    con = duckdb.connect(str(db))
    traces = {"jalan": ["s03", "s04", "s05"], "lompat": ["s03", "s05"], "tukar": ["s03", "s05", "s04"],
              "selesai": ["s03", "s04", "s05", "s06"]}
    rows = []
    for n, (case_id, trace) in enumerate(traces.items()):
        for j, step in enumerate(trace):
            eid = 10 * n + j + 1
            rows.append(f"({eid}, '{case_id}', '{model.id}', '{step}', 'complete', "
                        f"TIMESTAMPTZ '2024-07-01 09:00:00+08' + INTERVAL {j} HOUR, 'x', "
                        f"'{model.agency}', 'Kantor', 1, {eid})")
    con.execute("INSERT INTO events (event_id, case_id, sop_id, activity, lifecycle, ts, resource, agency, unit, import_id, source_row) VALUES " + ", ".join(rows))
    run_conformance(con, 1, [model.id], models={model.id: model})
    got = {tuple(a): (o, f, c, p) for a, o, f, c, p in con.execute(
        "SELECT activities, is_open, alignment_fitness, cost, is_sop_path FROM variants").fetchall()}
    # flow s03 -> s04 -> s05 -> s06: the shortest run has 4 steps
    assert got[("s03", "s04", "s05")] == (True, 1.0, 0.0, True)  # nothing wrong so far
    # s04 skipped before the case's last event: one deviation so far, over 2 events + 4 steps
    assert got[("s03", "s05")] == (True, pytest.approx(1 - 1 / 6), 1.0, False)
    # s05 done before s04, s06 still to come: one log move on s05, which may still come: wrong_order
    assert got[("s03", "s05", "s04")] == (True, pytest.approx(1 - 1 / 7), 1.0, False)
    assert got[("s03", "s04", "s05", "s06")] == (False, 1.0, 0.0, True)
    devs = con.execute("SELECT case_id, kind, step_id, position FROM deviations ORDER BY 1").fetchall()
    assert devs == [("lompat", "skipped_step", "s04", None), ("tukar", "wrong_order", "s05", 2)]
    con.close()


LOOP_YAML = """
id: uji-ulang
title: Uji ulang
agency: Dinas Uji
region: Kota Uji
timezone: Asia/Jakarta
source: 000_41f6d9e0ae68eb16.txt
lanes: [Petugas]
steps:
  - {id: s01, no: "1", name: Menerima berkas, lane: Petugas, waktu: 5 Menit}
  - {id: s02, no: "2", name: Memeriksa berkas, lane: Petugas, waktu: 5 Menit}
  - {id: s03, no: "3", name: Mengembalikan berkas, lane: Petugas, waktu: 5 Menit}
  - {id: s04, no: "4", name: Menerima perbaikan, lane: Petugas, waktu: 5 Menit}
  - {id: s05, no: "5", name: Menyetujui, lane: Petugas, waktu: 5 Menit}
flow:
  - s01
  - loop: {id: periksa, body: s02, redo: [s03, s04]}
  - s05
"""


def test_open_case_repeating_a_step_it_may_still_do_is_rework(tmp_path: Path) -> None:
    # s02 again right after s02: the loop would need s03 and s04 in between (two model moves);
    # one log move is cheaper. s02 may still come (the loop), but the case did it in step
    # already: a repeat (rework), not a step done before its turn.
    from sop_models.loader import load_model

    path = tmp_path / "uji-ulang.yaml"
    path.write_text(LOOP_YAML, encoding="utf-8")
    model = load_model(path)
    db = tmp_path / "store.duckdb"
    init_store(db)
    con = duckdb.connect(str(db))
    con.execute(f"""INSERT INTO events (event_id, case_id, sop_id, activity, lifecycle, ts, resource, agency, unit, import_id, source_row) VALUES
        (1, 'ulang', '{model.id}', 's01', 'complete', TIMESTAMPTZ '2024-07-01 09:00:00+07', 'x', 'A', 'U', 1, 1),
        (2, 'ulang', '{model.id}', 's02', 'complete', TIMESTAMPTZ '2024-07-01 10:00:00+07', 'x', 'A', 'U', 1, 2),
        (3, 'ulang', '{model.id}', 's02', 'complete', TIMESTAMPTZ '2024-07-01 11:00:00+07', 'x', 'A', 'U', 1, 3)""")
    run_conformance(con, 1, [model.id], models={model.id: model})
    assert con.execute("SELECT is_open, cost FROM variants").fetchone() == (True, 1.0)
    assert con.execute("SELECT kind, step_id, position FROM deviations").fetchall() == [("rework", "s02", 3)]
    con.close()
