"""CSV files: bytes -> a DuckDB ``read_csv`` source, every row counted truthfully.

One pass over the bytes (:func:`scan_bytes`) tells whether the file is valid UTF-8, holds
control characters, ends its lines with CR alone, and how many blank lines it has. Only
when needed is a UTF-8 copy written (:func:`transcode`): per line, so a UTF-8 file with one
cp1252 line keeps its UTF-8 (``café`` stays ``café``) and the cp1252 line is read as cp1252
and counted; CR-only line ends become LF. A quote that opens on a line and would swallow
the lines after it that look like records is cut at its line (:func:`repair_quotes`): the
line is quarantined as ``unbalanced quote`` and every later line keeps its own row number.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np

from event_logs.ingest.source import Source, literal, unique_names
from pantau.errors import IngestError

DELIMITERS = (",", ";", "\t")
_CHUNK = 1 << 20
_CONTROL_BYTES = bytes([*range(0, 9), 11, 12, *range(14, 32), 127])  # CONTROL_RE's bytes
_TAB, _LF, _CR, _DEL = 9, 10, 13, 127


def count_bytes(chunk: bytes) -> tuple[int, bool]:
    """Line feeds in ``chunk`` and whether it holds a control byte (:data:`_CONTROL_BYTES`: below
    32 but tab, LF and CR, or DEL). NumPy's compares release the GIL, so this pass runs beside
    the main thread's work (``bytes.translate`` and ``count`` hold it: 0.3 s per 200 MB, and
    the store's opening waited on them)."""
    a = np.frombuffer(chunk, dtype=np.uint8)
    lf = int(np.count_nonzero(a == _LF))
    low = int(np.count_nonzero((a < 32) | (a == _DEL)))
    if low == lf:  # the usual chunk: its only low bytes are line feeds
        return lf, False
    return lf, low != lf + int(np.count_nonzero(a == _TAB)) + int(np.count_nonzero(a == _CR))


@dataclass
class ByteFacts:
    """What one pass over a file's bytes found."""

    utf8: bool = True
    control: bool = False
    cr_only: bool = False
    blank_lines: int | None = 0  # None: not counted yet (see count_blank_lines)
    line_ends: int = 0      # LF (CR for a CR-only file): more than rows + header + blanks
    last_unended: bool = False  # the last line has no line end


class ByteScan:
    """The pass of :func:`scan_bytes`, fed chunk by chunk (so the pass that hashes a file can
    scan it too: :func:`event_logs.ingest.pipeline.file_sha256`)."""

    def __init__(self) -> None:
        self.facts = ByteFacts()
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
        self._saw_lf = self._saw_cr = False
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        """Look at the next chunk of the file."""
        facts = self.facts
        if facts.utf8 and not (chunk.isascii() and not self._decoder.getstate()[0]):
            try:
                self._decoder.decode(chunk)
            except UnicodeDecodeError:
                facts.utf8 = False
        lf, control = count_bytes(chunk)
        facts.control = facts.control or control
        facts.line_ends += lf
        self._saw_lf = self._saw_lf or bool(lf)
        self._saw_cr = self._saw_cr or b"\r" in chunk
        if chunk:
            self._tail = chunk[-2:]

    def finish(self, path: Path) -> ByteFacts:
        """The facts, once every chunk of ``path`` was fed (a CR-only file is read again)."""
        facts = self.facts
        facts.last_unended = bool(self._tail) and not self._tail.endswith((b"\n", b"\r"))
        if facts.utf8:
            try:
                self._decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                facts.utf8 = False
        facts.cr_only = self._saw_cr and not self._saw_lf
        if facts.cr_only:
            facts.line_ends = _count(path, b"\r")
        facts.blank_lines = _count_blank(path, b"\r") if facts.cr_only else None
        return facts


def scan_bytes(path: Path) -> ByteFacts:
    """UTF-8 validity, control bytes, CR-only line ends, in one pass; blank lines of a CR-only
    file too. Those of an LF file are counted after reading, and only when the file has more
    lines than header and rows (:func:`count_blank_lines`): a search for empty lines in every
    chunk costs more than the rest of the scan."""
    scan = ByteScan()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            scan.feed(chunk)
    return scan.finish(path)


def _count(path: Path, byte: bytes) -> int:
    with path.open("rb") as handle:
        return sum(chunk.count(byte) for chunk in iter(lambda: handle.read(_CHUNK), b""))


def _count_blank(path: Path, ending: bytes) -> int:
    """Empty lines (before the last line end), as DuckDB skips them."""
    count, rest = 0, b""
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            lines = (rest + chunk).split(ending)
            rest = lines.pop()
            count += sum(1 for line in lines if line in (b"", b"\r"))
    return count


