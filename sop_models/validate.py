"""Check SOP model files against the model rules, reporting every problem, not the first.

The checks read the raw YAML (``loader.read_yaml``) rather than typed models, so one broken
file or step does not hide the others. Each problem is one line:
``<file>: step <id>: <what is wrong>`` or ``<file>: <what is wrong>``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pantau.errors import ModelValidationError, SopModelError, did_you_mean
from sop_models import loader
from sop_models.checks import name_clash, reference_net_problems
from sop_models.flow import Node, parse_flow, structure_problems
from sop_models.flow import step_ids as flow_step_ids
from sop_models.model import CALENDARS, Conventions
from sop_models.names import same_names
from sop_models.net_check import SECONDS, check_soundness
from sop_models.waktu import parse_waktu

LANE_SOURCES = ("printed", "inferred")
SCOPES = ("case", "program")
KINDS = ("task", "decision")


def _display(path: Path) -> str:
    """The path relative to the working directory when it is under it, else as given."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _text(exc: SopModelError) -> str:
    what = exc.message
    if exc.row is not None:
        what += f" (line {exc.row})"
    if exc.hint:
        what += f" ({exc.hint})"
    return what


class _Report:
    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: list[str] = []
        self.notices: list[str] = []  # not problems: what could not be checked

    def add(self, what: str, step: str | None = None, hint: str | None = None) -> None:
        where = f"{self.file}: step {step}: " if step is not None else f"{self.file}: "
        self.lines.append(where + what + (f" ({hint})" if hint else ""))


def _strip_step_prefix(message: str, step_id: str) -> str:
    # Errors from parse_flow/parse_waktu already say "step <id>: "; do not say it twice.
    prefix = f"step {step_id}: "
    return message[len(prefix):] if message.startswith(prefix) else message


def _check_top(data: dict[str, Any], path: Path | None, rep: _Report) -> None:
    """Top-level keys; ``path`` None for a stored version (no file name or folder to compare)."""
    for key in sorted(map(str, data)):
        if key not in loader.TOP_KEYS:
            rep.add(f"unknown key '{key}'", hint=did_you_mean(key, loader.TOP_KEYS))
    for key in loader.REQUIRED_TOP:
        if data.get(key) in (None, "", [], {}):
            rep.add(f"'{key}' is missing")
    sop_id = data.get("id")
    if path is not None and sop_id not in (None, "") and str(sop_id) != path.stem:
        rep.add(f"id '{sop_id}' differs from the file name '{path.name}'",
                hint=f"name the file {sop_id}.yaml or set id: {path.stem}")
    tz = data.get("timezone")
    if tz:
        try:
            ZoneInfo(str(tz))
        except (ZoneInfoNotFoundError, ValueError):
            rep.add(f"timezone '{tz}' is not an IANA time zone", hint="e.g. Asia/Jakarta or Asia/Makassar")
    source = data.get("source")
    if path is not None and source and not any((d / str(source)).is_file() for d in (loader.SOURCES_DIR, path.parent)):
        rep.add(f"source '{source}' is neither in sop_models/sources/ nor beside the model file")


def _lanes(data: dict[str, Any], rep: _Report) -> list[str]:
    raw = data.get("lanes")
    if raw in (None, "", []):
        return []
    if not isinstance(raw, list) or not all(isinstance(x, str) and x.strip() for x in raw):
        rep.add("'lanes' must be a list of lane names (strings)")
        return [str(x) for x in raw] if isinstance(raw, list) else []
    for lane, n in Counter(raw).items():
        if n > 1:
            rep.add(f"lane '{lane}' is listed {n} times")
    return list(raw)


def _conventions(data: dict[str, Any], rep: _Report) -> Conventions:
    raw = data.get("conventions")
    if raw is None:
        return Conventions()
    if not isinstance(raw, dict):
        rep.add("'conventions' must be a mapping")
        return Conventions()
    try:
        conv = Conventions.from_mapping(raw)
    except TypeError as exc:
        rep.add(f"bad conventions: {exc}")
        return Conventions()
    for key, value in raw.items():
        if value not in CALENDARS:
            rep.add(f"conventions.{key} is '{value}'", hint=f"use one of {list(CALENDARS)}")
    return conv


