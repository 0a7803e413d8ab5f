"""Issue 10, the upload form: a damaged or hostile file never crashes the Data page, the preview
is read in a process of its own with ingest's caps (and stopped after its time), shows no
personal value, says which columns ingest will hash or drop, and a personal column the user
chooses to keep reaches ingest as ``keep_columns`` (``pantau ingest --keep-column``).
"""

from __future__ import annotations

import io
import json
import re
import shutil
import sys
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pytest
from conftest_ingest import ROOT
from dashboard_fixture import session_db
from streamlit.testing.v1 import AppTest

from dashboard import app_path, upload
from dashboard.preview_job import ROWS, preview
from event_logs.ingest.sheets import open_xlsx
from pantau.config import load_settings
from pantau.errors import IngestError

sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "hostile"))
import make_corpus as corpus

CORPUS = corpus.HERE
PERSONAL = ["Nama Ibu Kandung", "nama_ayah", "Pemohon", "No HP", "Alamat"]  # pii_everywhere.csv's


def _huge_sheet(path: Path, rows: int, tail: bytes = b"") -> Path:
    """An .xlsx whose one sheet holds ``rows`` data rows (inline strings, written as XML: a
    few MB deflated, ~100 bytes a row inflated) and no <dimension> tag; ``tail`` is written
    after the last row."""
    book = openpyxl.Workbook()
    book.active.append(["case_id", "activity", "timestamp"])
    buffer = io.BytesIO()
    book.save(buffer)
    body = "".join(f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>R{i}</t></is></c>'
                   f'<c r="B{i}" t="inlineStr"><is><t>{corpus.STEPS[i % 3]}</t></is></c>'
                   f'<c r="C{i}" t="inlineStr"><is><t>2024-03-05 09:00</t></is></c></row>'
                   for i in range(2, rows + 2)).encode() + tail
    with zipfile.ZipFile(buffer) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                data = re.sub(rb"<dimension ref=\"[^\"]*\"/>", b"", data)
                data = data.replace(b"</row></sheetData>", b"</row>" + body + b"</sheetData>")
            zout.writestr(info.filename, data)
    return path


@pytest.mark.parametrize(("name", "message", "hint"), [
    ("broken.xlsx", "damaged", "save it again"),
    ("bomb.xlsx", "would inflate to 3 MB", "max_decompressed_mb"),
])
def test_a_damaged_or_hostile_workbook_is_an_error_with_a_hint(tmp_path: Path, name: str, message: str,
                                                               hint: str) -> None:
    # the caps are those in force for the store: a pantau.toml beside it
    (tmp_path / "pantau.toml").write_text("[ingest]\nmax_decompressed_mb = 1\n", encoding="utf-8")
    with pytest.raises(IngestError, match=message) as info:
        preview(CORPUS / name, store=tmp_path / "store.duckdb")
    assert hint in (info.value.hint or "")
    if name == "bomb.xlsx":  # CONTROL: without the small cap the same file previews
        assert preview(CORPUS / name)["rows"] == [["R1", corpus.STEPS[0], "2024-03-05 09:00"]]


def test_a_huge_sheet_previews_its_first_rows(tmp_path: Path) -> None:
    path = _huge_sheet(tmp_path / "besar.xlsx", 300_000)
    with zipfile.ZipFile(path) as z:  # CONTROL: the sheet really is large
        assert sum(i.file_size for i in z.infolist()) > 30_000_000
    found = preview(path)
    assert found["columns"] == ["case_id", "activity", "timestamp"]
    assert [r[0] for r in found["rows"]] == [f"R{i}" for i in range(2, ROWS + 2)]


def test_a_sheet_damaged_far_below_its_first_rows_previews_them_and_ingest_names_the_damage(tmp_path: Path) -> None:
    """Opening a sheet without a <dimension> tag reads only its head: openpyxl parsed the whole
    sheet on opening (twice the work of an import; 19 CPU s before a 300,000-row sheet's
    preview showed anything), so a fault on row 5,000 refused the preview of rows 2-21."""
    path = _huge_sheet(tmp_path / "rusak.xlsx", 5_000, tail=b'<row r="5002"><c r="A5002"><is><t>x</c></row>')
    found = preview(path)
    assert [r[0] for r in found["rows"]] == [f"R{i}" for i in range(2, ROWS + 2)]
    con = duckdb.connect()
    with pytest.raises(IngestError, match="damaged"):  # CONTROL: the fault is there, and found
        open_xlsx(con, path, None, load_settings().ingest)


