"""The Standar Pelayanan table some SOP documents append (end-to-end time, cost, requirements).

Header cells are found by keyword: "Standar Waktu" (the case-level time), a description of
the time frame ("Deskripsi Jangka Waktu Layanan": the schedule), "Biaya" (not its
"Rincian"/"Deskripsi") and "Persyaratan". The first numbered row is the service; the
unnumbered rows under it continue its schedule and requirement lists.
"""

from __future__ import annotations

import re
from typing import Any

from sop_models.importer.text import Row, cell_at, cells, is_blank, split_items

_WAKTU = re.compile(r"^(?:standar\s+)?waktu(?:\s+(?:layanan|pelayanan|penyelesaian))?$", re.IGNORECASE)
_SCHEDULE = re.compile(r"(?:deskripsi|dekripsi|uraian|rincian).*waktu|jadwal|prosedur", re.IGNORECASE)
_BIAYA = re.compile(r"biaya|tarif", re.IGNORECASE)
_NOT_BIAYA = re.compile(r"rincian|deskripsi|dekripsi", re.IGNORECASE)
_PERSYARATAN = re.compile(r"persyaratan", re.IGNORECASE)


def _columns(row: Row) -> dict[str, int] | None:
    found = cells(row)
    cols: dict[str, int] = {}
    for c, text in found:
        if _PERSYARATAN.search(text):
            cols.setdefault("persyaratan", c)
        elif _SCHEDULE.search(text):
            cols.setdefault("schedule", c)
        elif _WAKTU.search(text):
            cols.setdefault("waktu", c)
        elif _BIAYA.search(text) and not _NOT_BIAYA.search(text):
            cols.setdefault("biaya", c)
        elif re.match(r"^no\.?$", text, re.IGNORECASE):
            cols.setdefault("no", c)
    if "persyaratan" in cols and ("waktu" in cols or "biaya" in cols):
        return cols
    return None


def read_service_standard(rows: list[Row], skip: range) -> tuple[dict[str, Any] | None, list[str]]:
    """``{waktu, biaya, persyaratan, schedule}`` from the first Standar Pelayanan table.

    ``skip`` is the activity table's line range (its Persyaratan-like headers are not this).
    """
    notes: list[str] = []
    for i, row in enumerate(rows):
        if i in skip or (cols := _columns(row)) is None:
            continue
        std: dict[str, Any] = {"waktu": None, "biaya": None, "persyaratan": [], "schedule": []}
        seen_service = False
        for j in range(i + 1, len(rows)):
            if is_blank(rows[j]) or len(cells(rows[j])) == 0:
                break
            data = rows[j]
            numbered = bool(cell_at(data, cols.get("no")))
            if numbered and seen_service:
                notes.append(f"line {j + 1}: Standar Pelayanan lists more than one service; kept the first")
                break
            seen_service = seen_service or numbered
            for key in ("waktu", "biaya"):
                if std[key] is None and (value := cell_at(data, cols.get(key))):
                    std[key] = value
            for key in ("persyaratan", "schedule"):
                std[key].extend(split_items(cell_at(data, cols.get(key))))
        if any(std.values()):
            return std, notes
    return None, notes
