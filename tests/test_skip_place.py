"""Where a skipped step is shown (issue 14, "possible bug" on the Kasus page).

Batam RS (batam-dinkes-jaminan-rs): flow loop [s01, s02] (documents returned to the applicant,
who hands them in again: s01 again), then s03 .. s08. A case with trace s01, s02, s02, s04
showed "s01 only in model" although its first event is s01. The alignment is right: of the
optimal alignments (two deviating moves each) Pantau's reads the second s02 as a second
round of the loop, which the model starts with the resubmission s01: sync s01, sync s02, model
s01, sync s02, model s03, sync s04 (fitness 1 - 2 / (4 events + 8 steps) = 0.8333; the other
optimum, a log move on the second s02 plus a model move s03, costs the same). The page was
wrong: it drew every skipped step after the last trace event of an earlier step of the model,
so the missing s01 (first in the model) came before the case's first event. The alignment's
place is now stored (deviations.after_position) and the page draws the step there.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from analytics import analyze
from dashboard import app_path
from event_logs.ingest import ingest_file

RS = "batam-dinkes-jaminan-rs"
AGENCY = "Dinas Kesehatan Kota Batam"
LOG = """case_id,activity,timestamp
K1,s01,2024-07-01 09:00
K1,s02,2024-07-01 09:10
K1,s02,2024-07-02 09:00
K1,s04,2024-07-02 09:30
"""


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("skip_place")
    path = folder / "log.csv"
    path.write_text(LOG, encoding="utf-8")
    store = folder / "s.duckdb"
    ingest_file(store, path, sop_id=RS)
    analyze(store)
    return store


def test_the_skipped_steps_carry_the_alignments_place(db: Path) -> None:
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT kind, step_id, position, after_position FROM deviations "
                       "WHERE case_id = 'K1' ORDER BY after_position, step_id").fetchall()
    fitness = con.execute("SELECT alignment_fitness FROM case_checks WHERE case_id = 'K1'").fetchone()[0]
    con.close()
    assert fitness == pytest.approx(1 - 2 / 12)
    # the resubmission s01 belongs after the first s02 (position 2), s03 after the second (3)
    assert rows == [("skipped_step", "s01", None, 2), ("skipped_step", "s03", None, 3)]


def test_the_case_page_draws_the_missing_step_inside_the_loops_second_round(monkeypatch, db: Path) -> None:
    monkeypatch.setenv("PANTAU_DB", str(db))
    at = AppTest.from_file(str(app_path()), default_timeout=60)
    at.query_params = {"case": "K1", "sop": RS, "agency": AGENCY, "lang": "EN"}
    at.switch_page("views/kasus.py")
    at.run()
    assert [e.value for e in at.exception] == [] and [e.value for e in at.error] == []
    table = next(df.value for df in at.dataframe if "Move" in df.value.columns)
    moves = list(zip(table["#"], table["Move"], strict=True))
    # 1 s01, 2 s02, then the model-only s01, 3 s02, the model-only s03, 4 s04
    assert [p for p, _ in moves] == ["1", "2", "–", "3", "–", "4"], moves
    assert [m.startswith("model only") for _, m in moves] == [False, False, True, False, True, False]
    sop_steps = list(table["SOP step"])
    assert sop_steps[2].startswith("1") or "s01" in sop_steps[2] or "Menerima" in sop_steps[2]
