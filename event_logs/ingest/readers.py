"""Input files -> a DuckDB source of raw text columns plus the 1-based ``source_row``.

CSV and Parquet are read by DuckDB itself (a million rows in well under a second); Excel
(.xlsx with openpyxl, the old .xls with xlrd) and XES are parsed in Python (they are small) and handed over as an Arrow table. Every
reader returns a :class:`Source`: SQL for the FROM clause, one VARCHAR expression per column
and the row-number expression; the pipeline adds hashing and materialises it once.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from event_logs.ingest.xes import read_xes
from pantau.errors import IngestError

DELIMITERS = (",", ";", "\t")
ARROW_VIEW = "ingest_src"
_CHUNK = 1 << 20


@dataclass
class Source:
    """A readable source registered on a connection."""

    format: str
    names: list[str]                 # column names as in the file
    exprs: list[str]                 # VARCHAR SQL expression per column
    from_sql: str                    # FROM clause
    row_sql: str                     # 1-based source_row expression
    extra_sql: str | None = None     # non-NULL when a CSV row has more fields than the header
    details: dict[str, Any] = field(default_factory=dict)  # encoding, delimiter, sheet...
    cleanup: list[Callable[[], None]] = field(default_factory=list)
    text_path: Path | None = None    # CSV: the UTF-8 file DuckDB reads (a transcoded copy or the file)

    def close(self) -> None:
        """Drop registered views and temporary files."""
        for step in reversed(self.cleanup):
            step()
        self.cleanup.clear()


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def detect_format(path: Path) -> str:
    """csv | xlsx | xls | xes | parquet, from the name and, when unclear, the first bytes."""
    name = path.name.lower()
    with path.open("rb") as handle:
        head = handle.read(512)
    if head.startswith(b"\xd0\xcf\x11\xe0") or name.endswith(".xls"):
        return "xls"  # an OLE2 compound file: Excel 97-2003
    if name.endswith((".xes", ".xes.gz")):
        return "xes"
    if name.endswith((".xlsx", ".xlsm")) or head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if name.endswith((".parquet", ".pq")) or head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"\x1f\x8b") or head.lstrip().startswith((b"<?xml", b"<log")):
        return "xes"
    return "csv"


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _transcode(path: Path, target: Path, encoding: str) -> None:
    """``encoding`` -> UTF-8; for cp1252 the five bytes it leaves undefined are read as latin-1."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="latin1_fallback" if encoding == "cp1252" else "strict")
    with path.open("rb") as src, target.open("w", encoding="utf-8", newline="") as dst:
        while chunk := src.read(_CHUNK):
            dst.write(decoder.decode(chunk))
        dst.write(decoder.decode(b"", final=True))


