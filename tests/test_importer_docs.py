"""Word and PDF SOP documents give the same draft as their extracted text.

The fixtures in tests/fixtures/sop_docs/ are written from the five seed texts by the
committed script make_docs.py (merged header cells, one enumeration item per line in
cells, tables running over pages); the reference is the draft of the text itself.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from pantau.errors import SopModelError
from sop_models.importer import draft_model, draft_yaml
from sop_models.importer.documents import read_rows
from sop_models.loader import SOURCES_DIR

DOCS = Path(__file__).parent / "fixtures" / "sop_docs"
SEEDS = ("000", "001", "002", "003", "004")


def _text_draft(prefix: str) -> dict:
    (path,) = SOURCES_DIR.glob(f"{prefix}_*.txt")
    data = draft_model(path)
    data.pop("source")
    return data


def _without_line_numbers(data: dict) -> dict:
    # a PDF has no text lines to count: notes that cite text line numbers differ only there
    return {**data, "notes": [re.sub(r"\blines? [\d, ]+", "line N", n) for n in data["notes"]]}


@pytest.mark.parametrize("prefix", SEEDS)
def test_docx_draft_equals_text_draft(prefix) -> None:
    data = draft_model(DOCS / f"{prefix}.docx")
    assert data.pop("source") == f"{prefix}.docx"
    assert data == _text_draft(prefix)


@pytest.mark.parametrize("prefix", SEEDS)
def test_pdf_draft_equals_text_draft(prefix) -> None:
    data = draft_model(DOCS / f"{prefix}.pdf")
    assert data.pop("source") == f"{prefix}.pdf"
    assert _without_line_numbers(data) == _without_line_numbers(_text_draft(prefix))


def test_fixtures_have_merged_and_multi_line_cells() -> None:
    xml = zipfile.ZipFile(DOCS / "000.docx").read("word/document.xml").decode("utf-8")
    assert "<w:gridSpan" in xml and "<w:vMerge" in xml
    # Kelengkapan "1. KTP dan KK 2. Surat Keterangan RT/RW ..." is four paragraphs in one cell
    cell = re.search(r"<w:tc>(?:(?!</w:tc>).)*1\. KTP dan KK(?:(?!</w:tc>).)*</w:tc>", xml, re.S)
    assert cell and cell.group(0).count("<w:p>") + cell.group(0).count("<w:p ") == 4
    import pdfplumber

    with pdfplumber.open(DOCS / "004.pdf") as pdf:  # the activity table runs over two pages
        assert len(pdf.pages) == 2 and all(page.find_tables() for page in pdf.pages)


def test_docx_yaml_is_a_draft() -> None:
    text = draft_yaml(DOCS / "001.docx")
    assert text.startswith("# DRAFT") and "001.docx" in text.splitlines()[0]


# --- Word documents made here ------------------------------------------------------------------
def _activity_doc(path: Path, *, merge_waktu: bool = False, tab_heading: bool = False,
                  merge_lanes: bool = False) -> Path:
    import docx

    document = docx.Document()
    document.add_paragraph("PEMERINTAH KOTA AMBON")
    document.add_paragraph("DINAS SOSIAL")
    if tab_heading:
        document.add_paragraph("Nomor SOP\t12/SOP/2024\nJudul SOP\tUJI <DOCX> & CO")
    table = document.add_table(rows=5, cols=7)
    head = ["NO", "KEGIATAN", "PELAKSANA", "", "MUTU BAKU", "", ""]
    lanes = ["", "", "Operator", "Kepala Seksi", "KELENGKAPAN", "WAKTU", "OUTPUT"]
    data = [["1", "Operator menerima berkas", "", "", "KTP", "10 Menit", "Berkas"],
            ["2", "Operator memeriksa berkas <lengkap>", "", "", "Berkas", "", "Berkas"],
            ["3", "Kepala Seksi menandatangani surat", "", "", "Berkas", "", "Surat"]]
    for r, row in enumerate([head, lanes, *data]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    table.cell(0, 2).merge(table.cell(0, 3))
    table.cell(0, 4).merge(table.cell(0, 6))
    for c in (0, 1):
        table.cell(0, c).merge(table.cell(1, c))
    if merge_waktu:  # one Waktu printed for rows 1-3
        table.cell(2, 5).merge(table.cell(4, 5))
    if merge_lanes:  # row 3's two empty lane cells printed as one
        table.cell(4, 2).merge(table.cell(4, 3))
        table.cell(4, 5).text = "1 Hari"
    document.save(str(path))
    return path


def test_vertical_merge_over_activity_rows_is_noted(tmp_path) -> None:
    data = draft_model(_activity_doc(tmp_path / "merged.docx", merge_waktu=True))
    assert [s["waktu"] for s in data["steps"]] == ["10 Menit", None, None]
    assert any("spans rows 3-5" in n and "row 3 only" in n for n in data["notes"]), data["notes"]


def test_horizontal_merge_in_an_activity_row_keeps_the_columns(tmp_path) -> None:
    data = draft_model(_activity_doc(tmp_path / "lanes.docx", merge_lanes=True))
    last = data["steps"][2]
    assert (last["kelengkapan"], last["waktu"], last["output"]) == (["Berkas"], "1 Hari", "Surat")


def test_word_row_indented_by_grid_before_keeps_the_columns(tmp_path) -> None:
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    path = _activity_doc(tmp_path / "indented.docx")
    document = docx.Document(str(path))
    tr = document.tables[0].rows[4]._tr  # the last activity row starts one grid column in
    tr.remove(tr.tc_lst[0])
    tr.insert(0, parse_xml(f'<w:trPr {nsdecls("w")}><w:gridBefore w:val="1"/></w:trPr>'))
    document.save(str(path))
    last = draft_model(path)["steps"][2]
    assert (last["no"], last["name"], last["output"]) == (None, "Kepala Seksi menandatangani surat", "Surat")


def test_word_content_controls_are_read(tmp_path) -> None:
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    path = _activity_doc(tmp_path / "sdt.docx")
    document = docx.Document(str(path))
    tbl = document.tables[0]._tbl  # templates often put the activity table in a content control
    sdt = parse_xml(f"<w:sdt {nsdecls('w')}><w:sdtPr/><w:sdtContent/></w:sdt>")
    tbl.addprevious(sdt)
    sdt[1].append(tbl)
    document.save(str(path))
    assert len(draft_model(path)["steps"]) == 3


def test_word_tabs_split_cells_and_literal_brackets_stay_text(tmp_path) -> None:
    path = _activity_doc(tmp_path / "tabs.docx", tab_heading=True)
    rows, _ = read_rows(path)
    assert ["Nomor SOP", "12/SOP/2024"] in rows and ["Judul SOP", "UJI &lt;DOCX&gt; &amp; CO"] in rows
    data = draft_model(path)
    assert (data["sop_number"], data["title"]) == ("12/SOP/2024", "UJI <DOCX> & CO")
    assert data["steps"][1]["name"] == "Operator memeriksa berkas <lengkap>"
    assert not any("spans rows" in n for n in data["notes"])  # the header's own merges are normal
    assert [s["lane"] for s in data["steps"]] == ["Operator", "Operator", "Kepala Seksi"]


def test_pdf_page_numbers_are_dropped(tmp_path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    path = tmp_path / "numbers.pdf"
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.drawString(72, 760, "PEMERINTAH KOTA AMBON")
    pdf.drawString(72, 740, "DINAS SOSIAL")
    pdf.drawString(290, 30, "Halaman 1 dari 2")
    pdf.showPage()
    pdf.drawString(72, 760, "Lanjutan")
    pdf.drawString(295, 30, "2")
    pdf.save()
    rows, _ = read_rows(path)
    assert [r for r in rows if r != [""]] == [["PEMERINTAH KOTA AMBON"], ["DINAS SOSIAL"], ["Lanjutan"]]


def test_pdf_wrapped_paragraphs_join_and_wide_gaps_split_cells(tmp_path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    long = ("Apabila SOP ini tidak dilaksanakan maka pelayanan Jaminan Kesehatan tidak dapat "
            "dilaksanakan dengan tepat waktu dan tepat sasaran bagi seluruh masyarakat. ") * 3
    path = tmp_path / "para.pdf"
    style = ParagraphStyle("p", fontName="Helvetica", fontSize=10, leading=12, spaceAfter=2)
    story = [Paragraph("PEMERINTAH KOTA AMBON", style), Paragraph("DINAS SOSIAL", style),
             Paragraph(long.strip(), style)]
    SimpleDocTemplate(str(path), pagesize=A4).build(story)
    rows = [r for r in read_rows(path)[0] if r != [""]]
    assert rows == [["PEMERINTAH KOTA AMBON"], ["DINAS SOSIAL"], [long.strip()]]
    from reportlab.pdfgen import canvas

    fields = tmp_path / "fields.pdf"
    pdf = canvas.Canvas(str(fields), pagesize=A4)
    pdf.drawString(72, 760, "Nomor SOP")  # a label and its value aligned at a tab stop
    pdf.drawString(250, 760, "12/SOP/2024")
    pdf.drawString(72, 740, "Judul SOP")
    pdf.drawString(250, 740, "UJI COBA")
    pdf.save()
    assert [r for r in read_rows(fields)[0] if r != [""]] == [["Nomor SOP", "12/SOP/2024"], ["Judul SOP", "UJI COBA"]]


def test_unreadable_documents_name_the_file(tmp_path) -> None:
    for name, kind in (("sop.docx", "Word document"), ("sop.pdf", "PDF")):
        path = tmp_path / name
        path.write_bytes(b"PK\x03\x04" + bytes(range(256)))
        with pytest.raises(SopModelError, match=f"cannot read the {kind}") as err:
            draft_model(path)
        assert err.value.file == str(path)
    old = tmp_path / "sop.doc"
    old.write_bytes(b"\xd0\xcf\x11\xe0" + bytes(64))
    with pytest.raises(SopModelError, match=r"\.doc documents are not read") as err:
        draft_model(old)
    assert ".docx" in (err.value.hint or "")
