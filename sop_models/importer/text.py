"""Text helpers for the SOP importer: reading, cell cleaning, list splitting, dates, slugs.

All pure functions except :func:`read_document`. The input is the tab-separated text that
.docx/.pdf table extraction produces: one table row per line, one cell per tab.
"""

from __future__ import annotations

import html
import re
import unicodedata
from pathlib import Path

from pantau.errors import SopModelError

Row = list[str]

_TAG = re.compile(r"<[^>]*>")
_BREAK_TAG = re.compile(r"<\s*(?:br|/p|p|li|/li)\b[^>]*>", re.IGNORECASE)
_PAIRED_STAR = re.compile(r"(?<!\*)\*(\S(?:[^*]*?\S)?)\*(?!\*)")
_SPACES = re.compile(r"\s+")
# Binary signatures of the formats people are likely to pass by mistake (docx/xlsx are zips).
_BINARY_MAGIC = {b"PK\x03\x04": ".docx/.xlsx (zip)", b"%PDF": ".pdf", b"\xd0\xcf\x11\xe0": ".doc (OLE)"}


def read_document(path: Path) -> tuple[str, str | None]:
    """The document's text and, when it was not UTF-8, a note saying how it was decoded.

    Extraction tools on Windows often write cp1252; falling back to it keeps an import
    working instead of failing on one accented character.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SopModelError(f"cannot read the SOP document: {exc.strerror}", file=str(path)) from exc
    for magic, kind in _BINARY_MAGIC.items():
        if data.startswith(magic):
            raise SopModelError(
                f"this is a binary {kind} file, not extracted text",
                file=str(path),
                hint="give a Word document the suffix .docx and a PDF .pdf (both are read), "
                "or extract the tables as tab-separated text (one table row per line)",
            )
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        # cp1252 leaves five byte values undefined; replace them rather than refuse the file.
        return data.decode("cp1252", errors="replace"), "file is not UTF-8: decoded as cp1252"


def split_rows(text: str) -> list[Row]:
    """One list of raw cells per line."""
    return [line.split("\t") for line in text.splitlines()]


def clean(cell: str | None) -> str:
    """A cell as plain text: no HTML tags or entities, no ** / *x* emphasis, one space runs."""
    if not cell:
        return ""
    text = _BREAK_TAG.sub(" ", cell)
    text = _TAG.sub("", text)
    text = html.unescape(text)
    text = text.replace("**", "")
    text = _PAIRED_STAR.sub(r"\1", text)
    # \s covers NBSP, narrow NBSP and the other Unicode spaces extraction tools emit.
    return _SPACES.sub(" ", text).strip()


def html_paragraphs(cell: str) -> list[str]:
    """The ``<p>…</p>`` / ``<br>``-separated fragments of a cell, cleaned, empties dropped."""
    parts = _BREAK_TAG.split(cell)
    return [c for c in (clean(p) for p in parts) if c]


def cells(row: Row) -> list[tuple[int, str]]:
    """The non-empty cells of a row as ``(index, cleaned text)``."""
    out = []
    for i, raw in enumerate(row):
        text = clean(raw)
        if text:
            out.append((i, text))
    return out


def is_blank(row: Row) -> bool:
    """True when every cell of the row is empty after cleaning."""
    return not any(clean(c) for c in row)


def cell_at(row: Row, index: int | None) -> str:
    """The cleaned cell at ``index`` ('' when the row is shorter or index is None)."""
    if index is None or index >= len(row):
        return ""
    return clean(row[index])


# --- enumerations --------------------------------------------------------------------------
_NUM_START = re.compile(r"^(\d{1,2})[.)]\s*")
_LETTER_START = re.compile(r"^([A-Za-z])[.)]\s+")
_DASH_START = re.compile(r"^[-•·▪]\s+")
_DASH_SPLIT = re.compile(r"\s[-•·▪]\s+")


def _strip_item(text: str) -> str:
    return text.strip().rstrip(";,.").strip()


def _sequential(text: str, first: str, pattern: str) -> list[str]:
    """Split ``text`` at the markers first, first+1, ... found in order (``pattern`` % marker)."""
    pieces: list[str] = []
    pos, marker = 0, first
    while True:
        nxt = chr(ord(marker) + 1) if marker.isalpha() else str(int(marker) + 1)
        found = re.compile(pattern % re.escape(nxt)).search(text, pos)
        if not found:
            pieces.append(text[pos:])
            return pieces
        pieces.append(text[pos : found.start()])
        pos, marker = found.end(), nxt


def split_items(text: str) -> list[str]:
    """Split a printed enumeration ("1. X 2. Y", "A. X; B. Y", "- X - Y") into items.

    Markers must come in sequence (1 then 2 then 3...), so numbers inside an item
    ("Nomor 64 Tahun 2020", "000.8.3.3") do not split it; markers glued to the previous
    word ("pelayanan2. Memiliki", as PDF extraction leaves them) still do.
    """
    text = clean(text)
    if not text:
        return []
    if m := _NUM_START.match(text):
        pieces = _sequential(text[m.end() :], m.group(1), r"(?<!\d)%s[.)](?=\s)")
    elif m := _LETTER_START.match(text):
        pieces = _sequential(text[m.end() :], m.group(1), r"(?<!\w)%s[.)]\s")
    elif _DASH_START.match(text):
        pieces = _DASH_SPLIT.split(_DASH_START.sub("", text))
    else:
        pieces = [text]
    return [p for p in (_strip_item(x) for x in pieces) if p]


# --- dates ---------------------------------------------------------------------------------
_MONTHS = {
    "januari": 1, "jan": 1, "februari": 2, "pebruari": 2, "feb": 2, "peb": 2, "maret": 3,
    "mar": 3, "april": 4, "apr": 4, "mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7,
    "agustus": 8, "agu": 8, "agt": 8, "agus": 8, "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "november": 11, "nov": 11, "nopember": 11, "desember": 12,
    "des": 12,
}
_DATE_WORDS = re.compile(r"(\d{1,2})\s+([A-Za-z]+)\.?\s+(\d{4})")
_DATE_NUMERIC = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")
_DATE_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def parse_date(text: str | None) -> str | None:
    """An Indonesian printed date ("21 Februari 2019", "03-03-2023") as ISO, else None."""
    if not text:
        return None
    from datetime import date

    y = mo = d = None
    if m := _DATE_WORDS.search(text):
        month = _MONTHS.get(m.group(2).lower())
        if month:
            d, mo, y = int(m.group(1)), month, int(m.group(3))
    elif m := _DATE_ISO.search(text):
        y, mo, d = (int(g) for g in m.groups())
    elif m := _DATE_NUMERIC.search(text):
        d, mo, y = (int(g) for g in m.groups())
    if y is None or mo is None or d is None:
        return None
    try:
        return date(y, mo, d).isoformat()
    except ValueError:
        return None


# --- names ---------------------------------------------------------------------------------
_ACRONYMS = {
    "DKI", "DIY", "NTB", "NTT", "BPJS", "JKN", "KIS", "UHC", "RSUD", "UPT", "UPTD", "PP",
    "SOP", "WBS", "ATK", "PTSP", "DPMPTSP", "BKPSDM", "BPKAD", "BAPPEDA", "OPD", "SKPD",
}
_STOPWORDS = {"yang", "oleh", "bagi", "di", "dan", "dari", "ke", "untuk", "dengan", "pada", "atas", "the"}


def title_case(text: str) -> str:
    """ "KOTA BATAM" -> "Kota Batam", keeping known acronyms ("DKI", "BPJS") upper case."""
    words = []
    for word in text.split():
        bare = word.strip("(),.;:")
        if bare.upper() in _ACRONYMS:
            words.append(word.upper())
        else:
            words.append("-".join(w.capitalize() for w in word.lower().split("-")))
    return " ".join(words)


def slugify(text: str, max_len: int = 72) -> str:
    """A lowercase ASCII id from ``text``: filler words dropped, cut at a word boundary."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = [w for w in re.split(r"[^a-z0-9]+", ascii_text.lower()) if w and w not in _STOPWORDS]
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_len and slug:
            break
        slug = candidate
    return slug[:max_len].strip("-") or "sop"
