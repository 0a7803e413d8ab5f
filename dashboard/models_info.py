"""Names for people from the SOP models: step labels, SOP titles, short agency names.

Result tables hold ids (``s03``, ``batam-dinkes-integrasi-jkn``); pages show what the SOP
document calls them. Models are loaded once per process (``sop_models`` caches them).
"""

from __future__ import annotations

import re
import textwrap

from sop_models import SopModel, load_all
from sop_models.flow import happy_path

_ACRONYM = re.compile(r"\b(jkn|kis|bpjs|wbs|rs|uhc|pbi|dki|pbpu|bp)\b", re.IGNORECASE)
_AGENCY_WORDS = {
    "Dinas Kesehatan": "Dinkes", "Dinas Sosial": "Dinsos", "Sekretariat Daerah": "Setda",
    "Kabupaten": "Kab.", "Provinsi": "Prov.",
}


def models() -> dict[str, SopModel]:
    """Every bundled SOP model by id."""
    return {m.id: m for m in load_all()}


def model(sop_id: str | None) -> SopModel | None:
    """The model with this id, or None (results may name an SOP whose file was removed)."""
    return models().get(sop_id or "")


def sop_title(sop_id: str, width: int = 60) -> str:
    """The SOP's title in sentence case, shortened: ``Integrasi peserta JKN ...``."""
    m = model(sop_id)
    if m is None:
        return sop_id
    title = " ".join(m.title.split())
    if title.isupper():
        title = _ACRONYM.sub(lambda x: x.group(0).upper(), title.capitalize())
    return textwrap.shorten(title, width, placeholder=" …")


def agency_short(agency: str | None) -> str:
    """``Dinas Kesehatan Kota Batam`` -> ``Dinkes Kota Batam``."""
    if not agency:
        return "–"
    for long, short in _AGENCY_WORDS.items():
        agency = agency.replace(long, short)
    return agency


def step_name(sop_id: str, step_id: str | None, width: int = 48) -> str:
    """The step's Kegiatan text, shortened; the id itself when unknown."""
    m = model(sop_id)
    if m is None or not step_id:
        return step_id or "–"
    try:
        return textwrap.shorten(m.step(step_id).name, width, placeholder=" …")
    except KeyError:
        return step_id


def step_label(sop_id: str, step_id: str | None, width: int = 48) -> str:
    """``s03 · Mengarahkan pemohon untuk …`` (ids keep labels unique across SOP rows)."""
    if not step_id:
        return "–"
    return f"{step_id} · {step_name(sop_id, step_id, width)}"


def sop_path(sop_id: str) -> list[str]:
    """The SOP's main path (first branch of each choice), case-scope steps only."""
    m = model(sop_id)
    if m is None:
        return []
    return [s for s in happy_path(m.flow) if m.step(s).scope == "case"]


def case_steps(sop_id: str) -> list[str]:
    """Every case-scope step of the SOP, in document order."""
    m = model(sop_id)
    return [s.id for s in m.case_steps] if m else []


def step_calendar(sop_id: str, step_id: str | None) -> str | None:
    """``working``/``calendar`` of the step's upper bound (open cases carry only the unit)."""
    m = model(sop_id)
    if m is None or not step_id:
        return None
    try:
        bound = m.step(step_id).waktu.max
    except KeyError:
        return None
    return bound.calendar if bound else None