def test_a_sheet_with_a_dimension_tag_keeps_the_sizes_openpyxl_reads(tmp_path: Path) -> None:
    """The head-only probe sets the sizes openpyxl's own probe sets (a tag before <sheetData>)."""
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    from event_logs.ingest.sheets import read_only_book

    book = openpyxl.Workbook()
    for i in range(7):
        book.active.append([f"R{i}", "x", i, None, "y"][: 3 + i % 3])
    book.save(tmp_path / "b.xlsx")
    sizes = read_only_book(tmp_path / "b.xlsx").worksheets[0]
    assert (sizes.min_row, sizes.max_row, sizes.min_column, sizes.max_column) == (1, 7, 1, 5)
    assert ReadOnlyWorksheet._get_size.__name__ == "_probe_dimensions_only"


def test_a_preview_running_past_its_time_is_stopped_with_a_hint(tmp_path: Path) -> None:
    path = _huge_sheet(tmp_path / "besar.xlsx", 1_000)
    with pytest.raises(IngestError, match="took longer than") as info:
        preview(path, seconds=0.05)  # a child process cannot even start in that time
    assert "pantau ingest" in (info.value.hint or "")


def test_the_preview_shows_no_personal_value_and_names_the_dropped_columns() -> None:
    found = preview(CORPUS / "pii_everywhere.csv")
    assert upload.columns_by_role(found, upload.ROLE_PERSONAL) == PERSONAL
    shown = json.dumps(found, ensure_ascii=False)
    assert [v for v in corpus.PERSONAL_VALUES if v in shown] == []
    # CONTROL: the other fields are there, their planted numbers masked in place
    assert "Kelurahan Baloi" in shown and "hubungi [phone removed] sore" in shown
    frame = upload.preview_frame(found, "id")
    assert set(frame["Pemohon"]) == {"(data pribadi)"}


@pytest.fixture()
def live(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "live" / "pantau.duckdb"
    path.parent.mkdir()
    shutil.copyfile(session_db(tmp_path_factory.getbasetemp(), "simulated"), path)
    monkeypatch.setenv("PANTAU_DB", str(path))
    monkeypatch.setenv("PANTAU_KEY_FILE", str(tmp_path / "secret.key"))
    return path


def _data_page(name: str, content: bytes) -> AppTest:
    at = AppTest.from_file(str(app_path()), default_timeout=120)
    at.query_params = {"sop": corpus.SOP}
    at.switch_page("views/data.py").run()
    at.file_uploader(key="upload_file").set_value((name, content, "application/octet-stream")).run()
    return at


@pytest.mark.parametrize("name", ["broken.xlsx", "bomb.xlsx"])
def test_a_broken_upload_is_an_error_on_the_page_not_a_crash(live: Path, name: str) -> None:
    content = (CORPUS / name).read_bytes()
    if name == "bomb.xlsx":
        (live.parent / "pantau.toml").write_text("[ingest]\nmax_decompressed_mb = 1\n", encoding="utf-8")
    at = _data_page(name, content)
    assert [e.value for e in at.exception] == []
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and ("save it again" in errors[0] or "max\\_decompressed\\_mb" in errors[0]), errors
    assert "upload_go" not in [b.key for b in at.button]  # no form for a file that cannot be read
    assert len(at.dataframe[0].value)  # CONTROL: the page above the form is all there


def test_the_page_names_the_dropped_columns_and_keeps_the_chosen_one(live: Path) -> None:
    at = _data_page("pii_everywhere.csv", (CORPUS / "pii_everywhere.csv").read_bytes())
    assert [e.value for e in at.exception] == []
    notice = next(i.value for i in at.info if "dibuang" in i.value)
    assert all(c.replace("_", "\\_") in notice for c in PERSONAL), notice
    keep = at.multiselect(key="upload_keep")
    assert keep.options == PERSONAL
    assert "Pemohon" not in at.multiselect(key="upload_pii").options  # dropped anyway: not offered twice
    keep.set_value(["Alamat"]).run()
    at.button(key="upload_go").click().run()
    assert [e.value for e in at.exception] == [] and [e.value for e in at.error] == []
    assert any("Diimpor" in s.value for s in [*at.success, *at.info]), [s.value for s in at.success]
    con = duckdb.connect(str(live), read_only=True)
    try:
        (used,) = con.execute("SELECT mapping FROM imports WHERE file_name = 'pii_everywhere.csv'").fetchone()
    finally:
        con.close()
    used = json.loads(used)
    assert used["keep_columns"] == ["Alamat"]
    assert sorted(used["dropped"]) == sorted(c for c in PERSONAL if c != "Alamat")
