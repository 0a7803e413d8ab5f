"""The per-step Mutu Baku standards of the analysed SOPs, as small DuckDB tables.

The model file is the only place a time standard lives: :func:`install_standards` copies
what the analysis needs from the :class:`~sop_models.model.SopModel` objects into temp
tables, and everything after that is set-based SQL over whole tables.

Tables (temp, on the caller's connection, replaced on each call):

- ``mutu_baku_sops(sop_id, calendar_id, timezone, day_minutes, svc_value, svc_unit,
  svc_calendar)``: one row per SOP; ``svc_*`` is the case-level service standard.
- ``mutu_baku_standards(sop_id, step_id, lane, scope, std_unit, std_calendar, max_value,
  max_unit, max_calendar, min_value, min_unit, min_calendar, per_attr, deadline_day,
  has_standard)``: one row per step; ``std_unit``/``std_calendar`` is the unit results
  are reported in (the maximum's, else the minimum's, else working minutes).
- ``mutu_baku_loop_steps(sop_id, loop_id, first_step, last_step)``: pairs (last step of a
  loop body, first step of the next iteration) of loops that return the file to the
  applicant (``returns_to``): the time between them is paused.
- ``mutu_baku_flow_next(sop_id, step_id, next_step, can_end)``: the happy-path step after
  each step (``step_id = ''`` for a case with no step done yet) and whether a case may end
  after it.
- ``mutu_baku_kelengkapan(sop_id, step_id, items)``: the first case step's Kelengkapan.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import duckdb
import pyarrow as pa

from analytics.calendar import calendar_for
from sop_models.flow_paths import can_end_after, happy_next, paused_loops
from sop_models.model import Bound, SopModel

# Case attributes that record a Mutu Baku Output (a receipt, a participant number, a card):
# output_recorded is checked only when the log carries one of them.
OUTPUT_KEYS = ("output", "resi_no", "nomor_resi", "e_id", "nomor_e_id", "nomor_peserta",
               "nomor_surat_jaminan", "nomor_sk")

S, F, INT, B = pa.string(), pa.float64(), pa.int32(), pa.bool_()


def _load(con: duckdb.DuckDBPyConnection, name: str, schema: dict[str, pa.DataType],
          rows: Sequence[tuple[Any, ...]]) -> None:
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in schema]
    table = pa.table({col: pa.array(list(vals), type=t)
                      for (col, t), vals in zip(schema.items(), columns, strict=True)})
    view = f"_pantau_{name}"
    con.execute("SELECT 1").fetchall()  # DuckDB 2: register() fails while a result is open
    con.register(view, table)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {view}")
    finally:
        con.unregister(view)


def _bound(b: Bound | None) -> tuple[float | None, str | None, str | None]:
    return (float(b.value), b.unit, b.calendar) if b else (None, None, None)


def standard_rows(model: SopModel) -> list[tuple[Any, ...]]:
    """One ``mutu_baku_standards`` row per step of ``model`` (see the module docstring)."""
    rows = []
    for step in model.steps:
        w = step.waktu
        shown = w.max or w.min
        unit, cal = (shown.unit, shown.calendar) if shown else ("minute", "working")
        if unit == "month":  # months are always calendar months (SEMANTICS.md)
            cal = "calendar"
        per_attr = model.per_units.get(w.per) if w.per else None
        rows.append((model.id, step.id, step.lane, step.scope, unit, cal, *_bound(w.max),
                     *_bound(w.min), per_attr, w.deadline_day, not w.is_empty))
    return rows


def install_standards(con: duckdb.DuckDBPyConnection, models: Mapping[str, SopModel]) -> None:
    """Create or replace the ``mutu_baku_*`` model tables for ``models`` (sop_id -> model)."""
    sops, steps, loops, nexts, docs = [], [], [], [], []
    for sop_id, model in models.items():
        spec = calendar_for(model)
        svc = model.service_standard.waktu if model.service_standard else None
        value, unit, cal = _bound(svc.max if svc else None)
        sops.append((sop_id, spec.calendar_id, spec.timezone, spec.day_minutes, value, unit,
                     "calendar" if unit == "month" else cal))
        steps += [(sop_id, *r[1:]) for r in standard_rows(model)]
        for loop in paused_loops(model.flow):
            loops += [(sop_id, loop.loop_id, f, last)
                      for f in sorted(loop.first_steps) for last in sorted(loop.last_steps)]
        nexts.append((sop_id, "", happy_next(model.flow, None), False))
        nexts += [(sop_id, s.id, happy_next(model.flow, s.id), can_end_after(model.flow, s.id))
                  for s in model.case_steps]
        first = model.case_steps[0] if model.case_steps else None
        if first is not None:
            docs.append((sop_id, first.id, list(first.kelengkapan)))
    _load(con, "mutu_baku_sops", {"sop_id": S, "calendar_id": S, "timezone": S,
                                  "day_minutes": F, "svc_value": F, "svc_unit": S,
                                  "svc_calendar": S}, sops)
    _load(con, "mutu_baku_standards", {
        "sop_id": S, "step_id": S, "lane": S, "scope": S, "std_unit": S, "std_calendar": S,
        "max_value": F, "max_unit": S, "max_calendar": S, "min_value": F, "min_unit": S,
        "min_calendar": S, "per_attr": S, "deadline_day": INT, "has_standard": B}, steps)
    _load(con, "mutu_baku_loop_steps", {"sop_id": S, "loop_id": S, "first_step": S,
                                        "last_step": S}, loops)
    _load(con, "mutu_baku_flow_next", {"sop_id": S, "step_id": S, "next_step": S,
                                       "can_end": B}, nexts)
    _load(con, "mutu_baku_kelengkapan", {"sop_id": S, "step_id": S, "items": pa.list_(S)}, docs)
    # Span of a duration in a standard's unit: `wm` working minutes or `seconds` of calendar
    # time; a working day is `day_minutes` (480) working minutes; a month is 30.4375 days.
    con.execute("""
        CREATE OR REPLACE TEMP MACRO mutu_baku_span(unit, basis, wm, seconds, day_minutes) AS
        CASE
            WHEN unit = 'month' THEN seconds / (86400 * 30.4375)
            WHEN basis = 'working' THEN wm / CASE unit WHEN 'minute' THEN 1.0 WHEN 'hour' THEN 60.0
                                                       WHEN 'day' THEN day_minutes END
            ELSE seconds / CASE unit WHEN 'minute' THEN 60.0 WHEN 'hour' THEN 3600.0
                                     WHEN 'day' THEN 86400.0 END
        END""")
    # The same conversion backwards: a standard's value in working minutes (working basis).
    con.execute("""
        CREATE OR REPLACE TEMP MACRO mutu_baku_to_wm(unit, value, day_minutes) AS
        value * CASE unit WHEN 'minute' THEN 1.0 WHEN 'hour' THEN 60.0
                          WHEN 'day' THEN day_minutes END""")
