"""SOP documents as rows of cells: extracted text, Word (.docx) and PDF, read alike.

The importer reads a document as the tab-separated text that table extraction gives (one
table row per line, one cell per tab; paragraphs outside tables are one-cell lines). A
Word or PDF document is turned into the same rows, so it yields the same draft:

- **merged cells**: a cell's text is at its top-left grid position, the positions it
  covers are empty (a horizontal span leaves empty cells after it, a vertical one empty
  cells below it), as extraction tools print them. A vertical merge over activity rows
  (one Waktu for three steps) is noted, because its text then belongs to the first row.
- **multi-line cells**: a cell's paragraphs and line breaks are joined with ``<br>``,
  which the cleaner reads as a space and the heading reader as a line break (the text of
  a cell is HTML-escaped first, so a literal ``<`` stays text).
- Word: body paragraphs and tables in document order; a tab typed in a body paragraph
  separates cells (heading fields aligned with tab stops), a line break starts a new row;
  text boxes, headers and footers are not read. Body text is HTML-escaped like cells.
- PDF (pdfplumber): per page, ruled tables and the text lines outside them, top to bottom.
  Lines of one paragraph are joined when the line before reaches the right margin (it
  wrapped); a wide gap between words separates cells; page numbers at the top or bottom
  of a page are dropped; empty space of about 1.5 lines or more reads as blank rows. A
  scanned PDF has no text layer: that is an error with a hint.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pantau.errors import SopModelError
from sop_models.importer.text import Row, read_document, split_rows

SUFFIXES = (".txt", ".docx", ".pdf")
BREAK = "<br>"
_PAGE_NUMBER = re.compile(r"^\s*(?:(?:halaman|hal\.?|page)\s*)?-?\s*\d{1,4}\s*-?\s*(?:(?:dari|of|/)\s*\d{1,4})?\s*$",
                          re.IGNORECASE)


def read_rows(path: Path) -> tuple[list[Row], list[str]]:
    """The document's rows of cells and notes on how it was read, by the file's suffix.

    ``.docx`` is read with python-docx, ``.pdf`` with pdfplumber, anything else as
    extracted text (UTF-8, else cp1252). Raises :class:`SopModelError` naming the file.
    """
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return _docx_rows(path)
    if suffix == ".pdf":
        return _pdf_rows(path)
    if suffix in (".doc", ".odt", ".rtf"):
        raise SopModelError(f"{suffix} documents are not read", file=str(path),
                            hint="save the document as .docx (Word) or .pdf and import that file")
    text, note = read_document(path)
    return split_rows(text), [note] if note else []


def _cell_text(lines: list[str]) -> str:
    """One cell from its lines: each HTML-escaped, joined with <br>, tabs as spaces."""
    parts = [html.escape(line.replace("\t", " "), quote=False).strip() for line in lines]
    return BREAK.join(p for p in parts if p)


# --- Word -------------------------------------------------------------------------------------
def _docx_rows(path: Path) -> tuple[list[Row], list[str]]:
    try:
        import docx
        from docx.oxml.ns import qn
        from docx.text.paragraph import Paragraph

        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises zip, XML and KeyError variants
        raise SopModelError(f"cannot read the Word document: {exc}", file=str(path),
                            hint="open it in Word or LibreOffice and save it again as .docx") from exc
    rows: list[Row] = []
    notes: list[str] = []
    tables = 0

    def paragraph_lines(p: Any) -> list[str]:
        return Paragraph(p, document).text.split("\n")

    def walk(container: Any) -> None:
        nonlocal tables
        for child in container.iterchildren():
            if child.tag == qn("w:p"):
                rows.extend([html.escape(cell, quote=False) for cell in line.split("\t")]
                            for line in paragraph_lines(child))
            elif child.tag == qn("w:tbl"):
                tables += 1
                rows.extend(_docx_table(child, tables, qn, paragraph_lines, notes))
            elif child.tag == qn("w:sdt"):  # content controls hold paragraphs and tables
                for content in child.iterchildren(qn("w:sdtContent")):
                    walk(content)

    walk(document.element.body)
    if not any(any(c.strip() for c in row) for row in rows):
        raise SopModelError("the Word document has no text", file=str(path))
    return rows, notes


def _docx_table(tbl: Any, number: int, qn: Any, lines_of: Any, notes: list[str]) -> list[Row]:
    """Rows of one Word table on its grid, merged cells as documented in the module."""
    out: list[Row] = []
    open_merges: dict[int, int] = {}  # grid column -> row where its vertical merge began
    for r, tr in enumerate(tbl.iterchildren(qn("w:tr"))):
        row: Row = []
        props = tr.find(qn("w:trPr"))
        before = props.find(qn("w:gridBefore")) if props is not None else None
        row += [""] * (int(before.get(qn("w:val"), "0")) if before is not None else 0)
        for tc in tr.iterchildren(qn("w:tc")):
            tc_pr = tc.find(qn("w:tcPr"))
            span_el = tc_pr.find(qn("w:gridSpan")) if tc_pr is not None else None
            span = int(span_el.get(qn("w:val"), "1")) if span_el is not None else 1
            merge = tc_pr.find(qn("w:vMerge")) if tc_pr is not None else None
            column = len(row)
            if merge is not None and merge.get(qn("w:val"), "continue") == "continue":
                row += [""] * span
                continue
            text = _cell_text([line for p in tc.iter(qn("w:p")) for line in lines_of(p)])
            if merge is not None:
                open_merges[column] = r
            else:
                _close_merge(open_merges, column, r, number, notes)
            row += [text] + [""] * (span - 1)
        out.append(row)
    for column in list(open_merges):
        _close_merge(open_merges, column, len(out), number, notes)
    return out


def _close_merge(open_merges: dict[int, int], column: int, row: int, table: int, notes: list[str]) -> None:
    began = open_merges.pop(column, None)
    # the two header rows of an activity table merge No/Kegiatan by design: not worth a note
    if began is not None and began >= 2 and row - began > 1:
        notes.append(f"Word table {table}: the cell in column {column + 1} spans rows {began + 1}-{row}; "
                     f"its text is read in row {began + 1} only")


# --- PDF --------------------------------------------------------------------------------------
def _pdf_rows(path: Path) -> tuple[list[Row], list[str]]:
    try:
        import pdfplumber

        pdf = pdfplumber.open(str(path))
    except Exception as exc:  # pdfminer raises many kinds on a broken file
        raise SopModelError(f"cannot read the PDF: {exc}", file=str(path)) from exc
    blocks: list[_Block] = []
    with pdf:
        for number, page in enumerate(pdf.pages):
            blocks += _pdf_page(page.dedupe_chars(), number)
    rows: list[Row] = []
    previous: _Block | None = None
    for block in blocks:
        if previous is not None:
            if _continues(previous, block):
                rows[-1][-1] += " " + block.rows[0][0]
                rows[-1].extend(block.rows[0][1:])
                previous = block
                continue
            rows.extend([[""]] * _blank_rows(previous, block))
        rows.extend(block.rows)
        previous = block
    if not any(any(c.strip() for c in row) for row in rows):
        raise SopModelError("the PDF has no text layer (a scan?)", file=str(path),
                            hint="run OCR on it first, or import the Word document it was made from")
    return rows, []


@dataclass
class _Block:
    """A table or one text line of a page, with its place (PDF points, top down)."""

    page: int
    top: float
    bottom: float
    kind: str  # "table" | "line"
    rows: list[Row]
    x0: float = 0.0
    x1: float = 0.0
    right_margin: float = 0.0
    first_word: float = 0.0  # width of the line's first word


def _pdf_page(page: Any, number: int) -> list[_Block]:
    found = page.find_tables()
    boxes = [t.bbox for t in found]

    def outside(obj: dict[str, Any]) -> bool:
        mid_x, mid_y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= mid_x <= x1 and top <= mid_y <= bottom for x0, top, x1, bottom in boxes)

    lines = [ln for ln in page.filter(outside).extract_text_lines(return_chars=True)
             if not _is_page_number(ln, page.height)]
    left = min([ln["x0"] for ln in lines] + [b[0] for b in boxes] + [page.width / 2])
    right_margin = page.width - left  # margins are taken as symmetric
    blocks = [_Block(number, t.bbox[1], t.bbox[3], "table",
                     [[_cell_text((c or "").split("\n")) for c in r] for r in t.extract()])
              for t in found]
    blocks += [_Block(number, ln["top"], ln["bottom"], "line", [_line_cells(ln)], ln["x0"], ln["x1"],
                      right_margin, _first_word_width(ln)) for ln in lines]
    blocks.sort(key=lambda b: b.top)
    return blocks


def _blank_rows(before: _Block, block: _Block) -> int:
    """Blank rows between two blocks: one around a table and at a page break (a table
    continued on the next page is still one table: the reader goes on past one blank row),
    and between text lines one per about 1.5 line heights of empty space (an empty
    paragraph), none for normal spacing."""
    if before.page != block.page or "table" in (before.kind, block.kind):
        return 1
    gap = block.top - before.bottom
    return max(1, int(gap / (1.5 * _height(before)))) if gap > 0.9 * _height(before) else 0


def _continues(before: _Block, block: _Block) -> bool:
    """``block`` is the next line of the paragraph ``before`` ends: the first word of
    ``block`` would not have fitted after ``before`` (so the line wrapped there), it starts
    where ``before`` started, and no more than a line's space lies between them."""
    if before.kind != "line" or block.kind != "line" or before.page != block.page:
        return False
    size = _height(before)
    no_room = before.x1 + 0.3 * size + block.first_word > before.right_margin - size
    return no_room and abs(block.x0 - before.x0) < 3 * size and block.top - before.bottom <= 0.9 * size


