"""Draft a SOP model file from a SOP document (``pantau sop import FILE``).

Input: a Word (.docx) or PDF document, or the tab-separated text that table extraction
gives (one table row per line); all three are read into the same rows of cells
(:mod:`sop_models.importer.documents`), so a document and its text give the same draft.
Output: a mapping in the model-file format (see :mod:`sop_models.loader`) that a human
then curates: lanes are mostly guessed (``lane_source: inferred``), and ``notes`` lists
what the importer noticed.

    from sop_models.importer import draft_model, draft_yaml
    data = draft_model("sop_models/sources/000_41f6d9e0ae68eb16.txt")
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from pantau.errors import SopModelError
from sop_models.importer.documents import read_rows
from sop_models.importer.heading import (
    DATE_FIELDS,
    first_field_line,
    read_heading,
    region_and_agency,
    timezone_for,
)
from sop_models.importer.proposals import comment_proposals, propose
from sop_models.importer.sections import TEXT_SECTIONS, read_sections
from sop_models.importer.standard import read_service_standard
from sop_models.importer.table import Table, find_header, read_table
from sop_models.importer.text import Row, parse_date, slugify, split_rows

__all__ = ["draft_from_rows", "draft_from_text", "draft_model", "draft_yaml", "render_yaml"]

_NO_TABLE_HINT = (
    "the activity table needs a header row with NO, KEGIATAN (or URAIAN KEGIATAN) and "
    "PELAKSANA cells, followed by a row naming the lanes (Pelaksana) then KELENGKAPAN, WAKTU, "
    "OUTPUT; cells separated by tabs, one table row per line"
)
_YAML_BANNER = """\
# DRAFT SOP model imported from {source} by `pantau sop import`. Curate before use:
# - check every step's lane (lane_source: inferred = guessed from the Kegiatan text),
# - check the flow: rows are in sequence except where a proposal (# USULAN) made a
#   loop, a choice or an optional block from the text; add what the text does not say,
# - read the notes, then move the file to sop_models/models/.
"""


def draft_model(path: str | Path) -> dict[str, Any]:
    """Read a SOP document (.docx, .pdf, or extracted text) and draft its model-file mapping.

    Dispatches on the suffix (:func:`sop_models.importer.documents.read_rows`). Raises
    :class:`SopModelError` naming the file when it cannot be read or holds no recognisable
    activity table. A text file that is not UTF-8 is decoded as cp1252.
    """
    path = Path(path)
    rows, read_notes = read_rows(path)
    data = draft_from_rows(rows, source=path.name, file=str(path))
    data["notes"][:0] = read_notes
    return data


def draft_yaml(path: str | Path) -> str:
    """The draft of :func:`draft_model` as a readable YAML model file with a banner comment."""
    return render_yaml(draft_model(path))


def render_yaml(data: dict[str, Any]) -> str:
    """A drafted mapping as model-file YAML (document order, readable Unicode, banner first),
    with a ``# USULAN`` comment above each change a proposal made."""
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return _YAML_BANNER.format(source=data["source"]) + comment_proposals(body, data.get("proposals") or [])


def draft_from_text(text: str, *, source: str, file: str | None = None) -> dict[str, Any]:
    """Draft the model mapping from the document's text (pure; ``source`` names the file)."""
    return draft_from_rows(split_rows(text), source=source, file=file)


