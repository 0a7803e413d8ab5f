"""Excel workbooks (.xlsx with openpyxl, .xls with xlrd) -> an Arrow source.

A sheet's ``<dimension>`` tag is not trusted (a stale ``A1:C3`` would cut the rows read):
openpyxl is told to forget it (``reset_dimensions``) and reads the sheet's rows as they are.
A .xlsx is a ZIP archive: the sizes its members declare are added up before anything is
inflated, and a workbook that would inflate beyond ``[ingest] max_decompressed_mb`` is
refused (zipfile never inflates a member beyond its declared size). Control characters are
removed from cell texts and counted; empty rows between data rows are skipped and counted.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from event_logs.ingest.pii import CONTROL_RE
from event_logs.ingest.source import ARROW_VIEW, Source, unique_names
from pantau.config import IngestSettings
from pantau.errors import IngestError

_CONTROL = re.compile(CONTROL_RE)
_DAMAGED_HINT = "open it in Excel or LibreOffice and save it again (as .xlsx or .csv)"
MB = 1 << 20


def cell_text(value: Any) -> str | None:
    """A cell's value as text (dates ISO, integral floats without '.0'); None when empty."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    text = str(value)
    return text if text.strip() else None


def register_arrow(con: duckdb.DuckDBPyConnection, fmt: str, names: list[str], table: pa.Table,
                   details: dict[str, Any]) -> Source:
    """``table`` (columns c0.., source_row) registered as the source of ``names``."""
    con.register(ARROW_VIEW, table)
    return Source(format=fmt, names=names, exprs=[f"CAST(c{i} AS VARCHAR)" for i in range(len(names))],
                  from_sql=ARROW_VIEW, row_sql="source_row", details=details,
                  cleanup=[lambda: con.unregister(ARROW_VIEW)], memory_bytes=table.nbytes)


def _sheet_source(con: duckdb.DuckDBPyConnection, fmt: str, path: Path, title: str,
                  rows: Iterator[tuple[Any, ...]], max_rows: int) -> Source:
    """A worksheet's rows (cell values) as a Source: first row = header, empty rows skipped
    (counted when data follows them), ``source_row`` = the row's number below the header."""
    header = next(rows, None)
    if header is None or not any(cell_text(c) is not None for c in header):
        raise IngestError("the sheet is empty", file=str(path), field=title)
    header_cells = list(header)
    while header_cells and cell_text(header_cells[-1]) is None:
        header_cells.pop()
    names = unique_names([cell_text(c) or "" for c in header_cells])
    width = len(names)
    columns: list[list[str | None]] = [[] for _ in range(width)]
    numbers: list[int] = []
    skipped = pending = control = 0
    for number, row in enumerate(rows, start=1):
        texts = [cell_text(v) for v in row[:width]]
        if not any(t is not None for t in texts):
            pending += 1
            continue
        skipped, pending = skipped + pending, 0
        if len(numbers) >= max_rows:
            raise IngestError(f"refused: the sheet holds more than {max_rows:,} rows, the cap",
                              file=str(path), field=title,
                              hint="split the file, or raise [ingest] max_rows in pantau.toml (docs/config.md)")
        cleaned = [_CONTROL.sub("", t) if t is not None else None for t in texts]
        control += cleaned != texts
        cleaned += [None] * (width - len(cleaned))
        for column, text in zip(columns, cleaned, strict=True):
            column.append(text)
        numbers.append(number)
    table = pa.table({**{f"c{i}": pa.array(col, pa.string()) for i, col in enumerate(columns)},
                      "source_row": pa.array(numbers, pa.int64())})
    return register_arrow(con, fmt, names, table,
                          {"sheet": title, "skipped_rows": skipped, "control_rows": control})


def _choose_sheet(path: Path, names: list[str], sheet: str | None) -> int:
    if sheet is None:
        return 0
    if sheet not in names:
        raise IngestError(f"no sheet named '{sheet}'", file=str(path), hint=f"sheets: {', '.join(names)}")
    return names.index(sheet)


def check_inflated_size(path: Path, limits: IngestSettings) -> None:
    """Refuse a ZIP-based workbook that declares more than the cap once inflated."""
    try:
        with zipfile.ZipFile(path) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise IngestError(f"the Excel file is damaged: it is not a readable ZIP archive "
                          f"({type(exc).__name__})", file=str(path), hint=_DAMAGED_HINT) from exc
    if total > limits.max_decompressed_mb * MB:
        raise IngestError(
            f"refused: the Excel file would inflate to {total / MB:,.0f} MB, more than the cap of "
            f"{limits.max_decompressed_mb:,} MB", file=str(path),
            hint="save the sheet as CSV, or raise [ingest] max_decompressed_mb in pantau.toml (docs/config.md)")


