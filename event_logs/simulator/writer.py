"""Writing a simulation into the store: one transaction, one ``imports`` row per SOP.

Each SOP's events, cases and truth go in as Arrow tables (one INSERT each). The import's
``sha256`` fingerprints the simulation's arguments, settings and model checksum, so the same
simulation cannot be loaded twice into one database.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from event_logs.registry import register_model
from event_logs.simulator.assemble import SopRows
from event_logs.store import (
    Notice,
    fetch_one,
    next_event_id,
    next_import_id,
    open_store,
    transaction,
)
from pantau import __version__
from pantau.errors import StoreError
from sop_models import SopModel
from sop_models.loader import MODELS_DIR

# events keep the label only: the simulator writes step names, matched at analysis time
EVENT_COLUMNS = ("event_id", "case_id", "sop_id", "activity", "lifecycle", "ts", "resource",
                 "agency", "unit", "import_id", "source_row")
CASE_COLUMNS = ("case_id", "sop_id", "agency", "unit", "nik_hash", "attributes", "first_ts",
                "last_ts", "import_id")
TRUTH_COLUMNS = ("case_id", "sop_id", "agency", "kind", "step_id", "activity", "detail")


def _insert(con: duckdb.DuckDBPyConnection, table: str, data: pa.Table, columns: tuple[str, ...]) -> None:
    cols = ", ".join(columns)
    con.register("_sim_rows", data.select(list(columns)))
    try:
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _sim_rows")
    finally:
        con.unregister("_sim_rows")


def _forget_simulations(con: duckdb.DuckDBPyConnection, sop_ids: list[str]) -> None:
    """Delete earlier simulated imports of these SOPs (events, cases, truth, imports rows)."""
    ids = [r[0] for r in con.execute(
        "SELECT import_id FROM imports WHERE format = 'simulation' AND sop_id IN "
        "(SELECT unnest(?::VARCHAR[]))", [sop_ids]).fetchall()]
    if ids:
        for table in ("events", "cases"):
            con.execute(f"DELETE FROM {table} WHERE import_id IN (SELECT unnest(?::INTEGER[]))", [ids])
        con.execute("DELETE FROM imports WHERE import_id IN (SELECT unnest(?::INTEGER[]))", [ids])
    con.execute("DELETE FROM sim_truth WHERE sop_id IN (SELECT unnest(?::VARCHAR[]))", [sop_ids])


def write_simulation(db_path: str, rows: list[SopRows], fingerprints: dict[str, str],
                     mapping: dict[str, dict], started: datetime, *, replace: bool = False,
                     models: Sequence[SopModel] = (), notice: Notice | None = None) -> dict[str, int]:
    """Insert every SOP's rows; returns sop_id -> import_id. ``models`` (the simulated ones)
    are registered in the store first, so the analysis finds the version the log was made from.
    ``notice`` is told when the write waits for a reader (:func:`event_logs.store.open_store`)."""
    con = open_store(db_path, read_only=False, notice=notice)
    try:
        with transaction(con):
            for model in models:
                register_model(con, model, Path(model.path).read_text(encoding="utf-8"),
                               origin="bundled" if Path(model.path).parent == MODELS_DIR else "file")
            if replace:
                _forget_simulations(con, [r.sop_id for r in rows])
            for r in rows:
                found = fetch_one(
                    con, "SELECT import_id FROM imports WHERE sha256 = ? AND format = 'simulation'",
                    [fingerprints[r.sop_id]])
                if found:
                    raise StoreError(
                        f"this simulation of '{r.sop_id}' is already in the database (import {found[0]})",
                        file=str(db_path),
                        hint="simulate into a fresh database file, or replace the earlier simulation")
            import_ids: dict[str, int] = {}
            base = next_event_id(con)
            for r in rows:
                import_id = next_import_id(con)
                import_ids[r.sop_id] = import_id
                n = r.events.num_rows
                events = r.events.append_column(
                    "event_id", pa.array(np.arange(base, base + n, dtype=np.int64))
                ).append_column("import_id", pa.array(np.full(n, import_id, dtype=np.int32)))
                base += n
                cases = r.cases.append_column(
                    "import_id", pa.array(np.full(r.cases.num_rows, import_id, dtype=np.int32)))
                try:
                    _insert(con, "events", events, EVENT_COLUMNS)
                    _insert(con, "cases", cases, CASE_COLUMNS)
                except duckdb.ConstraintException as exc:
                    raise StoreError(
                        f"case ids of '{r.sop_id}' are already in the database: {exc}",
                        file=str(db_path),
                        hint="simulate into a fresh database file, or replace the earlier simulation",
                    ) from exc
                _insert(con, "sim_truth", r.truth, TRUTH_COLUMNS)
                con.execute(
                    "INSERT INTO imports (import_id, file_name, sha256, format, sop_id, agency, mapping, "
                    "rows_read, rows_loaded, rows_quarantined, rows_duplicate, started, finished, "
                    "pantau_version) VALUES (?, 'simulation', ?, 'simulation', ?, ?, ?, ?, ?, 0, 0, ?, "
                    "now(), ?)",
                    [import_id, fingerprints[r.sop_id], r.sop_id, r.agency,
                     json.dumps(mapping[r.sop_id], ensure_ascii=False), n, n, started, __version__])
    finally:
        con.close()
    return import_ids
