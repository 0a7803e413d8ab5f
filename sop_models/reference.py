"""Reference models that arrive as process models (BPMN 2.0, PNML) instead of SOP documents.

``model_from_bpmn(path)`` and ``model_from_pnml(path)`` return a model mapping in the
model-file format (``sop_models/README.md``), so everything downstream treats it like a
curated model:

- steps: one per BPMN task / visible transition, in file order; the step id is the task
  (transition) id made a plain id (letters, digits, ``_ . -``; starting with a letter) and
  unique; the name is the task's name (its id when it has none);
- lanes: the BPMN lanes (``lane_source: printed``), read here with defusedxml because
  pm4py's BPMN importer knows no lanes; without lanes (and always for PNML) one lane named
  after the pool / process, or ``PELAKSANA``;
- time standards: optional side file, YAML ``task: "2 Hari"`` or CSV ``task,waktu``, the
  task named by its id, its step id or its name;
- flow: when the net is block-structured, a real flow tree (pm4py's BPMN -> Petri net ->
  process tree conversion, then :mod:`sop_models.tree_flow`); otherwise the net itself is
  kept as PNML text under ``reference_net`` and the flow only lists the steps (``and``),
  which the notes say.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as SafeET
import yaml

from pantau.errors import SopModelError, did_you_mean
from sop_models import builders
from sop_models.flow import flow_data
from sop_models.importer.text import slugify
from sop_models.tree_flow import flow_from_tree
from sop_models.waktu import parse_waktu

DEFAULT_LANE = "PELAKSANA"
_NOT_ID = re.compile(r"[^A-Za-z0-9_.-]+")
_CONVERSION = ("flow converted from the net of {what} via pm4py's process-tree conversion "
               "(the net is block-structured, so the flow has the same runs)")
_KEPT = ("the net of {what} is not block-structured: it is kept as reference_net and is the "
         "model; the flow only lists the steps, so the happy path, the step expected next "
         "for an open case, loop pauses and the simulator's paths are not judged for it")


def model_from_bpmn(path: str | Path, times: str | Path | None = None, *, sop_id: str | None = None) -> dict[str, Any]:
    """A model mapping from a BPMN 2.0 file (see the module docstring).

    Raises :class:`SopModelError` naming the file when it cannot be read, has no task, or
    the times file names an unknown task or holds an unreadable Waktu.
    """
    path = Path(path)
    graph, tasks = builders.read_bpmn_tasks(str(path))
    if not tasks:
        raise SopModelError("the BPMN file has no task", file=str(path), hint="a model needs at least one task")
    lanes_of, lane_order, pool, position = _bpmn_xml(path)
    tasks.sort(key=lambda task: position.get(task[0], len(position)))  # pm4py's order is a set's
    ids = step_ids_for(task_id for task_id, _ in tasks)
    steps = [_step(ids[tid], name or tid, lanes_of.get(tid, pool or DEFAULT_LANE), tid in lanes_of)
             for tid, name in tasks]
    lanes = [lane for lane in lane_order if any(s["lane"] == lane for s in steps)]
    lanes += sorted({s["lane"] for s in steps} - set(lanes))
    net = builders.bpmn_graph_net(graph, ids)
    notes = [] if lanes_of else [f"the BPMN file has no lanes: every step is in the lane '{lanes[0]}'"]
    data = _mapping(path, sop_id, pool, lanes, steps, net, "the BPMN file", notes)
    _apply_times(data, times, {tid: (ids[tid], name) for tid, name in tasks})
    return data


def model_from_pnml(path: str | Path, times: str | Path | None = None, *, sop_id: str | None = None) -> dict[str, Any]:
    """A model mapping from a PNML Petri net (see the module docstring).

    Visible transitions are the steps; the net needs an initial and a final marking
    (a single source / sink place is taken as such when the file gives none).
    """
    path = Path(path)
    try:
        net, im, fm = builders.read_pnml_file(str(path))
    except OSError as exc:
        raise SopModelError(f"cannot read the PNML file: {exc.strerror}", file=str(path)) from exc
    visible = sorted((t for t in net.transitions if t.label is not None), key=lambda t: str(t.name))
    if not visible:
        raise SopModelError("the Petri net has no labelled transition", file=str(path))
    im, fm, notes = _markings(net, im, fm, str(path))
    ids = step_ids_for(str(t.name) for t in visible)
    steps = [_step(ids[str(t.name)], str(t.label), DEFAULT_LANE, False) for t in visible]
    for t in visible:
        t.label = ids[str(t.name)]
    data = _mapping(path, sop_id, None, [DEFAULT_LANE], steps, (net, im, fm), "the PNML file", notes)
    _apply_times(data, times, {str(t.name): (ids[str(t.name)], s["name"]) for t, s in zip(visible, steps, strict=True)})
    return data


def model_from_process_file(path: str | Path, times: str | Path | None = None, *,
                            sop_id: str | None = None) -> dict[str, Any]:
    """:func:`model_from_bpmn` or :func:`model_from_pnml` by the file's suffix (.bpmn, .pnml)."""
    suffix = Path(path).suffix.lower()
    if suffix in (".bpmn", ".xml"):
        return model_from_bpmn(path, times, sop_id=sop_id)
    if suffix == ".pnml":
        return model_from_pnml(path, times, sop_id=sop_id)
    raise SopModelError(f"cannot read a process model from a '{suffix}' file", file=str(path),
                        hint="give a BPMN 2.0 file (.bpmn) or a Petri net (.pnml); an SOP document "
                        "(.docx, .pdf, .txt) is drafted with 'pantau sop import'")


