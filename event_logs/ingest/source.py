"""A readable source registered on a connection: what every reader hands the staging SQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ARROW_VIEW = "ingest_src"


@dataclass
class Source:
    """A readable source registered on a connection."""

    format: str
    names: list[str]                 # column names as in the file (nested: 'pemohon.nama')
    exprs: list[str]                 # VARCHAR SQL expression per column
    from_sql: str                    # FROM clause
    row_sql: str                     # 1-based source_row expression
    extra_sql: str | None = None     # non-NULL when a CSV row has more fields than the header
    details: dict[str, Any] = field(default_factory=dict)  # encoding, delimiter, sheet, reader facts
    cleanup: list[Callable[[], None]] = field(default_factory=list)
    text_path: Path | None = None    # CSV: the UTF-8 file DuckDB reads (a transcoded copy or the file)
    control: bool = False            # values may hold control characters: strip them in SQL
    personal: set[int] = field(default_factory=set)  # columns the reader knows hold personal fields
    lines: int | None = None         # CSV: lines in the text DuckDB reads (header included)
    parallel_sql: str | None = None  # CSV: the same scan by the parallel reader (no row numbers)
    memory_bytes: int = 0            # Arrow sources: what the table holds in this process

    def close(self) -> None:
        """Drop registered views and temporary files."""
        for step in reversed(self.cleanup):
            step()
        self.cleanup.clear()


def quote_ident(name: str) -> str:
    """A SQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def unique_names(raw: list[str]) -> list[str]:
    """Header names made unique and non-empty (``column3``, ``nama_2``)."""
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