def _probe_dimensions_only(ws: Any) -> None:
    """``ReadOnlyWorksheet._get_size`` reading only the sheet's head.

    openpyxl looks for ``<dimension>`` with end events, and ``<sheetData>`` ends only after its
    last row: a sheet without the tag (many exporters omit it) was parsed whole once when the
    workbook opened and again when its rows were read (19 CPU s for the first 20 rows of a
    300,000-row sheet). The tag comes before ``<sheetData>`` in the schema, so start events up
    to ``<sheetData>`` find it when it is there; the sizes are the same, read sooner.
    """
    from xml.etree.ElementTree import iterparse

    from openpyxl.worksheet.dimensions import SheetDimension
    from openpyxl.xml.constants import SHEET_MAIN_NS

    with ws._get_source() as src:
        for _event, element in iterparse(src, events=("start",)):
            if element.tag == f"{{{SHEET_MAIN_NS}}}dimension" and element.get("ref"):
                dims = SheetDimension.from_tree(element).boundaries
                if dims is not None:
                    ws._min_column, ws._min_row, ws._max_column, ws._max_row = dims
                return
            if element.tag == f"{{{SHEET_MAIN_NS}}}sheetData":
                return


def read_only_book(path: Path) -> Any:
    """``openpyxl.load_workbook(path, read_only=True, data_only=True)`` without the whole-sheet
    parse openpyxl makes on opening a sheet that has no ``<dimension>`` tag."""
    import openpyxl  # imported here: only Excel imports pay for it
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    ReadOnlyWorksheet._get_size = _probe_dimensions_only  # idempotent; see its docstring
    return openpyxl.load_workbook(path, read_only=True, data_only=True)


def open_xlsx(con: duckdb.DuckDBPyConnection, path: Path, sheet: str | None, limits: IngestSettings) -> Source:
    """An Excel workbook: the named sheet or the first; first row = header; empty rows skipped."""
    check_inflated_size(path, limits)
    try:
        book = read_only_book(path)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise IngestError(f"cannot read the Excel file ({type(exc).__name__})", file=str(path),
                          hint=_DAMAGED_HINT) from exc
    try:
        ws = book.worksheets[_choose_sheet(path, book.sheetnames, sheet)]
        ws.reset_dimensions()  # never trust <dimension ref="A1:C3"/>
        try:
            return _sheet_source(con, "xlsx", path, ws.title, ws.iter_rows(values_only=True), limits.max_rows)
        except IngestError:
            raise
        except Exception as exc:  # a damaged member shows only while its rows are read
            raise IngestError(f"the Excel file is damaged: its sheet cannot be read ({type(exc).__name__})",
                              file=str(path), field=ws.title, hint=_DAMAGED_HINT) from exc
    finally:
        book.close()


def _xls_value(cell: Any, datemode: int) -> Any:
    import xlrd

    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            when = xlrd.xldate_as_datetime(cell.value, datemode)
        except (xlrd.xldate.XLDateError, OverflowError, ValueError):
            return cell.value  # not a date after all: the number itself
        # Excel keeps milliseconds at most; the float day fraction is a hair off them
        when = when.replace(microsecond=0) + timedelta(milliseconds=round(when.microsecond / 1000))
        return when.time() if cell.value < 1 else when
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value, "#ERROR")
    return cell.value


def open_xls(con: duckdb.DuckDBPyConnection, path: Path, sheet: str | None, limits: IngestSettings) -> Source:
    """An Excel 97-2003 workbook (.xls, read with xlrd), like :func:`open_xlsx`."""
    import xlrd  # imported here: only old Excel imports pay for it

    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
    except Exception as exc:  # xlrd raises many kinds for a broken or non-Excel OLE2 file
        raise IngestError(f"cannot read the old Excel (.xls) file ({type(exc).__name__})", file=str(path),
                          hint="if Excel or LibreOffice opens it, save it as .xlsx or .csv") from exc
    try:
        ws = book.sheet_by_index(_choose_sheet(path, book.sheet_names(), sheet))
        rows = (tuple(_xls_value(c, book.datemode) for c in ws.row(r)) for r in range(ws.nrows))
        return _sheet_source(con, "xls", path, ws.name, rows, limits.max_rows)
    finally:
        book.release_resources()
