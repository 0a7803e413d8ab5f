"""Mutu Baku step and case checks on real DuckDB files, with hand-written events for the
real SOP models (sop_models/models/*.yaml).

Every expected number follows from the rules in docs/mutu-baku.md; the arithmetic is in the
comments. Dates avoid Indonesian holidays unless a test is about them (July 2024 has none on
weekdays; 7 July 2024, 1 Muharram, is a Sunday).
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from analytics import calendar as work_calendar
from analytics import mutu_baku
from event_logs.store import init_store, open_store
from sop_models import get_model
from sop_models.flow_paths import can_end_after, end_steps, happy_next, paused_loops, start_steps

BATAM = "batam-dinkes-integrasi-jkn"
BATAM_RS = "batam-dinkes-jaminan-rs"
BANJARBARU = "banjarbaru-dinsos-peserta-jkn"
DKI = "dki-setda-jkn-wbs"
MUBA = "muba-dinkes-uhc-bpjs"


class Store:
    """A real store file with hand-written events (local wall-clock times of the SOP's zone)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        init_store(path)
        self.con = open_store(path, read_only=False)
        self.next_id = 1
        self.sops: set[str] = set()

    def case(self, sop_id: str, case_id: str, events: list[tuple[str | None, str, str]],
             attributes: dict[str, Any] | None = None, unit: str = "Kantor Pusat") -> None:
        """``events``: (step id or None for an unmapped activity, lifecycle, 'YYYY-MM-DD HH:MM')."""
        model = get_model(sop_id)
        zone = ZoneInfo(model.timezone)
        for step, lifecycle, when in events:
            ts = datetime.fromisoformat(when).replace(tzinfo=zone)
            # the label is the step id (mapped exactly at analysis), or a label of no step
            self.con.execute(
                "INSERT INTO events (event_id, case_id, sop_id, activity, lifecycle, ts, "
                "resource, agency, unit, import_id, source_row) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
                [self.next_id, case_id, sop_id, step or "Konfirmasi via telepon", lifecycle,
                 ts, f"petugas-{self.next_id % 3}", model.agency, unit, self.next_id])
            self.next_id += 1
        self.con.execute("INSERT INTO cases (case_id, sop_id, agency, unit, attributes) "
                         "VALUES (?, ?, ?, ?, ?)",
                         [case_id, sop_id, model.agency, unit,
                          json.dumps(attributes) if attributes is not None else None])
        self.sops.add(sop_id)

    @property
    def models(self) -> dict[str, Any]:
        return {s: get_model(s) for s in sorted(self.sops)}

    def install_calendar(self) -> None:
        first, last = self.con.execute("SELECT min(ts), max(ts) FROM events").fetchall()[0]
        work_calendar.install_for_models(self.con, list(self.models.values()), first, last)

    def check_steps(self, run_id: int = 1) -> dict[tuple[str, str, int], dict[str, Any]]:
        self.install_calendar()
        mutu_baku.build_step_checks(self.con, run_id, self.models)
        return {(r["case_id"], r["step_id"], r["occurrence"]): r for r in self.rows("step_checks")}

    def check_cases(self, run_id: int = 1) -> dict[str, dict[str, Any]]:
        self.check_steps(run_id)
        mutu_baku.build_case_checks(self.con, run_id, self.models)
        return {r["case_id"]: r for r in self.rows("case_checks")}

    def rows(self, table: str) -> list[dict[str, Any]]:
        cur = self.con.execute(f"SELECT * FROM {table}")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "mutu.duckdb")
    yield s
    s.con.close()


def wib(when: str) -> datetime:
    return datetime.fromisoformat(when).replace(tzinfo=ZoneInfo("Asia/Jakarta"))


def wita(when: str) -> datetime:
    return datetime.fromisoformat(when).replace(tzinfo=ZoneInfo("Asia/Makassar"))


