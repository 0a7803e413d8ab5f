"""The analysed SOPs' model facts as small temp tables, read from the store's model tables.

The model file is the one place a time standard lives; the store holds each version of it
(``models``, ``model_steps``, ... written by :mod:`event_logs.registry`). For a run,
:func:`install_standards` selects the model version each analysed SOP is checked against
and copies what the SQL joins into temp tables keyed by ``sop_id``; everything after that is
set-based SQL over whole tables. The rules that read these tables are the macros of
``sql/rules/mutu_baku.sql``.

Tables (temp, on the caller's connection, replaced on each call):

- ``mutu_baku_sops(sop_id, model_sha256, calendar_id, timezone, day_minutes, svc_value,
  svc_unit, svc_calendar)``: one row per SOP; ``svc_*`` is the case-level service standard;
  ``day_minutes`` the working day of its calendar (office hours, ``calendar_info``).
- ``mutu_baku_standards(sop_id, step_id, lane, scope, std_unit, std_calendar, max_value,
  max_unit, max_calendar, min_value, min_unit, min_calendar, per_attr, deadline_day,
  has_standard)``: one row per step (``model_steps``).
- ``mutu_baku_loop_steps(sop_id, loop_id, first_step, last_step)``: pairs (last step of a
  loop body, first step of the next iteration) of loops that return the file to the
  applicant: the time between them is paused (``model_loops``).
- ``mutu_baku_flow_next(sop_id, step_id, next_step, can_end)``: the main-path step after
  each step (``step_id = ''`` for a case with no step done yet) and whether a case may end
  after it (``model_flow_next``).
- ``mutu_baku_kelengkapan(sop_id, step_id, items)``: the first case step's Kelengkapan.
- ``run_scope_events``: a view of the events of the cases these versions judge
  (``sql/staging/run_scope.sql``; :mod:`analytics.revisions`).
- ``run_labels(sop_id, label, step_id, in_case)``: each activity label of the analysed
  events mapped to a step (:mod:`event_logs.mapping`); ``in_case`` is false for labels
  declared out of scope and for steps done once per programme period, whose events are not
  part of a case. Unmapped labels have no row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from analytics import sql_files
from analytics.revisions import ensure_case_versions
from event_logs.registry import register_model
from sop_models.model import SopModel

# Case attributes that record a Mutu Baku Output (a receipt, a participant number, a card):
# output_recorded is checked only when the log carries one of them.
OUTPUT_KEYS = ("output", "resi_no", "nomor_resi", "e_id", "nomor_e_id", "nomor_peserta",
               "nomor_surat_jaminan", "nomor_sk")


def ensure_registered(con: duckdb.DuckDBPyConnection, model: SopModel) -> None:
    """Register ``model`` in the store when it is not (a model file given directly, e.g.
    by a test); a model read from the store is there already."""
    known = con.execute("SELECT count(*) FROM models WHERE model_sha256 = ?", [model.sha256]).fetchall()
    if not known[0][0]:
        register_model(con, model, Path(model.path).read_text(encoding="utf-8"), origin="file")


def install_standards(con: duckdb.DuckDBPyConnection, models: Mapping[str, SopModel]) -> None:
    """Create or replace the ``mutu_baku_*`` model tables for ``models`` (sop_id -> model)."""
    for model in models.values():
        ensure_registered(con, model)
    chosen = pa.table({"sop_id": pa.array(list(models), pa.string()),
                       "model_sha256": pa.array([m.sha256 for m in models.values()], pa.string())})
    con.execute("SELECT 1").fetchall()  # DuckDB 2: register() fails while a result is open
    con.register("_pantau_run_models", chosen)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE mutu_baku_versions AS SELECT * FROM _pantau_run_models")
    finally:
        con.unregister("_pantau_run_models")
    has_calendar = bool(con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'calendar_info'").fetchall()[0][0])
    day_minutes = ("(SELECT i.day_minutes FROM calendar_info i WHERE i.calendar_id = m.calendar_id)"
                   if has_calendar else "NULL")
    # agencies with their own calendar (analytics.calendars.agency); none when a stage runs alone
    con.execute("CREATE TEMP TABLE IF NOT EXISTS run_agency_calendars "
                "(sop_id VARCHAR, agency VARCHAR, calendar_id VARCHAR)")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE mutu_baku_sops AS
        SELECT v.sop_id, m.model_sha256, m.calendar_id, m.timezone,
               {day_minutes}::DOUBLE AS day_minutes,
               m.service_std_value AS svc_value, m.service_std_unit AS svc_unit,
               m.service_std_calendar AS svc_calendar
        FROM mutu_baku_versions v JOIN models m USING (model_sha256);

        CREATE OR REPLACE TEMP TABLE mutu_baku_standards AS
        SELECT v.sop_id, s.step_id, s.lane, s.scope, s.std_unit, s.std_calendar, s.max_value,
               s.max_unit, s.max_calendar, s.min_value, s.min_unit, s.min_calendar, s.per_attr,
               s.deadline_day, s.has_standard
        FROM mutu_baku_versions v JOIN model_steps s USING (model_sha256)
        ORDER BY v.sop_id, s.step_no;

        CREATE OR REPLACE TEMP TABLE mutu_baku_loop_steps AS
        SELECT v.sop_id, l.loop_id, l.first_step, l.last_step
        FROM mutu_baku_versions v JOIN model_loops l USING (model_sha256);

        CREATE OR REPLACE TEMP TABLE mutu_baku_flow_next AS
        SELECT v.sop_id, f.step_id, f.next_step, f.can_end
        FROM mutu_baku_versions v JOIN model_flow_next f USING (model_sha256);

        -- the first case step's Kelengkapan (document order)
        CREATE OR REPLACE TEMP TABLE mutu_baku_kelengkapan AS
        SELECT v.sop_id, arg_min(s.step_id, s.step_no) AS step_id,
               arg_min(s.kelengkapan, s.step_no) AS items
        FROM mutu_baku_versions v JOIN model_steps s USING (model_sha256)
        WHERE s.scope = 'case'
        GROUP BY v.sop_id""")
    # the events of the cases these versions judge (one version per SOP in this pass)
    ensure_case_versions(con)
    sql_files.run(con, "staging/run_scope.sql")


