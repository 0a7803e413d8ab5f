"""Colours shared by every page: one per lane and agency, and the scales.

Lanes and agencies get a colour from a fixed palette by a stable hash of their name
(sha1, not Python's salted ``hash``; case and spacing ignored), so "BPJS KESEHATAN" has the
same colour on every page, in every session and after every restart; the names in the stored
SOP models are placed by open addressing so that no two of them share a colour. Statuses and
deviation kinds are vocabulary entries: their colours live in the store's ``ref_*`` tables.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

# Distinct on white; none is a status colour (no pure red, green, amber or grey).
LANE_PALETTE: tuple[str, ...] = (
    "#1f77b4", "#9467bd", "#17becf", "#8c564b", "#e377c2", "#bcbd22", "#3949ab", "#00897b",
    "#6d4c41", "#5e35b1", "#0277bd", "#827717", "#7986cb", "#c49c94", "#00acc1", "#ad1457",
    "#aec7e8", "#c5b0d5", "#9edae5", "#dbdb8d",
)
AGENCY_PALETTE: tuple[str, ...] = (
    "#1d3557", "#2a9d8f", "#8e44ad", "#b5838d", "#457b9d", "#9c6644", "#3d405b", "#5f0f40",
)

# Fixed meanings for what is not a vocabulary entry (step statuses, open-case statuses and
# deviation kinds take their colours from the store's ref_* tables, see dashboard.catalog).
GOOD, WARN, BAD, WORST = "#2e7d32", "#f9a825", "#d32f2f", "#7f0000"
SOP_PATH_COLOR = GOOD
OTHER_PATH_COLOR = "#90a4ae"
WAITING_OPACITY = 0.45
UNKNOWN_COLOR = "#9e9e9e"
TARGET_COLOR = "#455a64"          # the on-time target line
OPEN_PATH_COLOR = "#64b5f6"       # a variant of cases still running (judged so far)
# a share against its target on tables: met, missed (light fills, dark text stays readable)
MEETS_TARGET_FILL, BELOW_TARGET_FILL = "#c8e6c9", "#ffcdd2"


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


def lane_color(lane: str | None, known: dict[str, str] | None = None) -> str:
    """The colour of a lane (Pelaksana), the same on every page; grey when unknown.

    ``known`` gives the lanes of the stored models distinct colours (:func:`assign_colors`,
    built once per store by :mod:`dashboard.catalog`); any other lane its hash slot.
    """
    if not lane:
        return UNKNOWN_COLOR
    return (known or {}).get(_key(lane)) or LANE_PALETTE[_stable_index(lane, len(LANE_PALETTE))]


def agency_color(agency: str | None, known: dict[str, str] | None = None) -> str:
    """The colour of an agency, the same on every page; grey when unknown."""
    if not agency:
        return UNKNOWN_COLOR
    return (known or {}).get(_key(agency)) or AGENCY_PALETTE[_stable_index(agency, len(AGENCY_PALETTE))]


def sop_color(sop_id: str | None, known: dict[str, str] | None = None) -> str:
    """The colour of an SOP, for rows per agency and SOP (two SOPs of one agency differ);
    ``known`` gives the stored SOPs distinct colours (:func:`assign_colors`)."""
    if not sop_id:
        return UNKNOWN_COLOR
    return (known or {}).get(_key(sop_id)) or AGENCY_PALETTE[_stable_index(sop_id, len(AGENCY_PALETTE))]


def rate_color(rate: float | None) -> str:
    """Green -> amber -> red for a breach rate in [0, 1] (process map arcs and nodes)."""
    if rate is None or rate != rate:  # NaN
        return UNKNOWN_COLOR
    if rate < 0.05:
        return GOOD
    if rate < 0.15:
        return WARN
    if rate < 0.30:
        return BAD
    return WORST


def plotly_separators(lang: str) -> str:
    """Plotly's ``layout.separators`` (decimal then thousands) for the language."""
    return ",." if lang == "id" else ".,"
