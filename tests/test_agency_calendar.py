"""Issue 14.8: the working calendar is chosen per agency (country holidays, office hours,
regional days off), Indonesia by default, and each run records which calendar and version
each agency's results were measured on (``run_calendars``)."""

from __future__ import annotations

import os

os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")

from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from registry_helpers import SOP_ID, cli, write_log, write_model

DEFAULT = "Dinas Contoh"          # no calendar of its own: Indonesia, 08:00-16:00
DUTCH = "Gemeente Utrecht"        # its own: Dutch public holidays, 09:00-15:00
# s01 on Easter Monday 2024 09:00 (a public holiday in the Netherlands, a working day in
# Indonesia), s02 done a day later at 09:00: 480 working minutes in Indonesia, none in Utrecht
EASTER_MONDAY = datetime(2024, 4, 1, 9, 0)


def _rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture
def store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    db = tmp_path / "s.duckdb"
    model = write_model(tmp_path / "m", waktu_s02="2 Jam")
    assert cli(["sop", "add", str(model), "--db", str(db), "--confirm", "--by", "ina"], capsys)[0] == 0
    for agency, prefix in ((DEFAULT, "A"), (DUTCH, "B")):
        log = write_log(tmp_path / f"{prefix}.csv", [EASTER_MONDAY], [24 * 60], prefix=prefix)
        code, _, err = cli(["ingest", str(log), "--db", str(db), "--sop", SOP_ID, "--agency", agency, "-q"], capsys)
        assert code == 0, err
    return db


def _judged(db: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    code, _, err = cli(["analyze", "--db", str(db), "-q"], capsys)
    assert code == 0, err
    return dict(_rows(db, f"SELECT agency, status FROM step_checks WHERE sop_id = '{SOP_ID}' AND step_id = 's02'"))


def test_each_agency_is_judged_on_its_own_calendar(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # by default both agencies get the SOP's Indonesian calendar
    assert _judged(store, capsys) == {DEFAULT: "breach", DUTCH: "breach"}
    code, out, err = cli(["calendar", "set", DUTCH, "--db", str(store), "--country", "NL",
                          "--office-hours", "09:00-15:00", "--workdays", "mon-fri", "--by", "ina"], capsys)
    assert code == 0, err
    assert "NL" in out and "09:00-15:00" in out
    assert _judged(store, capsys) == {DEFAULT: "breach", DUTCH: "ok"}
    # s03 ("1 Hari") took 10 working minutes: a day is the agency's office day (360 vs 480 minutes)
    days = dict(_rows(store, f"SELECT agency, elapsed FROM step_checks WHERE sop_id = '{SOP_ID}' AND step_id = 's03'"))
    assert days == {DEFAULT: pytest.approx(10 / 480), DUTCH: pytest.approx(10 / 360)}
    used = _rows(store, "SELECT r.agency, r.calendar_id, r.calendar_version = i.version, i.country, i.office_open, "
                        "r.cases FROM run_calendars r JOIN calendar_info i USING (calendar_id) ORDER BY 1")
    assert used == [(DEFAULT, "Asia/Jakarta", True, "ID", "08:00", 1),
                    (DUTCH, f"Asia/Jakarta+agency:{DUTCH}", True, "NL", "09:00", 1)]
    holiday = _rows(store, f"SELECT holiday FROM work_calendar WHERE calendar_id = 'Asia/Jakarta+agency:{DUTCH}' "
                           "AND day = DATE '2024-04-01'")
    assert holiday == [("Easter Monday",)]


def test_regional_days_off_come_from_the_store(store: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    days_off = tmp_path / "libur-contoh.yaml"
    days_off.write_text("description: Libur daerah Kabupaten Contoh\nadd:\n"
                        "  - {date: 2024-04-01, name: Hari Jadi Kabupaten Contoh}\n", encoding="utf-8")
    code, _, err = cli(["calendar", "set", DEFAULT, "--db", str(store), "--days-off", str(days_off)], capsys)
    assert code == 0, err
    days_off.unlink()  # the store keeps the file's text: the next run needs no file
    assert _judged(store, capsys)[DEFAULT] == "ok"
    (version, name), = _rows(store, f"SELECT calendar_version, calendar_id FROM run_calendars WHERE agency = '{DEFAULT}'")
    assert name == f"Asia/Jakarta+agency:{DEFAULT}"
    assert _rows(store, f"SELECT holiday FROM work_calendar WHERE calendar_id = '{name}' AND day = DATE '2024-04-01'") \
        == [("Hari Jadi Kabupaten Contoh",)]
    code, out, _ = cli(["calendar", "list", "--db", str(store)], capsys)
    assert "libur-contoh.yaml" in out and DEFAULT in out
    # unset: back to the SOP's default calendar, and its version
    assert cli(["calendar", "unset", DEFAULT, "--db", str(store)], capsys)[0] == 0
    assert _judged(store, capsys)[DEFAULT] == "breach"
    assert _rows(store, f"SELECT calendar_id FROM run_calendars WHERE agency = '{DEFAULT}'") == [("Asia/Jakarta",)]
    assert version != _rows(store, f"SELECT calendar_version FROM run_calendars WHERE agency = '{DEFAULT}'")[0][0]


@pytest.mark.parametrize("args,fragment", [
    (["--country", "XX"], "knows no country 'XX'"),
    (["--country", "NL", "--subdivision", "ZZ"], "'ZZ' is not a subdivision of NL"),
    (["--office-hours", "16:00-08:00"], "office_close must be after office_open"),
    (["--workdays", "mon-funday"], "'funday' is not a weekday"),
])
def test_a_wrong_calendar_is_refused_with_a_hint(store: Path, capsys: pytest.CaptureFixture[str],
                                                 args: list[str], fragment: str) -> None:
    code, _, err = cli(["calendar", "set", DUTCH, "--db", str(store), *args], capsys)
    assert code == 1 and err.startswith("Error: ") and fragment in err, err
    assert _rows(store, "SELECT count(*) FROM agency_calendars") == [(0,)]
