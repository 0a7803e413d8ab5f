"""The SOP model: what a Permenpan-RB 35/2012 SOP document says, as typed data.

A model is read from one curated YAML file (see ``sop_models/README.md``); it is
immutable once loaded. The control flow lives in :mod:`sop_models.flow`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

Unit = Literal["minute", "hour", "day", "month"]
CalendarBasis = Literal["working", "calendar"]
LaneSource = Literal["printed", "inferred"]
StepScope = Literal["case", "program"]

UNITS: tuple[str, ...] = ("minute", "hour", "day", "month")
CALENDARS: tuple[str, ...] = ("working", "calendar")


def calendar_id_for(timezone: str, overrides: tuple[str, ...] | list[str] = ()) -> str:
    """A working calendar's id: the zone, plus ``+name`` per regional override file."""
    return timezone + "".join(f"+{o}" for o in overrides)


@dataclass(frozen=True)
class Bound:
    """One side of a time standard: ``value`` ``unit`` on a ``calendar`` basis."""

    value: float
    unit: Unit
    calendar: CalendarBasis

    def to_json(self) -> dict[str, Any]:
        """``{value, unit, calendar}`` with an integral value printed as an int."""
        value: float | int = int(self.value) if float(self.value).is_integer() else self.value
        return {"value": value, "unit": self.unit, "calendar": self.calendar}


@dataclass(frozen=True)
class Conventions:
    """How unqualified Waktu words are read; overridable per SOP (``conventions:``).

    Defaults (documented in ``sop_models/README.md``): "hari" is a working day unless
    stated; "N x 24 jam" is calendar hours unless "hari kerja" follows; "menit" and "jam"
    are working time within office hours; "bulan" is a calendar month.
    """

    minute: CalendarBasis = "working"
    hour: CalendarBasis = "working"
    day: CalendarBasis = "working"
    x24_hours: CalendarBasis = "calendar"
    month: CalendarBasis = "calendar"

    @classmethod
    def from_mapping(cls, data: dict[str, Any] | None) -> Conventions:
        """Build from a model file's ``conventions:`` mapping (unknown keys are errors upstream)."""
        return cls(**(data or {}))


@dataclass(frozen=True)
class Waktu:
    """A parsed Mutu Baku time standard.

    ``max``/``min`` are the upper and lower bounds (either may be None); ``per`` names the
    unit the bounds scale by ("WBS", "E-ID") or None; ``deadline_day`` is a day of the
    month the step must be done by ("pada tanggal 25 setiap bulannya") or None.
    """

    raw: str | None
    max: Bound | None = None
    min: Bound | None = None
    per: str | None = None
    deadline_day: int | None = None

    @property
    def is_empty(self) -> bool:
        """True when the document gives no time standard for the step."""
        return self.max is None and self.min is None and self.deadline_day is None

    def to_json(self) -> dict[str, Any]:
        """``{raw, max, min, per, deadline_day}`` as documented for ``sop list --json``."""
        return {
            "raw": self.raw,
            "max": self.max.to_json() if self.max else None,
            "min": self.min.to_json() if self.min else None,
            "per": self.per,
            "deadline_day": self.deadline_day,
        }


@dataclass(frozen=True)
class Step:
    """One row of the activity table, in document order."""

    id: str
    no: str | None
    name: str
    lane: str
    lane_source: LaneSource
    waktu: Waktu
    kelengkapan: tuple[str, ...] = ()
    output: str | None = None
    keterangan: str | None = None
    lane_marks: dict[str, str] = field(default_factory=dict)
    scope: StepScope = "case"
    kind: str = "task"

    def to_json(self) -> dict[str, Any]:
        """The step as a JSON-ready dict (the ``sop list --json`` shape)."""
        return {
            "id": self.id,
            "no": self.no,
            "name": self.name,
            "lane": self.lane,
            "lane_source": self.lane_source,
            "scope": self.scope,
            "kind": self.kind,
            "kelengkapan": list(self.kelengkapan),
            "output": self.output,
            "keterangan": self.keterangan,
            "waktu": self.waktu.to_json(),
        }