def _first_word_width(line: dict[str, Any]) -> float:
    """Width of the first word: up to the first space character or gap (PDFs often have none)."""
    chars = list(line.get("chars", []))
    size = max(line["bottom"] - line["top"], 1.0)
    for i, c in enumerate(chars):
        if not c["text"].strip() or (i and c["x0"] - chars[i - 1]["x1"] > 0.15 * size):
            return chars[i - 1]["x1"] - chars[0]["x0"] if i else 0.0
    return chars[-1]["x1"] - chars[0]["x0"] if chars else 0.0


def _height(block: _Block) -> float:
    return max(block.bottom - block.top, 1.0)
def _line_cells(line: dict[str, Any]) -> Row:
    """A text line's cells: a gap wider than three character heights separates two."""
    chars = [c for c in line.get("chars", []) if c["text"].strip()]
    if not chars:
        return [html.escape(line["text"], quote=False)]
    size = max(line["bottom"] - line["top"], 1.0)
    cells, current, last_x1 = [], "", None
    for c in chars:
        if last_x1 is not None and c["x0"] - last_x1 > 3 * size:
            cells.append(current)
            current = ""
        elif last_x1 is not None and c["x0"] - last_x1 > 0.15 * size:
            current += " "
        current += c["text"]
        last_x1 = c["x1"]
    cells.append(current)
    return [html.escape(cell, quote=False) for cell in cells]


def _is_page_number(line: dict[str, Any], height: float) -> bool:
    near_edge = line["top"] < 0.08 * height or line["bottom"] > 0.92 * height
    return near_edge and bool(_PAGE_NUMBER.match(line["text"]))
