"""What the importer proposes beyond the plain table (sop_models/importer/proposals.py).

On the seeds, each expectation is read off the source text (quoted in the test); the
synthetic documents check each rule on wording the seeds do not use.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sop_models.checks import check_model, name_clash
from sop_models.flow import Loop, Xor, parse_flow, step_ids, walk
from sop_models.importer import draft_model, draft_yaml
from sop_models.loader import SOURCES_DIR, build_model, read_yaml
from sop_models.waktu import parse_waktu


def _draft(prefix: str) -> dict:
    (path,) = SOURCES_DIR.glob(f"{prefix}_*.txt")
    return draft_model(path)


def _nodes(data: dict, kind: type) -> list:
    return [n for n in walk(parse_flow(data["flow"])) if isinstance(n, kind)]


def _by_name(data: dict, start: str) -> dict:
    return next(s for s in data["steps"] if s["name"].startswith(start))


def test_return_to_applicant_is_a_paused_loop_from_the_receiving_row() -> None:
    # 000 row 2: "Melakukan verifikasi dokumen, jika tidak sesuai, dikembalikan ke pemohon";
    # row 1 "Menerima Dokumen Pendukung dari Pemohon Bantuan" is where the file comes in
    data = _draft("000")
    (loop,) = _nodes(data, Loop)
    first, check = _by_name(data, "Menerima Dokumen"), _by_name(data, "Melakukan verifikasi")
    assert step_ids(loop.body) == [first["id"], check["id"]] and loop.returns_to == "pemohon"
    assert check["kind"] == "decision"
    assert any(p["rule"] == "loop" and p["node"] == loop.id for p in data["proposals"])


def test_condition_without_a_return_is_a_choice_that_skips_the_rest() -> None:
    # 000 row "3": "Memasukkan data ..., jika dalam kondisi sakit dapat diaktifkan secara langsung ..."
    data = _draft("000")
    (xor,) = _nodes(data, Xor)
    entry = _by_name(data, "Memasukkan data")
    rest = [s["id"] for s in data["steps"]][[s["id"] for s in data["steps"]].index(entry["id"]) + 1:]
    (name, main), (_, other) = xor.branches
    assert name == "lanjut" and step_ids(main) == rest and step_ids(other) == []
    assert entry["kind"] == "decision" and "kondisi sakit" in (xor.label or "")


def test_coordination_with_another_actor_loops_back_to_its_row() -> None:
    # 003 row 6: "- Jika divalidasi, NIK WBS dikirimkan ke BPJS Kesehatan - Jika tidak divalidasi,
    # NIK WBS dikoordinasikan kembali dengan Dinas DUKCAPIL"; row 4 is Dukcapil's verification
    data = _draft("003")
    (loop,) = _nodes(data, Loop)
    assert [data["steps"][i]["no"] for i in (3, 5)] == ["4", "6"]
    assert step_ids(loop.body) == [s["id"] for s in data["steps"][3:6]] and loop.returns_to is None
    assert not _nodes(data, Xor)  # "jika divalidasi" is the way out of the loop, not a choice


def test_per_unit_waktu_gets_per_units() -> None:
    # 003 prints "1 menit per WBS" ... "1 menit per E-ID"
    data = _draft("003")
    assert data["per_units"] == {"WBS": "jumlah_wbs", "E-ID": "jumlah_e_id"}
    path = Path("dki.yaml")
    model = build_model(data, path, text="")
    assert model.per_units == data["per_units"]


def test_leading_programme_rows_and_service_standard_deadlines() -> None:
    # 002 row 1 "Perjanjian Kerjasama Antara Dinas Sosial, ..." and row 2 "Surat Pemberitahuan ...
    # ke Kelurahan se-Kota Banjarbaru" set the programme up; the Standar Pelayanan says
    # "Form 34 ... diserahkan ke BPJS Kesehatan setiap tanggal 15 di setiap bulan" and
    # "Penetapan peserta ditetapkan oleh BPJS Kesehatan di setiap awal bulan"
    data = _draft("002")
    assert [s.get("scope", "case") for s in data["steps"]] == ["program", "program"] + ["case"] * 4
    assert step_ids(parse_flow(data["flow"])) == [s["id"] for s in data["steps"][2:]]
    days = {s["id"]: parse_waktu(s["waktu"], context=s["waktu_context"]).deadline_day for s in data["steps"]}
    form34 = _by_name(data, "Pengumpulan dan Validasi")  # its Output is "Validasi Form 34"
    penetapan = _by_name(data, "Proses Migrasi dan Penetapan")
    assert days[form34["id"]] == 15 and days[penetapan["id"]] == 1
    assert sum(d is not None for d in days.values()) == 2


def test_monthly_recap_is_pointed_out_not_changed() -> None:
    # 000 row 5: "Menyusun surat pengantar dan rekapitulasi ... pada tanggal 25 setiap bulannya"
    data = _draft("000")
    recap = _by_name(data, "Menyusun surat pengantar")
    assert recap.get("scope", "case") == "case"
    assert any(p["rule"] == "batch" and p["step"] == recap["id"] and not p["applied"] for p in data["proposals"])


def test_triage_and_conditional_rows() -> None:
    # 004 row 7 "... melakukan beberapa langkah prosedur sesuai dengan situasi dan kondisi ...";
    # row 12 "Jika NIK pasien tidak ditemukan, maka Petugas Layanan juga akan menghubungi Disdukcapil"
    data = _draft("004")
    assert _by_name(data, "Petugas Layanan akan melakukan")["kind"] == "decision"
    row12 = _by_name(data, "Jika NIK pasien")
    (opt,) = _nodes(data, Xor)
    assert step_ids(opt.branches[0][1]) == [row12["id"]] and step_ids(opt.branches[1][1]) == []
    assert row12.get("kind", "task") == "task"


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_drafts_with_proposals_are_valid_models(prefix, tmp_path) -> None:
    (source,) = SOURCES_DIR.glob(f"{prefix}_*.txt")
    text = draft_yaml(source)
    path = tmp_path / "draft.yaml"
    path.write_text(text, encoding="utf-8")
    data = read_yaml(path)
    model = build_model(data, path)
    # The Musi SOP (004) writes its three E-ID steps twice, once per branch: the draft must
    # say so (labels are matched to names) and nothing else; the reviewer tells them apart.
    names: dict[str, list[str]] = {}
    for step in data["steps"]:
        names.setdefault(step["name"], []).append(step["id"])
    repeated = {sid for ids in names.values() if len(ids) > 1 for sid in ids}
    assert (prefix == "004") == bool(repeated)
    expected = sorted(f"{path}: step {ids[0]}: {name_clash(ids[1:])}"
                      for ids in names.values() if len(ids) > 1)
    assert sorted(check_model(model)) == expected
    applied = [p for p in data["proposals"] if p["applied"]]
    assert text.count("# USULAN") >= len({(p.get("node"), p["step"]) for p in applied if p["rule"] != "per-unit"})


# --- rules on wording the seeds do not use -----------------------------------------------------
HEAD = [["PEMERINTAH KABUPATEN UJI"], ["DINAS UJI"], [""], ["Nomor SOP", "1/2024"], ["Judul SOP", "UJI"], [""],
        ["NO", "KEGIATAN", "PELAKSANA", "", "", "MUTU BAKU", "", ""],
        ["", "", "Petugas", "Kepala Bidang", "Tim Verifikasi", "KELENGKAPAN", "WAKTU", "OUTPUT"]]


def _doc(tmp_path: Path, *rows: str) -> dict:
    lines = [*HEAD, *([str(i), text, "", "", "", "Berkas", "5 Menit", "Berkas"] for i, text in enumerate(rows, 1))]
    path = tmp_path / "uji.txt"
    path.write_text("\n".join("\t".join(r) for r in lines) + "\n", encoding="utf-8")
    return draft_model(path)


def test_rule_applicant_completes_the_file(tmp_path) -> None:
    data = _doc(tmp_path, "Sosialisasi program ke seluruh kecamatan", "Petugas menerima berkas",
                "Petugas memeriksa berkas, apabila belum lengkap maka pemohon diminta melengkapi berkas",
                "Kepala Bidang menandatangani surat")
    assert data["steps"][0]["scope"] == "program"
    (loop,) = _nodes(data, Loop)
    assert step_ids(loop.body) == ["s02", "s03"] and loop.returns_to == "pemohon"


def test_rule_back_to_a_numbered_step(tmp_path) -> None:
    data = _doc(tmp_path, "Petugas menerima berkas", "Petugas mencatat berkas", "Tim Verifikasi memeriksa",
                "Kepala Bidang menilai, bila ada kekurangan kembali ke langkah 2")
    (loop,) = _nodes(data, Loop)
    assert step_ids(loop.body) == ["s02", "s03", "s04"] and loop.returns_to is None


def test_rule_rejection_ends_the_case(tmp_path) -> None:
    data = _doc(tmp_path, "Petugas menerima berkas", "Kepala Bidang menilai; jika ditolak, permohonan selesai",
                "Petugas menerbitkan surat")
    (xor,) = _nodes(data, Xor)
    assert xor.branches[0][0] == "lanjut" and step_ids(xor.branches[0][1]) == ["s03"]
    assert data["steps"][1]["kind"] == "decision" and not _nodes(data, Loop)


def test_rule_no_condition_no_proposal(tmp_path) -> None:
    data = _doc(tmp_path, "Petugas menerima berkas", "Kepala Bidang menyetujui", "Petugas mengarsipkan")
    assert data["flow"] == ["s01", "s02", "s03"] and data["proposals"] == []
    assert all(s.get("kind", "task") == "task" for s in data["steps"])


def test_rule_condition_on_the_last_row_makes_no_choice(tmp_path) -> None:
    # nothing follows the row, so a choice between "the rest" and nothing would be empty
    data = _doc(tmp_path, "Petugas menerima berkas", "Kepala Bidang menilai, jika ditolak permohonan selesai")
    assert not _nodes(data, Xor) and data["flow"] == ["s01", "s02"]
    assert not any(p["rule"] == "choice" for p in data["proposals"])


def test_rule_loop_starts_at_the_receiving_row(tmp_path) -> None:
    data = _doc(tmp_path, "Petugas mencatat antrian", "Petugas menerima berkas",
                "Petugas memeriksa berkas, jika tidak lengkap dikembalikan kepada pemohon")
    (loop,) = _nodes(data, Loop)
    assert step_ids(loop.body) == ["s02", "s03"]


def test_rule_sending_on_to_the_next_rows_actor_is_no_choice(tmp_path) -> None:
    data = _doc(tmp_path, "Petugas menerima berkas",
                "Petugas memeriksa berkas, jika lengkap maka berkas diteruskan kepada Kepala Bidang",
                "Kepala Bidang menandatangani surat")
    assert data["steps"][2]["lane"] == "Kepala Bidang"
    assert not _nodes(data, Xor) and data["flow"] == ["s01", "s02", "s03"]


def test_rule_the_other_clause_of_a_loop_is_its_exit(tmp_path) -> None:
    data = _doc(tmp_path, "Petugas menerima berkas", "Tim Verifikasi memeriksa berkas",
                "Kepala Bidang menilai - jika disetujui, surat diterbitkan - jika tidak disetujui, "
                "dikembalikan kepada Tim Verifikasi", "Petugas mengarsipkan")
    (loop,) = _nodes(data, Loop)
    assert step_ids(loop.body) == ["s02", "s03"] and not _nodes(data, Xor)


def test_rule_a_choice_inside_a_loop_stays_inside(tmp_path) -> None:
    data = _doc(tmp_path, "Petugas menerima berkas", "Petugas memeriksa, jika berkas rusak, dicatat khusus",
                "Kepala Bidang menilai, jika tidak sesuai dikembalikan kepada pemohon", "Petugas mengarsipkan")
    (loop,) = _nodes(data, Loop)
    (xor,) = [n for n in walk(loop.body) if isinstance(n, Xor)]
    assert step_ids(loop.body) == ["s01", "s02", "s03"] and step_ids(xor.branches[0][1]) == ["s03"]
    assert data["flow"][-1] == "s04"


def test_rule_only_leading_rows_are_programme_rows(tmp_path) -> None:
    data = _doc(tmp_path, "Petugas menerima berkas", "Rapat koordinasi dengan Kepala Bidang",
                "Petugas mengarsipkan")
    assert all(s.get("scope", "case") == "case" for s in data["steps"])
