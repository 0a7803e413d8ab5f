"""Which lane (Pelaksana column) does a row: the printed symbol, else a guess from the text.

The symbols that mark the acting lane were mostly lost in extraction, so most lanes are
inferred. The guess is a draft for a human to curate (``lane_source: inferred``), in order:

1. a box/hexagon/circle symbol printed in exactly one lane cell ("↓ □ ↓") -> "printed";
2. a lane named at the start of the Kegiatan ("Resepsionis memberi …"), or right after
   "maka" ("Jika …, maka Petugas Layanan akan …");
3. an approval verb ("persetujuan pimpinan", "penandatanganan") -> the head's lane
   (Kepala …, Pimpinan, Sekretaris …) when there is one;
4. hand-over: the lane the previous row sent something to ("… kepada Dinas Sosial") does
   this row, unless this row says it comes *from* that lane ("Menerima … dari BPJS");
5. the first lane.

Lane names match case-insensitively and with small typos ("Pantu Sosial" = "PANTI SOSIAL");
a lane printed as "A/ B" matches either part.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

SHAPES = set("□■▢▣▤▥▦▧▨▩▭▮▯◻◼◽◾○●◯◎◉◇◆◈⬡⬢⬣⬭⬬▱▰⏢⏥△▲▽▼")
_FUZZY_MIN = 88.0
_APPROVAL = re.compile(
    r"persetujuan\s+pimpinan|\bpimpinan\b|menandatangani|penandatanganan|mengesahkan|pengesahan|disposisi",
    re.IGNORECASE,
)
_HEAD_LANE = re.compile(
    r"\b(?:kepala|pimpinan|kadis|kaban|sekretaris|direktur|camat|lurah|wali\s*kota|bupati|gubernur)\b",
    re.IGNORECASE,
)
_RECIPIENT = re.compile(r"\b(?:ke|kepada)\s+", re.IGNORECASE)
_THEN = re.compile(r"\bmaka\s+", re.IGNORECASE)


def aliases(lane: str) -> list[str]:
    """Lower-case names a lane answers to: the whole name and each "/"-separated part."""
    names = [lane.lower().strip()]
    if "/" in lane:
        names += [p.strip().lower() for p in lane.split("/") if len(p.strip()) >= 3]
    return names


def lane_at(text: str, pos: int, lanes: list[str]) -> str | None:
    """The lane whose name starts ``text`` at ``pos`` (exact, else a close typo), or None."""
    low = text.lower()
    best, best_score = None, 0.0
    for lane in lanes:
        for name in aliases(lane):
            end = pos + len(name)
            candidate = low[pos:end]
            if end < len(low) and low[end].isalnum():
                continue  # "Dinas Sosialisasi" is not "Dinas Sosial"
            score = 100.0 if candidate == name else fuzz.ratio(name, candidate)
            if len(name) < 6 and score < 100:
                continue  # short names only match exactly
            if score >= _FUZZY_MIN and (score, len(name)) > (best_score, len(best or "")):
                best, best_score = lane, score
    return best


def printed_lane(marks: dict[str, str]) -> str | None:
    """The lane whose cell holds an activity symbol, when exactly one does."""
    marked = [lane for lane, mark in marks.items() if SHAPES & set(mark)]
    return marked[0] if len(marked) == 1 else None


def _recipient(text: str, lanes: list[str]) -> str | None:
    """The last lane the text sends something to ("… ke BPJS Kesehatan")."""
    found = None
    for m in _RECIPIENT.finditer(text):
        found = lane_at(text, m.end(), lanes) or found
    return found


def _named_as_source(text: str, lane: str, lanes: list[str]) -> bool:
    for m in re.finditer(r"\b(?:dari|oleh)\s+", text, re.IGNORECASE):
        if lane_at(text, m.end(), lanes) == lane:
            return True
    return False


def infer_lane(name: str, lanes: list[str], previous: str | None) -> str:
    """Guess the acting lane of a row from its Kegiatan text (see the module docstring)."""
    if lane := lane_at(name, 0, lanes):
        return lane
    for m in _THEN.finditer(name):
        if lane := lane_at(name, m.end(), lanes):
            return lane
    if _APPROVAL.search(name):
        heads = [lane for lane in lanes if _HEAD_LANE.search(lane)]
        if heads:
            return heads[0]
    if previous:
        lane = _recipient(previous, lanes)
        if lane and not _named_as_source(name, lane, lanes):
            return lane
    return lanes[0]


def is_lane_heading(name: str, lanes: list[str]) -> bool:
    """True when a row's Kegiatan is only a lane name ("DISDUKCAPIL"): a section heading."""
    text = name.strip(" :.").lower()
    return any(text == alias for lane in lanes for alias in aliases(lane))
