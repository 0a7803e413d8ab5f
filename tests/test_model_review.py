"""Issue 14.3, review before use: the Model SOP page shows an admin a draft's steps, lanes,
Waktu (printed and read), its flow drawing and the document's text side by side; the reviewer's
fixes (a lane, a Waktu, a branch) are saved as a confirmed version by a job process."""

from __future__ import annotations

import os

os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")

import getpass
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import app_path, jobs, review
from event_logs import versions
from event_logs.store import open_store, transaction
from pantau.errors import SopModelError

DOC = Path(__file__).resolve().parent / "fixtures" / "sop_docs" / "000.docx"
SOP = "batam-draf"


@pytest.fixture
def store(tmp_path: Path) -> tuple[Path, str]:
    db = tmp_path / "s.duckdb"
    con = open_store(db, read_only=False)
    try:
        with transaction(con):
            v, _ = versions.add_file(con, DOC, by="ina", identity={"id": SOP})
    finally:
        con.close()
    return db, v.model_sha256


def _rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_the_model_page_shows_a_draft_beside_its_document_and_confirms_it(
        store: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> None:
    db, sha = store
    monkeypatch.setenv("PANTAU_DB", str(db))
    at = AppTest.from_file(str(app_path()), default_timeout=120)
    at.switch_page("views/model.py")
    at.run()
    assert [e.value for e in at.exception] == []
    assert at.selectbox(key="review_draft").value.model_sha256 == sha
    assert any("Menerima Dokumen Pendukung dari Pemohon Bantuan" in c.value for c in at.code)
    assert len(at.get("graphviz_chart")) == 2  # the SOP shown, and the draft's drawing
    parsed = at.dataframe[1].value  # the draft's steps (the first table: the SOP shown)
    assert len(parsed) == 9 and "5 Menit" in set(parsed.iloc[:, 4])  # printed Waktu beside the read standard
    assert "- s01" in at.text_area(key=f"review_flow_{sha}").value
    at.button(key=f"review_go_{sha}").click().run()
    assert [e.value for e in at.exception] == [] and not at.error, [e.value for e in at.error]
    assert _rows(db, "SELECT status, confirmed_by FROM models WHERE model_sha256 = ?", [sha]) == [
        ("confirmed", getpass.getuser())]


def test_fixes_become_a_new_confirmed_version_and_the_draft_stays_a_draft(store: tuple[Path, str]) -> None:
    db, sha = store
    steps = _rows(db, "SELECT step_id, name, lane, waktu_raw FROM model_steps WHERE model_sha256 = ? ORDER BY step_no",
                  [sha])
    before = pd.DataFrame([{"id": s, "name": n, "lane": la, "waktu": w or ""} for s, n, la, w in steps])
    after = before.copy()
    after.loc[after["id"] == "s07", "lane"] = "Petugas Pelayanan Bantuan"
    after.loc[after["id"] == "s02", "waktu"] = "30 Menit"
    flow = "- s01\n- s02\n- s03\n- s04\n- s05\n- xor:\n    id: rekap\n    branches:\n      reguler: [s06, s07, s08, s09]\n      uhc: []\n"
    (text,), = _rows(db, "SELECT model_text FROM models WHERE model_sha256 = ?", [sha])
    changes = review.fixes(before, after, review.flow_text(text), flow, revision_before="04", revision_after="05",
                           effective_before=None, effective_after=None)
    assert changes["lanes"] == {"s07": "Petugas Pelayanan Bantuan"} and changes["waktu"] == {"s02": "30 Menit"}
    assert changes["revision"] == "05" and changes["flow"] == flow
    done = jobs.start_review(db, sop_id=SOP, version=sha, fixes=changes, by="budi")
    new = done["sha256"]
    assert new != sha and (done["status"], done["origin"], done["revision"]) == ("confirmed", "review", "05")
    assert _rows(db, "SELECT model_sha256, status FROM models WHERE sop_id = ? ORDER BY added_at", [SOP]) == [
        (sha, "draft"), (new, "confirmed")]
    fixed = dict((s, (la, src, w, mx)) for s, la, src, w, mx in _rows(
        db, "SELECT step_id, lane, lane_source, waktu_raw, max_value FROM model_steps WHERE model_sha256 = ?", [new]))
    assert fixed["s07"][:2] == ("Petugas Pelayanan Bantuan", "printed") and fixed["s02"][2:] == ("30 Menit", 30.0)
    assert _rows(db, "SELECT count(*) FROM model_loops WHERE model_sha256 = ?", [new]) == [(0,)]
    (confirmed_by,), = _rows(db, "SELECT confirmed_by FROM models WHERE model_sha256 = ?", [new])
    assert confirmed_by == "budi"
    # the document's text goes with the reviewed version
    assert _rows(db, "SELECT count(*) FROM model_artifacts WHERE model_sha256 = ? AND kind = 'document_text'",
                 [new]) == [(1,)]


def test_a_fix_the_model_refuses_is_an_error_and_nothing_changes(store: tuple[Path, str]) -> None:
    db, sha = store
    before = _rows(db, "SELECT model_sha256, status FROM models ORDER BY ALL")
    for fixes, fragment in (({"lanes": {"s02": "Kepala Bidang"}}, "step s02: lane 'Kepala Bidang'"),
                            ({"waktu": {"s03": "30 detik"}}, "s03"),
                            ({"flow": "- s01\n- s02\n"}, "case step missing from the flow")):
        with pytest.raises(SopModelError, match=fragment):
            jobs.start_review(db, sop_id=SOP, version=sha, fixes=fixes, by="budi")
    assert _rows(db, "SELECT model_sha256, status FROM models ORDER BY ALL") == before