# --- step standards ----------------------------------------------------------------------------
def test_step_within_standard_is_ok_and_over_it_is_a_breach_with_its_overrun(store: Store) -> None:
    # Batam s03 "5 Menit" (working minutes); enabled by s02's completion.
    store.case(BATAM, "OK", [("s01", "complete", "2024-07-01 09:00"),
                             ("s02", "complete", "2024-07-01 09:10"),
                             ("s03", "complete", "2024-07-01 09:14")])
    store.case(BATAM, "LATE", [("s01", "complete", "2024-07-01 09:00"),
                               ("s02", "complete", "2024-07-01 09:10"),
                               ("s03", "complete", "2024-07-01 09:22")])
    rows = store.check_steps()
    ok = rows[("OK", "s03", 1)]
    # 09:10 -> 09:14 = 4 working minutes <= 5
    assert (ok["status"], ok["elapsed"], ok["std_max"], ok["std_unit"], ok["overrun"]) == (
        "ok", pytest.approx(4.0), 5.0, "minute", 0.0)
    assert ok["enabled_ts"] == wib("2024-07-01 09:10")
    assert ok["deadline_ts"] == wib("2024-07-01 09:15")  # 09:10 + 5 working minutes
    late = rows[("LATE", "s03", 1)]
    # 09:10 -> 09:22 = 12 > 5: overrun 12 - 5 = 7 minutes
    assert (late["status"], late["elapsed"], late["overrun"]) == ("breach", pytest.approx(12.0),
                                                                 pytest.approx(7.0))
    # the case's first event enables itself (elapsed 0); s02: 09:00 -> 09:10 = 10 <= 20
    assert rows[("OK", "s01", 1)]["elapsed"] == 0 and rows[("OK", "s01", 1)]["status"] == "ok"
    assert rows[("OK", "s02", 1)]["elapsed"] == pytest.approx(10.0)
    assert all(r["run_id"] == 1 and r["lane"] == "Petugas Pelayanan Bantuan" for r in rows.values())


def test_start_events_split_waiting_from_processing(store: Store) -> None:
    store.case(BATAM, "C", [("s01", "complete", "2024-07-01 09:00"),
                            ("s02", "complete", "2024-07-01 09:10"),
                            ("s03", "start", "2024-07-01 09:12"),
                            ("s03", "complete", "2024-07-01 09:14")])
    r = store.check_steps()[("C", "s03", 1)]
    # enabled 09:10, start 09:12, complete 09:14: waiting 2, processing 2, elapsed 4
    assert (r["waiting_wm"], r["processing_wm"], r["elapsed"]) == (
        pytest.approx(2.0), pytest.approx(2.0), pytest.approx(4.0))
    assert (r["start_event_id"], r["complete_event_id"]) == (3, 4)
    assert r["start_ts"] == wib("2024-07-01 09:12")
    lone = store.rows("step_checks")
    # no start event: waiting and processing unknown, only elapsed
    s02 = next(x for x in lone if x["step_id"] == "s02")
    assert s02["start_ts"] is None and s02["waiting_wm"] is None and s02["processing_wm"] is None


def test_a_restart_pairs_the_complete_with_the_last_start(store: Store) -> None:
    store.case(BATAM, "C", [("s01", "complete", "2024-07-01 09:00"),
                            ("s02", "start", "2024-07-01 09:01"),
                            ("s02", "start", "2024-07-01 09:05"),
                            ("s02", "complete", "2024-07-01 09:15")])
    r = store.check_steps()[("C", "s02", 1)]
    # the restart at 09:05 is the start: waiting 09:00 -> 09:05 = 5, processing 10
    assert (r["start_event_id"], r["waiting_wm"], r["processing_wm"]) == (3, 5.0, 10.0)
    assert len(store.rows("step_checks")) == 2


def test_an_unmapped_activity_completion_enables_the_next_step(store: Store) -> None:
    store.case(BATAM, "C", [("s01", "complete", "2024-07-01 09:00"),
                            (None, "complete", "2024-07-01 09:30"),
                            ("s02", "complete", "2024-07-01 09:40")])
    r = store.check_steps()[("C", "s02", 1)]
    # the undocumented activity done at 09:30 handed the file on: 09:30 -> 09:40 = 10
    assert r["enabled_ts"] == wib("2024-07-01 09:30") and r["elapsed"] == pytest.approx(10.0)


def test_paling_cepat_done_faster_is_too_fast(store: Store) -> None:
    # Muba s09: "Paling cepat 30 Menit" (min 30 wm) and "tidak boleh lebih dari 3x24 jam hari
    # kerja" (max 3 working days); results are reported in the maximum's unit (days).
    store.case(MUBA, "FAST", [("s08", "complete", "2024-07-01 09:00"),
                              ("s09", "complete", "2024-07-01 09:10")])
    store.case(MUBA, "FINE", [("s08", "complete", "2024-07-01 09:00"),
                              ("s09", "complete", "2024-07-01 09:45")])
    store.case(MUBA, "SLOW", [("s08", "complete", "2024-07-01 09:00"),
                              ("s09", "complete", "2024-07-04 10:00")])
    rows = store.check_steps()
    fast = rows[("FAST", "s09", 1)]
    # 10 working minutes < 30: too_fast; 10/480 day, min 30/480 = 0.0625 day, max 3 days
    assert fast["status"] == "too_fast"
    assert (fast["elapsed"], fast["std_min"], fast["std_max"], fast["std_unit"]) == (
        pytest.approx(10 / 480), pytest.approx(0.0625), 3.0, "day")
    assert fast["overrun"] == 0
    assert rows[("FINE", "s09", 1)]["status"] == "ok"  # 45 wm, between 30 wm and 3 days
    slow = rows[("SLOW", "s09", 1)]
    # Mon 09:00 -> Thu 10:00 = 420 + 480 + 480 + 120 = 1500 wm = 3.125 days > 3
    assert (slow["status"], slow["elapsed"], slow["overrun"]) == (
        "breach", pytest.approx(3.125), pytest.approx(0.125))