def _latin1_fallback(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    bad = error.object[error.start:error.end]
    return bad.decode("latin-1"), error.end


codecs.register_error("latin1_fallback", _latin1_fallback)


def _sniff_delimiter(sample: str) -> str:
    """The delimiter of , ; tab giving the most header fields, consistently over the sample."""
    lines = sample.splitlines()[:50]
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # the last sampled line may be cut in the middle
    best, best_score = ",", (-1.0, 0)
    for delimiter in DELIMITERS:
        rows = [r for r in csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter) if r]
        if not rows:
            continue
        width = len(rows[0])
        if width < 2:
            continue
        consistent = sum(len(r) == width for r in rows) / len(rows)
        score = (consistent, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _unique_names(raw: list[str]) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    for i, name in enumerate(raw):
        name = (name or "").strip() or f"column{i + 1}"
        candidate, n = name, 2
        while candidate in seen:
            candidate, n = f"{name}_{n}", n + 1
        seen.add(candidate)
        names.append(candidate)
    return names


def open_csv(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    """A CSV file (delimiter , ; or tab; UTF-8, else cp1252) read by DuckDB's ``read_csv``."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    if not head.strip(b"\xef\xbb\xbf \t\r\n"):
        raise IngestError("the file is empty", file=str(path))
    cleanup: list[Callable[[], None]] = []
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"  # Excel's "Unicode text" export
    elif _is_utf8(path):
        encoding = "utf-8"
    else:
        encoding = "cp1252"  # Excel's "CSV" export on an Indonesian/Western Windows
    path_read = path
    if encoding != "utf-8":
        tmpdir = tempfile.TemporaryDirectory(prefix="pantau-ingest-")
        cleanup.append(tmpdir.cleanup)
        path_read = Path(tmpdir.name) / "utf8.csv"
        try:
            _transcode(path, path_read, encoding)
        except UnicodeDecodeError as exc:
            tmpdir.cleanup()
            raise IngestError(f"not valid {encoding} text: {exc}", file=str(path)) from exc
    with path_read.open("r", encoding="utf-8-sig", newline="") as handle:
        sample = handle.read(256 * 1024)
    delimiter = _sniff_delimiter(sample)
    header = next(csv.reader(io.StringIO(sample), delimiter=delimiter), [])
    names = _unique_names(header)
    safe = [f"c{i}" for i in range(len(names))]
    columns = "{" + ", ".join(f"'{s}': 'VARCHAR'" for s in [*safe, "c_extra"]) + "}"
    # parallel=false: single-threaded scans keep file order for row_number() and are the
    # fastest choice with null_padding (short rows padded with NULL, long rows -> c_extra).
    from_sql = (
        f"read_csv({_literal(str(path_read))}, header=true, delim={_literal(delimiter)}, "
        "quote='\"', escape='\"', null_padding=true, strict_mode=false, parallel=false, "
        f"auto_detect=false, columns={columns})"
    )
    return Source(
        format="csv", names=names, exprs=safe, from_sql=from_sql, row_sql="row_number() OVER ()",
        extra_sql="c_extra", details={"encoding": encoding, "delimiter": delimiter}, cleanup=cleanup,
        text_path=path_read,
    )


def check_quotes(con: duckdb.DuckDBPyConnection, source: Source, file: str) -> None:
    """Refuse a CSV whose quote never closes.

    DuckDB then reads the rest of the file as one value, silently. The symptom is a last row
    holding a line break; only then (rare) the file is parsed again with Python's strict
    csv reader to tell a legitimate multi-line value from an unterminated one.
    """
    if source.text_path is None:
        return
    described = con.execute("DESCRIBE ingest_rows").fetchall()
    columns = [f"coalesce({r[0]}, '')" for r in described if re.fullmatch(r"c\d+", r[0])]
    if not columns:
        return
    last = con.execute(f"SELECT source_row, contains(concat({', '.join(columns)}), chr(10)) "
                       "FROM ingest_rows ORDER BY source_row DESC LIMIT 1").fetchall()
    if not last or not last[0][1]:
        return
    delimiter = source.details["delimiter"]
    with source.text_path.open("r", encoding="utf-8-sig", newline="") as handle:
        try:
            for _row in csv.reader(handle, delimiter=delimiter, strict=True):
                pass
        except csv.Error as exc:
            raise IngestError(
                f"a quoted value never closes (from data row {last[0][0]} to the end of the file): {exc}",
                file=file, row=last[0][0],
                hint='close the quote (") or remove it; a quote inside a value is written as ""',
            ) from exc


def open_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    """A Parquet file; every column cast to text (TIMESTAMPTZ columns print their offset)."""
    from_sql = f"read_parquet({_literal(str(path))}, file_row_number=true)"
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {from_sql}").fetchall()
    except duckdb.Error as exc:
        raise IngestError(f"cannot read the Parquet file: {exc}", file=str(path)) from exc
    names = [row[0] for row in described if row[0] != "file_row_number"]
    exprs = [f"CAST({_quote_ident(n)} AS VARCHAR)" for n in names]
    return Source(format="parquet", names=names, exprs=exprs, from_sql=from_sql,
                  row_sql="file_row_number + 1")


def _cell_text(value: Any) -> str | None:
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


def _register_arrow(con: duckdb.DuckDBPyConnection, fmt: str, names: list[str],
                    columns: list[list[str | None]], rows: list[int], details: dict[str, Any]) -> Source:
    safe = [f"c{i}" for i in range(len(names))]
    table = pa.table({**{s: pa.array(col, pa.string()) for s, col in zip(safe, columns, strict=True)},
                      "source_row": pa.array(rows, pa.int64())})
    con.register(ARROW_VIEW, table)
    return Source(format=fmt, names=names, exprs=safe, from_sql=ARROW_VIEW, row_sql="source_row",
                  details=details, cleanup=[lambda: con.unregister(ARROW_VIEW)])


def _sheet_source(con: duckdb.DuckDBPyConnection, fmt: str, path: Path, title: str,
                  rows: Iterator[tuple[Any, ...]]) -> Source:
    """A worksheet's rows (cell values) as a Source: first row = header, empty rows skipped,
    ``source_row`` = the row's number below the header."""
    header = next(rows, None)
    if header is None or not any(_cell_text(c) is not None for c in header):
        raise IngestError("the sheet is empty", file=str(path), field=title)
    header_cells = list(header)
    while header_cells and _cell_text(header_cells[-1]) is None:
        header_cells.pop()
    names = _unique_names([_cell_text(c) or "" for c in header_cells])
    width = len(names)
    columns: list[list[str | None]] = [[] for _ in range(width)]
    numbers: list[int] = []
    for number, row in enumerate(rows, start=1):
        texts = [_cell_text(v) for v in row[:width]]
        if not any(t is not None for t in texts):
            continue
        texts += [None] * (width - len(texts))
        for column, text in zip(columns, texts, strict=True):
            column.append(text)
        numbers.append(number)
    return _register_arrow(con, fmt, names, columns, numbers, {"sheet": title})


def _choose_sheet(path: Path, names: list[str], sheet: str | None) -> int:
    if sheet is None:
        return 0
    if sheet not in names:
        raise IngestError(f"no sheet named '{sheet}'", file=str(path), hint=f"sheets: {', '.join(names)}")
    return names.index(sheet)


def open_xlsx(con: duckdb.DuckDBPyConnection, path: Path, sheet: str | None) -> Source:
    """An Excel workbook: the named sheet or the first; first row = header; empty rows skipped."""
    import openpyxl  # imported here: only Excel imports pay for it

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise IngestError(f"cannot read the Excel file: {exc}", file=str(path)) from exc
    try:
        ws = book.worksheets[_choose_sheet(path, book.sheetnames, sheet)]
        return _sheet_source(con, "xlsx", path, ws.title, ws.iter_rows(values_only=True))
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


def open_xls(con: duckdb.DuckDBPyConnection, path: Path, sheet: str | None) -> Source:
    """An Excel 97-2003 workbook (.xls, read with xlrd), like :func:`open_xlsx`."""
    import xlrd  # imported here: only old Excel imports pay for it

    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
    except Exception as exc:  # xlrd raises many kinds for a broken or non-Excel OLE2 file
        raise IngestError(f"cannot read the old Excel (.xls) file: {exc}", file=str(path),
                          hint="if Excel or LibreOffice opens it, save it as .xlsx or .csv") from exc
    try:
        ws = book.sheet_by_index(_choose_sheet(path, book.sheet_names(), sheet))
        rows = (tuple(_xls_value(c, book.datemode) for c in ws.row(r)) for r in range(ws.nrows))
        return _sheet_source(con, "xls", path, ws.name, rows)
    finally:
        book.release_resources()


def open_xes(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    """An XES or XES.gz log (defusedxml), one row per event."""
    names, values, traces = read_xes(path)
    count = len(next(iter(values.values()))) if values else 0
    return _register_arrow(con, "xes", names, [values[n] for n in names],
                           list(range(1, count + 1)), {"traces": traces})


def open_source(con: duckdb.DuckDBPyConnection, path: Path, fmt: str, sheet: str | None) -> Source:
    """Open ``path`` as format ``fmt`` on ``con``."""
    if sheet is not None and fmt not in ("xlsx", "xls"):
        raise IngestError("--sheet only applies to Excel files", file=str(path))
    if fmt == "csv":
        return open_csv(con, path)
    if fmt == "parquet":
        return open_parquet(con, path)
    if fmt == "xlsx":
        return open_xlsx(con, path, sheet)
    if fmt == "xls":
        return open_xls(con, path, sheet)
    return open_xes(con, path)