def _latin1_fallback(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    bad = error.object[error.start:error.end]
    return bad.decode("latin-1"), error.end


codecs.register_error("latin1_fallback", _latin1_fallback)


def transcode(path: Path, target: Path, *, utf16: bool, cr_only: bool) -> tuple[str, int]:
    """A UTF-8 copy of ``path`` with LF line ends; returns ``(encoding, recoded_lines)``.

    UTF-16 (with its BOM) is decoded whole. Otherwise each line is decoded as UTF-8, and a
    line that is not UTF-8 as cp1252 (its five undefined bytes as latin-1) and counted.
    ``encoding`` is ``utf-8``, ``cp1252`` (no line was UTF-8 beyond ASCII) or ``mixed``.
    """
    if utf16:
        with path.open("r", encoding="utf-16", newline="") as src, \
                target.open("w", encoding="utf-8", newline="") as dst:
            while text := src.read(_CHUNK):
                dst.write(text.replace("\r\n", "\n").replace("\r", "\n") if cr_only else text)
        return "utf-16", 0
    recoded = utf8_beyond_ascii = 0
    ending = b"\r" if cr_only else b"\n"
    with path.open("rb") as src, target.open("w", encoding="utf-8", newline="") as dst:
        rest = b""
        while True:
            chunk = src.read(_CHUNK)
            data = rest + chunk
            lines = data.split(ending)
            rest = lines.pop() if chunk else b""
            for number, line in enumerate(lines):
                try:
                    text = line.decode("utf-8")
                    utf8_beyond_ascii += not line.isascii()
                except UnicodeDecodeError:
                    text = line.decode("cp1252", errors="latin1_fallback")
                    recoded += 1
                last = not chunk and number == len(lines) - 1
                dst.write(text + ("" if last else "\n"))
            if not chunk:
                break
    encoding = "utf-8" if not recoded else "cp1252" if not utf8_beyond_ascii else "mixed"
    return encoding, recoded if encoding == "mixed" else 0


def sniff_delimiter(sample: str) -> str:
    """The delimiter of , ; tab giving the most header fields, consistently over the sample."""
    lines = sample.splitlines()[:50]
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # the last sampled line may be cut in the middle
    best, best_score = ",", (-1.0, 0)
    for delimiter in DELIMITERS:
        rows = [r for r in csv.reader(io.StringIO("\n".join(lines), newline=""), delimiter=delimiter) if r]
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


def _looks_like_record(line: str, delimiter: str, width: int) -> bool:
    fields = next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter), [])
    return width > 1 and len(fields) == width


def repair_quotes(text_path: Path, target: Path, delimiter: str, width: int) -> list[int]:
    """Cut every quote that would swallow record-like lines at its own line.

    Records are gathered line by line until their quotes balance; when a record spans
    several lines and one of the later lines is a record by itself (``width`` fields), the
    first line is written alone with its quotes removed and its data row number returned,
    and reading goes on at the next line. Other records are copied as they are. Returns the
    data rows (1-based, header excluded) cut this way; ``target`` is written only when some.
    """
    with text_path.open("r", encoding="utf-8-sig", newline="") as handle:
        lines = handle.read().splitlines(keepends=True)
    out: list[str] = []
    broken: list[int] = []
    i, row = 1, 0  # line 0 is the header
    while i < len(lines):
        j, quotes = i, lines[i].count('"')
        while quotes % 2 and j + 1 < len(lines):
            j += 1
            quotes += lines[j].count('"')
        if not lines[i].strip():  # a blank line: DuckDB skips it, so it is no row
            out.append(lines[i])
            i += 1
            continue
        row += 1
        if j > i and any(_looks_like_record(lines[k], delimiter, width) for k in range(i + 1, j + 1)):
            broken.append(row)
            out.append(lines[i].replace('"', "").rstrip("\r\n") + "\n")
            i += 1
        else:
            out.extend(lines[i:j + 1])
            i = j + 1
    if broken:
        with target.open("w", encoding="utf-8", newline="") as handle:
            handle.write(lines[0])
            handle.writelines(out)
    return broken


def _read_csv_sql(path: Path, delimiter: str, safe: list[str], *, parallel: bool = False) -> str:
    columns = "{" + ", ".join(f"'{s}': 'VARCHAR'" for s in [*safe, "c_extra"]) + "}"
    # null_padding: short rows padded with NULL, long rows -> c_extra. parallel=false: a
    # single-threaded scan keeps file order for row_number(); the parallel reader (file order
    # kept by insertion order) refuses quoted line breaks with null_padding.
    return (f"read_csv({literal(str(path))}, header=true, delim={literal(delimiter)}, "
            f"quote='\"', escape='\"', null_padding=true, strict_mode=false, parallel={str(parallel).lower()}, "
            f"auto_detect=false, columns={columns})")