def test_batam_tanggal_25_deadline_met_and_missed(store: Store) -> None:
    # Batam s06: "30 Hari" and "pada tanggal 25 setiap bulannya": due at 16:00 on the first 25th
    # on or after the day s05 completed (the previous working day when the 25th is not one).
    store.case(BATAM, "MET", [("s05", "complete", "2024-07-15 10:00"),
                              ("s06", "complete", "2024-07-25 15:00")])
    store.case(BATAM, "MISSED", [("s05", "complete", "2024-07-15 10:00"),
                                 ("s06", "complete", "2024-07-26 09:00")])
    store.case(BATAM, "SUNDAY", [("s05", "complete", "2024-07-26 10:00"),
                                 ("s06", "complete", "2024-08-23 15:00")])
    rows = store.check_steps()
    met, missed, sunday = rows[("MET", "s06", 1)], rows[("MISSED", "s06", 1)], rows[("SUNDAY", "s06", 1)]
    # Thursday 25 July 2024 16:00 WIB
    assert met["deadline_ts"] == missed["deadline_ts"] == wib("2024-07-25 16:00")
    assert met["status"] == "ok"
    # a batch step's wait for the 25th is judged by the deadline alone; its "30 Hari" judges the
    # work from its start event, and with no start event there is no work span to judge
    assert met["elapsed"] == 0.0
    # 15 Jul 10:00 -> 25 Jul 15:00 is still the waiting time: 360 + 7 x 480 + 420 = 4140 wm
    assert met["paused_wm"] == 0.0
    assert (missed["status"], missed["overrun"]) == ("deadline_missed", 0.0)
    # enabled Friday 26 July: the next 25th is Sunday 25 August -> Friday 23 August 16:00
    assert sunday["deadline_ts"] == wib("2024-08-23 16:00") and sunday["status"] == "ok"
    for r in (met, missed, sunday):
        assert r["deadline_ts"] == work_calendar.month_day_deadline(
            store.con, "Asia/Jakarta", r["enabled_ts"], 25)


def test_a_step_past_its_deadline_and_over_its_maximum_is_deadline_missed(store: Store) -> None:
    # Banjarbaru s04 "2 Hari" with the 15th-of-the-month batch: started 11 July, completed 19
    # July 15:00 -> 8 working days of work (> 2) and after the 15 July 16:00 deadline. Both
    # conditions hold; the status precedence (ref_step_status) says deadline_missed, and the
    # overrun over the maximum is still reported.
    store.case(BANJARBARU, "BOTH", [("s03", "complete", "2024-07-01 09:00"),
                                    ("s04", "start", "2024-07-11 09:00"),
                                    ("s04", "complete", "2024-07-19 15:00")])
    row = store.check_steps()[("BOTH", "s04", 1)]
    assert row["status"] == "deadline_missed"
    assert row["elapsed"] > row["std_max"] and row["overrun"] > 0


def test_banjarbaru_batch_step_waits_for_the_15th_without_breaching_its_2_hari(store: Store) -> None:
    # Banjarbaru s04 "2 Hari", Form 34 due to BPJS "setiap tanggal 15": enabled 1 July, the batch
    # starts Thursday 11 July 09:00 and completes Friday 12 July 11:00. The wait (8 working days)
    # is for the batch and within the deadline; the work is 420 + 180 = 600 wm = 1.25 days <= 2.
    store.case(BANJARBARU, "BATCH", [("s03", "complete", "2024-07-01 10:00"),
                                     ("s04", "start", "2024-07-11 09:00"),
                                     ("s04", "complete", "2024-07-12 11:00")])
    # the same batch, but the work itself took three working days: a breach of "2 Hari"
    store.case(BANJARBARU, "SLOWWORK", [("s03", "complete", "2024-07-01 10:00"),
                                        ("s04", "start", "2024-07-08 09:00"),
                                        ("s04", "complete", "2024-07-11 09:30")])
    rows = store.check_steps()
    batch, slow = rows[("BATCH", "s04", 1)], rows[("SLOWWORK", "s04", 1)]
    assert batch["status"] == "ok" and batch["elapsed"] == pytest.approx(1.25)
    # waiting 1 Jul 10:00 -> 11 Jul 09:00 = 360 + 7 x 480 + 60 = 3780 wm
    assert batch["waiting_wm"] == pytest.approx(3780) and batch["paused_wm"] == 0.0
    assert batch["deadline_ts"] == wita("2024-07-15 16:00")
    # 8 Jul 09:00 -> 11 Jul 09:30 = 420 + 480 + 480 + 90 = 1470 wm = 3.0625 days > 2
    assert (slow["status"], slow["elapsed"]) == ("breach", pytest.approx(3.0625))


