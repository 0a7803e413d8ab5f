"""Data page: quarantined rows by import, then by kind, then by reason — grouped and paged in SQL.

An import of a broken file can quarantine a million rows with a hundred thousand distinct
reasons (every bad timestamp is its own reason). Nothing here loads them all: the imports come
from ``imports`` (its ``rows_quarantined`` count), the kinds are one ``GROUP BY`` (a handful of
rows: ``ref_quarantine_kinds``), and reasons and rows come one page at a time
(``LIMIT``/``OFFSET``), each page with the total it is a page of (``count(*) OVER ()``).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard.filters import Filters, where
from dashboard.queries.base import frame

PAGE_ROWS = 50
IMPORTS_SHOWN = 500
ANY_KIND = "*"  # quarantine_rows without a kind filter (None is the kind older rows lack)


def quarantine_imports(con: duckdb.DuckDBPyConnection, f: Filters, limit: int = IMPORTS_SHOWN) -> pd.DataFrame:
    """Imports that quarantined rows, newest first: id, file name, rows quarantined and read."""
    sql, params = where(f, unit=False, extra=[("rows_quarantined > 0", [])])
    return frame(con, f"""
        SELECT import_id, file_name, rows_quarantined, rows_read
        FROM imports {sql} ORDER BY import_id DESC LIMIT ?""", [*params, limit])


def quarantine_kinds(con: duckdb.DuckDBPyConnection, f: Filters, import_id: int) -> pd.DataFrame:
    """One import's quarantined rows per kind (its first problem): rows and distinct reasons,
    in the vocabulary's order of importance (most rows first); a kind the vocabulary does not
    know (rows of an older Pantau) is NULL."""
    sql, params = where(f, alias="i", unit=False, extra=[("q.import_id = ?", [import_id])])
    return frame(con, f"""
        SELECT q.kind, count(*) AS n, count(DISTINCT q.reason) AS reasons
        FROM quarantine q JOIN imports i ON i.import_id = q.import_id {sql}
        GROUP BY q.kind ORDER BY n DESC, q.kind NULLS LAST""", params)


def _kind(kind: str | None) -> tuple[str, list]:
    return ("q.kind IS NULL", []) if kind is None else ("q.kind = ?", [kind])


def quarantine_reasons(con: duckdb.DuckDBPyConnection, f: Filters, import_id: int, kind: str | None,
                       offset: int = 0, limit: int = PAGE_ROWS) -> pd.DataFrame:
    """One page of an import's reasons of one kind, most rows first: reason, rows, and
    ``total`` (how many distinct reasons the kind has)."""
    sql, params = where(f, alias="i", unit=False, extra=[("q.import_id = ?", [import_id]), _kind(kind)])
    return frame(con, f"""
        SELECT q.reason, count(*) AS n, count(*) OVER () AS total
        FROM quarantine q JOIN imports i ON i.import_id = q.import_id {sql}
        GROUP BY q.reason ORDER BY n DESC, q.reason LIMIT ? OFFSET ?""", [*params, limit, offset])


def quarantine_rows(con: duckdb.DuckDBPyConnection, f: Filters, import_id: int | None = None,
                    reason: str | None = None, kind: str | None = ANY_KIND, offset: int = 0,
                    limit: int = PAGE_ROWS) -> pd.DataFrame:
    """One page of quarantined rows (as read, personal data hashed or removed) of an import,
    and of a reason or a kind (``None``: rows without one), in file order, with ``total``
    (rows matching)."""
    extra = []
    if import_id is not None:
        extra.append(("q.import_id = ?", [import_id]))
    if reason:
        extra.append(("q.reason = ?", [reason]))
    elif kind != ANY_KIND:
        extra.append(_kind(kind))
    sql, params = where(f, alias="i", unit=False, extra=extra)
    return frame(con, f"""
        SELECT q.import_id, q.source_row, q.kind, q.reason, q.raw::VARCHAR AS raw, count(*) OVER () AS total
        FROM quarantine q JOIN imports i ON i.import_id = q.import_id {sql}
        ORDER BY q.import_id DESC, q.source_row NULLS FIRST LIMIT ? OFFSET ?""", [*params, limit, offset])