@dataclass(frozen=True)
class ServiceStandard:
    """Case-level Standar Pelayanan: end-to-end time, cost, requirements, schedule."""

    waktu: Waktu | None = None
    biaya: str | None = None
    persyaratan: tuple[str, ...] = ()
    schedule: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "waktu": self.waktu.to_json() if self.waktu else None,
            "biaya": self.biaya,
            "persyaratan": list(self.persyaratan),
            "schedule": list(self.schedule),
        }


@dataclass(frozen=True)
class SopModel:
    """A whole SOP: identity, lanes, steps, flow, service standard and notes."""

    id: str
    title: str
    agency: str
    region: str
    timezone: str
    sop_number: str | None
    revision: str | None
    created: date | None
    revised: date | None
    effective: date | None
    approved_by: str | None
    source: str
    legal_basis: tuple[str, ...]
    lanes: tuple[str, ...]
    steps: tuple[Step, ...]
    flow: Any  # sop_models.flow.Node; typed loosely to keep this module free of flow imports
    path: str
    sha256: str
    conventions: Conventions = Conventions()
    service_standard: ServiceStandard | None = None
    per_units: dict[str, str] = field(default_factory=dict)
    four_eyes: tuple[tuple[str, str], ...] = ()
    related: tuple[str, ...] = ()
    equipment: tuple[str, ...] = ()
    qualifications: tuple[str, ...] = ()
    warning: str | None = None
    record_keeping: str | None = None
    organisation: tuple[str, ...] = ()
    calendar_overrides: tuple[str, ...] = ()  # regional holiday files in analytics/calendars/
    notes: tuple[str, ...] = ()
    # PNML text of a reference net that is not block-structured (imported BPMN/PNML); its
    # visible labels are step ids. When set, the net is the model and ``flow`` only lists
    # the case steps (see sop_models/README.md, "Reference nets").
    reference_net: str | None = None
    # the on-time share the agency aims at (0.9: nine in ten cases within Mutu Baku); None: the
    # store's default (event_logs/sql/views.sql, macro on_time_target), or a `pantau target set`
    target_on_time: float | None = None

    @property
    def has_reference_net(self) -> bool:
        """True when the model is a kept Petri net rather than a block-structured flow."""
        return self.reference_net is not None

    def step(self, step_id: str) -> Step:
        """The step with this id (KeyError when absent)."""
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)

    @property
    def step_ids(self) -> tuple[str, ...]:
        """Step ids in document order."""
        return tuple(s.id for s in self.steps)

    @property
    def calendar_id(self) -> str:
        """The working calendar the SOP is judged on: its zone, plus ``+name`` per regional
        override file (``Asia/Jakarta+batam``)."""
        return calendar_id_for(self.timezone, self.calendar_overrides)

    @property
    def case_steps(self) -> tuple[Step, ...]:
        """Steps done once per case (``scope: case``), in document order."""
        return tuple(s for s in self.steps if s.scope == "case")

    def summary_json(self) -> dict[str, Any]:
        """The ``sop list --json`` object for this SOP."""
        return {
            "id": self.id,
            "title": self.title,
            "agency": self.agency,
            "region": self.region,
            "timezone": self.timezone,
            "sop_number": self.sop_number,
            "revision": self.revision,
            "effective": self.effective.isoformat() if self.effective else None,
            "source": self.source,
            "model_file": self.path.rsplit("/", 1)[-1],
            "sha256": self.sha256,
            "legal_basis": list(self.legal_basis),
            "lanes": list(self.lanes),
            "steps": [s.to_json() for s in self.steps],
            "service_standard": self.service_standard.to_json() if self.service_standard else None,
            "notes": list(self.notes),
        }