def test_a_per_wbs_standard_scales_with_jumlah_wbs(store: Store) -> None:
    # DKI s05 "1 menit per WBS", s06 "5 menit per WBS": max x jumlah_wbs (case attribute)
    for case_id, attrs in (("W10", {"jumlah_wbs": 10}), ("W1", {"jumlah_wbs": 1}), ("NONE", {})):
        store.case(DKI, case_id, [("s04", "complete", "2024-07-01 09:00"),
                                  ("s05", "complete", "2024-07-01 09:08"),
                                  ("s06", "complete", "2024-07-01 09:50")], attrs)
    rows = store.check_steps()
    w10 = rows[("W10", "s05", 1)]
    # 8 working minutes <= 1 x 10
    assert (w10["quantity"], w10["std_max"], w10["status"]) == (10.0, 10.0, "ok")
    assert rows[("W10", "s06", 1)]["std_max"] == 50.0  # 5 x 10; 42 minutes -> ok
    assert rows[("W10", "s06", 1)]["status"] == "ok"
    w1 = rows[("W1", "s05", 1)]
    assert (w1["std_max"], w1["status"], w1["overrun"]) == (1.0, "breach", pytest.approx(7.0))
    # no jumlah_wbs in the log: one unit
    assert (rows[("NONE", "s05", 1)]["quantity"], rows[("NONE", "s05", 1)]["status"]) == (1.0, "breach")
    assert rows[("W10", "s04", 1)]["quantity"] == 1.0  # "2 Jam" is not per unit


def test_applicant_time_in_a_rework_loop_is_paused_but_the_same_gap_elsewhere_breaches(
        store: Store) -> None:
    # Batam loop berkas-dikembalikan [s01, s02] returns_to pemohon. After s02 (Mon 09:15) the
    # file goes back to the applicant, who returns on Wednesday: s01 starts again at 10:00.
    store.case(BATAM, "LOOP", [("s01", "complete", "2024-07-01 09:00"),
                               ("s02", "complete", "2024-07-01 09:15"),
                               ("s01", "start", "2024-07-03 10:00"),
                               ("s01", "complete", "2024-07-03 10:04"),
                               ("s02", "complete", "2024-07-03 10:20")])
    # the same gap before s03, a step outside the loop: the agency's clock runs
    store.case(BATAM, "GAP", [("s01", "complete", "2024-07-01 09:00"),
                              ("s02", "complete", "2024-07-01 09:15"),
                              ("s03", "start", "2024-07-03 10:00"),
                              ("s03", "complete", "2024-07-03 10:04")])
    rows = store.check_steps()
    again = rows[("LOOP", "s01", 2)]
    # paused: Mon 09:15 -> 16:00 = 405, Tue 480, Wed 08:00 -> 10:00 = 120: 1005 working minutes
    assert again["paused_wm"] == pytest.approx(1005.0)
    assert again["enabled_ts"] == wib("2024-07-01 09:15")
    assert (again["status"], again["elapsed"], again["waiting_wm"], again["processing_wm"]) == (
        "ok", pytest.approx(4.0), 0.0, pytest.approx(4.0))
    assert rows[("LOOP", "s02", 2)]["elapsed"] == pytest.approx(16.0)  # 10:04 -> 10:20
    assert rows[("LOOP", "s01", 1)]["paused_wm"] == 0  # the first pass follows no return
    gap = rows[("GAP", "s03", 1)]
    # 1005 waiting + 4 processing = 1009 > 5: breach by 1004
    assert (gap["status"], gap["elapsed"], gap["overrun"], gap["paused_wm"], gap["waiting_wm"]) == (
        "breach", pytest.approx(1009.0), pytest.approx(1004.0), 0, pytest.approx(1005.0))