def _check_steps(
    data: dict[str, Any], lanes: list[str], conv: Conventions, rep: _Report
) -> tuple[dict[str, str], set[str] | None]:
    """Steps by id -> scope, and the Waktu ``per`` units used (None if any Waktu failed)."""
    raw_steps = data.get("steps")
    scopes: dict[str, str] = {}
    names: dict[str, str] = {}
    pers: set[str] | None = set()
    if raw_steps in (None, [], ""):
        return scopes, pers
    if not isinstance(raw_steps, list):
        rep.add("'steps' must be a list")
        return scopes, None
    for i, raw in enumerate(raw_steps):
        if not isinstance(raw, dict):
            rep.add(f"steps[{i}] is not a mapping")
            continue
        sid = str(raw["id"]) if raw.get("id") not in (None, "") else f"#{i + 1}"
        for key in sorted(map(str, raw)):
            if key not in loader.STEP_KEYS:
                rep.add(f"unknown key '{key}'", sid, did_you_mean(key, loader.STEP_KEYS))
        for key in ("id", "name", "lane"):
            if raw.get(key) in (None, ""):
                rep.add(f"'{key}' is missing", sid)
        if sid in scopes:
            rep.add("duplicate step id", sid)
        lane = raw.get("lane")
        if lane not in (None, "") and lanes and str(lane) not in lanes:
            rep.add(f"lane '{lane}' is not one of the lanes", sid, did_you_mean(str(lane), lanes))
        for key, allowed, default in (
            ("lane_source", LANE_SOURCES, "inferred"), ("scope", SCOPES, "case"), ("kind", KINDS, "task"),
        ):
            value = raw.get(key, default)
            if value not in allowed:
                rep.add(f"{key} '{value}' is not one of {list(allowed)}", sid)
        marks = raw.get("lane_marks") or {}
        if isinstance(marks, dict):
            for mark_lane in marks:
                if lanes and str(mark_lane) not in lanes:
                    rep.add(f"lane_marks names unknown lane '{mark_lane}'", sid, did_you_mean(str(mark_lane), lanes))
        else:
            rep.add("lane_marks must be a mapping lane -> text", sid)
        if raw.get("id") not in (None, ""):
            scopes.setdefault(sid, str(raw.get("scope", "case")))
        if raw.get("name") not in (None, ""):
            names.setdefault(sid, str(raw["name"]))
        waktu = raw.get("waktu")
        try:
            parsed = parse_waktu(None if waktu is None else str(waktu), context=raw.get("waktu_context"),
                                 conventions=conv, file=rep.file, step=sid)
        except SopModelError as exc:  # WaktuParseError, and anything else the parser raises
            rep.add(_strip_step_prefix(exc.message, sid), sid, exc.hint)
            pers = None
            continue
        if pers is not None and parsed.per:
            pers.add(parsed.per)
    for sid, others in same_names(names):
        rep.add(name_clash(others), sid)
    std = data.get("service_standard")
    if isinstance(std, dict) and std.get("waktu"):
        try:
            parse_waktu(str(std["waktu"]), conventions=conv, file=rep.file, step="service_standard")
        except SopModelError as exc:
            rep.add("service_standard: " + _strip_step_prefix(exc.message, "service_standard"), hint=exc.hint)
    return scopes, pers


def _check_flow(data: dict[str, Any], scopes: dict[str, str], rep: _Report) -> Node | None:
    if data.get("flow") in (None, "", []):
        return None
    try:
        flow = parse_flow(data["flow"], file=rep.file)
    except SopModelError as exc:
        rep.add(_text(exc))
        return None
    in_flow = Counter(flow_step_ids(flow))
    if not in_flow:
        rep.add("the flow names no step")
    for sid, n in in_flow.items():
        if sid not in scopes:
            rep.add("named in the flow but not in steps", sid, did_you_mean(sid, scopes))
        elif scopes[sid] == "program":
            rep.add("is a program step (done once per period) but appears in the flow", sid,
                    "remove it from the flow or make it scope: case")
        if n > 1:
            rep.add(f"appears {n} times in the flow", sid)
    for sid, scope in scopes.items():
        if scope == "case" and sid not in in_flow:
            rep.add("case step missing from the flow", sid, "add it to the flow, or set scope: program")
    for what in structure_problems(flow):
        rep.add(what)
    return flow


def _check_reference_net(data: dict[str, Any], scopes: dict[str, str], rep: _Report, seconds: float) -> None:
    """A kept net (not block-structured): readable, naming the case steps, and sound.

    Flows need no such check: every flow tree is sound by construction (README, "Soundness").
    """
    from sop_models import builders

    text = str(data["reference_net"])
    try:
        net, im, fm = builders.net_from_pnml(text, file=rep.file, field="reference_net")
    except SopModelError as exc:
        rep.add(exc.message)
        return
    case = {sid for sid, scope in scopes.items() if scope == "case"}
    problems = reference_net_problems(net, im, fm, case)
    for what, sid in problems:
        rep.add(what, sid)
    if problems:
        return
    verdict = check_soundness(net, im, fm, seconds=seconds)
    if verdict.status == "unsound":
        rep.add(f"reference_net is not a sound workflow net: {verdict.reason}")
    elif verdict.status == "not_checked":
        rep.notices.append(f"{rep.file}: reference_net soundness {verdict.reason}")


