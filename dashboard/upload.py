"""The Data page's upload form: preview a file, propose a column mapping, check the choice.

Pure helpers (bytes in, DataFrames and dicts out); the import itself runs in another process
(:mod:`dashboard.jobs`). Columns are recognised with the same names as ``pantau ingest``
(:data:`event_logs.fields.ALIASES`), so the form proposes what the CLI would do.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import PurePath

import pandas as pd

from event_logs.fields import ALIASES, FIELDS, REQUIRED
from event_logs.text import norm_name
from pantau.errors import IngestError

PREVIEW_ROWS = 20
UPLOAD_TYPES = ("csv", "txt", "xlsx", "xls", "parquet", "xes", "gz")


def preview(file_name: str, data: bytes, rows: int = PREVIEW_ROWS) -> pd.DataFrame:
    """The first ``rows`` rows as text; raises :class:`IngestError` when unreadable."""
    suffix = PurePath(file_name).suffix.lower()
    try:
        if suffix in (".csv", ".txt"):
            text = _decode(data[: 1 << 20])
            sample = text[:20000]
            try:
                delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
            except csv.Error:
                delimiter = ","
            return pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, nrows=rows,
                               keep_default_na=False)
        if suffix in (".xlsx", ".xls"):  # pandas reads .xls with xlrd
            return pd.read_excel(io.BytesIO(data), dtype=str, nrows=rows)
        if suffix == ".parquet":
            return pd.read_parquet(io.BytesIO(data)).head(rows).astype(str)
    except (ValueError, UnicodeError, OSError, csv.Error) as exc:
        raise IngestError(f"cannot read the file for a preview: {exc}", file=file_name) from exc
    return pd.DataFrame()  # XES: attributes are named by the standard; no mapping needed


def _decode(data: bytes) -> str:
    try:
        # incremental: a multi-byte character cut at the end of the sample is not an error
        return codecs.getincrementaldecoder("utf-8-sig")().decode(data, final=False)
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # a Windows export


def guess_mapping(columns: list[str]) -> dict[str, str | None]:
    """``field -> column`` as ``pantau ingest`` would recognise it (None when not found)."""
    normalised = {norm_name(c): c for c in reversed(columns)}
    used: set[str] = set()
    guess: dict[str, str | None] = {}
    for field in FIELDS:
        guess[field] = None
        for alias in ALIASES[field]:
            column = normalised.get(norm_name(alias))
            if column is not None and column not in used:
                guess[field] = column
                used.add(column)
                break
    return guess


def mapping_problems(choice: dict[str, str | None]) -> list[str]:
    """Field names that are required but unmapped, and columns chosen twice (as message keys)."""
    problems = [f"missing:{f}" for f in REQUIRED if not choice.get(f)]
    chosen = [c for c in choice.values() if c]
    problems += [f"twice:{c}" for c in sorted({c for c in chosen if chosen.count(c) > 1})]
    return problems


def ingest_mapping(choice: dict[str, str | None]) -> dict[str, str]:
    """The ``COLUMN -> FIELD`` mapping :func:`event_logs.ingest.ingest_file` takes."""
    return {column: field for field, column in choice.items() if column}