def test_a_span_over_a_weekend_counts_working_time_only(store: Store) -> None:
    # Batam RS s06 "2 Hari" (Kepala Dinas): working days of 480 minutes.
    store.case(BATAM_RS, "WEEKEND", [("s05", "complete", "2024-07-05 14:00"),
                                     ("s06", "complete", "2024-07-09 11:00")])
    store.case(BATAM_RS, "LONG", [("s05", "complete", "2024-07-05 14:00"),
                                  ("s06", "complete", "2024-07-10 11:00")])
    # Muba s18 "24 Jam" restated "1 x 24 jam": calendar hours, the weekend counts
    store.case(MUBA, "CAL", [("s17", "complete", "2024-07-05 14:00"),
                             ("s18", "complete", "2024-07-06 15:00")])
    rows = store.check_steps()
    weekend = rows[("WEEKEND", "s06", 1)]
    # Fri 14:00-16:00 = 120, Mon 480, Tue 08:00-11:00 = 180: 780 wm = 1.625 days <= 2
    # (93 calendar hours = 3.9 days would have breached)
    assert (weekend["status"], weekend["elapsed"], weekend["std_unit"], weekend["std_calendar"]) == (
        "ok", pytest.approx(1.625), "day", "working")
    assert weekend["deadline_ts"] == wib("2024-07-09 14:00")  # 960 wm after Fri 14:00
    long = rows[("LONG", "s06", 1)]
    assert (long["status"], long["elapsed"], long["overrun"]) == (  # 780 + 480 = 1260 = 2.625
        "breach", pytest.approx(2.625), pytest.approx(0.625))
    cal = rows[("CAL", "s18", 1)]
    # Fri 14:00 -> Sat 15:00 = 25 calendar hours > 24
    assert (cal["status"], cal["elapsed"], cal["std_unit"], cal["std_calendar"], cal["overrun"]) == (
        "breach", pytest.approx(25.0), "hour", "calendar", pytest.approx(1.0))
    assert cal["deadline_ts"] == wib("2024-07-06 14:00")


def test_a_holiday_is_not_working_time(store: Store) -> None:
    # Batam RS s06 "2 Hari": Friday 5 April 2024 15:00 -> Tuesday 16 April 08:30 is 60 + 30 =
    # 90 working minutes: 8, 9, 12 and 15 April were cuti bersama, 10-11 April Idul Fitri.
    store.case(BATAM_RS, "LEBARAN", [("s05", "complete", "2024-04-05 15:00"),
                                     ("s06", "complete", "2024-04-16 08:30")])
    r = store.check_steps()[("LEBARAN", "s06", 1)]
    assert (r["status"], r["elapsed"]) == ("ok", pytest.approx(90 / 480))


def test_steps_without_a_standard_and_repeated_steps(store: Store) -> None:
    # Muba s07 has no Waktu; DKI's validation loop (returns_to null) repeats s04-s06 and the
    # clock runs: s04's second occurrence counts from s06's completion.
    store.case(MUBA, "M", [("s06", "complete", "2024-07-01 09:00"),
                           ("s07", "complete", "2024-07-01 13:00")])
    store.case(DKI, "D", [("s04", "complete", "2024-07-01 09:00"),
                          ("s05", "complete", "2024-07-01 09:01"),
                          ("s06", "complete", "2024-07-01 09:05"),
                          ("s04", "complete", "2024-07-01 12:05"),
                          ("s05", "complete", "2024-07-01 12:06")], {"jumlah_wbs": 1})
    rows = store.check_steps()
    m = rows[("M", "s07", 1)]
    # no bound: elapsed reported in working minutes, status no_standard
    assert (m["status"], m["std_max"], m["std_unit"], m["elapsed"]) == ("no_standard", None, "minute", 240.0)
    again = rows[("D", "s04", 2)]
    # "2 Jam": 09:05 -> 12:05 = 180 wm = 3 hours > 2: breach by 1 hour, nothing paused
    assert (again["status"], again["elapsed"], again["overrun"], again["paused_wm"]) == (
        "breach", pytest.approx(3.0), pytest.approx(1.0), 0)
    assert rows[("D", "s05", 2)]["occurrence"] == 2


