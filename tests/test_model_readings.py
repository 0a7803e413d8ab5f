"""Model readings that could produce false findings (issue 12.7, sop_models/README.md part 3):
each test turns red if the reading is reverted.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from zoneinfo import ZoneInfo

os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")

import duckdb

from analytics.calendar import calendar_for, install_calendar
from sop_models import get_model
from sop_models.flow_paths import end_steps

BATAM_069 = "batam-dinkes-integrasi-jkn"
BANJARBARU = "banjarbaru-dinsos-peserta-jkn"
MUBA = "muba-dinkes-uhc-bpjs"
WITA = ZoneInfo("Asia/Makassar")


def test_batam_069_uhc_fast_path_still_goes_through_the_monthly_recap() -> None:
    # "dapat diaktifkan secara langsung selama masa berlaku status UHC": coverage at once, but
    # the city pays the premium, so the person is still in the recap s06-s09: no case ends at s05
    model = get_model(BATAM_069)
    assert end_steps(model.flow) == {"s09"}
    assert next(s for s in model.steps if s.id == "s05").kind == "task"


def _deadlines(sop: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    install_calendar(con, [calendar_for(get_model(sop))], date(2024, 1, 1), date(2025, 12, 31))
    return con


def test_banjarbaru_awal_bulan_penetapan_is_due_in_its_own_month() -> None:
    # s05 "Penetapan peserta ... di setiap awal bulan" (deadline day 1): 1 January 2025 is a
    # holiday, 1 June and 1 September 2024 a Saturday and a Sunday. The deadline is the month's
    # first working day, never the previous month's last (a January penetapan due in December).
    s05 = next(s for s in get_model(BANJARBARU).steps if s.id == "s05")
    assert s05.waktu.deadline_day == 1
    con = _deadlines(BANJARBARU)
    rows = dict(con.execute("""SELECT target_day, timezone('Asia/Makassar', due_utc) FROM work_month_deadlines
                               WHERE dom = 1 AND target_day IN ('2025-01-01', '2024-06-01', '2024-09-01',
                                                                '2024-07-01')""").fetchall())
    assert rows == {date(2025, 1, 1): datetime(2025, 1, 2, 16, 0), date(2024, 6, 1): datetime(2024, 6, 3, 16, 0),
                    date(2024, 9, 1): datetime(2024, 9, 2, 16, 0), date(2024, 7, 1): datetime(2024, 7, 1, 16, 0)}
    # a day-15 deadline on a Sunday still moves back, within its month (offices submit before)
    back, = con.execute("SELECT due_day FROM work_month_deadlines WHERE dom = 15 AND target_day = '2024-09-15'"
                        ).fetchone()
    assert back == date(2024, 9, 13)


def test_the_simulator_reads_the_same_deadline() -> None:
    from event_logs.simulator.clock import WorkCalendar
    from event_logs.simulator.truth import DeadlineTable

    cal = WorkCalendar(get_model(BANJARBARU).timezone, date(2024, 1, 1), date(2025, 12, 31))
    due = DeadlineTable(cal).utc_of(date(2024, 12, 20), 1)
    assert datetime.fromtimestamp(due, WITA) == datetime(2025, 1, 2, 16, 0, tzinfo=WITA)


def test_muba_prints_the_bpjs_e_id_once_on_every_path() -> None:
    # The document prints rows 9-11 (BPJS prints and sends the E-ID, the officer forwards it)
    # twice, once per path; the model holds them once, after the choice. s16 (Disdukcapil
    # "cetak E-ID kirim balik") is Disdukcapil's print of the population record that fixes
    # the NIK, another document by another actor, and stays.
    model = get_model(MUBA)
    names = [s.name for s in model.steps]
    assert len(model.steps) == 21 and len(set(names)) == len(names)
    assert sum(n.startswith("BPJS Kesehatan akan mencetak E-ID") for n in names) == 1
    s16 = next(s for s in model.steps if s.id == "s16")
    assert s16.lane == "DISDUKCAPIL" and "cetak E-ID" in s16.name
    assert end_steps(model.flow) == {"s11"}
