"""Issue 10.5, safe output: every CSV and Excel file the dashboard hands out is safe to open.

A text cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
``'`` (OWASP, CSV injection); numeric columns stay numbers (a negative number is not text);
Excel cells are strings, never formulas; a control character does not stop the Excel file.
Checked on the hostile corpus's ``formula_cells.csv`` through ingest and analyze, read back
with the csv module and openpyxl.
"""



from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest
from conftest_ingest import ROOT, key_file  # noqa: F401

from dashboard import downloads, export, queries
from dashboard.filters import Filters

sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "hostile"))
import make_corpus as corpus

DANGER = ("=", "+", "-", "@", "\t", "\r")


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "case_id": [*corpus.FORMULAS, "REG-1", None],
        "note": ["ok", "-", "@", "+", "=", "x", "y", "z", "w"],
        "overrun": [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
        "cases": [-1, 2, 3, 4, 5, 6, 7, 8, 9],
    })


def _csv_cells(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def _unsafe_csv(rows: list[list[str]]) -> list[str]:
    return [cell for row in rows for cell in row if cell.startswith(DANGER)]


def _xlsx_cells(body: bytes) -> list[openpyxl.cell.cell.Cell]:
    book = openpyxl.load_workbook(io.BytesIO(body))  # not read-only: data_type as stored
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def test_a_formula_cell_gets_a_quote_and_numbers_stay_numbers() -> None:
    df = _frame()
    rows = _csv_cells(export.to_csv(df))
    assert _unsafe_csv(rows[1:]) == ["-1.5", "-1", "-3.0"]  # only the numeric columns' negatives
    by_case = {r[0]: r for r in rows[1:]}
    for value in corpus.FORMULAS:
        assert "'" + value.replace("\r", "\n") in by_case, value  # a CR inside a cell is a line feed
    assert "REG-1" in by_case and by_case["REG-1"][1] == "z"
    assert [r[1] for r in rows[1:6]] == ["ok", "'-", "'@", "'+", "'="]
    assert export.neutralise(export.neutralise(df)).equals(export.neutralise(df))  # idempotent
    assert df["case_id"].iloc[0] == corpus.FORMULAS[0]  # the caller's frame is left alone


def test_the_excel_file_holds_strings_never_formulas() -> None:
    df = _frame()
    cells = _xlsx_cells(export.to_xlsx(df, {"filter_unit": "=evil()", "rows": len(df)}))
    assert cells and not [c.coordinate for c in cells if c.data_type == "f"]
    texts = [c.value for c in cells if c.data_type == "s"]
    assert not [t for t in texts if t.startswith(DANGER)]
    assert "'" + corpus.FORMULAS[0] in texts and "'=evil()" in texts  # the metadata sheet too
    numbers = [c.value for c in cells if c.data_type == "n"]
    assert -1.5 in numbers and -3 in numbers and -1 in numbers


def test_a_control_character_does_not_stop_the_excel_file() -> None:
    df = pd.DataFrame({"case_id": ["R\x001", "R\x1b2"], "n": [1, 2]})
    cells = _xlsx_cells(export.to_xlsx(df, {}))
    assert {"R1", "R2"} <= {c.value for c in cells}


def test_a_download_neutralises_whatever_renders_it() -> None:
    """A page passing its own renderer (``df.to_csv``) still hands out a safe file."""
    body = downloads.render_rows(_frame(), lambda df: df.to_csv(index=False).encode(), export.CSV_MIME)
    assert _unsafe_csv(_csv_cells(body)[1:]) == ["-1.5", "-1", "-3.0"]
    # a PDF or other document's rows are its own business
    assert downloads.render_rows(_frame(), lambda df: df["case_id"].iloc[2].encode(), "application/pdf") == b"-2+3"


@pytest.fixture(scope="module")
def formula_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus's formula cells, ingested and analysed (the unmapped labels are deviations)."""
    from analytics import analyze
    from event_logs.ingest import ingest_file

    base = tmp_path_factory.mktemp("formulas")
    mp = pytest.MonkeyPatch()
    mp.setenv("PANTAU_KEY_FILE", str(base / "key"))
    try:
        db = base / "store.duckdb"
        ingest_file(db, corpus.HERE / "formula_cells.csv", sop_id=corpus.SOP)
        analyze(db)
    finally:
        mp.undo()
    return db


def test_the_deviation_export_of_a_hostile_log_is_safe(formula_store: Path) -> None:
    con = duckdb.connect(str(formula_store), read_only=True)
    try:
        rows = queries.QUERIES["deviation_export"](con, Filters())
    finally:
        con.close()
    # CONTROL: the export holds the formulas the log planted (as case ids and labels)
    assert {corpus.FORMULAS[0], corpus.FORMULAS[2]} <= set(rows["case_id"])
    assert corpus.FORMULAS[4] in set(rows["activity"])
    body = export.to_csv(rows)
    cells = _csv_cells(body)
    assert _unsafe_csv(cells[1:]) == []
    assert any(c == "'" + corpus.FORMULAS[0] for r in cells for c in r)
    assert any(c == "'" + corpus.FORMULAS[5] for r in cells for c in r)  # the tab-led label
    xlsx = _xlsx_cells(export.to_xlsx(rows, export.metadata(rows, Filters(), "store.duckdb")))
    assert not [c.coordinate for c in xlsx if c.data_type == "f"]
    assert not [c.value for c in xlsx if c.data_type == "s" and c.value.startswith(DANGER)]
    assert [c.value for c in xlsx if c.data_type == "n" and c.column == 1]  # run_id stays a number


def test_every_spreadsheet_is_written_by_dashboard_export() -> None:
    """The one place: no other module of the dashboard or the CLI writes CSV or Excel itself."""
    writers = re.compile(r"\.to_csv\(|\.to_excel\(|ExcelWriter|Workbook\(|xlsxwriter|csv\.writer\(|DictWriter")
    found = [p.relative_to(ROOT).as_posix() for pkg in ("dashboard", "pantau_cli")
             for p in sorted((ROOT / pkg).rglob("*.py")) if writers.search(p.read_text(encoding="utf-8"))]
    assert found == ["dashboard/export.py"]
