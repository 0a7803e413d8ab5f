"""An export as a file: the rows of :mod:`dashboard.queries.exports`, rendered by
:mod:`dashboard.export` (CSV, or Excel with ``metadata`` and ``columns`` sheets), stating the
as-of the open cases were judged at and every filter. The pages' downloads and ``pantau export``
both make their files here, so the two hold the same bytes for the same filters (apart from
the creation time in the metadata).
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from dashboard import as_of, export
from dashboard.export import to_csv
from dashboard.filters import Filters
from dashboard.queries import exports
from dashboard.queries.store import run_as_of

FORMATS = ("csv", "xlsx")
SHEETS = {"deviations": "deviasi", "breaches": "pelanggaran", "late": "terlambat"}
# what the period filter selects, per export (the pages read it the same way)
PERIOD_READS = {"deviations": "case start day", "breaches": "step completion day", "late": "case start day"}


def as_of_text(con: duckdb.DuckDBPyConnection, f: Filters) -> str:
    """The as-of of the runs behind ``f`` as text: ``31 Des 2024 24.00 WIB · run 7``."""
    return "; ".join(f"{moment} · run {run}" for moment, run in as_of.parts(run_as_of(con, f), "id"))


def render_csv(rows: pd.DataFrame) -> bytes:
    """``rows`` as CSV (each row carries the run, the as-of and the SOP's identity)."""
    return to_csv(rows)


def render(rows: pd.DataFrame, kind: str, fmt: str, f: Filters, *, db_name: str, as_of_text: str,
           kinds: tuple[str, ...] | None = None, scope: str | None = None) -> bytes:
    """``rows`` of export ``kind`` as ``fmt`` (``csv`` or ``xlsx``)."""
    if fmt == "csv":
        return to_csv(rows)
    if fmt != "xlsx":
        raise ValueError(f"format {fmt!r}, not one of {FORMATS}")
    meta = export.export_metadata(rows, f, db_name, kind=kind, as_of=as_of_text, kinds=kinds, scope=scope,
                                  period_reads=PERIOD_READS[kind])
    return export.to_xlsx_documented(rows, meta, exports.COLUMNS[kind], sheet=SHEETS[kind])


def make(con: duckdb.DuckDBPyConnection, kind: str, fmt: str, f: Filters, *, db_name: str,
         **params: Any) -> tuple[bytes, int]:
    """Export ``kind`` (``deviations``, ``breaches``, ``late``) in the filters as ``fmt``:
    the file's bytes and its number of rows. ``params``: ``kinds`` and ``scope`` for
    deviations (:func:`dashboard.queries.exports.deviation_rows`)."""
    if kind not in exports.EXPORTS:
        raise ValueError(f"export {kind!r}, not one of {tuple(exports.EXPORTS)}")
    rows = exports.export_rows(con, kind, f, **params)
    deviations = kind == "deviations"
    body = render(rows, kind, fmt, f, db_name=db_name, as_of_text=as_of_text(con, f),
                  kinds=tuple(params.get("kinds") or ()) if deviations else None,
                  scope=params.get("scope", "all") if deviations else None)
    return body, len(rows)
