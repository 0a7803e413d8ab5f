"""Ingest safety: personal data never reaches the database, XML entities are refused, a
locked store is reported, and a killed import leaves the store as it was."""

# ruff: noqa: F811  (fixtures imported from conftest_ingest are parameters of the same name)

from __future__ import annotations

import gzip
import json
import os
import signal
import stat
from pathlib import Path

import duckdb
import pytest
from conftest_ingest import Sop, counts, key_file, query, run_python, sop, write_csv  # noqa: F401

from event_logs.ingest import ingest_file
from event_logs.ingest.pii import hmac_hex, load_secret
from event_logs.store import open_store
from pantau.errors import IngestError, StoreLockedError

NIKS = ["3171011203850001", "3171011203850002", "3171011203850003"]
KKS = ["3171019988770001", "3171019988770002", "3171019988770003"]
NAMES = ["Sutrisno Wibowokusumo", "Rahmawati Kartikasari", "Bonifasius Simanjuntak"]
ADDRESSES = ["Jalan Kenanga Tujuh Belas", "Gang Melati Sembilan", "Perumahan Bukit Indah Blok Q"]
CONTROL = "PETUGAS-KONTROL-7731"  # stored on purpose: proves the byte scan can see stored text


def _pii_log(tmp_path: Path, sop: Sop) -> Path:
    steps = sop.model.steps
    header = ["No Registrasi", "Kegiatan", "Tanggal", "Petugas", "NIK", "No KK", "Nama Pemohon",
              "nama_peserta", "Alamat", "Keterangan"]
    rows = []
    for i, (nik, kk, name, addr) in enumerate(zip(NIKS, KKS, NAMES, ADDRESSES, strict=True)):
        rows.append((f"REG-{i}", steps[0].name, "2024-03-05 09:00", CONTROL, nik, kk, name, name, addr, ""))
        rows.append((f"REG-{i}", steps[1].name, "2024-03-05 10:00", CONTROL, nik, kk, name, name, addr,
                     f"NIK ayah {NIKS[(i + 1) % 3]}" if i == 0 else NIKS[(i + 1) % 3]))
    # quarantined rows carrying personal data: unreadable date, and a row with too many fields
    rows.append(("REG-9", steps[0].name, "31/31/2024", CONTROL, NIKS[0], KKS[0], NAMES[0], NAMES[0],
                 ADDRESSES[0], ""))
    path = write_csv(tmp_path / "pii.csv", header, rows)
    with path.open("a", encoding="utf-8") as handle:  # shifted row: the name lands under 'NIK'
        handle.write(f"REG-8,{steps[0].name},2024-03-05 09:00,{CONTROL},{NAMES[1]},{NIKS[1]},{KKS[1]},"
                     f"{NAMES[1]},{NAMES[1]},{ADDRESSES[1]},x\n")
    return path


def _store_bytes(db: Path) -> bytes:
    con = duckdb.connect(str(db))
    con.execute("CHECKPOINT")
    con.close()
    data = db.read_bytes()
    wal = Path(f"{db}.wal")
    return data + (wal.read_bytes() if wal.exists() else b"")


def _text_columns(db: Path) -> list[tuple[str, str]]:
    # main's tables and views: the schema ``scoped`` holds views over them (event_logs.scoped)
    return query(db, "SELECT table_name, column_name FROM information_schema.columns "
                     "WHERE data_type IN ('VARCHAR', 'JSON') AND table_schema = 'main'")