def test_deadlines_agree_with_the_calendar_macros(store: Store) -> None:
    # The step stage computes deadlines with joins; the calendar's own helpers must agree.
    rng = random.Random(7)
    t = wib("2024-06-03 08:00")
    for i in range(40):
        t += timedelta(minutes=rng.randrange(30, 6000))
        t2 = t + timedelta(minutes=rng.randrange(1, 4000))
        store.case(BATAM, f"R{i}", [("s05", "complete", t.strftime("%Y-%m-%d %H:%M")),
                                    ("s06", "complete", t2.strftime("%Y-%m-%d %H:%M")),
                                    ("s07", "complete", (t2 + timedelta(hours=rng.randrange(1, 90)))
                                     .strftime("%Y-%m-%d %H:%M"))])
    rows = store.check_steps()
    for (case_id, step, _), r in rows.items():
        if step == "s06":
            assert r["deadline_ts"] == work_calendar.month_day_deadline(
                store.con, "Asia/Jakarta", r["enabled_ts"], 25), case_id
        if step == "s07":  # "2 Hari" = 960 working minutes after enabling
            assert r["deadline_ts"] == work_calendar.add_working(
                store.con, "Asia/Jakarta", r["enabled_ts"], 960), case_id
            # breach = more than 960 working minutes (a completion after 16:00 on the due day
            # adds none, so the wall clock alone would not decide it)
            used = work_calendar.working_minutes(store.con, "Asia/Jakarta", r["enabled_ts"],
                                                 r["complete_ts"])
            assert r["elapsed"] == pytest.approx(used / 480), case_id
            assert (r["status"] == "breach") == (used > 960), case_id


# --- case checks -------------------------------------------------------------------------------
BANJARBARU_PATH = [("s03", "complete", "2024-01-10 09:00"), ("s04", "complete", "2024-01-12 10:00"),
                   ("s05", "complete", "2024-02-01 10:00")]


def test_banjarbaru_one_month_case_standard(store: Store) -> None:
    # Standar Pelayanan "1 (satu) bulan": first event 10 Jan 09:00 WITA, due 10 Feb 09:00.
    store.case(BANJARBARU, "IN", [*BANJARBARU_PATH, ("s06", "complete", "2024-02-09 15:00")])
    store.case(BANJARBARU, "OUT", [*BANJARBARU_PATH, ("s06", "complete", "2024-02-12 09:00")])
    store.case(BATAM, "NONE", [("s01", "complete", "2024-07-01 09:00")])
    cases = store.check_cases()
    inside, out = cases["IN"], cases["OUT"]
    assert (inside["service_std_max"], inside["service_std_unit"]) == (1.0, "month")
    assert inside["service_std_breach"] is False and out["service_std_breach"] is True
    # 10 Jan 09:00 -> 9 Feb 15:00 = 30 days 6 hours = 726 calendar hours
    assert inside["throughput_hours"] == pytest.approx(726.0)
    assert cases["NONE"]["service_std_breach"] is None and cases["NONE"]["service_std_max"] is None
    assert inside["is_open"] is False  # s06 ends the flow


def test_the_case_standard_excludes_time_with_the_applicant(store: Store) -> None:
    from sop_models import load_model

    # No bundled SOP has both a case-level standard and a loop back to the applicant: give
    # Batam a "40 Menit" service standard for this test (a model file of its own: the store
    # keeps every model version by the checksum of its text).
    text = Path(get_model(BATAM).path).read_text(encoding="utf-8")
    path = store.path.parent / "batam-40-menit.yaml"
    path.write_text(text + '\nservice_standard:\n  waktu: "40 Menit"\n', encoding="utf-8")
    model = load_model(path)
    store.case(BATAM, "LOOP", [("s01", "complete", "2024-07-01 09:00"),
                               ("s02", "complete", "2024-07-01 09:15"),
                               ("s01", "start", "2024-07-03 10:00"),
                               ("s01", "complete", "2024-07-03 10:04"),
                               ("s02", "complete", "2024-07-03 10:20")])
    store.case(BATAM, "GAP", [("s01", "complete", "2024-07-01 09:00"),
                              ("s02", "complete", "2024-07-01 09:15"),
                              ("s03", "start", "2024-07-03 10:00"),
                              ("s03", "complete", "2024-07-03 10:20")])
    store.install_calendar()
    mutu_baku.build_step_checks(store.con, 1, {BATAM: model})
    mutu_baku.build_case_checks(store.con, 1, {BATAM: model})
    cases = {r["case_id"]: r for r in store.rows("case_checks")}
    # Mon 09:00 -> Wed 10:20 = 420 + 480 + 140 = 1040 wm; LOOP: minus 1005 paused = 35 <= 40
    assert cases["LOOP"]["throughput_wm"] == pytest.approx(1040.0)
    assert cases["LOOP"]["service_std_breach"] is False
    assert cases["GAP"]["service_std_breach"] is True  # 1040 > 40: nothing to pause


