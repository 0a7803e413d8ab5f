"""Fast checks of a loaded model, for every path that uses one (ingest, analyze, registry).

:func:`check_model` never runs WOFLAN: a flow built from Pantau's blocks is sound by
construction (``sop_models/README.md``, "Soundness"), so only the rules that
construction does not give are checked. ``pantau sop check`` (:mod:`sop_models.validate`)
reads the raw file instead and reports more (YAML, unknown keys, Waktu), and runs a
time-bounded soundness check on a kept reference net.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pantau.errors import ModelValidationError, SopModelError
from sop_models.flow import step_ids, structure_problems
from sop_models.model import SopModel
from sop_models.names import same_names


def reference_net_problems(net: Any, im: Any, fm: Any, case_steps: set[str]) -> list[tuple[str, str | None]]:
    """What is wrong with a kept net against the model's case steps, as ``(what, step)``."""
    out: list[tuple[str, str | None]] = []
    labels = {t.label for t in net.transitions if t.label is not None}
    out += [(f"reference_net: transition label '{label}' is not a step id of the model", None)
            for label in sorted(labels - case_steps)]
    out += [("case step not in the reference net", sid) for sid in sorted(case_steps - labels)]
    if not im or not fm:
        out.append(("reference_net: the net needs an initial and a final marking", None))
    return out


def name_clash(others: list[str]) -> str:
    """The problem line of a step whose name reads like the names of ``others``."""
    return (f"its name reads like the name of step {', '.join(others)}: activity labels are "
            "matched to step names, so each step needs a distinct name")


def check_model(model: SopModel) -> list[str]:
    """Problems of a loaded model, one line each (``<file>: [step <id>: ]what``); fast.

    Checks: step ids unique and step names distinct (labels are matched to names); the flow
    names only known steps, every case step exactly once and no program step; flow node ids
    unique, loops with a body, no empty ``and`` branch; lanes and
    four-eyes pairs known; a kept ``reference_net`` readable, with exactly the case steps
    as visible labels and both markings.
    """
    lines: list[str] = []

    def add(what: str, step: str | None = None) -> None:
        lines.append(f"{model.path}: " + (f"step {step}: " if step else "") + what)

    scopes = {s.id: s.scope for s in model.steps}
    for sid, n in Counter(s.id for s in model.steps).items():
        if n > 1:
            add("duplicate step id", sid)
    for sid, others in same_names({s.id: s.name for s in model.steps}):
        add(name_clash(others), sid)
    counts = Counter(step_ids(model.flow))
    for sid, n in counts.items():
        if sid not in scopes:
            add("named in the flow but not in steps", sid)
        elif scopes[sid] == "program":
            add("is a program step (done once per period) but appears in the flow", sid)
        if n > 1:
            add(f"appears {n} times in the flow", sid)
    for sid, scope in scopes.items():
        if scope == "case" and sid not in counts:
            add("case step missing from the flow", sid)
    for what in structure_problems(model.flow):
        add(what)
    lanes = set(model.lanes)
    for s in model.steps:
        if s.lane not in lanes:
            add(f"lane '{s.lane}' is not one of the lanes", s.id)
    for a, b in model.four_eyes:
        for sid in (a, b):
            if sid not in scopes:
                add(f"four_eyes names unknown step '{sid}'")
    if model.reference_net is not None:
        from sop_models.builders import net_from_pnml

        try:
            net, im, fm = net_from_pnml(model.reference_net, file=model.path, field="reference_net")
        except SopModelError as exc:
            add(exc.message)
        else:
            case = {sid for sid, scope in scopes.items() if scope == "case"}
            for what, sid in reference_net_problems(net, im, fm, case):
                add(what, sid)
    return lines


REFUSED_HINT = ("the model is not used until these are fixed: correct the model file (a draft from a "
                "document: 'pantau sop import FILE -o model.yaml', then edit it) and add it with "
                "'pantau sop add FILE --db DB'; 'pantau sop check' lists every problem")


def require_model_ok(model: SopModel) -> None:
    """Raise :class:`ModelValidationError` with :func:`check_model`'s lines, if any (its hint
    says how to fix and add the model again)."""
    problems = check_model(model)
    if problems:
        raise ModelValidationError(problems, hint=REFUSED_HINT)
