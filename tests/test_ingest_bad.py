"""Ingest: the bad-input corpus — empty files, wrong delimiters, missing columns, timestamp
formats and zones, duplicates, garbage rows. Counts always reconcile."""

# ruff: noqa: F811  (fixtures imported from conftest_ingest are parameters of the same name)

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest_ingest import Sop, counts, key_file, query, sop, write_csv  # noqa: F401

from event_logs.ingest import ingest_file
from pantau.errors import IngestError, MissingColumnError

HEADER = ["case_id", "activity", "timestamp"]


def _refused(db: Path) -> None:
    """Nothing was written by a refused import."""
    if db.exists():
        assert counts(db) == {"imports": 0, "events": 0, "cases": 0, "quarantine": 0}


def test_empty_file(tmp_path: Path, sop: Sop) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(IngestError, match="empty"):
        ingest_file(tmp_path / "s.duckdb", path, **sop.kw())
    _refused(tmp_path / "s.duckdb")


def test_header_only(tmp_path: Path, sop: Sop) -> None:
    path = write_csv(tmp_path / "header.csv", HEADER, [])
    with pytest.raises(IngestError, match="no data rows"):
        ingest_file(tmp_path / "s.duckdb", path, **sop.kw())
    _refused(tmp_path / "s.duckdb")


def test_pipe_delimited_file_lists_what_it_saw(tmp_path: Path, sop: Sop) -> None:
    path = tmp_path / "pipes.csv"
    path.write_text("case_id|activity|timestamp\nR1|Menerima|2024-03-05 09:00\n", encoding="utf-8")
    with pytest.raises(MissingColumnError) as info:
        ingest_file(tmp_path / "s.duckdb", path, **sop.kw())
    text = str(info.value)
    assert "case_id|activity|timestamp" in text  # the one column it saw
    assert "'|'" in text and "--map" in text
    _refused(tmp_path / "s.duckdb")


def test_missing_activity_column_then_map_with_spaces(tmp_path: Path, sop: Sop) -> None:
    s0 = sop.model.steps[0].name
    path = write_csv(tmp_path / "log.csv", ["No Registrasi", "Uraian Pekerjaan", "Tgl"],
                     [("R1", s0, "05/03/2024 09:00")])
    with pytest.raises(MissingColumnError) as info:
        ingest_file(tmp_path / "s.duckdb", path, **sop.kw())
    text = str(info.value)
    assert "no activity column" in text
    assert "['No Registrasi', 'Uraian Pekerjaan', 'Tgl']" in text
    assert "--map 'COLUMN=activity'" in text
    result = ingest_file(tmp_path / "s.duckdb", path, mapping={"Uraian Pekerjaan": "activity"}, **sop.kw())
    assert result.rows_loaded == 1 and result.columns["activity"] == "Uraian Pekerjaan"


def test_bad_map_arguments(tmp_path: Path, sop: Sop) -> None:
    path = write_csv(tmp_path / "log.csv", HEADER, [("R1", "x", "2024-03-05 09:00")])
    with pytest.raises(IngestError, match="unknown field 'kasus'"):
        ingest_file(tmp_path / "s.duckdb", path, mapping={"case_id": "kasus"}, **sop.kw())
    with pytest.raises(MissingColumnError, match="does not have: 'Nomor'"):
        ingest_file(tmp_path / "s.duckdb", path, mapping={"Nomor": "case_id"}, **sop.kw())