def reference_yaml(data: dict[str, Any]) -> str:
    """A reference-model mapping as model-file YAML, with a comment saying where it came from."""
    head = (f"# SOP model imported from the process model {data['source']}.\n"
            "# Fill in agency, region and timezone; check lanes and time standards.\n")
    return head + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def step_ids_for(raw_ids: Iterable[str]) -> dict[str, str]:
    """Task / transition id -> step id: a plain id (see the module docstring), unique."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for raw in raw_ids:
        base = _NOT_ID.sub("_", raw).strip("_.-") or "step"
        if not base[0].isalpha():
            base = f"t{base}"
        candidate, n = base, 1
        while candidate.lower() in used:  # case-insensitively: file systems and eyes
            n += 1
            candidate = f"{base}_{n}"
        used.add(candidate.lower())
        out[raw] = candidate
    return out


def _step(step_id: str, name: str, lane: str, printed: bool) -> dict[str, Any]:
    return {"id": step_id, "no": None, "name": name.strip() or step_id, "lane": lane,
            "lane_source": "printed" if printed else "inferred", "waktu": None}


def _mapping(path: Path, sop_id: str | None, pool: str | None, lanes: list[str], steps: list[dict[str, Any]],
             net: tuple[Any, Any, Any], what: str, notes: list[str]) -> dict[str, Any]:
    title = pool or path.stem
    step_set = {s["id"] for s in steps}
    tree = builders.tree_of_net(*net)
    data: dict[str, Any] = {
        "id": sop_id or slugify(title), "title": title, "agency": "TODO", "region": "TODO",
        "timezone": "Asia/Jakarta", "source": path.name, "lanes": lanes, "steps": steps,
    }
    if tree is not None:
        data["flow"] = flow_data(flow_from_tree(tree, taken=step_set))
        notes.append(_CONVERSION.format(what=what))
    else:
        ordered = [s["id"] for s in steps]
        data["flow"] = {"and": ordered} if len(ordered) > 1 else ordered
        data["reference_net"] = builders.pnml_text(*net)
        notes.append(_KEPT.format(what=what))
    data["notes"] = [*notes, "agency, region and timezone are placeholders: fill them in"]
    return data


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _bpmn_xml(path: Path) -> tuple[dict[str, str], list[str], str | None, dict[str, int]]:
    """Task id -> lane name (innermost lane), lanes in file order, the pool/process name,
    and each element id's position in the file."""
    try:
        root = SafeET.parse(str(path)).getroot()
    except Exception as exc:  # ParseError, and defusedxml's refusals of entity tricks
        raise SopModelError(f"the BPMN file is not readable XML: {exc}", file=str(path)) from exc
    lane_of: dict[str, str] = {}
    order: list[str] = []
    pool = None
    position: dict[str, int] = {}
    for el in root.iter():
        tag = _local(el.tag)
        if el.get("id") is not None:
            position.setdefault(str(el.get("id")), len(position))
        if tag in ("participant", "process") and pool is None and (el.get("name") or "").strip():
            pool = " ".join(el.get("name", "").split())
        if tag != "lane":
            continue
        name = " ".join((el.get("name") or el.get("id") or DEFAULT_LANE).split())
        if name not in order:
            order.append(name)
        for ref in el:
            if _local(ref.tag) == "flowNodeRef" and ref.text:
                lane_of[ref.text.strip()] = name  # nested lanes come later: innermost wins
    return lane_of, order, pool, position