def test_personal_data_never_reaches_the_database(tmp_path: Path, sop: Sop) -> None:
    db = tmp_path / "s.duckdb"
    result = ingest_file(db, _pii_log(tmp_path, sop), pii_columns=["Alamat"], **sop.kw())
    assert (result.rows_loaded, result.rows_quarantined) == (6, 2)
    secrets = NIKS + KKS + NAMES + ADDRESSES
    # 1. no text column of any table holds a raw value (whatever the storage compression)
    con = duckdb.connect(str(db), read_only=True)
    try:
        for table, column in _text_columns(db):
            for value in secrets:
                hits = con.execute(f'SELECT count(*) FROM "{table}" WHERE contains("{column}"::VARCHAR, ?)',
                                   [value]).fetchall()
                assert hits == [(0,)], f"{value!r} found in {table}.{column}"
    finally:
        con.close()
    # 2. nor do the file's bytes, while text that is stored on purpose is found there
    data = _store_bytes(db)
    assert CONTROL.encode() in data
    for value in secrets:
        assert value.encode() not in data, f"{value!r} found in the database file"
    # the NIK is kept only as its HMAC, per case
    key = load_secret()
    got = dict(query(db, "SELECT case_id, nik_hash FROM cases"))
    assert got == {f"REG-{i}": hmac_hex(nik, key) for i, nik in enumerate(NIKS)}
    # quarantined rows: the NIK column hashed, names dropped, shifted rows withheld
    raw = json.loads(query(db, "SELECT raw FROM quarantine WHERE source_row = 7")[0][0])
    assert raw["NIK"] == hmac_hex(NIKS[0], key) and raw["No KK"] == hmac_hex(KKS[0], key)
    assert "Nama Pemohon" not in raw and "nama_peserta" not in raw
    withheld = json.loads(query(db, "SELECT raw FROM quarantine WHERE source_row = 8")[0][0])
    assert list(withheld) == ["(withheld)"]
    # attributes: no PII columns; a 16-digit value in a free-text column is hashed
    attrs = json.loads(query(db, "SELECT attributes FROM cases WHERE case_id = 'REG-1'")[0][0])
    assert attrs == {"Keterangan": hmac_hex(NIKS[2], key)}
    first = json.loads(query(db, "SELECT attributes FROM cases WHERE case_id = 'REG-0'")[0][0])
    assert first == {"Keterangan": "NIK ayah [number removed]"}
    mapping = json.loads(query(db, "SELECT mapping FROM imports")[0][0])
    assert mapping["pii"] == ["NIK", "No KK", "Alamat"]
    assert mapping["dropped"] == ["Nama Pemohon", "nama_peserta"]


def test_niks_written_in_groups_are_hashed_as_their_digits_and_never_stored(tmp_path: Path, sop: Sop) -> None:
    steps = sop.model.steps
    nik, mother = "3171011203850004", "3171011203850005"
    grouped = ["3171 0112 0385 0004", "3171-0112-0385-0004", "3171.01.120385.0004"]
    header = ["No Registrasi", "Kegiatan", "Tanggal", "NIK", "Keterangan", "Nomor Identitas"]
    rows = [(f"REG-{i}", steps[0].name, "2024-03-05 09:00", written,
             f"NIK ibu {mother[:4]}-{mother[4:8]}-{mother[8:12]}-{mother[12:]}", "3171 0112 0385 0005")
            for i, written in enumerate([nik, *grouped])]
    db = tmp_path / "s.duckdb"
    result = ingest_file(db, write_csv(tmp_path / "grouped.csv", header, rows), **sop.kw())
    assert result.rows_loaded == 4
    key = load_secret()
    # the same person however the NIK was written: one hash, linkable across cases
    assert {h for (h,) in query(db, "SELECT nik_hash FROM cases")} == {hmac_hex(nik, key)}
    attrs = json.loads(query(db, "SELECT attributes FROM cases WHERE case_id = 'REG-1'")[0][0])
    # grouped inside free text: removed; a whole grouped value in an unnamed column: hashed
    assert attrs == {"Keterangan": "NIK ibu [number removed]", "Nomor Identitas": hmac_hex(mother, key)}
    data = _store_bytes(db)
    for value in [nik, mother, *grouped, "3171 0112 0385 0005", "3171-0112-0385-0005"]:
        assert value.encode() not in data, f"{value!r} found in the database file"


def test_keep_names_keeps_them_as_attributes(tmp_path: Path, sop: Sop) -> None:
    db = tmp_path / "s.duckdb"
    ingest_file(db, _pii_log(tmp_path, sop), keep_names=True, **sop.kw())
    attrs = json.loads(query(db, "SELECT attributes FROM cases WHERE case_id = 'REG-0'")[0][0])
    assert attrs["Nama Pemohon"] == NAMES[0] and attrs["Alamat"] == ADDRESSES[0]
    assert "NIK" not in attrs


