"""The SOP document's identity: heading fields, organisation lines, region, agency, timezone.

Heading fields come in several layouts, all handled by one rule (a cell that starts with a
known label; its value is the rest of that cell after an optional colon, else the next
non-empty cell of the row):

- ``Nomor SOP<TAB>000.8.3.3/069 /VI/2023``           label and value in two cells
- ``<TAB>Nomor SOP : 400.5 / 2018-02 / DINSOS``      label and value in one cell
- ``NOMOR SOP<TAB>:<TAB>NOMOR : B-800/1750/KES/2023`` a colon cell and a repeated "NOMOR :"
- ``<p>PEMERINTAH …</p><TAB>NOMOR SOP<TAB>``          organisation left of the label, no value
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sop_models.importer.text import Row, cells, clean, html_paragraphs, parse_date, title_case

FIELD_LABELS: dict[str, re.Pattern[str]] = {
    "sop_number": re.compile(r"^(?:nomor|no\.?)\s*sop\b", re.IGNORECASE),
    "created": re.compile(r"^(?:tanggal|tgl\.?)\s*pembuatan\b", re.IGNORECASE),
    "revision": re.compile(r"^(?:(?:nomor|no\.?)\s*revisi|revisi\s*ke)\b", re.IGNORECASE),
    "revised": re.compile(r"^(?:tanggal|tgl\.?)\s*revisi\b", re.IGNORECASE),
    "effective": re.compile(r"^(?:tanggal|tgl\.?)\s*efektif\b", re.IGNORECASE),
    "approved_by": re.compile(r"^disahkan\s*oleh\b", re.IGNORECASE),
    "title": re.compile(r"^(?:judul|nama)\s*sop\b", re.IGNORECASE),
}
DATE_FIELDS = ("created", "revised", "effective")
# Fields whose value may wrap onto the next line when the label's own cell is empty.
_WRAPPING = ("approved_by", "title")
_REPEATED_NOMOR = re.compile(r"^(?:nomor|no\.?)\s*:\s*", re.IGNORECASE)
_UNIT_WORDS = ("DINAS", "BADAN", "KANTOR", "BIDANG", "SEKSI", "UPT", "UPTD", "BIRO", "INSPEKTORAT")


@dataclass
class Heading:
    """What the heading block says; ``fields`` holds the raw printed values."""

    fields: dict[str, str | None] = field(default_factory=dict)
    organisation: list[str] = field(default_factory=list)
    first_line: int | None = None
    notes: list[str] = field(default_factory=list)


def _match_label(text: str) -> tuple[str, str] | None:
    for key, pattern in FIELD_LABELS.items():
        if m := pattern.match(text):
            return key, text[m.end() :].lstrip(" :").strip()
    return None


def _is_label_row(row: Row) -> bool:
    return any(_match_label(text) for _, text in cells(row))


def read_heading(rows: list[Row], end: int) -> Heading:
    """Heading fields and organisation lines found in ``rows[:end]`` (first value wins)."""
    head = Heading()
    for i in range(end):
        row = rows[i]
        found = [(j, text) for j, text in cells(row) if _match_label(text)]
        if not found:
            continue
        if head.first_line is None:
            head.first_line = i
        for pos, (j, text) in enumerate(found):
            key, value = _match_label(text) or ("", "")
            if not value:
                # The value sits in the next cells of the row, up to the next label.
                stop = found[pos + 1][0] if pos + 1 < len(found) else len(row)
                after = [t for k, t in cells(row) if j < k < stop and t.strip(" :")]
                value = " ".join(after).lstrip(" :").strip()
            if not value and key in _WRAPPING:
                value = _continuation(rows, i + 1, end)
            if key == "sop_number":
                value = _REPEATED_NOMOR.sub("", value)
            head.fields.setdefault(key, value or None)
        # Text left of the first label in a heading row is the organisation box (DKI layout).
        for j, raw in enumerate(row):
            if j < found[0][0] and clean(raw):
                head.organisation.extend(html_paragraphs(raw))
    if not head.organisation and head.first_line is not None:
        head.organisation = _organisation_block(rows, head.first_line)
    head.organisation = _repair_units(head.organisation)
    for key in DATE_FIELDS:
        printed = head.fields.get(key)
        if printed and parse_date(printed) is None:
            head.notes.append(f"{key}: cannot read the date {printed!r}; left empty")
    return head


def _continuation(rows: list[Row], start: int, end: int) -> str:
    """The next line's text when it is a lone unlabelled cell (a wrapped value)."""
    if start >= end:
        return ""
    found = cells(rows[start])
    if len(found) == 1 and not _match_label(found[0][1]):
        return found[0][1]
    return ""