def test_case_checks_count_breaches_and_read_kelengkapan_and_output(store: Store) -> None:
    docs = ["KTP dan KK", "Surat Keterangan RT/RW",
            "Surat Keterangan Lurah dan atau Form Pencacah", "Surat rekomendasi dari Dinas Sosial dan PM"]
    store.case(BATAM, "FULL", [("s01", "complete", "2024-07-01 09:00"),
                               ("s02", "complete", "2024-07-01 09:30"),   # 30 > 20: breach
                               ("s03", "complete", "2024-07-01 09:45")],  # 15 > 5: breach
               {"kelengkapan": [d.upper() + "  " for d in docs], "resi_no": "R-001"})
    store.case(BATAM, "SHORT", [("s01", "complete", "2024-07-01 09:00")],
               {"kelengkapan": "; ".join(docs[:3]), "resi_no": ""})
    store.case(BATAM, "BARE", [("s01", "complete", "2024-07-01 09:00"),
                               ("s02", "complete", "2024-07-01 09:10"),
                               ("s03", "complete", "2024-07-01 09:12"),
                               ("s04", "complete", "2024-07-01 09:15"),
                               ("s05", "complete", "2024-07-01 09:25")])
    # one string of items split at '|' and at new lines, as office exports write them
    store.case(BATAM, "PIPE", [("s01", "complete", "2024-07-01 09:00")],
               {"kelengkapan": f"{docs[0]} | {docs[1]}\n{docs[2]}|{docs[3]}"})
    cases = store.check_cases()
    full, short, bare = cases["FULL"], cases["SHORT"], cases["BARE"]
    assert cases["PIPE"]["kelengkapan_complete"] is True
    assert (full["breach_count"], short["breach_count"], bare["breach_count"]) == (2, 0, 0)
    # every document of s01, compared trimmed and in any case; SHORT lacks the 4th
    assert (full["kelengkapan_complete"], short["kelengkapan_complete"], bare["kelengkapan_complete"]) == (
        True, False, None)
    assert (full["output_recorded"], short["output_recorded"], bare["output_recorded"]) == (True, False, None)
    # FULL stopped after s03, BARE after s05: both open (the flow ends after s09 only)
    assert (full["is_open"], short["is_open"], bare["is_open"]) == (True, True, True)
    # the conformance stage did not run: its columns stay NULL
    assert full["variant_id"] is None and full["alignment_fitness"] is None
    # 09:00 -> 09:45: 45 working minutes, 0.75 calendar hours
    assert (full["throughput_wm"], full["throughput_hours"]) == (pytest.approx(45.0), pytest.approx(0.75))
    assert full["agency"] == "Dinas Kesehatan Kota Batam" and full["unit"] == "Kantor Pusat"


def test_case_checks_join_the_conformance_stage_staging_table(store: Store) -> None:
    store.case(BATAM, "A", [("s01", "complete", "2024-07-01 09:00")])
    store.case(BATAM, "B", [("s01", "complete", "2024-07-01 09:00")])
    store.check_steps()
    # the table the conformance stage leaves for this stage (analytics/conformance.py)
    store.con.execute("""CREATE TEMP TABLE conformance_cases AS SELECT * FROM (VALUES
        ('A', 'batam-dinkes-integrasi-jkn', 'Dinas Kesehatan Kota Batam', 'v1', 0.8, 'aligned', 0.9, false, 2)) t(
        case_id, sop_id, agency, variant_id, alignment_fitness, alignment_status, token_fitness,
        conformant, deviation_count)""")
    mutu_baku.build_case_checks(store.con, 1, store.models)
    cases = {r["case_id"]: r for r in store.rows("case_checks")}
    assert (cases["A"]["variant_id"], cases["A"]["alignment_fitness"], cases["A"]["conformant"],
            cases["A"]["deviation_count"]) == ("v1", 0.8, False, 2)
    assert cases["B"]["variant_id"] is None


def test_a_second_run_rebuilds_its_own_temp_tables(store: Store) -> None:
    store.case(BATAM, "A", [("s01", "complete", "2024-07-01 09:00"),
                            ("s02", "complete", "2024-07-01 09:30")])
    store.check_steps(run_id=1)
    # a later stage asked for another run id must not reuse run 1's tables silently
    mutu_baku.build_step_checks(store.con, 2, store.models)
    mutu_baku.build_case_checks(store.con, 2, store.models)
    rows = store.rows("case_checks")
    assert [(r["run_id"], r["breach_count"]) for r in rows] == [(2, 1)]