def test_timestamp_formats_and_zones(tmp_path: Path, sop: Sop) -> None:
    s0 = sop.model.steps[0].name
    values = [
        "2024-03-05T09:15:00+07:00",   # offset: WIB
        "2024-03-05T09:15:00+08:00",   # offset: WITA, wins over the zone
        "2024-03-05T02:15:00Z",        # UTC
        "2024-03-05 09:15:00",         # naive ISO -> zone
        "2024-03-05T09:15",            # naive ISO, no seconds
        "05/03/2024 09:15",            # dd/mm/yyyy HH:MM (5 March, day first)
        "05/03/2024 09:15:30",         # with seconds
        "05-03-2024",                  # date only -> local midnight
        "45356.5",                     # Excel serial: 2024-03-05 12:00 local
        "45356,5",                     # the same with a decimal comma
        "1709605800",                  # Unix seconds: 2024-03-05 02:30 UTC, whatever the zone
        "1709605800.25",               # with a fraction
        "1709605800250",               # Unix milliseconds
        "170960580",                   # nine digits: no timestamp (quarantined)
    ]
    path = write_csv(tmp_path / "log.csv", HEADER, [(f"R{i}", s0, v) for i, v in enumerate(values)])
    db = tmp_path / "s.duckdb"
    result = ingest_file(db, path, tz="WITA", **sop.kw())  # naive times are UTC+8 here
    assert result.rows_loaded == len(values) - 1 and result.timezone == "Asia/Makassar"
    assert [r[0] for r in query(db, "SELECT reason FROM quarantine")] == ["unparsable timestamp '170960580'"]
    got = [r[0] for r in query(db, "SELECT ts FROM events ORDER BY source_row")]
    wita = timedelta(hours=8)
    excel_noon = datetime(1899, 12, 30) + timedelta(days=45356.5)  # Excel's day zero
    expected = [
        datetime(2024, 3, 5, 2, 15), datetime(2024, 3, 5, 1, 15), datetime(2024, 3, 5, 2, 15),
        datetime(2024, 3, 5, 9, 15) - wita, datetime(2024, 3, 5, 9, 15) - wita,
        datetime(2024, 3, 5, 9, 15) - wita, datetime(2024, 3, 5, 9, 15, 30) - wita,
        datetime(2024, 3, 5, 0, 0) - wita, excel_noon - wita, excel_noon - wita,
        datetime(2024, 3, 5, 2, 30), datetime(2024, 3, 5, 2, 30, 0, 250000),
        datetime(2024, 3, 5, 2, 30, 0, 250000),
    ]
    assert got == [e.replace(tzinfo=UTC) for e in expected]


def test_naive_times_take_the_sop_zone(tmp_path: Path, sop: Sop) -> None:
    path = write_csv(tmp_path / "log.csv", HEADER, [("R1", sop.model.steps[0].name, "2024-03-05 09:15")])
    db = tmp_path / "s.duckdb"
    ingest_file(db, path, **sop.kw())
    assert sop.model.timezone == "Asia/Jakarta"
    assert query(db, "SELECT ts FROM events")[0][0] == datetime(2024, 3, 5, 2, 15, tzinfo=UTC)


def test_unknown_zone(tmp_path: Path, sop: Sop) -> None:
    path = write_csv(tmp_path / "log.csv", HEADER, [("R1", "x", "2024-03-05 09:15")])
    with pytest.raises(IngestError, match="unknown time zone 'Mars/Olympus'"):
        ingest_file(tmp_path / "s.duckdb", path, tz="Mars/Olympus", **sop.kw())


def test_no_readable_timestamp_refuses_the_file(tmp_path: Path, sop: Sop) -> None:
    path = write_csv(tmp_path / "log.csv", HEADER, [("R1", "x", "kemarin sore"), ("R2", "y", "tadi")])
    db = tmp_path / "s.duckdb"
    with pytest.raises(IngestError, match="no timestamps at all") as info:
        ingest_file(db, path, **sop.kw())
    # what was seen is described, never echoed: a timestamp column may hold a name
    assert "(12 characters, not shown)" in str(info.value)
    assert "kemarin sore" not in str(info.value) and "tadi" not in str(info.value)
    _refused(db)


