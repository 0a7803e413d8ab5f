"""A reviewer's fixes to a drafted model, as a new model-file text.

The review (the Model SOP page, ``pantau sop confirm``) may fix what an importer most often
gets wrong: a step's lane, its Waktu, the flow (which step follows which, a branch), and the
version's No. Revisi and Tanggal Efektif. :func:`revise` applies such fixes to the stored
text of a version and returns the text of the reviewed version, which is checked like any
model (:func:`~sop_models.checks.require_model_ok`); a fix that makes the model invalid is
refused with the step and field it names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import yaml

from pantau.errors import SopModelError, did_you_mean
from sop_models.checks import require_model_ok
from sop_models.loader import build_model, read_yaml_text
from sop_models.model import SopModel


@dataclass(frozen=True)
class Fixes:
    """What a reviewer changed: ``lanes`` and ``waktu`` by step id (a Waktu of "" or None:
    no time standard), ``flow`` as the YAML text of the whole ``flow:`` value, and the
    version's ``revision`` / ``effective`` date."""

    lanes: dict[str, str] = field(default_factory=dict)
    waktu: dict[str, str | None] = field(default_factory=dict)
    flow: str | None = None
    revision: str | None = None
    effective: date | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Fixes:
        """Fixes from a JSON object (the dashboard's job passes them so)."""
        data = data or {}
        effective = data.get("effective")
        return cls(lanes=dict(data.get("lanes") or {}), waktu=dict(data.get("waktu") or {}),
                   flow=data.get("flow") or None, revision=data.get("revision") or None,
                   effective=date.fromisoformat(effective) if effective else None)

    def to_json(self) -> dict[str, Any]:
        """The inverse of :meth:`from_json`."""
        return {"lanes": self.lanes, "waktu": self.waktu, "flow": self.flow, "revision": self.revision,
                "effective": self.effective.isoformat() if self.effective else None}

    @property
    def empty(self) -> bool:
        """True when nothing is changed."""
        return not (self.lanes or self.waktu or self.flow or self.revision or self.effective)


def revise(text: str, fixes: Fixes, *, name: str, reviewer: str, when: date) -> tuple[str, SopModel]:
    """The reviewed model-file text and model: ``text`` with ``fixes`` applied.

    The importer's ``proposals`` list goes (the reviewer has accepted or fixed what it
    proposed) and a note says who reviewed it and when. Raises :class:`SopModelError`
    naming the step and field of a fix that does not fit the model.
    """
    data = read_yaml_text(text, name)
    steps = {str(s.get("id")): s for s in data.get("steps") or [] if isinstance(s, dict)}
    lanes = [str(x) for x in data.get("lanes") or []]
    for sid, lane in fixes.lanes.items():
        step = _step(steps, sid, name, "lane")
        if lane not in lanes:
            raise SopModelError(f"step {sid}: lane '{lane}' is not one of the lanes", file=name, field="lane",
                                hint=did_you_mean(lane, lanes))
        step["lane"] = lane
        step["lane_source"] = "printed"  # a person read it off the document
    for sid, waktu in fixes.waktu.items():
        step = _step(steps, sid, name, "waktu")
        step["waktu"] = (waktu or "").strip() or None  # read (and refused) by build_model below
    if fixes.flow is not None:
        try:
            data["flow"] = yaml.safe_load(fixes.flow)
        except yaml.YAMLError as exc:
            raise SopModelError(f"the flow is not valid YAML: {getattr(exc, 'problem', exc)}", file=name,
                                field="flow", hint="one step id per line, '- ' before each") from exc
    if fixes.revision is not None:
        data["revision"] = fixes.revision
    if fixes.effective is not None:
        data["effective"] = fixes.effective.isoformat()
    data.pop("proposals", None)
    data["notes"] = [*(data.get("notes") or []), f"reviewed by {reviewer} on {when.isoformat()}"]
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    out = f"# SOP model reviewed and confirmed by {reviewer} on {when.isoformat()}.\n" + body
    model = build_model(read_yaml_text(out, name), name, out)
    require_model_ok(model)
    return out, model


def _step(steps: dict[str, dict[str, Any]], sid: str, name: str, what: str) -> dict[str, Any]:
    if sid not in steps:
        raise SopModelError(f"no step '{sid}' in the model", file=name, field=what, hint=did_you_mean(sid, steps))
    return steps[sid]
