"""The bottleneck call-out (issue 15.1): the lane and step that add the most working time
beyond their standard, from the view ``bottlenecks`` (event_logs/sql/views.sql) over
``step_checks.excess_wm`` (docs/mutu-baku.md, "Bottleneck").

On simulated data whose slow lane is known: a Kepala Dinas who skips most signing sessions
makes the approval (s06) the bottleneck; a single front-desk officer facing a month's queue
makes a Petugas step the bottleneck instead. The excess itself is checked against two
independent readings of the same rule.
"""

from __future__ import annotations

import dataclasses
import os
from datetime import date
from pathlib import Path

os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")

import duckdb
import pytest

from event_logs import open_store
from event_logs.simulator.config import KEPALA, SOPS, LaneConfig, SimConfig

SOP = "batam-dinkes-jaminan-rs"
BASE = SOPS[SOP]


def _store(path: Path, sop_config, cases: int) -> Path:
    from analytics import analyze
    from event_logs.simulator import simulate

    simulate(path, cases=cases, seed=11, sop_ids=[SOP], config=SimConfig(sops={**SOPS, SOP: sop_config}),
             start=date(2024, 7, 1), end=date(2024, 8, 31), deviation_rate=0.0)
    analyze(path)
    return path


@pytest.fixture(scope="module")
def slow_head(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Kepala Dinas skips nine signing sessions in ten."""
    lanes = {**BASE.lanes, "Kepala Dinas": dataclasses.replace(KEPALA, skip_prob=(0.9, 0.9))}
    return _store(tmp_path_factory.mktemp("slow_head") / "s.duckdb", dataclasses.replace(BASE, lanes=lanes), 160)


@pytest.fixture(scope="module")
def busy_desk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One officer at one counter for every applicant; the head signs at once."""
    lanes = {**BASE.lanes, "Kepala Dinas": LaneConfig(mode="counter", scope="agency", capacity=6),
             "Petugas Pelayanan Bantuan": LaneConfig(scope="unit", capacity=1)}
    config = dataclasses.replace(BASE, units=("Puskesmas Sekupang",), unit_weights=None, lanes=lanes)
    return _store(tmp_path_factory.mktemp("busy_desk") / "b.duckdb", config, 400)


def _top(db: Path) -> tuple:
    con = open_store(db)
    try:
        return con.execute("SELECT lane, step_id, cases, excess_hours FROM bottlenecks WHERE rank = 1 "
                           "AND sop_id = ?", [SOP]).fetchone()
    finally:
        con.close()


def test_a_slow_head_makes_the_approval_the_bottleneck(slow_head: Path) -> None:
    lane, step, cases, hours = _top(slow_head)
    print(f"\nslow head: {lane} {step}: {hours:.1f} working hours beyond the standard in {cases} cases")
    assert (lane, step) == ("Kepala Dinas", "s06")
    assert cases > 20 and hours > 100


def test_a_busy_desk_moves_the_bottleneck_to_the_officer(busy_desk: Path) -> None:
    lane, step, cases, hours = _top(busy_desk)
    print(f"\nbusy desk: {lane} {step}: {hours:.1f} working hours beyond the standard in {cases} cases")
    assert lane == "Petugas Pelayanan Bantuan"
    assert cases > 20


def test_the_view_adds_up_each_steps_excess_and_ranks_by_it(slow_head: Path) -> None:
    con = duckdb.connect(str(slow_head), read_only=True)
    try:
        view = con.execute("SELECT sop_id, agency, lane, step_id, cases, occurrences, excess_hours, rank "
                           "FROM bottlenecks ORDER BY sop_id, agency, rank").fetchall()
        by_hand = con.execute("""
            SELECT sop_id, agency, lane, step_id, count(DISTINCT case_id), count(*), sum(excess_wm) / 60
            FROM step_checks WHERE excess_wm > 0 GROUP BY ALL""").fetchall()
    finally:
        con.close()
    got = {r[:4]: (r[4], r[5], round(r[6], 6)) for r in view}
    assert got == {r[:4]: (r[4], r[5], round(r[6], 6)) for r in by_hand}
    ranked = [r[6] for r in view]
    assert ranked == sorted(ranked, reverse=True)  # one SOP and agency here
    assert [r[7] for r in view] == list(range(1, len(view) + 1))


@pytest.mark.parametrize("store", ["slow_head", "analysed_db"])
def test_excess_is_the_working_time_from_due_to_done(store: str, request: pytest.FixtureRequest) -> None:
    # analysed_db holds every SOP: monthly deadlines (Batam s06, Banjarbaru s04/s05) and
    # calendar-time bounds (Musi s18/s19, Banjarbaru s05) too
    con = duckdb.connect(str(request.getfixturevalue(store)), read_only=True)
    try:
        # over a working-time maximum: the overrun in working minutes (a working day = 480)
        over_max = con.execute("""
            SELECT max(abs(excess_wm - overrun * CASE std_unit WHEN 'minute' THEN 1 WHEN 'hour' THEN 60
                                                                ELSE 480 END)), count(*)
            FROM step_checks WHERE status = 'breach' AND std_calendar = 'working'""").fetchone()
        # every late occurrence: the calendar's working minutes from its deadline to its completion
        late = con.execute("""
            SELECT max(abs(s.excess_wm - work_minutes(m.calendar_id, s.deadline_ts, s.complete_ts))),
                   count(*), count(*) FILTER (WHERE s.status = 'deadline_missed')
            FROM step_checks s JOIN models m ON m.model_sha256 = (SELECT model_sha256 FROM result_models
                                                                 WHERE sop_id = s.sop_id)
            WHERE s.status IN ('breach', 'deadline_missed')""").fetchone()
        within = con.execute("SELECT count(*) FROM step_checks WHERE status IN ('ok', 'too_fast', 'no_standard') "
                             "AND excess_wm <> 0").fetchone()[0]
    finally:
        con.close()
    assert over_max[1] > 20 and over_max[0] < 1e-6
    assert late[1] > 20 and late[0] < 1e-6
    if store == "analysed_db":
        assert late[2] > 20  # day-of-month deadlines were missed and measured from their due day
    assert within == 0


def test_a_period_and_a_unit_limit_the_ranking(slow_head: Path) -> None:
    con = duckdb.connect(str(slow_head), read_only=True)
    try:
        july = con.execute("SELECT sum(occurrences) FROM bottlenecks_between(DATE '2024-07-01', DATE '2024-07-31', "
                           "NULL)").fetchone()[0]
        expected = con.execute("SELECT count(*) FROM step_checks WHERE excess_wm > 0 AND complete_day "
                               "BETWEEN DATE '2024-07-01' AND DATE '2024-07-31'").fetchone()[0]
        unit = con.execute("SELECT unit FROM step_checks WHERE excess_wm > 0 GROUP BY unit "
                           "ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
        in_unit = con.execute("SELECT sum(occurrences) FROM bottlenecks_between(NULL, NULL, ?)", [unit]).fetchone()[0]
        expected_unit = con.execute("SELECT count(*) FROM step_checks WHERE excess_wm > 0 AND unit = ?",
                                    [unit]).fetchone()[0]
    finally:
        con.close()
    assert july == expected > 0
    assert in_unit == expected_unit > 0


def test_worked_examples_of_docs_mutu_baku(tmp_path: Path) -> None:
    # docs/mutu-baku.md, "Bottleneck": Batam RS s06 ("2 hari") and Batam 069 s06 ("tanggal 25")
    from test_mutu_baku import BATAM, BATAM_RS, Store

    store = Store(tmp_path / "worked.duckdb")
    try:
        rs = [("s01", "complete", "2024-07-01 08:30"), ("s02", "complete", "2024-07-01 08:45"),
              ("s03", "complete", "2024-07-01 08:50"), ("s04", "complete", "2024-07-01 08:53"),
              ("s05", "complete", "2024-07-01 09:00"), ("s06", "complete", "2024-07-04 11:00")]
        store.case(BATAM_RS, "RS", rs)
        batam = [("s01", "complete", "2024-07-01 08:30"), ("s02", "complete", "2024-07-01 08:45"),
                 ("s03", "complete", "2024-07-01 08:50"), ("s04", "complete", "2024-07-01 08:53"),
                 ("s05", "complete", "2024-07-01 09:00"), ("s06", "start", "2024-07-29 09:00"),
                 ("s06", "complete", "2024-07-29 10:00")]
        store.case(BATAM, "INT", batam)
        rows = store.check_steps()
    finally:
        store.con.close()
    assert rows[("RS", "s06", 1)]["excess_wm"] == pytest.approx(600)
    assert rows[("RS", "s06", 1)]["overrun"] == pytest.approx(1.25)
    assert rows[("INT", "s06", 1)]["status"] == "deadline_missed"
    assert rows[("INT", "s06", 1)]["excess_wm"] == pytest.approx(600)
    assert all(r["excess_wm"] == 0 for k, r in rows.items() if k[1] != "s06")