def test_each_occurrence_names_the_step_completed_before_and_after_it(store: Store) -> None:
    # Batam: an unmapped call between s02 and s03 is skipped; s04 and s05 complete at the same
    # minute (event id decides); s03 is done twice (its second occurrence follows s05)
    store.case(BATAM, "A", [("s01", "complete", "2024-07-01 09:00"),
                            ("s02", "start", "2024-07-01 09:10"),
                            ("s02", "complete", "2024-07-01 09:30"),
                            (None, "complete", "2024-07-01 09:40"),
                            ("s03", "complete", "2024-07-01 10:00"),
                            ("s04", "complete", "2024-07-01 10:30"),
                            ("s05", "complete", "2024-07-01 10:30"),
                            ("s03", "start", "2024-07-01 10:40"),
                            ("s03", "complete", "2024-07-01 11:00")])
    store.case(BATAM, "B", [("s01", "complete", "2024-07-02 09:00")])
    rows = store.check_steps()
    zone = ZoneInfo(get_model(BATAM).timezone)

    def at(hhmm: str, day: int = 1) -> datetime:
        return datetime.fromisoformat(f"2024-07-0{day} {hhmm}").replace(tzinfo=zone)

    got = {k: (r["prev_step_id"], r["prev_complete_ts"], r["next_step_id"]) for k, r in rows.items()}
    assert got == {
        ("A", "s01", 1): (None, None, "s02"),
        ("A", "s02", 1): ("s01", at("09:00"), "s03"),
        ("A", "s03", 1): ("s02", at("09:30"), "s04"),
        ("A", "s04", 1): ("s03", at("10:00"), "s05"),
        ("A", "s05", 1): ("s04", at("10:30"), "s03"),
        ("A", "s03", 2): ("s05", at("10:30"), None),
        ("B", "s01", 1): (None, None, None),
    }


def test_the_directly_follows_columns_agree_with_the_step_order_of_each_case(analysed_db: Path) -> None:
    # a reference computed differently: lag/lead over step_checks itself in its documented order
    con = open_store(analysed_db)
    try:
        bad, n = con.execute("""
            WITH ref AS (
                SELECT *, lag(step_id) OVER w AS r_prev, lag(complete_ts) OVER w AS r_prev_ts,
                       lead(step_id) OVER w AS r_next
                FROM step_checks
                WINDOW w AS (PARTITION BY sop_id, agency, case_id ORDER BY complete_ts, complete_event_id))
            SELECT count(*) FILTER (WHERE prev_step_id IS DISTINCT FROM r_prev
                                       OR prev_complete_ts IS DISTINCT FROM r_prev_ts
                                       OR next_step_id IS DISTINCT FROM r_next), count(*)
            FROM ref""").fetchall()[0]
        firsts = con.execute("SELECT count(*) FROM step_checks WHERE prev_step_id IS NULL").fetchall()[0][0]
        cases = con.execute("SELECT count(DISTINCT (sop_id, agency, case_id)) FROM step_checks").fetchall()[0][0]
    finally:
        con.close()
    assert n > 10_000 and bad == 0
    assert firsts == cases  # exactly one first occurrence per case


def test_events_outside_the_calendar_are_an_error(store: Store) -> None:
    from datetime import date

    from analytics.calendar import calendar_for, install_calendar
    from pantau.errors import CalendarError

    store.case(BATAM, "A", [("s01", "complete", "2024-07-01 09:00")])
    install_calendar(store.con, [calendar_for(get_model(BATAM))], date(2022, 1, 1), date(2022, 2, 1))
    with pytest.raises(CalendarError, match="outside the installed working calendar"):
        mutu_baku.build_step_checks(store.con, 1, store.models)


# --- the flow helpers ------------------------------------------------------------------------
def test_end_steps_and_happy_successors_of_the_real_flows() -> None:
    batam, muba, dki = get_model(BATAM).flow, get_model(MUBA).flow, get_model(DKI).flow
    # Batam ends after s09 only: the UHC fast path covers the applicant at once but the city
    # still reports them in the monthly recap (issue 12.7, sop_models/README.md 3.1)
    assert end_steps(batam) == {"s09"}
    assert end_steps(muba) == {"s11"}  # both paths end with the E-ID printed and handed over
    assert end_steps(get_model(BANJARBARU).flow) == {"s06"}
    assert can_end_after(batam, "s09") and not can_end_after(batam, "s05") and not can_end_after(batam, "s02")
    # after the loop body: leaving the loop is the happy path
    assert happy_next(batam, "s02") == "s03" and happy_next(batam, None) == "s01"
    assert happy_next(batam, "s05") == "s06" and happy_next(batam, "s09") is None
    assert happy_next(muba, "s07") == "s08" and happy_next(muba, "s14") == "s09"
    assert happy_next(muba, "s08") == "s09" and happy_next(muba, "s21") == "s09"
    assert happy_next(muba, "s17") == "s18" and happy_next(muba, "s19") == "s20"
    assert happy_next(dki, "s06") == "s07"
    assert start_steps(batam) == {"s01"}
    (loop,) = paused_loops(batam)
    assert (set(loop.first_steps), set(loop.last_steps)) == ({"s01"}, {"s02"})
    assert paused_loops(dki) == []  # the validation loop keeps the file inside government
