"""Files for auditors: the deviation list as CSV and Excel, traceable to the analysis run.

Every row carries ``run_id`` and ``model_sha256`` (the checksum of the SOP model file the case
was checked against); the Excel file adds a ``metadata`` sheet with the filters, the runs and
when the file was made. Pure: DataFrame in, bytes out.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from dashboard.filters import Filters

EXCEL_MAX_ROWS = 1_048_575  # one header row


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
    """UTF-8 CSV with a byte-order mark (Excel opens it with the right characters)."""
    return df.to_csv(index=False).encode("utf-8-sig")


def to_xlsx(df: pd.DataFrame, meta: dict[str, Any], sheet: str = "deviasi") -> bytes:
    """An Excel workbook: the rows (cut at Excel's limit, noted in the metadata) and metadata."""
    out = io.BytesIO()
    meta = dict(meta)
    if len(df) > EXCEL_MAX_ROWS:
        meta["truncated_to_rows"] = EXCEL_MAX_ROWS
        df = df.head(EXCEL_MAX_ROWS)
    for column in df.columns:
        if isinstance(df[column].dtype, pd.DatetimeTZDtype):  # Excel has no time zones
            df = df.assign(**{column: df[column].dt.strftime("%Y-%m-%d %H:%M:%S%z")})
    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        df.to_excel(writer, sheet_name=sheet, index=False)
        pd.DataFrame({"key": list(meta), "value": [str(v) for v in meta.values()]}).to_excel(
            writer, sheet_name="metadata", index=False)
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