def open_csv(con: duckdb.DuckDBPyConnection, path: Path, facts: ByteFacts | None = None) -> Source:
    """A CSV file (delimiter , ; or tab; UTF-8, cp1252 or mixed per line; UTF-16 with BOM)
    read by DuckDB's ``read_csv``. ``facts``: the file's :func:`scan_bytes`, when a pass over
    its bytes made them already."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    if not head.strip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n"):
        raise IngestError("the file is empty", file=str(path))
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))  # Excel's "Unicode text" export
    facts = facts or scan_bytes(path)
    cleanup: list[Callable[[], None]] = []
    details: dict[str, object] = {"encoding": "utf-8"}
    path_read = path
    if utf16 or not facts.utf8 or facts.cr_only:
        tmpdir = tempfile.TemporaryDirectory(prefix="pantau-ingest-")
        cleanup.append(tmpdir.cleanup)
        path_read = Path(tmpdir.name) / "utf8.csv"
        try:
            encoding, recoded = transcode(path, path_read, utf16=utf16, cr_only=facts.cr_only)
        except UnicodeDecodeError as exc:
            tmpdir.cleanup()
            raise IngestError(f"not valid UTF-16 text (byte {exc.start})", file=str(path)) from exc
        details.update(encoding=encoding, recoded_lines=recoded)
        if utf16:  # the byte scan saw UTF-16's zero bytes: look again at the text
            facts = scan_bytes(path_read)
    with path_read.open("r", encoding="utf-8-sig", newline="") as handle:
        sample = handle.read(256 * 1024)
    delimiter = sniff_delimiter(sample)
    header = next(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter), [])
    names = unique_names(header)
    safe = [f"c{i}" for i in range(len(names))]
    details.update(delimiter=delimiter, skipped_rows=facts.blank_lines)
    # the lines of the file; more than header + rows + blank lines means a value spans lines
    lines = facts.line_ends + facts.last_unended
    if utf16 or not facts.utf8 or facts.cr_only:
        lines = _count(path_read, b"\n") + facts.last_unended
    return Source(
        format="csv", names=names, exprs=safe, from_sql=_read_csv_sql(path_read, delimiter, safe),
        parallel_sql=_read_csv_sql(path_read, delimiter, safe, parallel=True),
        row_sql="row_number() OVER ()", extra_sql="c_extra", details=details, cleanup=cleanup,
        text_path=path_read, control=facts.control, lines=lines,
    )


def count_blank_lines(source: Source, rows: int) -> None:
    """Set ``skipped_rows`` (blank lines, which DuckDB skips) when the byte scan left it open:
    0 when the file has no more lines than header and ``rows`` (each blank line is a line
    without a row), else counted line by line (rare: blank lines or multi-line values)."""
    if source.details.get("skipped_rows", 0) is not None:
        return
    more = source.lines is not None and source.text_path is not None and source.lines > 1 + rows
    source.details["skipped_rows"] = _count_blank(source.text_path, b"\n") if more else 0


def cut_unbalanced_quotes(con: duckdb.DuckDBPyConnection, source: Source) -> bool:
    """Point ``source`` at a repaired copy when a quote swallowed record-like lines (see
    :func:`repair_quotes`); looked at only when a row read holds a line break
    (the file has more lines than header, rows and blank lines). True when the source changed
    and must be read again."""
    if source.text_path is None or "unbalanced_quote_rows" in source.details:
        return False
    rows = con.execute("SELECT count(*) FROM ingest_rows").fetchall()[0][0]
    count_blank_lines(source, rows)
    if source.lines is None or source.lines <= 1 + rows + source.details.get("skipped_rows", 0):
        return False
    tmpdir = tempfile.TemporaryDirectory(prefix="pantau-ingest-")
    target = Path(tmpdir.name) / "repaired.csv"
    broken = repair_quotes(source.text_path, target, source.details["delimiter"], len(source.names))
    if not broken:
        tmpdir.cleanup()
        return False
    source.cleanup.append(tmpdir.cleanup)
    source.text_path = target
    source.from_sql = _read_csv_sql(target, source.details["delimiter"], source.exprs)
    source.parallel_sql = _read_csv_sql(target, source.details["delimiter"], source.exprs, parallel=True)
    source.details["unbalanced_quote_rows"] = broken
    return True


def check_quotes(con: duckdb.DuckDBPyConnection, source: Source, file: str) -> None:
    """Refuse a CSV whose quote never closes and swallows no record-like line.

    DuckDB then reads the rest of the file as one value, silently. The symptom is a last row
    holding a line break; only then (rare) the file is parsed again with Python's strict
    csv reader to tell a legitimate multi-line value from an unterminated one.
    """
    if source.text_path is None:
        return
    described = con.execute("DESCRIBE ingest_rows").fetchall()
    columns = [f"coalesce({r[0]}, '')" for r in described if re.fullmatch(r"c\d+|c_extra", r[0])]
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
