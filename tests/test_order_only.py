"""A log without timestamps (issue 14, point 8: the a22 benchmark logs): read in file order,
checked for conformance on that order, its Mutu Baku marked not measurable — never on time,
never late — and counted apart on the pages.

Real files, the real importer, the real analysis, real SOP models. The rule for which logs
are order only (docs/cli.md, ``pantau ingest``): a table whose timestamp column is absent only
with ``--no-timestamps`` (without it the import is refused with a hint naming the option); an
XES log none of whose events has ``time:timestamp`` always (tests/test_ingest.py); a log
with a timestamp column keeps its rules: a row without a readable time is quarantined.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dashboard_fixture import open_page, store_rows
from registry_helpers import cli

from analytics import analyze
from event_logs.ingest import ingest_file
from pantau.errors import IngestError, MissingColumnError

RS = "batam-dinkes-jaminan-rs"        # flow: loop [s01, s02] (returns to the applicant), s03..s08
JKN = "batam-dinkes-integrasi-jkn"

# R1 does the verification twice: a repeat without a time to tell the rows apart is still two
# events (rework), never a duplicate. R2 runs the whole SOP. R3 stops after s04 (still open).
UNTIMED = """case_id,activity
R1,s01
R1,s02
R1,s02
R1,s03
R1,s04
R1,s05
R1,s06
R1,s07
R1,s08
R2,s01
R2,s02
R2,s03
R2,s04
R2,s05
R2,s06
R2,s07
R2,s08
R3,s01
R3,s02
R3,s03
R3,s04
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path



def test_a_table_without_a_timestamp_column_is_refused_with_a_hint_naming_no_timestamps(tmp_path: Path) -> None:
    path = _write(tmp_path, "log.csv", UNTIMED)
    with pytest.raises(MissingColumnError, match="no timestamp column") as info:
        ingest_file(tmp_path / "s.duckdb", path, sop_id=RS)
    assert "--no-timestamps" in (info.value.hint or "")
    assert not (tmp_path / "s.duckdb").exists() or store_rows(tmp_path / "s.duckdb", "SELECT count(*) FROM events") == [(0,)]


def test_no_timestamps_loads_every_row_in_file_order_repeats_included(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    result = ingest_file(db, _write(tmp_path, "log.csv", UNTIMED), sop_id=RS, no_timestamps=True)
    rows = [tuple(line.split(",")) for line in UNTIMED.splitlines()[1:]]
    assert result.order_only
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined, result.rows_duplicate) == (
        len(rows), len(rows), 0, 0)
    stored = store_rows(db, "SELECT case_id, activity, ts, source_row FROM events ORDER BY event_id")
    assert [(c, a) for c, a, _, _ in stored] == rows
    assert [r for _, _, _, r in stored] == list(range(1, len(rows) + 1))
    assert {ts for _, _, ts, _ in stored} == {None}
    assert store_rows(db, "SELECT count(*) FROM cases WHERE first_ts IS NULL AND last_ts IS NULL") == [(3,)]


def test_no_timestamps_with_a_timestamp_column_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "log.csv", "case_id,activity,timestamp\nR1,s01,2024-07-01 09:00\n")
    with pytest.raises(IngestError, match="--no-timestamps, but the file has a timestamp column 'timestamp'"):
        ingest_file(tmp_path / "s.duckdb", path, sop_id=RS, no_timestamps=True)


