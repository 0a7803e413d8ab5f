"""A step's Mutu Baku (``step.waktu``) in the three bases the SEMANTICS contract compares in.

``wm``: working minutes (minute/hour/day on the working calendar); ``hours``: calendar hours
(minute/hour/day on the calendar basis, "3x24 jam"); ``months``: calendar months. The model
file is the only source of these numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sop_models.model import Bound, SopModel

Basis = Literal["wm", "hours", "months"]
_WORKING = {"minute": 1.0, "hour": 60.0, "day": 480.0}
_CALENDAR_HOURS = {"minute": 1 / 60, "hour": 1.0, "day": 24.0}


@dataclass(frozen=True)
class Limit:
    """One bound: ``value`` in ``basis`` units (before the per-unit quantity)."""

    value: float
    basis: Basis

    @classmethod
    def of(cls, bound: Bound) -> Limit:
        """Normalise a parsed bound."""
        if bound.unit == "month":
            return cls(bound.value, "months")
        if bound.calendar == "working":
            return cls(bound.value * _WORKING[bound.unit], "wm")
        return cls(bound.value * _CALENDAR_HOURS[bound.unit], "hours")

    def working_minutes(self) -> float:
        """A rough size on the working clock, for choosing how the time is spent."""
        if self.basis == "wm":
            return self.value
        if self.basis == "hours":
            return self.value * 60 / 3  # one calendar day holds 8 of 24 office hours
        return self.value * 21 * 480


@dataclass(frozen=True)
class StepStandard:
    """The standard of one step; ``per_attribute`` names the case attribute that scales it."""

    max: Limit | None
    min: Limit | None
    per_attribute: str | None
    deadline_day: int | None

    @property
    def is_empty(self) -> bool:
        """No bound and no deadline day: status no_standard."""
        return self.max is None and self.min is None and self.deadline_day is None


def step_standards(model: SopModel) -> dict[str, StepStandard]:
    """Step id -> normalised standard, for every step of ``model``."""
    out: dict[str, StepStandard] = {}
    for step in model.steps:
        w = step.waktu
        per = model.per_units.get(w.per) if w.per else None
        out[step.id] = StepStandard(
            max=Limit.of(w.max) if w.max else None,
            min=Limit.of(w.min) if w.min else None,
            per_attribute=per,
            deadline_day=w.deadline_day,
        )
    return out
