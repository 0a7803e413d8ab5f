"""Issue 10, personal data: the hostile corpus's NIKs, names and phone numbers never reach
the store, its WAL, DuckDB's temp folder, a quarantine reason or the CLI's output; a case
id that is a NIK is its HMAC, stable across imports; cases.nik_hash is set from any NIK."""

# ruff: noqa: F811  (fixtures imported from conftest_ingest are parameters of the same name)

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest_ingest import ROOT, counts, key_file, query  # noqa: F401

from event_logs.ingest import ingest_file
from event_logs.ingest.pii import (
    hmac_hex,
    is_id_column,
    is_nik_column,
    is_personal_column,
    load_secret,
    mask_value,
    mask_value_sql,
    redact,
)

sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "hostile"))
import make_corpus as corpus

CORPUS = corpus.HERE
SOP = corpus.SOP
PII_FILES = ["pii_everywhere.csv", "pii_trace.xes", "pii_nested.parquet"]


def _scan(paths: list[Path], extra: bytes = b"") -> list[str]:
    """Raw personal values of the corpus found in these files (and ``extra``)."""
    blob = extra + b"".join(p.read_bytes() for p in paths if p.is_file())
    return [v for v in corpus.PERSONAL_VALUES if v.encode() in blob]


def _store_files(db: Path) -> list[Path]:
    tmp = Path(f"{db}.tmp")
    return [db, Path(f"{db}.wal"), *(tmp.rglob("*") if tmp.exists() else [])]


def test_the_committed_corpus_is_what_the_script_writes(tmp_path: Path) -> None:
    written = corpus.write_corpus(tmp_path)
    for path in written:
        if path.suffix in (".csv", ".xes", ".txt"):
            assert path.read_bytes() == (CORPUS / path.name).read_bytes(), path.name
        assert (CORPUS / path.name).is_file(), path.name
    assert (CORPUS / "personal_values.txt").read_text().split() == " ".join(corpus.PERSONAL_VALUES).split()


@pytest.mark.parametrize("name", PII_FILES)
def test_no_raw_personal_value_in_any_text_column(tmp_path: Path, name: str) -> None:
    db = tmp_path / "s.duckdb"
    ingest_file(db, CORPUS / name, sop_id=SOP)
    con = duckdb.connect(str(db), read_only=True)
    try:
        # main's tables and views: the schema ``scoped`` holds views over them (event_logs.scoped)
        columns = con.execute("SELECT table_name, column_name FROM information_schema.columns "
                              "WHERE data_type IN ('VARCHAR', 'JSON') AND table_schema = 'main'").fetchall()
        found = [(t, c, v) for t, c in columns for v in corpus.PERSONAL_VALUES
                 if con.execute(f'SELECT count(*) FROM "{t}" WHERE contains("{c}"::VARCHAR, ?)', [v]).fetchall()[0][0]]
    finally:
        con.close()
    assert found == []