def test_key_file_is_created_private_and_reused(tmp_path: Path, sop: Sop, key_file: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PANTAU_SECRET", raising=False)
    assert not key_file.exists()
    db = tmp_path / "s.duckdb"
    ingest_file(db, _pii_log(tmp_path, sop), **sop.kw())
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text().strip().encode()
    assert query(db, "SELECT nik_hash FROM cases WHERE case_id = 'REG-0'")[0][0] == hmac_hex(NIKS[0], key)
    assert load_secret() == key  # reused, not regenerated
    key_file.chmod(0o644)
    with pytest.raises(IngestError, match="can be read by other users"):
        load_secret()
    monkeypatch.setenv("PANTAU_SECRET", "from-the-environment")
    assert load_secret() == b"from-the-environment"


@pytest.mark.parametrize("gz", [False, True], ids=["xes", "xes.gz"])
def test_xxe_payload_is_refused(tmp_path: Path, sop: Sop, gz: bool) -> None:
    local = tmp_path / "hostname"
    local.write_text("RAHASIA-LOKAL-5521\n", encoding="utf-8")
    payload = (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE log [<!ENTITY x SYSTEM "file://{local}">]>\n'
        '<log><trace><string key="concept:name" value="R1"/><event>'
        f'<string key="concept:name" value="{sop.model.steps[0].name}"/>'
        '<date key="time:timestamp" value="2024-03-05T09:00:00+07:00"/>'
        '<string key="org:resource">&x;</string></event></trace></log>'
    )
    path = tmp_path / ("evil.xes.gz" if gz else "evil.xes")
    path.write_bytes(gzip.compress(payload.encode()) if gz else payload.encode())
    db = tmp_path / "s.duckdb"
    with pytest.raises(IngestError, match="entity") as info:
        ingest_file(db, path, **sop.kw())
    assert info.value.file == str(path)
    assert counts(db) == {"imports": 0, "events": 0, "cases": 0, "quarantine": 0}
    assert b"RAHASIA-LOKAL-5521" not in _store_bytes(db)


HOLD_LOCK = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("ready", flush=True)
time.sleep(60)
"""


def test_store_held_by_another_process(tmp_path: Path, sop: Sop) -> None:
    db = tmp_path / "s.duckdb"
    path = write_csv(tmp_path / "log.csv", ["case_id", "activity", "timestamp"],
                     [("R1", sop.model.steps[0].name, "2024-03-05 09:00")])
    holder = run_python(HOLD_LOCK, str(db))
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreLockedError) as info:
            ingest_file(db, path, **sop.kw())
        text = str(info.value)
        assert "locked" in text and f"process {holder.pid}" in text
        assert "Close it or wait" in text  # says what to do
    finally:
        holder.kill()
        holder.wait()
    assert ingest_file(db, path, **sop.kw()).rows_loaded == 1  # free again


KILLABLE = """
import sys, time
from event_logs.ingest import ingest_file

def progress(done, total):
    print(done, total, flush=True)
    if done == total:  # events written, transaction not committed: wait to be killed
        time.sleep(120)

ingest_file(sys.argv[1], sys.argv[2], sop_id=sys.argv[3], models_dir=sys.argv[4] or None, progress=progress)
print("finished", flush=True)
"""


def test_killed_import_leaves_the_store_as_before(tmp_path: Path, sop: Sop) -> None:
    db = tmp_path / "s.duckdb"
    steps = [s.name for s in sop.model.steps]
    small = write_csv(tmp_path / "small.csv", ["case_id", "activity", "timestamp"],
                      [("OLD-1", steps[0], "2024-01-02 09:00"), ("OLD-1", steps[1], "2024-01-02 10:00")])
    ingest_file(db, small, **sop.kw())
    before = counts(db)
    rows = 150_000  # more than one row group: DuckDB writes blocks to the file before COMMIT
    big = tmp_path / "big.csv"
    with big.open("w", encoding="utf-8") as handle:
        handle.write("case_id,activity,timestamp\n")
        handle.writelines(f"C{i // 10},\"{steps[i % len(steps)]}\",2024-02-{1 + i % 28:02d} 09:{i % 60:02d}:00\n"
                          for i in range(rows))
    child = run_python(KILLABLE, str(db), str(big), sop.id, str(sop.models_dir or ""))
    try:
        for line in child.stdout:
            done, total = map(int, line.split())
            if done == total:
                break
        else:
            pytest.fail(f"the import never reached its writes: {child.stderr.read()}")
        assert total == rows
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL
    con = open_store(db)  # opens (read-only), schema intact
    con.close()
    assert counts(db) == before
    assert query(db, "SELECT count(*) FROM imports WHERE file_name = 'big.csv'") == [(0,)]
    again = ingest_file(db, big, **sop.kw())  # not recorded as imported: it can be done again
    assert not again.already_imported and again.rows_loaded == rows
