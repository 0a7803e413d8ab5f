"""The paired boxes between the heading and the activity table (Permenpan-RB 35/2012 layout).

Three rows of two boxes each, always in this order::

    Dasar Hukum   | Kualifikasi Pelaksana
    Keterkaitan   | Peralatan/Perlengkapan
    Peringatan    | Pencatatan dan Pendataan

Layouts seen: label cells in their own columns with items below (numbered in a cell of
their own or inline), both labels in one cell ("DASAR HUKUM : KUALIFIKASI PELAKSANAAN :")
with ``<ol>`` lists below, and OCR-garbled labels ("KUADRI BERKAITAN") that only their
position identifies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sop_models.importer.text import Row, cells, clean, split_items

SECTION_KEYS = ("legal_basis", "qualifications", "related", "equipment", "warning", "record_keeping")
_CANONICAL = (("legal_basis", "qualifications"), ("related", "equipment"), ("warning", "record_keeping"))
_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("legal_basis", r"dasar\s+hukum"),
    ("qualifications", r"kualifikasi"),
    ("related", r"keterkaitan|terkait|berkaitan"),
    ("equipment", r"peralatan|perlengkapan"),
    ("warning", r"peringatan"),
    ("record_keeping", r"pencatatan|pendataan"),
)
_ANY_KEYWORD = re.compile("|".join(f"(?:{p})" for _, p in _KEYWORDS), re.IGNORECASE)
# Sections whose content is one paragraph in the model, not a list.
TEXT_SECTIONS = ("warning", "record_keeping")
_SEPARATOR = re.compile(r"^[-–—_]+$")
_KEEPING_SENTENCE = re.compile(
    r"(?<=[.;])\s+(?=[^.;]*\b(?:disimpan|diarsipkan|tersimpan|diarsip)\b)", re.IGNORECASE
)


@dataclass
class Sections:
    """Items of each box (raw printed strings, one per table cell) and what was noticed."""

    raw: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in SECTION_KEYS})
    first_line: int | None = None
    notes: list[str] = field(default_factory=list)

    def items(self, key: str) -> list[str]:
        """The box's content split into list items."""
        return [item for text in self.raw[key] for item in split_items(text)]

    def text(self, key: str) -> str | None:
        """The box's content as one paragraph (None when empty)."""
        joined = " ".join(clean(t) for t in self.raw[key]).strip()
        return joined or None


def _keys_in(text: str) -> list[str]:
    """Section keys named in a label cell, in printed order."""
    hits = []
    for key, pattern in _KEYWORDS:
        for m in re.finditer(pattern, text, re.IGNORECASE):
            hits.append((m.start(), key))
    ordered: list[str] = []
    for _, key in sorted(hits):
        if key not in ordered:
            ordered.append(key)
    return ordered


def _is_label_cell(text: str) -> bool:
    """Short, no digits, and either names a box or is all upper case (a garbled label)."""
    if re.search(r"\d", text) or len(text.split()) > 7:
        return False
    letters = [c for c in text if c.isalpha()]
    return bool(_ANY_KEYWORD.search(text)) or (bool(letters) and not any(c.islower() for c in letters))


def label_row(row: Row) -> bool:
    """True when the row is a row of box labels (at least one recognisable)."""
    found = cells(row)
    return bool(found) and all(_is_label_cell(t) for _, t in found) and any(
        _ANY_KEYWORD.search(t) for _, t in found
    )


def read_sections(rows: list[Row], start: int, end: int) -> Sections:
    """Read the boxes in ``rows[start:end]`` (between the heading fields and the table)."""
    out = Sections()
    label_index = -1
    # Column layout of the current box pair: [(first column, key), ...] left to right.
    columns: list[tuple[int, str]] = []
    label_width = 0
    blanks = 0
    for i in range(start, end):
        row = rows[i]
        found = cells(row)
        if not found:
            blanks += 1
            continue
        if label_row(row):
            label_index += 1
            if out.first_line is None:
                out.first_line = i
            columns = _label_columns(found, label_index, out.notes)
            label_width, blanks = len(row), 0
            continue
        if blanks >= 2 or (blanks and len(row) < label_width):
            # Past a gap, a line narrower than the box table is free text (a title, a remark).
            columns = []
        blanks = 0
        if not columns:
            continue
        _add_content(out, found, columns)
    _split_merged_keeping(out)
    return out


def _label_columns(found: list[tuple[int, str]], index: int, notes: list[str]) -> list[tuple[int, str]]:
    columns: list[tuple[int, str]] = []
    for side, (col, text) in enumerate(found):
        keys = _keys_in(text)
        if not keys and index < len(_CANONICAL) and side < 2:
            keys = [_CANONICAL[index][side]]
            notes.append(f"box label {text!r} not recognised: read as {keys[0]} by its position")
        for n, key in enumerate(keys):
            # Several labels in one cell: their content is in this and the following columns.
            columns.append((col + n, key))
    return columns


def _add_content(out: Sections, found: list[tuple[int, str]], columns: list[tuple[int, str]]) -> None:
    """Give each content cell to the box whose label column is the nearest at or left of it.

    A lone item number cell ("1.") joins the text after it, so "1.<TAB>Perpres …" is one
    item; the cells of one box in one row form one printed string (split into items later).
    """
    groups: dict[str, list[str]] = {}
    for col, text in found:
        if _SEPARATOR.match(text):
            continue
        key = columns[0][1]
        for start, k in columns:
            if col >= start:
                key = k
        if text.isdigit() and len(text) <= 2:
            text += "."  # an item number printed in its own cell without a dot
        groups.setdefault(key, []).append(text)
    for key, texts in groups.items():
        out.raw[key].append(" ".join(texts))


def _split_merged_keeping(out: Sections) -> None:
    """Warning and record keeping printed as one paragraph: split at the 'disimpan' sentence."""
    if out.raw["record_keeping"] or not out.raw["warning"]:
        return
    text = " ".join(clean(t) for t in out.raw["warning"])
    parts = _KEEPING_SENTENCE.split(text, maxsplit=1)
    if len(parts) == 2:
        out.raw["warning"], out.raw["record_keeping"] = [parts[0]], [parts[1]]
        out.notes.append("Peringatan and Pencatatan were printed as one paragraph: split at 'disimpan'")