def _organisation_block(rows: list[Row], first_field: int) -> list[str]:
    """The upper-case one-cell lines just above the heading fields (blank lines skipped)."""
    i = first_field - 1
    while i >= 0 and not cells(rows[i]):
        i -= 1
    block: list[str] = []
    while i >= 0:
        found = cells(rows[i])
        if len(found) != 1:
            break
        text = found[0][1]
        letters = [c for c in text if c.isalpha()]
        if not letters or any(c.islower() for c in letters):
            break
        block.insert(0, text)
        i -= 1
    return block


def _repair_units(lines: list[str]) -> list[str]:
    """Move a unit word that PDF wrapping left at a line's end ("… BANYUASIN DINAS") down."""
    out = list(lines)
    for i in range(len(out) - 1):
        head, _, last = out[i].rpartition(" ")
        if head and last.upper() in _UNIT_WORDS:
            out[i], out[i + 1] = head, f"{last} {out[i + 1]}"
    return out


# --- region, agency, timezone --------------------------------------------------------------
_REGION = re.compile(r"\b((?:kota|kabupaten|kab\.|provinsi)\s+[a-z .]+?)\s*(?:,|$)", re.IGNORECASE)
_AGENCY_IN_TEXT = re.compile(
    r"\b((?:dinas|badan|kantor|sekretariat|inspektorat)\b[a-z ]*?)\s+(?:kota|kabupaten|provinsi)\b",
    re.IGNORECASE,
)
_WITA = (
    "kalimantan selatan", "kalimantan timur", "kalimantan utara", "banjarbaru", "banjarmasin",
    "banjar", "tanah laut", "tanah bumbu", "kotabaru", "tabalong", "balikpapan", "samarinda",
    "bontang", "tarakan", "sulawesi", "makassar", "manado", "palu", "kendari", "gorontalo",
    "mamuju", "bali", "denpasar", "nusa tenggara", "mataram", "kupang", "bima",
)
_WIB = (
    "aceh", "sumatera", "sumatra", "medan", "riau", "kepulauan riau", "batam", "tanjungpinang",
    "jambi", "bengkulu", "palembang", "musi banyuasin", "lampung", "bangka", "belitung",
    "jakarta", "banten", "tangerang", "jawa", "bandung", "bekasi", "bogor", "depok",
    "semarang", "yogyakarta", "diy", "surabaya", "malang", "kalimantan barat", "pontianak",
    "kalimantan tengah", "palangka raya",
)
_WIT = ("papua", "jayapura", "maluku", "ambon", "ternate", "sorong", "merauke", "manokwari", "tual")


def _shorten_region(text: str) -> str:
    text = re.sub(r"daerah\s+khusus\s+ibu\s*kota", "DKI", text, flags=re.IGNORECASE)
    text = re.sub(r"daerah\s+istimewa\s+yogyakarta", "DIY", text, flags=re.IGNORECASE)
    return title_case(text.strip(" ,.")).replace("Kab. ", "Kabupaten ")


def region_and_agency(head: Heading) -> tuple[str | None, str | None]:
    """The region ("Kota Batam") and agency ("Dinas Kesehatan"), None when not printed.

    Organisation lines first ("PEMERINTAH KOTA BATAM" then the next line), then the
    approver's title ("Kepala Dinas Kesehatan Kota Batam").
    """
    region = agency = None
    org = head.organisation
    for i, line in enumerate(org):
        if m := re.match(r"pemerintah\s+(.+)", line, re.IGNORECASE):
            region = _shorten_region(m.group(1))
            if i + 1 < len(org):
                agency = title_case(org[i + 1])
            break
    approver = head.fields.get("approved_by") or ""
    if region is None:
        for text in [*org, approver]:
            if m := _REGION.search(text):
                region = _shorten_region(m.group(1))
                break
    if agency is None:
        if m := _AGENCY_IN_TEXT.search(approver):
            agency = title_case(m.group(1))
        elif org:
            agency = title_case(org[-1] if region is None else org[0])
    return region, agency


def timezone_for(*texts: str | None) -> tuple[str, bool]:
    """The IANA zone of the first text that names a place of the small lookup, and True;
    ("Asia/Jakarta", False) when none does (WIB is then a guess worth a note).

    Texts are tried in order (region first), so a title that mentions another
    province does not outvote the region.
    """
    zones = (("Asia/Jayapura", _WIT), ("Asia/Makassar", _WITA), ("Asia/Jakarta", _WIB))
    for text in texts:
        low = (text or "").lower()
        for zone, places in zones:
            if any(re.search(rf"\b{place}\b", low) for place in places):
                return zone, True
    return "Asia/Jakarta", False


def first_field_line(rows: list[Row], end: int) -> int | None:
    """Index of the first heading-field row before ``end`` (used to bound other sections)."""
    return next((i for i in range(end) if _is_label_row(rows[i])), None)
