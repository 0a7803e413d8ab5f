"""Colours shared by every page: one per lane, agency, status and deviation kind.

Lanes and agencies get a colour from a fixed palette by a stable hash of their name
(sha1, not Python's salted ``hash``; case and spacing ignored), so "BPJS KESEHATAN" has the
same colour on every page, in every session and after every restart; the names in the bundled
SOP models are placed by open addressing so that no two of them share a colour. Statuses have fixed meanings: ok green, breach red,
deadline_missed dark red, too_fast amber, no_standard grey.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import lru_cache

# Distinct on white; none is a status colour (no pure red, green, amber or grey).
LANE_PALETTE: tuple[str, ...] = (
    "#1f77b4", "#9467bd", "#17becf", "#8c564b", "#e377c2", "#bcbd22", "#3949ab", "#00897b",
    "#6d4c41", "#5e35b1", "#0277bd", "#827717", "#7986cb", "#c49c94", "#00acc1", "#ad1457",
    "#aec7e8", "#c5b0d5", "#9edae5", "#dbdb8d",
)
AGENCY_PALETTE: tuple[str, ...] = (
    "#1d3557", "#2a9d8f", "#8e44ad", "#b5838d", "#457b9d", "#9c6644", "#3d405b", "#5f0f40",
)

STATUS_COLORS: dict[str, str] = {
    "ok": "#2e7d32",
    "breach": "#d32f2f",
    "deadline_missed": "#7f0000",
    "too_fast": "#f9a825",
    "no_standard": "#9e9e9e",
}
# Open cases: late is a breach already, at risk is a warning.
OPEN_STATUS_COLORS: dict[str, str] = {
    "late": STATUS_COLORS["breach"],
    "at_risk": STATUS_COLORS["too_fast"],
    "on_track": STATUS_COLORS["ok"],
    "no_standard": STATUS_COLORS["no_standard"],
}
DEVIATION_COLORS: dict[str, str] = {
    "skipped_step": "#c62828",
    "extra_activity": "#ef6c00",
    "wrong_order": "#6a1b9a",
    "rework": "#1565c0",
    "unmapped_activity": "#5d4037",
    "both_branches": "#00838f",
    "missing_kelengkapan": "#ad1457",
    "same_person": "#558b2f",
}
SOP_PATH_COLOR = STATUS_COLORS["ok"]
OTHER_PATH_COLOR = "#90a4ae"
WAITING_OPACITY = 0.45
UNKNOWN_COLOR = "#9e9e9e"


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _stable_index(name: str, size: int) -> int:
    digest = hashlib.sha1(_key(name).encode("utf-8")).hexdigest()
    return int(digest, 16) % size


def assign_colors(names: Iterable[str], palette: tuple[str, ...]) -> dict[str, str]:
    """Give each name the palette slot its hash points at, or the next free one (open
    addressing, names in sorted order): stable for a given set of names and, while the palette
    is large enough, two names never share a colour. Keys are normalised (case, spaces)."""
    colours: dict[str, str] = {}
    used: set[int] = set()
    for key in sorted({_key(n) for n in names if n}):
        start = _stable_index(key, len(palette))
        slot = next((j for k in range(len(palette)) if (j := (start + k) % len(palette)) not in used), start)
        used.add(slot)
        colours[key] = palette[slot]
    return colours


@lru_cache(maxsize=1)
def _known() -> tuple[dict[str, str], dict[str, str]]:
    # every lane and agency of the bundled SOP models: they never collide with each other
    from sop_models import load_all

    models = load_all()
    lanes = {lane for m in models for lane in (*m.lanes, *(s.lane for s in m.steps))}
    return assign_colors(lanes, LANE_PALETTE), assign_colors({m.agency for m in models}, AGENCY_PALETTE)


def lane_color(lane: str | None) -> str:
    """The colour of a lane (Pelaksana), the same on every page; grey when unknown.

    Lanes of the bundled SOP models get distinct colours; any other lane name its hash slot.
    """
    if not lane:
        return UNKNOWN_COLOR
    return _known()[0].get(_key(lane)) or LANE_PALETTE[_stable_index(lane, len(LANE_PALETTE))]


def agency_color(agency: str | None) -> str:
    """The colour of an agency, the same on every page; grey when unknown."""
    if not agency:
        return UNKNOWN_COLOR
    return _known()[1].get(_key(agency)) or AGENCY_PALETTE[_stable_index(agency, len(AGENCY_PALETTE))]


def status_color(status: str | None) -> str:
    """The colour of a Mutu Baku status (step) or an open-case status."""
    if status in STATUS_COLORS:
        return STATUS_COLORS[status]
    return OPEN_STATUS_COLORS.get(status or "", UNKNOWN_COLOR)


def deviation_color(kind: str | None) -> str:
    """The colour of a deviation kind."""
    return DEVIATION_COLORS.get(kind or "", UNKNOWN_COLOR)


def rate_color(rate: float | None) -> str:
    """Green -> amber -> red for a breach rate in [0, 1] (process map arcs and nodes)."""
    if rate is None or rate != rate:  # NaN
        return UNKNOWN_COLOR
    if rate < 0.05:
        return STATUS_COLORS["ok"]
    if rate < 0.15:
        return STATUS_COLORS["too_fast"]
    if rate < 0.30:
        return STATUS_COLORS["breach"]
    return STATUS_COLORS["deadline_missed"]


def plotly_separators(lang: str) -> str:
    """Plotly's ``layout.separators`` (decimal then thousands) for the language."""
    return ",." if lang == "id" else ".,"