def test_exact_duplicates_keep_the_first(tmp_path: Path, sop: Sop) -> None:
    s0, s1 = sop.model.steps[0].name, sop.model.steps[1].name
    rows = [
        ("R1", s0, "2024-03-05 09:00", "Ani"),
        ("R1", s0, "2024-03-05 09:00", "Ani"),        # duplicate of row 1
        ("R1", s0, "2024-03-05 09:00", "Budi"),       # other resource: not a duplicate
        ("R1", s1, "2024-03-05 10:00", "Ani"),
        (" R1 ", s1, "05/03/2024 10:00", "Ani"),      # same after trimming and parsing: duplicate
        ("R1", s0, "2024-03-05 09:00", "Ani"),        # duplicate of row 1 again
    ]
    path = write_csv(tmp_path / "log.csv", [*HEADER, "resource"], rows)
    db = tmp_path / "s.duckdb"
    result = ingest_file(db, path, **sop.kw())
    assert (result.rows_read, result.rows_loaded, result.rows_duplicate) == (6, 3, 3)
    assert [r[0] for r in query(db, "SELECT source_row FROM events ORDER BY event_id")] == [1, 3, 4]


def test_unknown_lifecycle_is_quarantined(tmp_path: Path, sop: Sop) -> None:
    s0 = sop.model.steps[0].name
    path = write_csv(tmp_path / "log.csv", [*HEADER, "lifecycle:transition"], [
        ("R1", s0, "2024-03-05 09:00", "start"), ("R1", s0, "2024-03-05 09:30", "ditunda")])
    db = tmp_path / "s.duckdb"
    result = ingest_file(db, path, **sop.kw())
    assert result.quarantine_reasons == {"unknown lifecycle": 1}
    assert query(db, "SELECT source_row, reason FROM quarantine") == [(2, "unknown lifecycle 'ditunda'")]


def test_ten_percent_garbage_rows(tmp_path: Path, sop: Sop) -> None:
    """200 good rows and 22 bad ones of known kinds, shuffled; each bad row is quarantined
    with the reason for what was broken in it, and the counts reconcile."""
    rng = random.Random(7)
    steps = [s.name for s in sop.model.steps]
    start = datetime(2024, 4, 1, 8, 0)
    good = [(f"REG-{i // 5:03d}", steps[i % 5 % len(steps)],
             (start + timedelta(minutes=7 * i)).strftime("%Y-%m-%d %H:%M:%S"), "ok") for i in range(200)]
    bad: list[tuple[tuple[str, ...], str]] = []
    bad += [(("", steps[0], "2024-04-02 09:00", "no case"), "missing case_id")] * 5
    bad += [((f"REG-X{i}", steps[0], "31/31/2024", "bad ts"), "unparsable timestamp '31/31/2024'") for i in range(5)]
    bad += [((f"REG-Y{i}", "", "2024-04-02 09:00", "no act"), "missing activity") for i in range(5)]
    bad += [((f"REG-Z{i}", steps[0], "", "no ts"), "missing timestamp") for i in range(4)]
    bad += [(("", "", "", "all gone"), "missing case_id; missing activity; missing timestamp")] * 3
    rows = [(r, None) for r in good] + bad
    rng.shuffle(rows)
    path = write_csv(tmp_path / "log.csv", [*HEADER, "keterangan"], [r for r, _ in rows])
    db = tmp_path / "s.duckdb"
    result = ingest_file(db, path, **sop.kw())
    assert result.rows_read == 222
    assert (result.rows_loaded, result.rows_quarantined, result.rows_duplicate) == (200, 22, 0)
    assert result.rows_read == result.rows_loaded + result.rows_quarantined + result.rows_duplicate
    assert result.quarantine_reasons == {"missing case_id": 8, "unparsable timestamp": 5,
                                         "missing activity": 8, "missing timestamp": 7}
    expected = {n: reason for n, (_, reason) in enumerate(rows, start=1) if reason}
    assert dict(query(db, "SELECT source_row, reason FROM quarantine")) == expected
    # the quarantined row is kept as read
    raw = json.loads(query(db, "SELECT raw FROM quarantine WHERE reason LIKE 'unparsable%' LIMIT 1")[0][0])
    assert raw["timestamp"] == "31/31/2024" and raw["keterangan"] == "bad ts"
    assert query(db, "SELECT rows_read, rows_loaded, rows_quarantined, rows_duplicate FROM imports") == [(222, 200, 22, 0)]


