"""The upload form's preview, read in a process of its own: ``python -m dashboard.preview_job FILE``.

A file a user uploads may be damaged or hostile — a cut-off .xlsx (``BadZipFile``), a ZIP bomb,
a sheet of a million rows, a 2 GB CSV. The dashboard process never parses it: :func:`preview`
starts this module as a child process, which reads the file with the ingest readers and their
caps (``[ingest]`` in the settings file in force for the store), only a bounded part of it (the
first :data:`SAMPLE_BYTES` of a CSV, the first :data:`ROWS` rows of a sheet or Parquet file),
with DuckDB held to :data:`MEMORY`; the child is stopped after :data:`SECONDS`. Whatever goes
wrong comes back as a :class:`~pantau.errors.PantauError` with a hint (``st.error`` on the page).

The preview says what ingest will do with every column (the rules of
:mod:`event_logs.ingest.pii`): identity numbers (NIK/KK) are hashed, personal columns (names,
phone numbers, addresses) dropped unless kept. It shows no personal value: hashed and personal
columns are not shown at all, NIK-like numbers and phone numbers in the others are masked, and
a personal column's value found in another field of its row (a broken row) is removed there.

Protocol: one JSON line on stdout, ``{"event": "preview", "format": ..., "columns": [...],
"roles": [...], "rows": [[...], ...]}`` or ``{"event": "error", "type": ..., "message": ...,
"hint": ...}``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from pantau.errors import IngestError, PantauError

ROWS = 20
SECONDS = 60.0             # a preview still running after this is stopped
SAMPLE_BYTES = 1 << 20     # of a CSV, the preview reads this much
MEMORY = "256MB"           # DuckDB's buffer cap in the preview process
EMPTY_ROWS_READ = 1000     # empty sheet rows skipped before the preview gives up looking
ID, PERSONAL, DATA = "id", "personal", "data"  # what ingest does with a column: hash, drop, keep
_DAMAGED = "open it in Excel or LibreOffice and save it again (as .xlsx or .csv), then upload it again"


def _csv_sample(path: Path, folder: Path) -> Path:
    """The first :data:`SAMPLE_BYTES` of a CSV, cut after its last whole line."""
    with path.open("rb") as handle:
        head = handle.read(SAMPLE_BYTES + 1)
    if len(head) > SAMPLE_BYTES:
        head = head[:SAMPLE_BYTES]
        end = max(head.rfind(b"\n"), head.rfind(b"\r"))
        head = head[: end + 1] if end > 0 else head
    sample = folder / "sample.csv"
    sample.write_bytes(head)
    return sample


def _sheet_rows(path: Path, limits: Any, rows: int) -> tuple[list[str], list[list[str | None]]]:
    """Header and the first ``rows`` non-empty rows of an .xlsx's first sheet, its declared
    inflated size checked first (a ZIP bomb is refused before anything is inflated)."""
    from event_logs.ingest.sheets import cell_text, check_inflated_size, read_only_book
    from event_logs.ingest.source import unique_names

    check_inflated_size(path, limits)
    try:
        book = read_only_book(path)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise IngestError(f"cannot read the Excel file ({type(exc).__name__})", file=path.name,
                          hint=_DAMAGED) from exc
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # a stale <dimension> tag must not hide rows here either
        cells = itertools.islice(sheet.iter_rows(values_only=True), rows + EMPTY_ROWS_READ + 1)
        header = [cell_text(c) for c in next(cells, ())]
        while header and header[-1] is None:
            header.pop()
        names = unique_names([h or "" for h in header])
        body = []
        for row in cells:
            texts = [cell_text(v) for v in row[: len(names)]]
            if any(t is not None for t in texts):
                body.append(texts + [None] * (len(names) - len(texts)))
            if len(body) >= rows:
                break
        return names, body
    except Exception as exc:  # a damaged member shows only while its rows are read
        raise IngestError(f"the Excel file is damaged: its sheet cannot be read ({type(exc).__name__})",
                          file=path.name, hint=_DAMAGED) from exc
    finally:
        book.close()


def _source_rows(path: Path, fmt: str, limits: Any, rows: int) -> tuple[list[str], list[list[str | None]], set[int]]:
    """Header, first rows and reader-known personal columns of a CSV, .xls or Parquet file."""
    import duckdb

    from event_logs.ingest.readers import open_source

    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{MEMORY}'")
    with tempfile.TemporaryDirectory(prefix="pantau-preview-") as tmp:
        read = _csv_sample(path, Path(tmp)) if fmt == "csv" else path
        source = open_source(con, read, fmt, None, limits)
        try:
            if not source.names:
                return [], [], set()
            body = con.execute(f"SELECT {', '.join(source.exprs)} FROM {source.from_sql} LIMIT {int(rows)}").fetchall()
            return source.names, [list(r) for r in body], set(source.personal)
        finally:
            source.close()
            con.close()


def read_preview(path: Path, *, rows: int = ROWS, store: Path | None = None) -> dict[str, Any]:
    """The preview of ``path`` (runs in the child process): format, columns, what ingest does
    with each (:data:`ID` hashed, :data:`PERSONAL` dropped unless kept, :data:`DATA`), and the
    first rows with personal values hidden or masked."""
    import duckdb

    from event_logs.ingest.pii import PERSONAL_REMOVED, is_id_column, is_personal_column, redact
    from event_logs.ingest.readers import detect_format
    from pantau.config import load_settings

    limits = load_settings(store=store).ingest
    fmt = detect_format(path)
    try:
        if fmt == "xes":  # attributes named by the standard: no mapping to choose
            names, body, personal = [], [], set()
        elif fmt == "xlsx":
            names, body = _sheet_rows(path, limits, rows)
            personal = set()
        else:
            names, body, personal = _source_rows(path, fmt, limits, rows)
    except duckdb.Error as exc:
        raise IngestError(f"cannot read the file for a preview ({type(exc).__name__})", file=path.name,
                          hint="check that it is a CSV, Excel, Parquet or XES file") from exc
    roles = [ID if is_id_column(n) else PERSONAL if is_personal_column(n) or i in personal else DATA
             for i, n in enumerate(names)]
    shown = []
    for row in body:
        # a broken row shifts a name into another field: as ingest does, that value goes too
        private = {v.strip() for v, role in zip(row, roles, strict=True) if role != DATA and v and v.strip()}
        shown.append([None if role != DATA or v is None else PERSONAL_REMOVED if v.strip() in private
                      else redact(v) for v, role in zip(row, roles, strict=True)])
    return {"event": "preview", "format": fmt, "columns": names, "roles": roles, "rows": shown}


def preview(path: Path, *, store: Path | None = None, rows: int = ROWS,
            seconds: float = SECONDS) -> dict[str, Any]:
    """Run :func:`read_preview` on ``path`` in a child process, stopped after ``seconds``.
    Raises :class:`PantauError` (:class:`IngestError` when the file cannot be read)."""
    from dashboard.jobs import job_error

    command = [sys.executable, "-m", "dashboard.preview_job", str(path), "--rows", str(rows)]
    if store is not None:
        command += ["--db", str(store)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds, check=False,
                              env=dict(os.environ, PM4PY_SHOW_PROGRESS_BAR="False"))
    except subprocess.TimeoutExpired as exc:
        raise IngestError(f"the preview took longer than {seconds:.0f} s and was stopped", file=path.name,
                          hint="the file may be very large or damaged: save it as CSV, or import it with "
                               "'pantau ingest', which reports its progress") from exc
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    event = json.loads(lines[-1]) if lines else {
        "message": f"the preview stopped (exit {done.returncode})",
        "hint": "the file may be damaged: open it in Excel or LibreOffice and save it again"}
    if event.get("event") != "preview":
        raise job_error({**event, "file": path.name})
    return event


def main(argv: list[str] | None = None) -> int:
    """``python -m dashboard.preview_job FILE [--rows N] [--db STORE]``: one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m dashboard.preview_job")
    parser.add_argument("file", type=Path)
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args(argv)
    try:
        event = read_preview(args.file, rows=args.rows, store=args.db)
    except PantauError as exc:
        event = {"event": "error", "type": type(exc).__name__, "message": exc.message, "hint": exc.hint,
                 "row": exc.row, "field": exc.field}
    except MemoryError:
        event = {"event": "error", "type": "IngestError", "message": "not enough memory to preview the file",
                 "hint": "lower [ingest] max_decompressed_mb / max_rows in pantau.toml, or split the file"}
    except Exception as exc:  # a reader failing on a hostile file: a message, never a traceback
        event = {"event": "error", "type": "IngestError",
                 "message": f"cannot read the file for a preview ({type(exc).__name__})",
                 "hint": "check that it is a CSV, Excel, Parquet or XES file, or save it again"}
    sys.stdout.write(json.dumps(event, default=str) + "\n")
    return 0 if event["event"] == "preview" else 1


if __name__ == "__main__":
    raise SystemExit(main())