def draft_from_rows(rows: list[Row], *, source: str, file: str | None = None) -> dict[str, Any]:
    """Draft the model mapping from the document's rows of cells (pure)."""
    header = find_header(rows)
    if header is None:
        raise SopModelError(
            "no activity table found (no header row with NO / KEGIATAN / PELAKSANA "
            "followed by lanes and KELENGKAPAN / WAKTU)",
            file=file or source,
            hint=_NO_TABLE_HINT,
        )
    table = read_table(rows, header)
    if not table.steps:
        raise SopModelError(
            f"the activity table (line {header.line + 1}) has no step rows",
            file=file or source,
            hint="step rows follow the two header rows, one per line, with the Kegiatan text in "
            f"column {header.kegiatan_col + 1} and the same tab-separated columns as the header",
        )
    boxes_start = first_field_line(rows, header.line)  # the boxes follow the heading fields
    sections = read_sections(rows, boxes_start or 0, header.line)
    head = read_heading(rows, sections.first_line if sections.first_line is not None else header.line)
    skip = range(header.line, table.end)
    service_standard, std_notes = read_service_standard(rows, skip)

    fields = head.fields
    region, agency = region_and_agency(head)
    title = fields.get("title")
    timezone, tz_known = timezone_for(region, *head.organisation, fields.get("approved_by"), title)
    notes = [*head.notes, *sections.notes, *table.notes, *std_notes]
    notes += _missing_notes(title, region, agency, tz_known, timezone)
    steps = _number_steps(table)
    notes += _step_notes(steps)

    data: dict[str, Any] = {
        "id": slugify(" ".join(x for x in (region, agency, title or Path(source).stem) if x)),
        "title": title or Path(source).stem,
        "agency": agency or "TODO",
        "region": region or "TODO",
        "timezone": timezone,
        "sop_number": fields.get("sop_number"),
        "revision": fields.get("revision"),
        **{key: parse_date(fields.get(key)) for key in DATE_FIELDS},
        "approved_by": fields.get("approved_by"),
        "source": source,
        "legal_basis": sections.items("legal_basis"),
        "related": sections.items("related"),
        "equipment": sections.items("equipment"),
        "qualifications": sections.items("qualifications"),
        **{key: sections.text(key) for key in TEXT_SECTIONS},
        "organisation": head.organisation,
        "lanes": table.header.lane_names,
        "steps": steps,
        "flow": [s["id"] for s in steps],
    }
    if service_standard:
        data["service_standard"] = service_standard
    propose(data)
    if data["proposals"]:
        notes.append(f"{len(data['proposals'])} proposal(s) for what a plain table does not show (decisions, "
                     "loops, choices, program scope, per-unit Waktu, deadlines): see 'proposals' and the "
                     "'# USULAN' comments; accept or undo each, then delete the list")
    data["notes"] = notes
    return data


def _number_steps(table: Table) -> list[dict[str, Any]]:
    digits = max(2, len(str(len(table.steps))))
    for n, step in enumerate(table.steps, start=1):
        step["id"] = f"s{n:0{digits}d}"
    return table.steps


def _missing_notes(
    title: str | None, region: str | None, agency: str | None, tz_known: bool, timezone: str
) -> list[str]:
    notes = []
    if not title:
        notes.append("no Judul/Nama SOP found: title taken from the file name")
    if not region:
        notes.append("region not found (no 'PEMERINTAH KOTA/KABUPATEN/PROVINSI …' line): fill it in")
    if not agency:
        notes.append("agency not found: fill it in")
    if not tz_known:
        notes.append(f"timezone {timezone} assumed (no place of the small timezone lookup is named): check it")
    return notes


def _step_notes(steps: list[dict[str, Any]]) -> list[str]:
    notes = []
    unnumbered = [s["id"] for s in steps if s["no"] is None]
    if unnumbered:
        notes.append(f"rows without a printed number (no: null): {', '.join(unnumbered)}")
    printed = [s["no"] for s in steps if s["no"] is not None]
    numbers = [int(n) for n in printed if n.isdigit()]
    if numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
        order = ", ".join(s["no"] or "-" for s in steps)
        notes.append(f"printed numbers out of order ({order}): kept document order")
    inferred = [s["id"] for s in steps if s["lane_source"] == "inferred"]
    if inferred:
        notes.append(f"lane guessed from the Kegiatan text for {len(inferred)} step(s): check them")
    no_waktu = [s["id"] for s in steps if s["waktu"] is None]
    if no_waktu:
        notes.append(f"no Waktu printed for {', '.join(no_waktu)}")
    return notes
