"""Error texts of an import that name file, row, column and what is wrong — never a raw value.

DuckDB's own error texts may quote a whole CSV line or a value (``Original Line: ...``,
``Could not convert string '3171...'``): :func:`db_error` keeps their first line, masks every
quoted value and redacts the rest (:func:`event_logs.ingest.pii.mask_value`, ``redact``).
"""

from __future__ import annotations

import re

import duckdb

from event_logs.ingest.columns import ColumnPlan
from event_logs.ingest.pii import mask_value, redact
from pantau.errors import IngestError

MESSAGE_LIMIT = 200
_QUOTED = re.compile(r"'([^']*)'|\"([^\"]*)\"")
_DISK_FULL = ("no space left", "disk is full", "not enough space", "could not write", "out of disk")


def safe_text(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """The first line of ``text``, quoted values masked, the rest redacted, at most ``limit``
    characters."""
    first = str(text).strip().splitlines()[0] if str(text).strip() else ""
    masked = _QUOTED.sub(lambda m: mask_value(m.group(1) if m.group(1) is not None else m.group(2)), first)
    masked = redact(masked)
    return masked if len(masked) <= limit else masked[:limit] + "…"


def db_error(exc: BaseException) -> str:
    """A DuckDB error as a message may show it (see :func:`safe_text`)."""
    return safe_text(str(exc))


def db_error_hint(exc: BaseException) -> str | None:
    """What to do about a DuckDB error, when Pantau can tell (a full disk)."""
    text = str(exc).lower()
    if any(k in text for k in _DISK_FULL):
        return ("the disk is full: free space where the database and its temporary folder "
                "(<db>.tmp) live, then run the command again; nothing was changed")
    return None


def no_timestamps_error(con: duckdb.DuckDBPyConnection, plan: ColumnPlan, file: str, rows: int) -> IngestError:
    """The error for a file none of whose rows has a readable time, with masked samples."""
    column = plan.fields["timestamp"]
    samples = [r[0] for r in con.execute(  # ts_shown is masked already (rows.create_rows)
        "SELECT DISTINCT ts_shown FROM ingest_rows WHERE ts_shown IS NOT NULL AND ts_shown <> '(empty)' "
        "LIMIT 3").fetchall()]
    name = plan.names[column]
    seen = f" (values such as {', '.join(samples)})" if samples else " (the column is empty)"
    return IngestError(
        f"no timestamps at all: none of the {rows:,} rows has a readable time in column '{name}'{seen}",
        file=file, field=name,
        hint="Pantau reads ISO 8601, dd/mm/yyyy [HH:MM[:SS]], dd-mm-yyyy, Excel serial numbers and "
             "Unix time (10-digit seconds, 13-digit milliseconds); "
             "map another column with --map 'COLUMN=timestamp'",
    )
