"""The SOP document importer (``pantau sop import``) on the five bundled source documents.

Expected values are read off the source documents themselves (sop_models/sources/*.txt),
not copied from the importer's output; each test says where its numbers come from.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pantau.errors import SopModelError
from sop_models.flow import parse_flow, step_ids
from sop_models.importer import draft_model, draft_yaml
from sop_models.loader import SOURCES_DIR, STEP_KEYS, TOP_KEYS, build_model, read_yaml
from sop_models.waktu import parse_waktu

SEEDS = ("000", "001", "002", "003", "004")


def source(prefix: str) -> Path:
    """The bundled source document whose name starts with ``prefix``."""
    (path,) = SOURCES_DIR.glob(f"{prefix}_*.txt")
    return path


@pytest.fixture(scope="module")
def drafts() -> dict[str, dict]:
    return {p: draft_model(source(p)) for p in SEEDS}


# Step counts: the data rows of each activity table. 004 prints 25 activity rows over four
# pages; one of them holds only "DISDUKCAPIL" (a lane name used as a section heading).
@pytest.mark.parametrize(("prefix", "count"), [("000", 9), ("001", 8), ("002", 6), ("003", 9), ("004", 24)])
def test_step_count(drafts, prefix, count):
    data = drafts[prefix]
    assert len(data["steps"]) == count
    case = [s["id"] for s in data["steps"] if s.get("scope", "case") == "case"]
    assert sorted(step_ids(parse_flow(data["flow"]))) == case  # every case step once
    assert [s["id"] for s in data["steps"]] == [f"s{n:02d}" for n in range(1, count + 1)]


# Lanes: header row 2 of each activity table, left to right, spelling as printed.
PRINTED_LANES = {
    "000": ["Petugas Pelayanan Bantuan", "Kepala Dinas", "BPJS Kesehatan"],
    "001": ["Petugas Pelayanan Bantuan", "Kepala Dinas", "Rumah sakit mitra"],
    "002": ["DINAS SOSIAL DAN BPJS KESEHATAN", "DINAS SOSIAL", "KELURAHAN", "BPJS KESEHATAN"],
    "003": [
        "SATPOL PP/ APARAT YANG BERWENANG LAINNYA", "PANTI SOSIAL", "DINAS SOSIAL",
        "DINAS DUKCAPIL", "DINAS KESEHATAN", "BPJS KESEHATAN",
    ],
    "004": ["DISDUKCAPIL", "BPJS KESEHATAN", "PETUGAS LAYANAN", "PENGGUNA LAYANAN", "RESEPSIONIS", "SATPAM"],
}


@pytest.mark.parametrize("prefix", SEEDS)
def test_lanes_are_the_printed_header(drafts, prefix):
    data = drafts[prefix]
    assert data["lanes"] == PRINTED_LANES[prefix]
    assert {s["lane"] for s in data["steps"]} <= set(data["lanes"])


def test_printed_numbers_keep_document_order(drafts):
    # Batam 000 prints 1, 2, 4, (none), 3, 5, 6, 7, 8 in its No. column.
    data = drafts["000"]
    assert [s["no"] for s in data["steps"]] == ["1", "2", "4", None, "3", "5", "6", "7", "8"]
    assert data["steps"][3]["name"].startswith("Memberikan nomor resi")
    assert any("out of order" in n for n in data["notes"])
    assert any("s04" in n and "without a printed number" in n for n in data["notes"])


def _waktu_cells(path: Path, lanes: list[str]) -> list[str | None]:
    """The Waktu cell of every activity row, read independently of the importer.

    Permenpan-RB 35/2012 lays the activity table out as No (0), Kegiatan (1), one column per
    Pelaksana (2 .. n+1), then Mutu Baku Kelengkapan (n+2), Waktu (n+3), Output, Keterangan.
    Two seeds print header row 2 shifted, but their data rows follow this layout, so Waktu
    is the cell at len(lanes) + 3. Rows narrower than that are other tables (legal basis,
    Standar Pelayanan); a row whose Kegiatan is only a lane name is a section heading.
    """
    n = len(lanes)
    headings = {"KEGIATAN", "URAIAN KEGIATAN"} | {lane.upper() for lane in lanes}
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = line.split("\t")
        if len(cells) <= n + 3 or not cells[1].strip() or cells[1].strip().upper() in headings:
            continue
        out.append(cells[n + 3].strip() or None)
    return out


@pytest.mark.parametrize("prefix", SEEDS)
def test_waktu_is_the_waktu_cell(drafts, prefix):
    data = drafts[prefix]
    assert [s["waktu"] for s in data["steps"]] == _waktu_cells(source(prefix), PRINTED_LANES[prefix])


@pytest.mark.parametrize("prefix", SEEDS)
def test_draft_waktu_parses(drafts, prefix):
    data = drafts[prefix]
    for step in data["steps"]:
        waktu = parse_waktu(step["waktu"], context=step["waktu_context"], file=data["source"], step=step["id"])
        assert waktu.raw == step["waktu"]
        assert waktu.is_empty == (step["waktu"] is None), step["id"]
    if std := data.get("service_standard"):
        assert not parse_waktu(std["waktu"], file=data["source"], step="service_standard").is_empty


@pytest.mark.parametrize("prefix", SEEDS)
def test_draft_loads_as_a_model(drafts, prefix, tmp_path):
    path = tmp_path / f"{prefix}.yaml"
    path.write_text(draft_yaml(source(prefix)), encoding="utf-8")
    data = read_yaml(path)
    assert data == drafts[prefix]
    assert set(data) <= TOP_KEYS
    assert all(set(s) <= STEP_KEYS for s in data["steps"])
    model = build_model(data, path)
    assert model.lanes == tuple(PRINTED_LANES[prefix])
    assert model.step_ids == tuple(s["id"] for s in data["steps"])


def test_yaml_is_a_commented_draft():
    text = draft_yaml(source("001"))
    assert text.startswith("# DRAFT")
    assert "001_6e851802a5607481.txt" in text.splitlines()[0]
    assert "Petugas Pelayanan Bantuan" in text  # allow_unicode / no escaping of plain text


# --- heading fields ------------------------------------------------------------------------
def test_heading_fields_two_cell_layout(drafts):
    data = drafts["000"]
    assert data["sop_number"] == "000.8.3.3/069 /VI/2023"
    assert data["revision"] == "04"
    assert (data["created"], data["revised"], data["effective"]) == ("2019-02-21", "2023-06-12", "2023-06-19")
    assert data["title"] == "INTEGRASI PESERTA JKN YANG DIDAFTARKAN OLEH PEMERINTAH DAERAH"
    assert data["approved_by"].startswith("Kepala Dinas Kesehatan Kota Batam dr. Didi Kusnardi")
    assert data["organisation"][:2] == ["PEMERINTAH KOTA BATAM", "DINAS KESEHATAN"]
    assert (data["region"], data["agency"], data["timezone"]) == ("Kota Batam", "Dinas Kesehatan", "Asia/Jakarta")
    assert data["id"].startswith("kota-batam-dinas-kesehatan-integrasi-peserta-jkn")
    assert data["source"] == "000_41f6d9e0ae68eb16.txt"


def test_heading_fields_label_colon_value_in_one_cell(drafts):
    data = drafts["002"]
    assert data["sop_number"] == "400.5 / 2018-02 / DINSOS"
    assert data["created"] is None and data["revised"] is None and data["effective"] is None
    # "Disahkan Oleh :" is empty; its value wraps onto the next line.
    assert data["approved_by"].startswith("Kepala Dinas, ROKHYATRIYADI")
    assert data["title"].startswith("PESERTA JAMINAN KESEHATAN NASIONAL")
    # Banjarbaru is in Kalimantan Selatan: WITA.
    assert (data["region"], data["timezone"]) == ("Kota Banjarbaru", "Asia/Makassar")


def test_heading_fields_colon_cell_and_repeated_nomor(drafts):
    data = drafts["004"]
    assert data["sop_number"] == "B-800/1750/KES/2023"
    assert data["created"] == data["revised"] == data["effective"] == "2023-03-03"
    assert data["title"] == "Pemeriksaan Kepesertaan UHC BPJS"
    assert data["organisation"][0] == "PEMERINTAH KABUPATEN MUSI BANYUASIN"  # ** stripped
    assert (data["region"], data["agency"]) == ("Kabupaten Musi Banyuasin", "Dinas Kesehatan")


def test_heading_fields_dki_paragraph_box(drafts):
    data = drafts["003"]
    assert data["sop_number"] is None  # "NOMOR SOP" printed with an empty value
    assert data["title"] == "PENDAFTARAN JKN-KIS BAGI WARGA BINAAN SOSIAL (WBS) DI PROVINSI DKI JAKARTA"
    assert data["approved_by"].endswith("SAEFULLAH")
    assert data["organisation"] == ["PEMERINTAH PROVINSI DAERAH KHUSUS IBUKOTA JAKARTA", "SEKRETARIS DAERAH"]
    assert data["region"] == "Provinsi DKI Jakarta"


# --- boxes ---------------------------------------------------------------------------------
def test_legal_basis_numbered_rows_and_html_list(drafts):
    # 000: five numbered table rows; 004: one "<ol>1. …;2. …" cell with six items.
    assert len(drafts["000"]["legal_basis"]) == 5
    assert drafts["000"]["legal_basis"][1].startswith("Instruksi Presiden Nomor 1 Tahun 2022")
    basis = drafts["004"]["legal_basis"]
    assert len(basis) == 6
    assert basis[0] == "Undang-Undang Nomor 25 Tahun 2009 tentang Pelayanan Publik"
    assert basis[5].startswith("Peraturan Bupati Musi Banyuasin No 13 Tahun 2019")
    assert not any("<" in item for item in basis)


def test_other_boxes(drafts):
    batam = drafts["000"]
    assert batam["related"] == [
        "Dinas Sosial dan Pemberdayaan Masyarakat", "Dinas Kependudukan dan Pencatatan Sipil",
        "Kelurahan", "BPJS Kesehatan",
    ]
    assert batam["equipment"] == ["Komputer/ Laptop, dan Peralatan Pendukung Lainnya", "Dokumen Pendukung"]
    assert batam["record_keeping"] == "Disimpan sebagai data elektronik dan manual (soft/hard copy)"
    assert len(drafts["002"]["qualifications"]) == 4  # printed "A. …; B. …; C. … D. …"
    muba = drafts["004"]
    assert muba["equipment"][1] == "Komputer, Printer, Scanner"  # <i> tags dropped
    assert muba["warning"].startswith("Jika SOP tidak dilaksanakan")
    assert muba["record_keeping"] == "SOP disimpan dengan rapi dalam bentuk hardcopy dan softcopy"
    dki = drafts["003"]
    assert dki["record_keeping"] == "Disimpan sebagai data elektronik dan manual"  # garbled label
    assert "PENDAFTARAN" not in dki["warning"]  # the title line after the boxes is not a warning
    assert len(dki["equipment"]) == 4


# --- steps ---------------------------------------------------------------------------------
def test_lane_marks_and_printed_symbols(drafts):
    steps = drafts["004"]["steps"]
    by_name = {s["name"][:40]: s for s in steps}
    send = next(s for s in steps if s["name"].startswith("Petugas Layanan mengirimkan permintaan ke Disdukcapil"))
    assert send["lane_marks"] == {"DISDUKCAPIL": "←", "PETUGAS LAYANAN": "↓ □ ↓"}
    assert (send["lane"], send["lane_source"]) == ("PETUGAS LAYANAN", "printed")
    hexagon = next(s for s in steps if s["lane_marks"].get("DISDUKCAPIL") == "↓ ⬡ ↓")
    assert (hexagon["lane"], hexagon["lane_source"]) == ("DISDUKCAPIL", "printed")
    assert "DISDUKCAPIL" not in by_name  # the heading row is not a step
    assert any("'DISDUKCAPIL'" in n and "heading" in n for n in drafts["004"]["notes"])
    assert any("repeated 3 more" in n for n in drafts["004"]["notes"])


def test_inferred_lanes(drafts):
    muba = drafts["004"]["steps"]
    assert (muba[0]["lane"], muba[0]["lane_source"]) == ("SATPAM", "inferred")
    assert muba[1]["lane"] == "RESEPSIONIS"
    assert muba[8]["lane"] == "BPJS KESEHATAN"  # "BPJS Kesehatan akan mencetak …"
    assert muba[11]["lane"] == "PETUGAS LAYANAN"  # "Jika …, maka Petugas Layanan …"
    batam = drafts["000"]["steps"]
    status = batam[4]  # printed "Status UHC" text in the Kepala Dinas column: a mark, not a symbol
    assert status["lane_marks"] == {"Kepala Dinas": "Status UHC"}
    assert status["lane_source"] == "inferred"
    approval = next(s for s in batam if s["name"].startswith("Meminta persetujuan pimpinan"))
    assert approval["lane"] == "Kepala Dinas"
    feedback = batam[-1]  # "Menerima feedback dari BPJS Kesehatan": BPJS is the sender
    assert feedback["lane"] == "Petugas Pelayanan Bantuan"


def test_shifted_header_reads_data_positionally(drafts):
    dki = drafts["003"]
    step2 = dki["steps"][1]
    assert step2["kelengkapan"] == ["Data WBS", "Berita Acara Serah Terima Penyanggah Masalah Kesejahteraan Sosial"]
    assert step2["output"] == "- Surat Permohonan Rekomendasi Penerbitan NIK WBS"
    assert step2["keterangan"].startswith("Menyirim Surat Permohonan")
    assert any("OUTPUT" in n and "position" in n for n in dki["notes"])


def test_kelengkapan_lists_and_waktu_context(drafts):
    batam = drafts["000"]["steps"]
    assert batam[0]["kelengkapan"] == [
        "KTP dan KK", "Surat Keterangan RT/RW", "Surat Keterangan Lurah dan atau Form Pencacah",
        "Surat rekomendasi dari Dinas Sosial dan PM",
    ]
    deadline = next(s for s in batam if "tanggal 25" in s["name"])
    assert deadline["waktu_context"] == deadline["name"]
    assert batam[0]["waktu_context"] is None
    contexts = [s["waktu_context"] for s in drafts["004"]["steps"] if s["waktu_context"]]
    assert any("3x24 jam hari kerja" in c for c in contexts)
    assert any("1 x 24 jam" in c for c in contexts)


def test_following_tables_are_not_steps_but_service_standard_is_read(drafts):
    data = drafts["002"]
    assert not any("Rapat Koordinasi" in s["name"] or s["name"].startswith("Melakukan pengumpulan") for s in data["steps"])
    std = data["service_standard"]
    assert (std["waktu"], std["biaya"]) == ("1 (satu) bulan", "Gratis")
    assert std["persyaratan"][:2] == ["FC Kartu Keluarga", "FC KTP"]
    assert len(std["persyaratan"]) == 4
    assert len(std["schedule"]) == 6
    assert "setiap tanggal 15" in std["schedule"][2]
    assert all("service_standard" not in drafts[p] for p in ("000", "001", "003", "004"))


# --- synthetic documents -------------------------------------------------------------------
HEADER_1 = ["NO", "KEGIATAN", "PELAKSANA", "", "MUTU BAKU", "", "", "KET"]
HEADER_2 = ["", "", "Operator", "Kepala Seksi", "KELENGKAPAN", "WAKTU", "OUTPUT", ""]


def _doc(*rows: list[str]) -> str:
    return "\n".join("\t".join(r) for r in rows) + "\n"


def _heading() -> list[list[str]]:
    return [
        ["PEMERINTAH KOTA AMBON"], ["DINAS SOSIAL"], [""],
        ["Nomor SOP", "12/SOP/2024"], ["Tanggal Pembuatan", "5 Januari 2024"], ["Judul SOP", "UJI COBA"],
        [""],
    ]


def test_no_activity_table_is_an_error(tmp_path):
    path = tmp_path / "memo.txt"
    path.write_text(_doc(*_heading(), ["Hanya teks biasa tanpa tabel kegiatan."]), encoding="utf-8")
    with pytest.raises(SopModelError) as err:
        draft_model(path)
    assert err.value.file == str(path)
    assert "no activity table" in str(err.value)
    assert err.value.hint and "KELENGKAPAN" in err.value.hint


def test_binary_document_under_a_text_name_is_refused_with_a_hint(tmp_path):
    path = tmp_path / "sop.txt"  # a Word file saved under the wrong suffix
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)))
    with pytest.raises(SopModelError, match="not extracted text") as err:
        draft_model(path)
    assert ".docx" in (err.value.hint or "") and "tab-separated" in (err.value.hint or "")


def test_cp1252_file(tmp_path):
    path = tmp_path / "sop_cp1252.txt"
    text = _doc(
        *_heading(), HEADER_1, HEADER_2,
        ["1", "Menerima berkas – lengkap", "", "", "1. KTP 2. KK", "10 Menit", "Berkas", ""],
        ["2", "Kepala Seksi menandatangani surat", "", "", "Berkas", "1 Hari", "Surat", "café"],
    )
    path.write_bytes(text.encode("cp1252"))
    data = draft_model(path)
    assert data["steps"][0]["name"] == "Menerima berkas – lengkap"
    assert data["steps"][1]["keterangan"] == "café"
    assert data["steps"][0]["kelengkapan"] == ["KTP", "KK"]
    assert data["steps"][1]["lane"] == "Kepala Seksi"
    assert any("cp1252" in n for n in data["notes"])
    assert (data["region"], data["timezone"], data["created"]) == ("Kota Ambon", "Asia/Jayapura", "2024-01-05")


def test_repeated_header_html_and_table_end(tmp_path):
    path = tmp_path / "sop.txt"
    rows = [
        *_heading(), HEADER_1, HEADER_2,
        ["1", "<p>Operator\u00a0menerima **berkas**</p>", "", "", "- KTP - KK", "5 Menit", "Berkas", ""],
        ["2", "Operator memeriksa berkas setiap tanggal 15", "", "", "", "", "", ""],
        [""],
        HEADER_1, HEADER_2,
        ["", "Kepala Seksi<br>menyetujui", "", "○", "Berkas", "1 Hari", "Surat", "paraf\t"],
        ["3", "Operator mengarsipkan", "", "", "Surat", "5 Menit", "Arsip", ""],
        [""],
        ["LAMPIRAN"],
        ["1", "Bukan langkah", "", "", "", "", "", ""],
    ]
    data = draft_model(_write(path, _doc(*rows)))
    steps = data["steps"]
    assert [s["name"] for s in steps] == [
        "Operator menerima berkas", "Operator memeriksa berkas setiap tanggal 15",
        "Kepala Seksi menyetujui", "Operator mengarsipkan",
    ]
    assert [s["no"] for s in steps] == ["1", "2", None, "3"]
    assert steps[0]["kelengkapan"] == ["KTP", "KK"]
    assert steps[1]["waktu"] is None and steps[1]["waktu_context"] == steps[1]["name"]
    assert (steps[2]["lane"], steps[2]["lane_source"], steps[2]["keterangan"]) == ("Kepala Seksi", "printed", "paraf")
    assert any("repeated 1 more" in n for n in data["notes"])


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file_and_header_without_rows(tmp_path):
    with pytest.raises(SopModelError, match="cannot read") as err:
        draft_model(tmp_path / "nope.txt")
    assert err.value.file == str(tmp_path / "nope.txt")
    path = _write(tmp_path / "empty_table.txt", _doc(*_heading(), HEADER_1, HEADER_2, [""], ["Catatan"]))
    with pytest.raises(SopModelError, match="no step rows"):
        draft_model(path)
