"""Activity labels -> SOP steps (the mapping table, exact, normalised), suggestions never
applied; column recognition by common names. Events keep the label; the step each maps to is
read through the analysis' mapping (tests/event_steps.py)."""

# ruff: noqa: F811  (fixtures imported from conftest_ingest are parameters of the same name)

from __future__ import annotations

from pathlib import Path

import pytest
from conftest_ingest import Sop, key_file, query, sop, write_csv  # noqa: F401
from event_steps import connect_with_steps

from event_logs.ingest import ingest_file
from event_logs.ingest.columns import plan_columns
from event_logs.ingest.text import norm_label
from event_logs.mapping import match_labels
from pantau.errors import IngestError, MissingColumnError

HEADER = ["case_id", "activity", "timestamp"]


def steps(db: Path, sql: str) -> list[tuple]:
    """``sql`` over the store's events with the step and lane each label maps to."""
    con = connect_with_steps(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _one_row_each(tmp_path: Path, labels: list[str]) -> Path:
    return write_csv(tmp_path / "log.csv", HEADER,
                     [(f"R{i}", label, f"2024-03-05 09:{i:02d}") for i, label in enumerate(labels)])


def test_exact_and_normalised_labels_map_to_steps(tmp_path: Path, sop: Sop) -> None:
    s0, s1, s2 = sop.model.steps[:3]
    labels = [
        s0.name,                                      # exact name
        s1.id,                                        # exact step id
        "  " + s1.name.upper().replace(" ", "   "),   # case and spacing
        f"<b>{s2.name}</b>.",                         # HTML and punctuation
        s2.name.replace(" ", "&nbsp;", 1),            # an HTML entity
    ]
    db = tmp_path / "s.duckdb"
    result = ingest_file(db, _one_row_each(tmp_path, labels), **sop.kw())
    assert result.unmapped_labels == {}
    # the label as the file gave it (trimmed)
    assert query(db, "SELECT activity FROM events ORDER BY source_row") == [(x.strip(),) for x in labels]
    rows = steps(db, "SELECT step_id, lane FROM events ORDER BY source_row")
    assert rows == [(s0.id, s0.lane), (s1.id, s1.lane), (s1.id, s1.lane), (s2.id, s2.lane), (s2.id, s2.lane)]


def test_unmapped_labels_are_kept_and_suggested_not_applied(tmp_path: Path, sop: Sop) -> None:
    s1 = sop.model.steps[1]
    # every word of this label is in the step's name: token_set_ratio scores it 100
    words = norm_label(s1.name).split()
    near = " ".join(words[1:3]).title()
    labels = [near, near, "Konfirmasi via telepon"]
    db = tmp_path / "s.duckdb"
    result = ingest_file(db, _one_row_each(tmp_path, labels), **sop.kw())
    assert result.unmapped_labels == {near: 2, "Konfirmasi via telepon": 1}
    suggested = result.suggestions[near]
    assert s1.id in [sid for sid, _name, _score in suggested]
    assert all(score >= 60 for _sid, _name, score in suggested) and len(suggested) <= 3
    assert (s1.id, s1.name, 100.0) in suggested
    # never applied: the labels map to no step
    assert steps(db, "SELECT DISTINCT step_id, lane FROM events") == [(None, None)]
    assert result.rows_loaded == 3


@pytest.mark.parametrize("kind", ["csv", "yaml"])
def test_activity_map_file(tmp_path: Path, sop: Sop, kind: str) -> None:
    s0, s1 = sop.model.steps[:2]
    if kind == "csv":
        amap = tmp_path / "map.csv"
        amap.write_text(f"label,step_id\nTerima berkas,{s0.id}\nCek berkas,{s1.id}\n", encoding="utf-8")
    else:
        amap = tmp_path / "map.yaml"
        amap.write_text(f"Terima berkas: {s0.id}\n'Cek berkas': {s1.id}\n", encoding="utf-8")
    db = tmp_path / "s.duckdb"
    result = ingest_file(db, _one_row_each(tmp_path, ["Terima berkas", "CEK  BERKAS", "Lainnya"]),
                         activity_map=amap, **sop.kw())
    assert steps(db, "SELECT step_id FROM events ORDER BY source_row") == [(s0.id,), (s1.id,), (None,)]
    assert result.unmapped_labels == {"Lainnya": 1}
    # the file's rows are in the store's mapping table, where analysis reads them
    assert query(db, "SELECT label, step_id, source FROM activity_map ORDER BY label") == [
        ("Cek berkas", s1.id, "file"), ("Terima berkas", s0.id, "file")]
    assert query(db, "SELECT mapping->>'activity_map' FROM imports")[0][0] == str(amap)


@pytest.mark.parametrize("kind", ["csv", "yaml"])
def test_activity_map_with_unknown_step_id(tmp_path: Path, sop: Sop, kind: str) -> None:
    s0 = sop.model.steps[0]
    if kind == "csv":
        amap = tmp_path / "map.csv"
        amap.write_text(f"label,step_id\nTerima berkas,{s0.id}\nCek berkas,s99\n", encoding="utf-8")
    else:
        amap = tmp_path / "map.yaml"
        amap.write_text(f"# comment\nTerima berkas: {s0.id}\nCek berkas: s99\n", encoding="utf-8")
    db = tmp_path / "s.duckdb"
    with pytest.raises(IngestError) as info:
        ingest_file(db, _one_row_each(tmp_path, ["Terima berkas"]), activity_map=amap, **sop.kw())
    err = info.value
    assert err.file == str(amap) and err.row == 3 and "s99" in err.message
    assert all(sid in (err.hint or "") for sid in sop.model.step_ids)
    assert not db.exists()  # refused before the store was touched


def test_match_labels_prefers_the_map_then_exact_then_normalised(sop: Sop) -> None:
    s0, s1, s2 = sop.model.steps[:3]
    # an explicit mapping is a decision (a correction): it wins over the exact name; a
    # mapping to no step ('-') declares the label out of scope; one to a step this model
    # version lacks is ignored
    out = match_labels({s0.name: 1, s1.name: 1, s1.name.lower(): 1, "x": 1, "print": 1, s2.name: 1},
                       sop.model, {s0.name: s1.id, "x": s1.id, "print": "-", s2.name: "s99"})
    assert out.how == {s0.name: "map", s1.name: "exact", s1.name.lower(): "normalised", "x": "map",
                       "print": "out_of_scope", s2.name: "exact"}
    assert out.steps[s0.name] == (s1.id, s1.lane) and out.steps["x"] == (s1.id, s1.lane)
    assert "print" not in out.steps and "print" not in out.unmapped


def test_norm_label() -> None:
    assert norm_label("<p>Verifikasi&nbsp;Dokumen,  Pemohon.</p>") == "verifikasi dokumen pemohon"
    assert norm_label("Pengecekan  NIK/KK (P-Care)") == "pengecekan nik kk p care"
    assert norm_label("Café_Ölçü") == "cafe olcu"


@pytest.mark.parametrize("names,expected", [
    (["No Registrasi", "Kegiatan", "Tanggal", "Petugas"],
     {"case_id": 0, "activity": 1, "timestamp": 2, "resource": 3}),
    (["NOMOR REGISTRASI", "Aktivitas", "TGL", "pelaksana_nama", "Unit Layanan", "Instansi"],
     {"case_id": 0, "activity": 1, "timestamp": 2, "resource": 3, "unit": 4, "agency": 5}),
    (["case:concept:name", "concept:name", "time:timestamp", "org:resource", "lifecycle:transition"],
     {"case_id": 0, "activity": 1, "timestamp": 2, "resource": 3, "lifecycle": 4}),
    (["ID Kasus", "Langkah", "datetime", "Kelurahan", "Dinas"],
     {"case_id": 0, "activity": 1, "timestamp": 2, "unit": 3, "agency": 4}),
    (["Case", "Activity", "Waktu", "Puskesmas"], {"case_id": 0, "activity": 1, "timestamp": 2, "unit": 3}),
])
def test_columns_recognised_by_common_names(names: list[str], expected: dict[str, int]) -> None:
    assert plan_columns(names, mapping=None).fields == expected


def test_personal_data_columns_are_classified() -> None:
    names = ["no_registrasi", "kegiatan", "tanggal", "NIK", "No KK", "nomor kk", "No. KTP",
             "Nama Pemohon", "nama", "pelaksana_nama", "jumlah_wbs", "telepon"]
    plan = plan_columns(names, mapping=None, pii_columns=["telepon"])
    assert [names[i] for i in plan.pii] == ["NIK", "No KK", "nomor kk", "No. KTP", "telepon"]
    assert names[plan.nik] == "NIK"
    assert [names[i] for i in plan.dropped] == ["Nama Pemohon", "nama"]
    assert [names[i] for i in plan.attributes] == ["jumlah_wbs"]
    assert plan.fields["resource"] == names.index("pelaksana_nama")  # a staff name column, not dropped
    kept = plan_columns(names, mapping=None, keep_names=True)
    assert [names[i] for i in kept.attributes] == ["Nama Pemohon", "nama", "jumlah_wbs", "telepon"]
    with pytest.raises(MissingColumnError, match="--pii names a column"):
        plan_columns(names, mapping=None, pii_columns=["email"])