def _markings(net: Any, im: Any, fm: Any, file: str) -> tuple[Any, Any, list[str]]:
    from collections import Counter

    notes = []
    if not im or not fm:
        sources = [p for p in net.places if not p.in_arcs]
        sinks = [p for p in net.places if not p.out_arcs]
        if not im and len(sources) == 1:
            im = type(im)({sources[0]: 1}) if im is not None else Counter({sources[0]: 1})
            notes.append(f"the PNML file gives no initial marking: one token in its source place '{sources[0].name}'")
        if not fm and len(sinks) == 1:
            fm = type(fm)({sinks[0]: 1}) if fm is not None else Counter({sinks[0]: 1})
            notes.append(f"the PNML file gives no final marking: one token in its sink place '{sinks[0].name}'")
    if not im or not fm:
        raise SopModelError("the Petri net needs an initial and a final marking", file=file,
                            hint="add <initialMarking> and <finalmarkings> to the PNML, or give the net one source and one sink place")
    return im, fm, notes


def _apply_times(data: dict[str, Any], times: str | Path | None, tasks: dict[str, tuple[str, str]]) -> None:
    if times is None:
        return
    by_key: dict[str, str] = {}
    for raw, (step_id, name) in tasks.items():
        for key in (raw, step_id, name, name.casefold()):
            by_key.setdefault(key, step_id)
    steps = {s["id"]: s for s in data["steps"]}
    for row, key, waktu in read_times(times):
        step_id = by_key.get(key) or by_key.get(key.casefold())
        if step_id is None:
            raise SopModelError(f"the time standards name the task '{key}', which is not in the model",
                                file=str(times), row=row, hint=did_you_mean(key, [n for _, n in tasks.values()]))
        parse_waktu(waktu, file=str(times), step=step_id)  # a WaktuParseError names file and step
        steps[step_id]["waktu"] = waktu
    data["notes"].append(f"time standards (Waktu) from {Path(times).name}")


def read_times(path: str | Path) -> list[tuple[int, str, str]]:
    """``(row, task, waktu)`` from a YAML mapping ``task: waktu`` or a CSV ``task,waktu``.

    A CSV may have a header row whose second cell is ``waktu`` (any case).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise SopModelError(f"cannot read the time standards: {exc.strerror}", file=str(path)) from exc
    if path.suffix.lower() == ".csv":
        rows = list(csv.reader(io.StringIO(text)))
        out = []
        for n, row in enumerate(rows, start=1):
            cells = [c.strip() for c in row]
            if not any(cells) or (n == 1 and len(cells) > 1 and cells[1].casefold() == "waktu"):
                continue
            if len(cells) < 2 or not cells[0] or not cells[1]:
                raise SopModelError("expected two columns: task, waktu", file=str(path), row=n)
            out.append((n, cells[0], cells[1]))
        return out
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SopModelError(f"not valid YAML: {exc}", file=str(path)) from exc
    if not isinstance(data, dict):
        raise SopModelError("expected a mapping 'task: waktu'", file=str(path), hint='e.g. T02 Check confirmation of receipt: "2 Hari"')
    return [(n, str(k).strip(), str(v).strip()) for n, (k, v) in enumerate(data.items(), start=1)]