def install_labels(con: duckdb.DuckDBPyConnection, rows: list[tuple[str, str, str | None, bool]],
                   sop_ids: list[str]) -> None:
    """Create or replace ``run_labels(sop_id, label, step_id, in_case)`` from ``rows``
    (mapped and out-of-scope labels of ``sop_ids``; see the module docstring), and
    ``run_labels_sops(sop_id)``: the SOPs whose labels it holds."""
    table = pa.table({
        "sop_id": pa.array([r[0] for r in rows], pa.string()),
        "label": pa.array([r[1] for r in rows], pa.string()),
        "step_id": pa.array([r[2] for r in rows], pa.string()),
        "in_case": pa.array([r[3] for r in rows], pa.bool_()),
    })
    con.execute("SELECT 1").fetchall()
    con.register("_pantau_run_labels", table)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE run_labels AS SELECT * FROM _pantau_run_labels")
    finally:
        con.unregister("_pantau_run_labels")
    con.execute("CREATE OR REPLACE TEMP TABLE run_labels_sops AS SELECT unnest(?::VARCHAR[]) AS sop_id",
                [sop_ids])


def sop_filters(con: duckdb.DuckDBPyConnection, columns: Sequence[str], *, split: bool) -> list[str]:
    """SQL predicates that share the pass's SOPs among statements over its events: with
    ``split``, one per SOP of ``mutu_baku_sops`` (each ``column = 'sop'`` for every column of
    ``columns``), else the one predicate ``true``.

    A statement per SOP (a case belongs to one) keeps its sorts and hash tables a share of the
    events' in memory where one over every SOP spills, and its SOP filter lets DuckDB skip the
    other SOPs' row groups: a full run splits. An incremental run's events are a day's and the
    open cases' (:mod:`analytics.incremental`), where five statements cost five times a
    statement's fixed part for nothing (a day at 1M cases: ~0.7 s more, measured)."""
    if not split:
        return ["true"]
    sops = [r[0] for r in con.execute("SELECT sop_id FROM mutu_baku_sops ORDER BY sop_id").fetchall()]
    return [" AND ".join(f"{c} = {sql_files.literal(s)}" for c in columns) for s in sops]
