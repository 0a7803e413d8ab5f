"""What the pages know about SOPs and vocabularies, read from the store only.

The result tables hold ids (``s03``, ``batam-dinkes-integrasi-jkn``, ``breach``); pages show
what the SOP document calls them and what the vocabularies say, in the model version the
results were computed with: :class:`Catalog` is built from the store's ``models``,
``model_steps``, ``model_lanes`` and ``ref_*`` tables (``queries.store.catalog_*``). Every
stored version is kept by its sha256; :meth:`Catalog.shown` picks, per SOP, the version of
its latest analysis run (else the confirmed version in force today), so a page never shows
one version's results with another's labels or standards. Pure: no Streamlit, no SQL here.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import textwrap
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from dashboard import theme
from pantau.units import DEFAULT_TIMEZONE

_ACRONYM = re.compile(r"\b(jkn|kis|bpjs|wbs|rs|uhc|pbi|dki|pbpu|bp|e-id|nik|kk)\b", re.IGNORECASE)
_AGENCY_WORDS = {
    "Dinas Kesehatan": "Dinkes", "Dinas Sosial": "Dinsos", "Sekretariat Daerah": "Setda",
    "Kabupaten": "Kab.", "Provinsi": "Prov.",
}


@functools.lru_cache(maxsize=4096)
def shorten(text: str, width: int) -> str:
    """``text`` shortened to ``width`` characters at a word, ending in `` …``; remembered, since
    the pages label the same few steps and SOPs on every row of a table."""
    return textwrap.shorten(text, width, placeholder=" …")


def agency_short(agency: str | None) -> str:
    """``Dinas Kesehatan Kota Batam`` -> ``Dinkes Kota Batam``."""
    if not agency:
        return "–"
    for long, short in _AGENCY_WORDS.items():
        agency = agency.replace(long, short)
    return agency


def _none(value: Any) -> Any:
    """NULL as None (pandas gives NaN, NaT or None); timestamps of DATE columns as dates."""
    if value is None or (not isinstance(value, list | tuple | dict) and pd.api.types.is_scalar(value)
                         and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


@dataclass(frozen=True)
class StepInfo:
    """One step of a model version (a ``model_steps`` row)."""

    step_id: str
    step_no: int
    printed_no: str | None
    name: str
    lane: str
    scope: str
    kind: str | None
    waktu_raw: str | None
    std_unit: str
    std_calendar: str
    max_value: float | None
    max_unit: str | None
    max_calendar: str | None
    min_value: float | None
    min_unit: str | None
    min_calendar: str | None
    per_unit: str | None
    deadline_day: int | None
    kelengkapan: tuple[str, ...]
    output: str | None
    on_main_path: bool


@dataclass(frozen=True)
class ModelInfo:
    """One model version (a ``models`` row), its lanes and steps in document order."""

    model_sha256: str
    sop_id: str
    title: str
    agency: str
    region: str | None
    timezone: str
    sop_number: str | None
    revision: str | None
    effective: Any
    source: str | None
    calendar_id: str
    day_minutes: float | None
    service_std_value: float | None
    service_std_unit: str | None
    service_std_calendar: str | None
    status: str
    origin: str
    lanes: tuple[str, ...]
    steps: tuple[StepInfo, ...]

    def step(self, step_id: str | None) -> StepInfo | None:
        """The step with this id, or None."""
        return next((s for s in self.steps if s.step_id == step_id), None)

    @property
    def case_steps(self) -> tuple[StepInfo, ...]:
        """Steps done once per case, in document order."""
        return tuple(s for s in self.steps if s.scope == "case")

    @property
    def program_steps(self) -> tuple[StepInfo, ...]:
        """Steps done once per programme period (not per case): in the table, not the flow."""
        return tuple(s for s in self.steps if s.scope != "case")

    @property
    def program_lanes(self) -> tuple[str, ...]:
        """Lanes holding only programme steps: drawn empty beside the case flow."""
        used = {s.lane for s in self.case_steps}
        return tuple(lane for lane in self.lanes if lane not in used and any(s.lane == lane for s in self.program_steps))


@dataclass(frozen=True)
class Catalog:
    """Every stored model version, which one each SOP is shown in, and the vocabularies."""

    versions: dict[str, ModelInfo]
    shown_sha: dict[str, str]                       # sop_id -> model_sha256
    vocab: dict[str, dict[str, dict[str, Any]]]     # vocabulary -> key -> row
    lane_colors: dict[str, str] = field(default_factory=dict)
    agency_colors: dict[str, str] = field(default_factory=dict)
    sop_colors: dict[str, str] = field(default_factory=dict)
    sop_tags: dict[str, str] = field(default_factory=dict)        # sop_id -> short unique name

    # --- models -------------------------------------------------------------------------
    def shown(self, sop_id: str | None) -> ModelInfo | None:
        """The version the pages show ``sop_id`` in (see the module docstring), or None."""
        sha = self.shown_sha.get(sop_id or "")
        return self.versions.get(sha) if sha else None

    def version(self, model_sha256: str | None, sop_id: str | None = None) -> ModelInfo | None:
        """A version by its sha256 (a case's own), else the SOP's shown one."""
        return self.versions.get(model_sha256 or "") or self.shown(sop_id)

    @property
    def sop_ids(self) -> list[str]:
        """Every SOP with a version to show, sorted."""
        return sorted(self.shown_sha)

    def sop_title(self, sop_id: str | None, width: int = 60) -> str:
        """The SOP's title in sentence case, shortened: ``Integrasi peserta JKN ...``."""
        m = self.shown(sop_id)
        if m is None:
            return sop_id or "–"
        title = " ".join(m.title.split())
        if title.isupper():
            title = _ACRONYM.sub(lambda x: x.group(0).upper(), title.capitalize())
        return shorten(title, width)

    def sop_choice(self, sop_id: str, width: int = 50) -> str:
        """What an SOP picker shows: the agency and the title (ids mean nothing to a head)."""
        m = self.shown(sop_id)
        if m is None:
            return sop_id
        return f"{agency_short(m.agency)} · {self.sop_title(sop_id, width)}"

    def sop_tag(self, sop_id: str | None) -> str:
        """A short name that tells the SOP apart from every other shown SOP: the place and the
        first words of the title (``Batam · Integrasi peserta`` / ``Batam · Jaminan
        pembiayaan``), for labels that carry a step of one of several SOPs."""
        m = self.shown(sop_id)
        if m is None:
            return sop_id or "–"
        return self.sop_tags.get(m.sop_id) or self.sop_title(sop_id, 24)

    def timezone(self, sop_id: str | None) -> str:
        """The SOP's zone (its pages show local time); :data:`~pantau.units.DEFAULT_TIMEZONE`
        when unknown."""
        m = self.shown(sop_id)
        return m.timezone if m else DEFAULT_TIMEZONE

    def day_minutes(self, sop_id: str | None) -> float | None:
        """Working minutes in one working day of the SOP's calendar (its office hours)."""
        m = self.shown(sop_id)
        return m.day_minutes if m else None

    def step_name(self, sop_id: str | None, step_id: str | None, width: int = 48,
                  model_sha256: str | None = None) -> str:
        """The step's Kegiatan text, shortened; the id itself when unknown."""
        m = self.version(model_sha256, sop_id)
        step = m.step(step_id) if m else None
        if step is None:
            return step_id or "–"
        return shorten(step.name, width)

    def step_label(self, sop_id: str | None, step_id: str | None, width: int = 48,
                   model_sha256: str | None = None) -> str:
        """``Langkah 3 · Mengarahkan pemohon …`` (the printed number when there is one, else
        the id, so labels stay unique within an SOP)."""
        if not step_id:
            return "–"
        m = self.version(model_sha256, sop_id)
        step = m.step(step_id) if m else None
        if step is None:
            return step_id
        return f"{step.printed_no or step.step_id} · {self.step_name(sop_id, step_id, width, model_sha256)}"

    def is_step(self, sop_id: str | None, item: str | None, model_sha256: str | None = None) -> bool:
        """True when ``item`` is a step id of the SOP's version (not an unmapped label)."""
        m = self.version(model_sha256, sop_id)
        return bool(m and m.step(item))

    def main_path(self, sop_id: str | None) -> list[str]:
        """The SOP's main path (first branch of each choice), case steps only, in order."""
        m = self.shown(sop_id)
        return [s.step_id for s in m.steps if s.on_main_path and s.scope == "case"] if m else []

    def case_steps(self, sop_id: str | None, model_sha256: str | None = None) -> list[str]:
        """Every case-scope step of the SOP, in document order."""
        m = self.version(model_sha256, sop_id)
        return [s.step_id for s in m.case_steps] if m else []

    def step_calendar(self, sop_id: str | None, step_id: str | None) -> str | None:
        """``working``/``calendar`` of the step's upper bound."""
        m = self.shown(sop_id)
        step = m.step(step_id) if m else None
        return step.max_calendar if step else None

    # --- vocabularies ----------------------------------------------------------------------
    def label(self, vocabulary: str, key: str | None, lang: str) -> str:
        """A vocabulary entry's label (``step_status``, ``open_status``, ``deviation_kinds``,
        ``alignment_status``) in the language; the key itself when unknown."""
        row = self.vocab.get(vocabulary, {}).get(key or "")
        if row is None:
            return key or "–"
        return str(row["label_en" if lang == "en" else "label_id"])

    def description(self, vocabulary: str, key: str | None, lang: str) -> str:
        """A vocabulary entry's one-line description in the language."""
        row = self.vocab.get(vocabulary, {}).get(key or "")
        return "" if row is None else str(row["description_en" if lang == "en" else "description_id"])

    def color(self, vocabulary: str, key: str | None) -> str:
        """A vocabulary entry's colour; grey when unknown."""
        row = self.vocab.get(vocabulary, {}).get(key or "")
        return str(row["color"]) if row is not None and row.get("color") else theme.UNKNOWN_COLOR

    def keys(self, vocabulary: str, flag: str | None = None) -> list[str]:
        """A vocabulary's keys in its order (``sort``/``precedence``), optionally only those
        whose boolean column ``flag`` is true (``keys('step_status', 'is_violation')``)."""
        rows = self.vocab.get(vocabulary, {})
        order = sorted(rows, key=lambda k: (rows[k].get("sort") or rows[k].get("precedence") or 0, k))
        return [k for k in order if flag is None or bool(rows[k].get(flag))]

    def lane_color(self, lane: str | None) -> str:
        """The colour of a lane, the same on every page (:func:`dashboard.theme.lane_color`)."""
        return theme.lane_color(lane, self.lane_colors)

    def agency_color(self, agency: str | None) -> str:
        """The colour of an agency, the same on every page."""
        return theme.agency_color(agency, self.agency_colors)

    def sop_color(self, sop_id: str | None) -> str:
        """The colour of an SOP (rows per agency and SOP): two SOPs of one agency differ."""
        return theme.sop_color(sop_id, self.sop_colors)


_PLACE_WORDS = ("Kota ", "Kabupaten ", "Provinsi ")


def _place(m: ModelInfo) -> str:
    place = m.region or agency_short(m.agency)
    for word in _PLACE_WORDS:
        place = place.replace(word, "")
    return place.strip()


def _sop_tags(cat: Catalog) -> dict[str, str]:
    """sop_id -> ``place · first words of the title``, as many words as make it unique."""
    words = {s: cat.sop_title(s, 200).replace(" …", "").split() for s in cat.sop_ids}
    places = {s: _place(cat.shown(s)) for s in cat.sop_ids}
    tags: dict[str, str] = {}
    for s in cat.sop_ids:
        for n in range(2, max(len(words[s]), 2) + 1):
            tag = f"{places[s]} · {' '.join(words[s][:n])}"
            rivals = [o for o in cat.sop_ids if o != s and places[o] == places[s]
                      and words[o][:n] == words[s][:n]]
            if not rivals:
                break
        tags[s] = tag if words[s] else f"{places[s]} · {s}"
    return tags


def build(models: pd.DataFrame, steps: pd.DataFrame, lanes: pd.DataFrame,
          vocabularies: pd.DataFrame) -> Catalog:
    """A :class:`Catalog` from the ``catalog_*`` query frames (see :mod:`dashboard.queries.store`)."""
    steps_of: dict[str, list[StepInfo]] = {}
    for r in steps.sort_values(["model_sha256", "step_no"]).to_dict("records"):
        steps_of.setdefault(r["model_sha256"], []).append(StepInfo(
            step_id=r["step_id"], step_no=int(r["step_no"]), printed_no=_none(r["printed_no"]),
            name=r["name"], lane=r["lane"], scope=r["scope"], kind=_none(r["kind"]),
            waktu_raw=_none(r["waktu_raw"]), std_unit=r["std_unit"], std_calendar=r["std_calendar"],
            max_value=_none(r["max_value"]), max_unit=_none(r["max_unit"]),
            max_calendar=_none(r["max_calendar"]), min_value=_none(r["min_value"]),
            min_unit=_none(r["min_unit"]), min_calendar=_none(r["min_calendar"]),
            per_unit=_none(r["per_unit"]),
            deadline_day=None if _none(r["deadline_day"]) is None else int(r["deadline_day"]),
            kelengkapan=tuple(r["kelengkapan"]) if r["kelengkapan"] is not None else (),
            output=_none(r["output"]), on_main_path=bool(r["on_main_path"])))
    lanes_of: dict[str, list[str]] = {}
    for r in lanes.sort_values(["model_sha256", "lane_no"]).to_dict("records"):
        lanes_of.setdefault(r["model_sha256"], []).append(r["lane"])
    versions: dict[str, ModelInfo] = {}
    shown: dict[str, str] = {}
    for r in models.to_dict("records"):
        sha = r["model_sha256"]
        versions[sha] = ModelInfo(
            model_sha256=sha, sop_id=r["sop_id"], title=r["title"], agency=r["agency"],
            region=_none(r["region"]), timezone=r["timezone"], sop_number=_none(r["sop_number"]),
            revision=_none(r["revision"]), effective=_none(r["effective"]), source=_none(r["source"]),
            calendar_id=r["calendar_id"], day_minutes=_none(r["day_minutes"]),
            service_std_value=_none(r["service_std_value"]), service_std_unit=_none(r["service_std_unit"]),
            service_std_calendar=_none(r["service_std_calendar"]), status=r["status"],
            origin=r["origin"], lanes=tuple(lanes_of.get(sha, ())), steps=tuple(steps_of.get(sha, ())))
        if r["shown"]:
            shown[r["sop_id"]] = sha
    vocab: dict[str, dict[str, dict[str, Any]]] = {}
    for r in vocabularies.to_dict("records"):
        vocab.setdefault(r["vocabulary"], {})[r["key"]] = {k: _none(v) for k, v in r.items()}
    all_lanes = {lane for m in versions.values() for lane in (*m.lanes, *(s.lane for s in m.steps))}
    cat = Catalog(versions, shown, vocab,
                  lane_colors=theme.assign_colors(all_lanes, theme.LANE_PALETTE),
                  agency_colors=theme.assign_colors({m.agency for m in versions.values()},
                                                    theme.AGENCY_PALETTE),
                  sop_colors=theme.assign_colors(set(shown), theme.AGENCY_PALETTE))
    return dataclasses.replace(cat, sop_tags=_sop_tags(cat))
