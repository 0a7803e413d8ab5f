"""Files -> a :class:`~event_logs.ingest.source.Source` of raw text columns, one module per format.

Every reader yields ``source_row`` (the 1-based data row of the file: header excluded) and
text expressions; the staging SQL trims, guards, parses and checks them. CSV:
:mod:`~event_logs.ingest.csvfile`; Excel: :mod:`~event_logs.ingest.sheets`; XES:
:mod:`~event_logs.ingest.xes`; Parquet here (struct fields become columns of their own,
``pemohon.nik``, so the personal-data rules see every field).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from event_logs.ingest.csvfile import ByteFacts, check_quotes, cut_unbalanced_quotes, open_csv
from event_logs.ingest.pii import is_id_column, is_personal_column
from event_logs.ingest.sheets import MB, open_xls, open_xlsx, register_arrow
from event_logs.ingest.source import Source, literal, quote_ident
from event_logs.ingest.xes import read_xes
from pantau.config import IngestSettings
from pantau.errors import IngestError

__all__ = ["Source", "check_quotes", "cut_unbalanced_quotes", "detect_format", "open_source"]


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


def _nested_names(kind: pa.DataType) -> list[str]:
    """Every field name inside a nested type (struct fields, list items, map values)."""
    if pa.types.is_struct(kind):
        return [n for f in kind for n in (f.name, *_nested_names(f.type))]
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        return _nested_names(kind.value_type)
    if pa.types.is_map(kind):
        return _nested_names(kind.item_type)
    return []


def _flatten(name: str, expr: str, kind: pa.DataType, out: list[tuple[str, str, bool]]) -> None:
    """(name, VARCHAR expression, holds personal fields) per leaf; structs are walked."""
    if pa.types.is_struct(kind):
        for f in kind:
            _flatten(f"{name}.{f.name}", f"struct_extract({expr}, {literal(f.name)})", f.type, out)
        return
    nested = _nested_names(kind)
    personal = any(is_personal_column(n) or is_id_column(n) for n in nested)
    out.append((name, f"CAST({expr} AS VARCHAR)", personal))


def open_parquet(con: duckdb.DuckDBPyConnection, path: Path, limits: IngestSettings) -> Source:
    """A Parquet file; every leaf column cast to text (TIMESTAMPTZ columns print their offset).

    Struct fields become ``parent.field`` columns; a list or map column holding personal
    fields (a list of ``{nama, hp}``) is marked personal as a whole. Refused past the row cap
    or when its row groups would inflate beyond the byte cap (read from the file's metadata).
    """
    try:
        meta = pq.ParquetFile(path).metadata
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError) as exc:
        raise IngestError(f"cannot read the Parquet file ({type(exc).__name__})", file=str(path)) from exc
    if meta.num_rows > limits.max_rows:
        raise IngestError(f"refused: the Parquet file holds {meta.num_rows:,} rows, more than the cap of "
                          f"{limits.max_rows:,}", file=str(path),
                          hint="split the file, or raise [ingest] max_rows in pantau.toml (docs/config.md)")
    inflated = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if inflated > limits.max_decompressed_mb * MB:
        raise IngestError(f"refused: the Parquet file would inflate to {inflated / MB:,.0f} MB, more than "
                          f"the cap of {limits.max_decompressed_mb:,} MB", file=str(path),
                          hint="raise [ingest] max_decompressed_mb in pantau.toml (docs/config.md)")
    leaves: list[tuple[str, str, bool]] = []
    for f in schema:
        if f.name != "file_row_number":
            _flatten(f.name, quote_ident(f.name), f.type, leaves)
    return Source(format="parquet", names=[n for n, _, _ in leaves], exprs=[e for _, e, _ in leaves],
                  from_sql=f"read_parquet({literal(str(path))}, file_row_number=true)",
                  row_sql="file_row_number + 1", control=True,
                  personal={i for i, (_, _, p) in enumerate(leaves) if p})


def open_xes(con: duckdb.DuckDBPyConnection, path: Path, limits: IngestSettings) -> Source:
    """An XES or XES.gz log (defusedxml, streamed), one row per event."""
    log = read_xes(path, max_bytes=limits.max_decompressed_mb * MB, max_rows=limits.max_rows)
    return register_arrow(con, "xes", log.names, log.table, {"traces": log.traces, "skipped_rows": log.skipped})


def open_source(con: duckdb.DuckDBPyConnection, path: Path, fmt: str, sheet: str | None,
                limits: IngestSettings | None = None, facts: ByteFacts | None = None) -> Source:
    """Open ``path`` as format ``fmt`` on ``con``, within ``limits`` (the ``[ingest]`` caps);
    ``facts``: a CSV file's byte scan when already made."""
    limits = limits or IngestSettings()
    if sheet is not None and fmt not in ("xlsx", "xls"):
        raise IngestError("--sheet only applies to Excel files", file=str(path))
    if fmt == "csv":
        return open_csv(con, path, facts)
    if fmt == "parquet":
        return open_parquet(con, path, limits)
    if fmt == "xlsx":
        return open_xlsx(con, path, sheet, limits)
    if fmt == "xls":
        return open_xls(con, path, sheet, limits)
    return open_xes(con, path, limits)
