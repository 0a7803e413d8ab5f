"""The store's vocabularies: step statuses, open-case statuses, deviation kinds, ...

Each vocabulary is one CSV file in ``event_logs/vocabularies/`` (its one source) and one
``ref_<name>`` table in the store, written again from the file by every writable open
(:func:`sync`), so SQL joins the table, the dashboard takes labels and colours from it, and
an allowed-values test checks every result column against it. Adding a deviation kind is
one CSV row (plus its rule, the simulator's injector and a test: see CONTRIBUTING.md).
"""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib.resources import files
from typing import Any

import duckdb

from pantau.errors import StoreError

# vocabulary name -> (ref table, key column)
VOCABULARIES: dict[str, tuple[str, str]] = {
    "step_status": ("ref_step_status", "status"),
    "open_status": ("ref_open_status", "status"),
    "deviation_kinds": ("ref_deviation_kinds", "kind"),
    "alignment_status": ("ref_alignment_status", "status"),
    "model_status": ("ref_model_status", "status"),
    "quarantine_kinds": ("ref_quarantine_kinds", "kind"),
    "acceptance_status": ("ref_acceptance_status", "status"),
    "run_kinds": ("ref_run_kinds", "kind"),
}
# result column -> the vocabulary its values must come from (the allowed-values tests read this)
COLUMN_VOCABULARY: dict[tuple[str, str], str] = {
    ("step_checks", "status"): "step_status",
    ("open_cases", "status"): "open_status",
    ("deviations", "kind"): "deviation_kinds",
    ("case_checks", "alignment_status"): "alignment_status",
    ("variants", "alignment_status"): "alignment_status",
    ("models", "status"): "model_status",
    ("quarantine", "kind"): "quarantine_kinds",
    ("acceptance_log", "kind"): "deviation_kinds",
    ("sim_truth", "kind"): "deviation_kinds+step_status",
    ("runs", "kind"): "run_kinds",
}


@cache
def rows(name: str) -> tuple[dict[str, str], ...]:
    """The rows of vocabulary ``name`` as read from its CSV file (values as text)."""
    if name not in VOCABULARIES:
        raise StoreError(f"no vocabulary named '{name}'", hint=f"vocabularies: {', '.join(VOCABULARIES)}")
    text = files("event_logs").joinpath("vocabularies", f"{name}.csv").read_text(encoding="utf-8")
    return tuple(csv.DictReader(io.StringIO(text)))


def keys(name: str) -> tuple[str, ...]:
    """The allowed values of vocabulary ``name``, in file order."""
    key = VOCABULARIES[name][1]
    return tuple(r[key] for r in rows(name))


def where(name: str, column: str) -> tuple[str, ...]:
    """Keys of the rows whose boolean ``column`` is true (e.g. ``where('step_status', 'is_violation')``)."""
    key = VOCABULARIES[name][1]
    return tuple(r[key] for r in rows(name) if r[column].strip().lower() == "true")


def _typed(value: str, sql_type: str) -> Any:
    if value == "":
        return None
    if sql_type == "BOOLEAN":
        if value.lower() not in ("true", "false"):
            raise StoreError(f"vocabulary value {value!r} is not true/false")
        return value.lower() == "true"
    if sql_type == "INTEGER":
        return int(value)
    return value


def sync(con: duckdb.DuckDBPyConnection) -> None:
    """Write every ``ref_*`` table again from its CSV file (in the caller's transaction)."""
    found: dict[str, dict[str, str]] = {}
    for table, column, sql_type in con.execute(  # one catalog query for all (each costs ~10 ms)
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'main' AND table_name IN ?", [[t for t, _ in VOCABULARIES.values()]]).fetchall():
        found.setdefault(table, {})[column] = sql_type
    for name, (table, _key) in VOCABULARIES.items():
        types = found.get(table, {})
        if not types:
            continue  # a store older than the migration that creates it
        data = rows(name)
        columns = list(data[0]) if data else []
        unknown = [c for c in columns if c not in types]
        if unknown:
            raise StoreError(f"vocabulary {name}.csv has columns {unknown} that {table} lacks")
        con.execute(f"DELETE FROM {table}")
        if data:  # one statement (executemany runs one per row)
            one = f"({', '.join('?' for _ in columns)})"
            con.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join(one for _ in data)}",
                        [_typed(r[c], types[c]) for r in data for c in columns])