def test_rows_with_too_many_fields(tmp_path: Path, sop: Sop) -> None:
    s0 = sop.model.steps[0].name
    text = f"case_id,activity,timestamp\nR1,{s0},2024-03-05 09:00\nR2,{s0},2024-03-05 09:00,surplus,more\nR3,{s0}\n"
    path = tmp_path / "ragged.csv"
    path.write_text(text, encoding="utf-8")
    db = tmp_path / "s.duckdb"
    result = ingest_file(db, path, **sop.kw())
    assert (result.rows_loaded, result.rows_quarantined) == (1, 2)
    reasons = dict(query(db, "SELECT source_row, reason FROM quarantine"))
    assert reasons == {2: "too many fields", 3: "missing timestamp"}
    assert json.loads(query(db, "SELECT raw FROM quarantine WHERE source_row = 2")[0][0])["(extra fields)"] == "surplus"


def test_decimal_comma_attributes(tmp_path: Path, sop: Sop) -> None:
    s0 = sop.model.steps[0].name
    path = write_csv(tmp_path / "log.csv", [*HEADER, "biaya", "jumlah_wbs", "resi_no"], [
        ("R1", s0, "2024-03-05 09:00", "1.250,50", "3", "000123"),
        ("R2", s0, "2024-03-05 09:00", "12,5", "10", "000124"),
    ], delimiter=";")
    db = tmp_path / "s.duckdb"
    ingest_file(db, path, **sop.kw())
    attrs = {r[0]: json.loads(r[1]) for r in query(db, "SELECT case_id, attributes FROM cases")}
    assert attrs["R1"] == {"biaya": 1250.5, "jumlah_wbs": 3, "resi_no": "000123"}
    assert attrs["R2"] == {"biaya": 12.5, "jumlah_wbs": 10, "resi_no": "000124"}


def test_unterminated_quote_is_cut_at_its_line_or_refused(tmp_path: Path, sop: Sop) -> None:
    s0 = sop.model.steps[0].name
    path = tmp_path / "open_quote.csv"
    path.write_text(f'case_id,activity,timestamp\nR1,{s0},2024-03-05 09:00\nR2,"{s0},2024-03-05 09:10\n'
                    f"R3,{s0},2024-03-05 09:20\n", encoding="utf-8")
    db = tmp_path / "s.duckdb"
    # the lines after the open quote are records: they are read as rows, the line quarantined
    result = ingest_file(db, path, **sop.kw())
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 2, 1)
    assert result.unbalanced_quote_rows == [2]
    assert query(db, "SELECT source_row, kind FROM quarantine") == [(2, "unbalanced_quote")]
    assert [r[0] for r in query(db, "SELECT source_row FROM events ORDER BY 1")] == [1, 3]
    # a quote that swallows only text to the end of the file is refused with its row
    text = tmp_path / "open_note.csv"
    text.write_text(f'case_id,activity,timestamp,catatan\nR1,{s0},2024-03-05 09:00,"baris\nkedua\n',
                    encoding="utf-8")
    db2 = tmp_path / "s2.duckdb"
    with pytest.raises(IngestError, match="never closes") as info:
        ingest_file(db2, text, **sop.kw())
    assert info.value.row == 1
    _refused(db2)
    # a legitimate multi-line value in the last row is fine
    ok = tmp_path / "multiline.csv"
    ok.write_text(f'case_id,activity,timestamp,catatan\nR1,{s0},2024-03-05 09:00,"baris\nkedua"\n', encoding="utf-8")
    assert ingest_file(tmp_path / "s3.duckdb", ok, **sop.kw()).rows_loaded == 1


def test_utf16_unicode_text_export(tmp_path: Path, sop: Sop) -> None:
    """Excel's "Unicode text" export: UTF-16 with a BOM, tab separated."""
    s0 = sop.model.steps[0].name
    path = tmp_path / "export.txt"
    path.write_bytes(f"No Registrasi\tKegiatan\tTanggal\tPetugas\r\nR1\t{s0}\t05/03/2024 09:00\tWayan Ñoño\r\n"
                     .encode("utf-16"))
    db = tmp_path / "s.duckdb"
    result = ingest_file(db, path, **sop.kw())
    assert result.rows_loaded == 1
    assert query(db, "SELECT resource FROM events") == [("Wayan Ñoño",)]