def test_niks_everywhere_are_hashed_or_removed(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    result = ingest_file(db, CORPUS / "pii_everywhere.csv", sop_id=SOP)
    key = load_secret()
    niks = corpus.NIKS
    # a case id that is a NIK is its HMAC; so is the case's nik_hash
    assert query(db, "SELECT DISTINCT case_id FROM events WHERE source_row <= 2") == [(hmac_hex(niks[0], key),)]
    assert query(db, "SELECT nik_hash FROM cases WHERE case_id = ?", [hmac_hex(niks[0], key)]) == \
        [(hmac_hex(niks[0], key),)]
    # in text: removed; a whole value in resource or unit: hashed as digits
    row = query(db, "SELECT activity, resource, unit FROM events WHERE source_row = 3")[0]
    assert row == (f"Verifikasi NIK {corpus.NUMBER_REMOVED if hasattr(corpus, 'NUMBER_REMOVED') else '[number removed]'}",
                   hmac_hex(niks[2], key), hmac_hex(corpus.GROUPED_NIKS[1].replace("-", ""), key))
    # a case id holding a NIK inside text: the whole id hashed, so cases stay apart
    assert query(db, "SELECT count(*) FROM events WHERE case_id = ?", [hmac_hex(f"REG-{niks[4]}", key)]) == [(1,)]
    # personal columns dropped and named in the import's record
    mapping = json.loads(query(db, "SELECT mapping FROM imports")[0][0])
    assert mapping["dropped"] == ["Nama Ibu Kandung", "nama_ayah", "Pemohon", "No HP", "Alamat"]
    attrs = dict(query(db, "SELECT case_id, attributes FROM cases"))
    assert json.loads(attrs[hmac_hex(niks[0], key)]) == {"Keterangan": "hubungi [phone removed] sore"}
    assert result.rows_read == result.rows_loaded + result.rows_quarantined + result.rows_duplicate


def test_quarantine_reasons_show_kinds_and_masked_values_only(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    ingest_file(db, CORPUS / "pii_everywhere.csv", sop_id=SOP)
    rows = query(db, "SELECT source_row, kind, reason, raw FROM quarantine ORDER BY source_row")
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (4, "unparsable_timestamp", "unparsable timestamp '[number removed]'"),
        (5, "unknown_lifecycle", "unknown lifecycle '[number removed]'"),
        (6, "unknown_lifecycle", "unknown lifecycle (21 characters, not shown)"),
        (7, "unparsable_timestamp", "unparsable timestamp (21 characters, not shown)"),
    ]
    # the broken rows' applicant name, shifted into Status / Tanggal, is removed from the raw row
    assert json.loads(rows[2][3])["Status"] == "[personal data removed]"
    assert json.loads(rows[3][3])["Tanggal"] == "[personal data removed]"


def test_trace_and_nested_niks_set_nik_hash_and_personal_fields_are_dropped(tmp_path: Path) -> None:
    key = load_secret()
    db = tmp_path / "xes.duckdb"
    ingest_file(db, CORPUS / "pii_trace.xes", sop_id=SOP)
    assert query(db, "SELECT nik_hash FROM cases") == [(hmac_hex(corpus.NIKS[5], key),)]
    mapping = json.loads(query(db, "SELECT mapping FROM imports")[0][0])
    assert sorted(mapping["dropped"]) == ["case:Alamat", "case:nama", "telp"]
    assert json.loads(query(db, "SELECT attributes FROM cases")[0][0]) == {"catatan": "NIK ibu [number removed]"}
    db2 = tmp_path / "pq.duckdb"
    ingest_file(db2, CORPUS / "pii_nested.parquet", sop_id=SOP)
    assert query(db2, "SELECT nik_hash FROM cases") == [(hmac_hex(corpus.NIKS[6], key),)]
    mapping = json.loads(query(db2, "SELECT mapping FROM imports")[0][0])
    assert mapping["pii"] == ["pemohon.nik"]
    assert mapping["dropped"] == ["pemohon.nama", "pemohon.hp", "keluarga"]


def test_a_nik_case_id_is_stable_across_imports_under_one_key(tmp_path: Path) -> None:
    ids = []
    for n in (1, 2):
        db = tmp_path / f"s{n}.duckdb"
        ingest_file(db, CORPUS / "pii_everywhere.csv", sop_id=SOP)
        ids.append({r[0] for r in query(db, "SELECT case_id FROM cases")})
    assert ids[0] == ids[1]


def test_json_cells_lose_their_personal_keys(tmp_path: Path) -> None:
    from conftest_ingest import write_csv

    cell = json.dumps({"nama": corpus.NAMES[0], "nik": corpus.NIKS[0], "hp": corpus.PHONES[0],
                       "status": "lengkap", "catatan": f"hubungi {corpus.PHONES[1]}"})
    path = write_csv(tmp_path / "json.csv", ["case_id", "activity", "timestamp", "data"],
                     [("R1", corpus.STEPS[0], "2024-03-05 09:00", cell)])
    db = tmp_path / "s.duckdb"
    ingest_file(db, path, sop_id=SOP)
    data = json.loads(json.loads(query(db, "SELECT attributes FROM cases")[0][0])["data"])
    assert data == {"status": "lengkap", "catatan": "hubungi [phone removed]"}
    assert json.loads(query(db, "SELECT mapping FROM imports")[0][0])["json_keys_dropped"] == ["hp", "nama", "nik"]
    assert _scan(_store_files(db)) == []


def test_keep_column_keeps_a_personal_column_but_masks_phones(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    ingest_file(db, CORPUS / "pii_everywhere.csv", sop_id=SOP, keep_columns=["Pemohon", "No HP"])
    key = load_secret()
    attrs = json.loads(query(db, "SELECT attributes FROM cases WHERE case_id = ?",
                             [hmac_hex(corpus.NIKS[0], key)])[0][0])
    assert attrs["Pemohon"] == corpus.NAMES[0] and attrs["No HP"] == "[phone removed]"
    assert json.loads(query(db, "SELECT mapping FROM imports")[0][0])["dropped"] == \
        ["Nama Ibu Kandung", "nama_ayah", "Alamat"]


@pytest.mark.parametrize(("name", "kind"), [
    ("Nama Ibu Kandung", "personal"), ("nama_ayah", "personal"), ("Pemohon", "personal"),
    ("NamaLengkap", "personal"), ("full_name", "personal"), ("No. HP", "personal"),
    ("nohp", "personal"), ("Telp", "personal"), ("No WA", "personal"), ("Alamat Rumah", "personal"),
    ("e-mail", "personal"), ("Tgl Lahir", "personal"), ("wali", "personal"), ("case:nama", "personal"),
    ("pemohon.hp", "personal"), ("case:nohp", "personal"), ("nowa", "personal"), ("kontak_wa", "personal"),
    ("NIK", "nik"), ("nik_pemohon", "nik"), ("case:NIK", "nik"), ("pemohon.nik", "nik"), ("No KTP", "nik"),
    ("No KK", "id"), ("nik_ibu", "id"),
    ("Nama Kegiatan", "none"), ("Nama Puskesmas", "none"), ("Jenis Pemohon", "none"), ("Jumlah KK", "none"),
    ("concept:name", "none"), ("case:concept:name", "none"), ("keterangan", "none"), ("jumlah_wbs", "none"),
    ("waktu_selesai", "none"), ("hpp", "none"), ("wajib_pajak", "none"),
])
def test_column_names_that_say_personal(name: str, kind: str) -> None:
    got = "nik" if is_nik_column(name) else "id" if is_id_column(name) else \
        "personal" if is_personal_column(name) else "none"
    assert got == kind


@pytest.mark.parametrize(("value", "shown"), [
    ("31/31/2024", "'31/31/2024'"), ("3171011203850012", "'[number removed]'"),
    ("3171 0112 0385 0011", "'[number removed]'"), ("081234567890", "'[phone removed]'"),
    ("suspend", "'suspend'"), ("Siti Aminah", "(11 characters, not shown)"),
    ("2024-03-05T09:00:00+99:99", "'2024-03-05T09:00:00+99:99'"), (None, "(empty)"),
])
def test_mask_value_in_python_and_sql_agree(value: str | None, shown: str) -> None:
    assert mask_value(value) == shown
    got = duckdb.connect().execute(f"SELECT {mask_value_sql('v')} FROM (SELECT ?::VARCHAR AS v)", [value]).fetchall()
    assert got == [(shown,)]


def test_database_errors_are_shown_as_their_first_line_masked() -> None:
    from event_logs.ingest.messages import safe_text

    raw = (f"Invalid Input Error: CSV Error on Line: 2\nOriginal Line: R1,{corpus.NAMES[0]},{corpus.NIKS[0]}\n"
           + "x" * 5000)
    assert safe_text(raw) == "Invalid Input Error: CSV Error on Line: 2"
    assert safe_text(f"Could not convert string '{corpus.NAMES[1]}' to INT32") == \
        "Could not convert string (19 characters, not shown) to INT32"


def test_a_file_without_header_does_not_echo_its_first_row(tmp_path: Path) -> None:
    from conftest_ingest import write_csv

    from pantau.errors import MissingColumnError

    path = write_csv(tmp_path / "noheader.csv", [corpus.NIKS[0], corpus.NAMES[0], "05/03/2024 09:00"],
                     [(corpus.NIKS[1], corpus.NAMES[1], "05/03/2024 10:00")])
    with pytest.raises(MissingColumnError) as info:
        ingest_file(tmp_path / "s.duckdb", path, sop_id=SOP)
    text = str(info.value)
    assert "looks like data" in text and "add a header line" in text
    assert _scan([], text.encode()) == []


def test_redact_masks_niks_and_phones_in_messages() -> None:
    text = "unmapped activity 'Verifikasi NIK 3171 0112 0385 0011, hp +62 812-3456-7891\x00'"
    assert redact(text) == "unmapped activity 'Verifikasi NIK [number removed], hp [phone removed]'"


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from pantau_cli import main; main()", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_byte_scan_of_store_wal_temp_and_cli_output(tmp_path: Path, key_file: Path) -> None:
    """Every corpus file through the CLI into one store: none of the corpus's raw personal
    values is in the database file, its WAL, DuckDB's temp folder or what the CLI printed."""
    db = tmp_path / "store.duckdb"
    env = {**os.environ, "PANTAU_KEY_FILE": str(key_file), "PM4PY_SHOW_PROGRESS_BAR": "False"}
    env.pop("PANTAU_SECRET", None)
    output = b""
    for name in [*PII_FILES, "unbalanced_quote.csv", "mixed_encoding.csv", "implausible_time.csv",
                 "control_chars.csv", "broken.xlsx"]:
        done = _cli(["ingest", str(CORPUS / name), "--db", str(db), "--sop", SOP, "--quiet"], env)
        output += (done.stdout + done.stderr).encode()
        assert "Traceback" not in done.stderr, done.stderr
    long_line = corpus.write_large(tmp_path)
    done = _cli(["ingest", str(long_line), "--db", str(db), "--sop", SOP, "--quiet"], env)
    output += (done.stdout + done.stderr).encode()
    assert done.returncode == 1 and "Error:" in done.stderr and len(done.stderr) < 1000
    assert counts(db)["events"] > 0
    # CONTROL: stored text is seen by the scan (the scan can find what is there)
    assert b"Petugas A" in b"".join(p.read_bytes() for p in _store_files(db) if p.is_file()) or \
        query(db, "SELECT count(*) FROM events WHERE resource = 'Petugas A'")[0][0]
    assert _scan(_store_files(db), output) == []