def test_rows_without_a_time_in_a_timed_log_are_still_quarantined(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    path = _write(tmp_path, "log.csv", "case_id,activity,timestamp\n"
                  "R1,s01,2024-07-01 09:00\nR1,s02,\nR1,s03,2024-07-01 10:00\n")
    result = ingest_file(db, path, sop_id=RS)
    assert not result.order_only
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    assert store_rows(db, "SELECT kind FROM quarantine") == [("missing_timestamp",)]
    assert store_rows(db, "SELECT count(*) FROM events WHERE ts IS NULL") == [(0,)]


@pytest.fixture(scope="module")
def order_only_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The untimed log of the RS SOP and a timed log of the JKN SOP in one analysed store."""
    folder = tmp_path_factory.mktemp("order_only")
    db = folder / "s.duckdb"
    ingest_file(db, _write(folder, "untimed.csv", UNTIMED), sop_id=RS, no_timestamps=True)
    timed = ("case_id,activity,timestamp\n"
             "J1,s01,2024-07-01 09:00\nJ1,s02,2024-07-01 09:10\nJ1,s03,2024-07-01 09:30\n"
             "J2,s01,2024-07-03 09:00\n")
    ingest_file(db, _write(folder, "timed.csv", timed), sop_id=JKN)
    analyze(db)
    return db


def test_every_step_of_an_untimed_case_is_not_measurable(order_only_db: Path) -> None:
    rows = store_rows(order_only_db, f"""
        SELECT s.status, count(*), bool_or(r.is_violation), bool_or(r.is_late), bool_or(r.is_judged),
               count(s.elapsed), count(s.complete_day)
        FROM step_checks s JOIN ref_step_status r USING (status) WHERE s.sop_id = '{RS}' GROUP BY ALL""")
    assert rows == [("not_measurable", 21, False, False, False, 0, 0)]
    # the timed SOP in the same store is measured as always
    assert store_rows(order_only_db, f"SELECT count(*) FROM step_checks WHERE sop_id = '{JKN}' "
                             "AND status = 'not_measurable'") == [(0,)]
    # the metric macros never count them: no violation, nothing judged
    assert store_rows(order_only_db, f"""SELECT count(*) FILTER (WHERE is_violation), count(*) FILTER (WHERE is_judged)
                                FROM step_results WHERE sop_id = '{RS}'""") == [(0, 0)]


def test_untimed_cases_are_neither_on_time_nor_late_and_have_no_throughput(order_only_db: Path) -> None:
    rows = store_rows(order_only_db, f"""
        SELECT case_id, is_open, on_time, throughput_hours, first_day, service_std_breach
        FROM case_checks WHERE sop_id = '{RS}' ORDER BY case_id""")
    assert rows == [("R1", False, None, None, None, None), ("R2", False, None, None, None, None),
                    ("R3", True, None, None, None, None)]
    assert store_rows(order_only_db, f"SELECT on_time_share(on_time) FROM case_results WHERE sop_id = '{RS}'") == [(None,)]
    # no lane month holds a step without a time
    assert store_rows(order_only_db, f"SELECT count(*) FROM lane_stats WHERE sop_id = '{RS}'") == [(0,)]


def test_conformance_runs_on_the_file_order(order_only_db: Path) -> None:
    """R2 follows the SOP exactly. R1's second s02 is a verification after the file came back,
    which the model's loop [s01, s02] would start with s01 again: its optimal alignment has one
    deviating move (fitness 1 - 1 / (9 events + 8 steps of the shortest run))."""
    fitness = dict(store_rows(order_only_db, f"SELECT case_id, alignment_fitness FROM case_checks WHERE sop_id = '{RS}'"))
    assert fitness["R2"] == 1.0
    assert fitness["R1"] == pytest.approx(1 - 1 / 17)
    assert store_rows(order_only_db, f"SELECT conformant FROM case_checks WHERE sop_id = '{RS}' AND case_id = 'R2'") == [(True,)]


def test_an_untimed_open_case_is_not_measurable_even_when_the_run_has_an_as_of(order_only_db: Path) -> None:
    assert store_rows(order_only_db, "SELECT as_of IS NOT NULL FROM runs") == [(True,)]  # the timed log sets it
    rows = store_rows(order_only_db, "SELECT sop_id, case_id, current_step, status, used FROM open_cases ORDER BY ALL")
    assert ("batam-dinkes-jaminan-rs", "R3", "s05", "not_measurable", None) in rows
    labels = store_rows(order_only_db, "SELECT is_late FROM ref_open_status WHERE status = 'not_measurable'")
    assert labels == [(False,)]


def test_an_untimed_store_alone_analyses_without_an_as_of(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    ingest_file(db, _write(tmp_path, "log.csv", UNTIMED), sop_id=RS, no_timestamps=True)
    analyze(db)
    assert store_rows(db, "SELECT as_of FROM runs") == [(None,)]
    assert store_rows(db, "SELECT case_id, status FROM open_cases") == [("R3", "not_measurable")]


def test_the_cli_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "log.csv", UNTIMED)
    db = tmp_path / "s.duckdb"
    code, out, err = cli(["ingest", str(path), "--db", str(db), "--sop", RS, "-q"], capsys)
    assert code == 1 and "--no-timestamps" in err
    code, out, err = cli(["ingest", str(path), "--db", str(db), "--sop", RS, "-q", "--no-timestamps"], capsys)
    assert code == 0, err
    assert "no timestamps: events in file order" in out



@pytest.mark.parametrize("page", ["ringkasan", "pelanggaran", "lane", "deviasi"])
def test_every_page_counts_the_untimed_cases_and_a_period_does_not_hide_them_silently(
        monkeypatch: pytest.MonkeyPatch, order_only_db: Path, page: str) -> None:
    captions = " ".join(c.value for c in open_page(monkeypatch, order_only_db, page, {}).caption)
    assert "3 kasus dari log tanpa waktu" in captions and "tidak terukur" in captions
    # a period (the timed log's first day of two): the untimed cases have no day, and the page says so
    at = open_page(monkeypatch, order_only_db, page, {"period": ["2024-07-01", "2024-07-02"], "lang": "EN"})
    captions = " ".join(c.value for c in at.caption)
    assert "3 cases from a log without times have no date, so the chosen period leaves them out" in captions


def test_the_overview_share_on_time_counts_only_measured_cases(monkeypatch: pytest.MonkeyPatch,
                                                                order_only_db: Path) -> None:
    at = open_page(monkeypatch, order_only_db, "ringkasan", {"sop": RS})
    # two closed untimed cases, none measured: the on-time share's count is "0 of 0", not
    # "0 of 2" (the conformant share beside it does count both: "1 of 2")
    captions = [c.value for c in at.caption]
    assert "0 dari 0 kasus selesai" in captions and "0 dari 2 kasus selesai" not in captions, captions
    assert "1 dari 2 kasus selesai" in captions


def test_the_case_page_of_an_untimed_case_shows_its_steps_not_measurable(monkeypatch: pytest.MonkeyPatch,
                                                                          order_only_db: Path) -> None:
    at = open_page(monkeypatch, order_only_db, "kasus", {"case": "R1", "sop": RS, "agency": "Dinas Kesehatan Kota Batam"})
    shown = " ".join(str(df.value.to_dict()) for df in at.dataframe)
    assert "Tidak terukur" in shown
    # the steps in the file's order: the second verification right after the first
    steps = next(df.value for df in at.dataframe if "Ke-" in df.value.columns)
    assert [str(s)[:2] for s in steps.iloc[:, 0]][:3] == ["1 ", "2 ", "2 "]
    assert list(steps["Ke-"])[:3] == ["1", "1", "2"]
