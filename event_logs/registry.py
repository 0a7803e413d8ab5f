"""SOP models in the store: every version, as the model file and as tables SQL can join.

A model version is keyed by the sha256 of its model file's text (``models.model_sha256``).
:func:`register_model` writes the file's text into ``models.model_text`` and what the
analysis and the pages read into ``model_lanes``, ``model_steps``, ``model_flow_next``,
``model_loops``, ``model_four_eyes`` and ``model_artifacts`` (the drawing and the BPMN
export); :func:`load_model` reads a version back as a :class:`~sop_models.SopModel` from the
stored text alone, so a run, a page or an evidence pack shows the model a finding was
checked against even after the file changed. The bundled models are the defaults every
store starts with (:func:`sync_bundled`).

Which version is in force on a day: the rule is the store's table macro ``models_in_force``
(``sql/views.sql``): the confirmed version with the latest ``effective`` on or before it (a
version without an effective date is in force from the start; equal dates: the version added
last; before every version's date, the earliest).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import duckdb

from pantau.errors import UnknownSopError, did_you_mean
from sop_models import SopModel
from sop_models.checks import require_model_ok
from sop_models.export import to_bpmn_xml, to_dot
from sop_models.flow import happy_path
from sop_models.flow_paths import can_end_after, happy_next, paused_loops
from sop_models.loader import build_model, load_all, read_yaml_text

BUNDLED = "bundled"
CONFIRMED = "confirmed"
DRAFT = "draft"
DOCUMENT_TEXT = "document_text"  # model_artifacts kind: the SOP document a draft was read from

@dataclass(frozen=True)
class ModelVersion:
    """One row of ``models`` (what ``pantau sop list`` shows)."""

    model_sha256: str
    sop_id: str
    title: str
    agency: str
    revision: str | None
    effective: Any
    status: str
    origin: str
    added_at: datetime


def standard_row(model: SopModel, step: Any) -> dict[str, Any]:
    """The ``model_steps`` row of one step: its printed Waktu and parsed bounds."""
    w = step.waktu
    shown = w.max or w.min
    unit, cal = (shown.unit, shown.calendar) if shown else ("minute", "working")
    if unit == "month":  # months are always calendar months (docs/mutu-baku.md)
        cal = "calendar"

    def bound(b: Any) -> tuple[Any, Any, Any]:
        return (float(b.value), b.unit, b.calendar) if b else (None, None, None)

    max_value, max_unit, max_calendar = bound(w.max)
    min_value, min_unit, min_calendar = bound(w.min)
    return {
        "step_id": step.id, "printed_no": step.no, "name": step.name, "lane": step.lane,
        "lane_source": step.lane_source, "kind": step.kind, "scope": step.scope,
        "kelengkapan": list(step.kelengkapan), "output": step.output, "waktu_raw": w.raw,
        "std_unit": unit, "std_calendar": cal, "max_value": max_value, "max_unit": max_unit,
        "max_calendar": max_calendar, "min_value": min_value, "min_unit": min_unit,
        "min_calendar": min_calendar, "per_unit": w.per,
        "per_attr": model.per_units.get(w.per) if w.per else None,
        "deadline_day": w.deadline_day, "has_standard": not w.is_empty,
    }


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    """The rows in one INSERT statement (executemany runs one statement per row: a new store's
    bundled models took ~0.5 s so)."""
    if not rows:
        return
    columns = list(rows[0])
    one = f"({', '.join('?' for _ in columns)})"
    con.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join(one for _ in rows)}",
                [r[c] for r in rows for c in columns])


def register_model(con: duckdb.DuckDBPyConnection, model: SopModel, text: str, *, origin: str,
                   status: str = CONFIRMED, by: str | None = None, check: bool = True,
                   document_text: str | None = None) -> str:
    """Add one model version (no-op when its sha256 is stored already); returns the sha256.

    ``text`` is the model file exactly as read (``model.sha256`` is its hash). The model is
    checked first (:func:`sop_models.checks.require_model_ok`: a model that fails is never
    stored; ``check=False`` only for a test planting what an older Pantau stored).
    ``document_text``: the SOP document a draft was read from, kept for its review
    (``model_artifacts`` kind ``document_text``). The caller owns the transaction.
    """
    sha = model.sha256
    if con.execute("SELECT count(*) FROM models WHERE model_sha256 = ?", [sha]).fetchall()[0][0]:
        return sha
    if check:
        require_model_ok(model)
    now = datetime.now(UTC)
    svc = model.service_standard.waktu if model.service_standard else None
    svc_max = svc.max if svc else None
    _insert(con, "models", [{
        "model_sha256": sha, "sop_id": model.id, "title": model.title, "agency": model.agency,
        "region": model.region, "timezone": model.timezone, "sop_number": model.sop_number,
        "revision": model.revision, "created": model.created, "revised": model.revised,
        "effective": model.effective, "approved_by": model.approved_by, "source": model.source,
        "calendar_id": model.calendar_id, "service_std_raw": svc.raw if svc else None,
        "service_std_value": float(svc_max.value) if svc_max else None,
        "service_std_unit": svc_max.unit if svc_max else None,
        "service_std_calendar": ("calendar" if svc_max.unit == "month" else svc_max.calendar)
        if svc_max else None,
        "status": status, "origin": origin, "model_text": text, "added_at": now, "added_by": by,
        "target_on_time": model.target_on_time,
        "confirmed_at": now if status == CONFIRMED else None,
        "confirmed_by": by if status == CONFIRMED else None,
    }])
    _insert(con, "model_lanes", [{"model_sha256": sha, "lane_no": i, "lane": lane}
                                 for i, lane in enumerate(model.lanes, 1)])
    main = set(happy_path(model.flow))
    _insert(con, "model_steps", [{"model_sha256": sha, "step_no": i, **standard_row(model, s),
                                  "on_main_path": s.id in main}
                                 for i, s in enumerate(model.steps, 1)])
    nexts = [{"model_sha256": sha, "step_id": "", "next_step": happy_next(model.flow, None),
              "can_end": False}]
    nexts += [{"model_sha256": sha, "step_id": s.id, "next_step": happy_next(model.flow, s.id),
               "can_end": can_end_after(model.flow, s.id)} for s in model.case_steps]
    _insert(con, "model_flow_next", nexts)
    returns = _returns_to(model)
    _insert(con, "model_loops", [
        {"model_sha256": sha, "loop_id": loop.loop_id, "first_step": f, "last_step": last,
         "returns_to": returns.get(loop.loop_id)}
        for loop in paused_loops(model.flow) for f in sorted(loop.first_steps)
        for last in sorted(loop.last_steps)])
    steps = set(model.step_ids)
    _insert(con, "model_four_eyes", [{"model_sha256": sha, "step_a": a, "step_b": b}
                                     for a, b in model.four_eyes if a in steps and b in steps])
    artifacts = [{"model_sha256": sha, "kind": "dot_lanes", "content": to_dot(model, kind="lanes")},
                 {"model_sha256": sha, "kind": "bpmn", "content": to_bpmn_xml(model)}]
    if document_text is not None:
        artifacts.append({"model_sha256": sha, "kind": DOCUMENT_TEXT, "content": document_text})
    _insert(con, "model_artifacts", artifacts)
    return sha


def _returns_to(model: SopModel) -> dict[str, str]:
    from sop_models.flow import Loop, walk

    return {n.id: n.returns_to for n in walk(model.flow) if isinstance(n, Loop) and n.returns_to}


def sync_bundled(con: duckdb.DuckDBPyConnection, models: Iterable[SopModel] | None = None) -> list[str]:
    """Register every bundled model version the store lacks (confirmed); returns their sha256.

    A bundled file that changed becomes a new version of its SOP (which one is in force on a
    day: the ``models_in_force`` macro).
    """
    added = []
    for model in models if models is not None else load_all():
        with open(model.path, encoding="utf-8") as handle:
            text = handle.read()
        before = con.execute("SELECT count(*) FROM models WHERE model_sha256 = ?", [model.sha256]).fetchall()[0][0]
        register_model(con, model, text, origin=BUNDLED)
        if not before:
            added.append(model.sha256)
    return added


def load_model(con: duckdb.DuckDBPyConnection, model_sha256: str, *, check: bool = True) -> SopModel:
    """The model version ``model_sha256``, read from its stored text alone, and checked
    (:func:`sop_models.checks.require_model_ok`) unless ``check`` is False: a version an
    older Pantau stored without the checks of today is refused on every path that uses it."""
    rows = con.execute("SELECT sop_id, model_text FROM models WHERE model_sha256 = ?",
                       [model_sha256]).fetchall()
    if not rows:
        raise UnknownSopError(f"no model version {model_sha256[:12]}… in the store",
                              hint="'pantau sop list --db FILE' lists the stored versions")
    sop_id, text = rows[0]
    name = f"store:{sop_id}@{model_sha256[:12]}"
    model = build_model(read_yaml_text(text, name), name, text)
    if check:
        require_model_ok(model)
    return model


def sop_ids(con: duckdb.DuckDBPyConnection, status: str = CONFIRMED) -> list[str]:
    """The SOPs with at least one version of ``status``, sorted."""
    return [r[0] for r in con.execute(
        "SELECT DISTINCT sop_id FROM models WHERE status = ? ORDER BY 1", [status]).fetchall()]


def versions(con: duckdb.DuckDBPyConnection, sop_id: str | None = None) -> list[ModelVersion]:
    """Every stored version (of one SOP), by SOP then effective date then when added."""
    rows = con.execute(
        "SELECT model_sha256, sop_id, title, agency, revision, effective, status, origin, added_at "
        "FROM models WHERE sop_id = coalesce(?, sop_id) "
        "ORDER BY sop_id, effective NULLS FIRST, added_at", [sop_id]).fetchall()
    return [ModelVersion(*r) for r in rows]


def in_force(con: duckdb.DuckDBPyConnection, sop_id: str, day: date | None = None) -> SopModel:
    """The confirmed version of ``sop_id`` in force on ``day`` (default: today), by the store's
    ``models_in_force`` rule."""
    rows = con.execute("SELECT model_sha256 FROM models_in_force(coalesce(?::DATE, current_date)) "
                       "WHERE sop_id = ?", [day, sop_id]).fetchall()
    if not rows:
        if sop_id in sop_ids(con, DRAFT):
            raise UnknownSopError(f"SOP '{sop_id}' has only draft versions in the store: a draft is not "
                                  "used until it is reviewed and confirmed",
                                  hint=f"'pantau sop show {sop_id} --db FILE', then 'pantau sop confirm "
                                       f"{sop_id} --version V --by NAME --db FILE'")
        raise UnknownSopError(f"no SOP model with id '{sop_id}' in the store",
                              hint=did_you_mean(sop_id, sop_ids(con)))
    return load_model(con, rows[0][0])


def latest(con: duckdb.DuckDBPyConnection, sop_id: str) -> SopModel:
    """The confirmed version of ``sop_id`` in force today (the one new imports are checked with)."""
    return in_force(con, sop_id)