def _check_cross(data: dict[str, Any], scopes: dict[str, str], pers: set[str] | None, rep: _Report) -> None:
    pairs = data.get("four_eyes") or []
    if not isinstance(pairs, list):
        rep.add("four_eyes must be a list of [verifying_step, approving_step] pairs")
        pairs = []
    for pair in pairs:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            rep.add(f"four_eyes entry {pair!r} is not a pair of step ids")
            continue
        for sid in map(str, pair):
            if sid not in scopes:
                rep.add(f"four_eyes names unknown step '{sid}'", hint=did_you_mean(sid, scopes))
        if str(pair[0]) == str(pair[1]):
            rep.add(f"four_eyes pairs step '{pair[0]}' with itself")
    units = data.get("per_units") or {}
    if not isinstance(units, dict):
        rep.add("per_units must be a mapping unit -> case attribute")
    elif pers is not None:  # only when every Waktu parsed: else "unused" may be wrong
        for unit in units:
            if str(unit) not in pers:
                rep.add(f"per_units key '{unit}' is not used by any step's Waktu per",
                        hint=f"Waktu per units in this file: {sorted(pers)}")


def _check_data(data: dict[str, Any], path: Path | None, rep: _Report, seconds: float) -> None:
    _check_top(data, path, rep)
    lanes = _lanes(data, rep)
    conv = _conventions(data, rep)
    scopes, pers = _check_steps(data, lanes, conv, rep)
    _check_flow(data, scopes, rep)
    if data.get("reference_net") not in (None, ""):
        _check_reference_net(data, scopes, rep, seconds)
    _check_cross(data, scopes, pers, rep)


def _check_file(path: Path, seconds: float = SECONDS) -> tuple[_Report, str | None]:
    rep = _Report(_display(path))
    try:
        data = loader.read_yaml(path)
    except SopModelError as exc:
        rep.add(_text(exc))
        return rep, None
    except OSError as exc:
        rep.add(f"cannot read the file: {exc}")
        return rep, None
    _check_data(data, path, rep, seconds)
    if not rep.lines:  # whatever the rules above miss, the loader itself may still refuse
        try:
            loader.build_model(data, path)
        except SopModelError as exc:
            rep.add(_text(exc))
    sop_id = data.get("id")
    return rep, None if sop_id in (None, "") else str(sop_id)


def check_model_text(text: str, name: str, *, soundness_seconds: float = SECONDS,
                     notices: list[str] | None = None) -> list[str]:
    """Problems of a model file's text (a version in the store, named ``name``), one line
    each, by the same rules as a file, except those about where the file lies (its name
    matching the id, the source document beside it)."""
    rep = _Report(name)
    try:
        data = loader.read_yaml_text(text, name)
    except SopModelError as exc:
        rep.add(_text(exc))
        return rep.lines
    _check_data(data, None, rep, soundness_seconds)
    if not rep.lines:
        try:
            loader.build_model(data, name, text)
        except SopModelError as exc:
            rep.add(_text(exc))
    if notices is not None:
        notices.extend(rep.notices)
    return rep.lines


def check_model_file(path: str | Path, *, soundness_seconds: float = SECONDS) -> list[str]:
    """Problems in one model file, one line each; an empty list when it is valid."""
    return _check_file(Path(path), soundness_seconds)[0].lines


def check_models(
    paths: Iterable[Path] | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
    notices: list[str] | None = None,
    soundness_seconds: float = SECONDS,
) -> list[str]:
    """Problems in the model files (default: the bundled ones), one line each.

    Adds cross-file problems (the same SOP id in two files). An empty list means valid.
    What could not be checked (a kept reference net whose soundness check ran out of
    ``soundness_seconds`` or states) is appended to ``notices`` when given: it is not a problem.
    """
    files = list(paths) if paths is not None else loader.model_paths()
    problems: list[str] = []
    seen: dict[str, Path] = {}
    for done, path in enumerate(files, start=1):
        rep, sop_id = _check_file(Path(path), soundness_seconds)
        problems.extend(rep.lines)
        if notices is not None:
            notices.extend(rep.notices)
        if sop_id is not None:
            if sop_id in seen:
                problems.append(
                    f"{_display(Path(path))}: SOP id '{sop_id}' is also defined in {_display(seen[sop_id])}"
                )
            else:
                seen[sop_id] = Path(path)
        if progress:
            progress(done, len(files))
    return problems


def require_valid(paths: Iterable[Path] | None = None) -> None:
    """Raise :class:`ModelValidationError` listing every problem, if there is any."""
    problems = check_models(paths)
    if problems:
        raise ModelValidationError(problems)
