"""Ingest building blocks: HMAC in SQL, timestamp parsing SQL, CSV dialects, XES parsing."""

# ruff: noqa: F811  (fixtures imported from conftest_ingest are parameters of the same name)

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from conftest_ingest import Sop, key_file, query, sop, write_csv  # noqa: F401
from hypothesis import given, settings
from hypothesis import strategies as st

from event_logs.ingest import ingest_file
from event_logs.ingest.csvfile import sniff_delimiter
from event_logs.ingest.pii import guard_sql, hmac_hex, hmac_sql
from event_logs.ingest.timestamps import timestamp_sql
from event_logs.ingest.xes import read_xes

CON = duckdb.connect()


@settings(max_examples=60, deadline=None)
@given(value=st.text(min_size=0, max_size=40), key=st.binary(min_size=1, max_size=100))
def test_hmac_sql_is_rfc2104(value: str, key: bytes) -> None:
    """The SQL HMAC equals Python's hmac module, for short and long (> block) keys."""
    got = CON.execute(f"SELECT {hmac_sql('?', key)}", [value]).fetchall()[0][0]
    assert got == hmac_hex(value, key)


def test_guard_hashes_whole_niks_and_redacts_embedded_ones() -> None:
    key = b"k"
    values = [" 3171011203850001 ", "ayah 3171011203850001.", "123456", None,
              "3171 0112 0385 0001", "3171.01.120385.0001", "ayah 3171-0112-0385-0001.",
              "0812-3456-7890", "05.03.2024 10.15.30", "31710112038500012"]
    sql = f"SELECT {guard_sql('v', key)} FROM (SELECT unnest(?::VARCHAR[]) AS v)"
    got = [r[0] for r in CON.execute(sql, [values]).fetchall()]
    nik = hmac_hex("3171011203850001", key)
    assert got == [nik, "ayah [number removed].", "123456", None,
                   # grouped as NIKs are often written: the same hash, or removed from text
                   nik, nik, "ayah [number removed].",
                   # a phone number is masked; a date-time has fewer than 16 digits; 17 are removed
                   "[phone removed]", "05.03.2024 10.15.30", "[number removed]"]


def _ts(values: list[str | None], zone: str = "Asia/Jakarta") -> list[datetime | None]:
    CON.execute("SET TimeZone = 'UTC'")
    sql = f"SELECT {timestamp_sql('v', zone)} FROM (SELECT unnest(?::VARCHAR[]) AS v)"
    return [r[0] for r in CON.execute(sql, [values]).fetchall()]


@pytest.mark.parametrize("text", [
    "31/31/2024", "2024-02-30 10:00", "kemarin", "2024", "12345678", "1234", "infinity",
    "epoch", "05/03/24 9:00 pagi", "2024-03-05T25:00:00+07:00", "",
])
def test_unreadable_timestamps_are_null(text: str) -> None:
    assert _ts([text]) == [None]


def test_timestamp_variants() -> None:
    utc = [datetime(2024, 3, 5, 2, 15, tzinfo=UTC)] * 7
    got = _ts(["2024-03-05T09:15:00+07:00", "2024-03-05T09:15:00+0700", "2024-03-05 09:15:00+07",
               "2024-03-05T02:15:00Z", "2024-03-05T02:15:00z", "2024/03/05 09:15", "5/3/2024 9.15"])
    assert got == utc
    # fractional seconds survive; Jayapura is UTC+9
    assert _ts(["2024-03-05 09:15:00.250"], "Asia/Jayapura") == [datetime(2024, 3, 5, 0, 15, 0, 250000, tzinfo=UTC)]


@pytest.mark.parametrize("sample,expected", [
    ("a,b,c\n1,2,3\n", ","),
    ("a;b;c\n1;2,5;3\n", ";"),           # decimal commas inside a ';' file
    ("a\tb\tc\n1\t2\t3\n", "\t"),
    ('"x, y";b\n"1, 2";3\n', ";"),       # quoted commas do not count
    ("a|b|c\n1|2|3\n", ","),             # none of ours: one column, reported by the caller
])
def test_sniff_delimiter(sample: str, expected: str) -> None:
    assert sniff_delimiter(sample) == expected


def test_csv_with_bom_crlf_and_quoted_newlines(tmp_path: Path, sop: Sop) -> None:
    s0 = sop.model.steps[0].name
    text = f'\ufeffcase_id,activity,timestamp,catatan\r\nR1,"{s0}",2024-03-05 09:00,"baris satu\r\nbaris dua"\r\nR2,"{s0}",2024-03-05 09:30,\r\n'
    path = tmp_path / "bom.csv"
    path.write_bytes(text.encode("utf-8"))
    db = tmp_path / "s.duckdb"
    result = ingest_file(db, path, **sop.kw())
    assert (result.rows_loaded, result.rows_quarantined) == (2, 0)
    assert result.columns["case_id"] == "case_id"  # the BOM is not part of the first name
    assert query(db, "SELECT case_id, source_row FROM events ORDER BY event_id") == [("R1", 1), ("R2", 2)]


def test_read_xes_attributes(tmp_path: Path) -> None:
    path = tmp_path / "a.xes"
    path.write_text(
        '<log xmlns="http://www.xes-standard.org/"><global scope="event">'
        '<date key="time:timestamp" value="1970-01-01T00:00:00+00:00"/></global>'
        '<trace><string key="concept:name" value="T1"/><float key="biaya" value="1.5"/>'
        '<event><string key="concept:name" value="A"/><int key="n" value="3"/>'
        '<list key="items"><values><string key="x" value="nested"/></values></list>'
        '<boolean key="ok" value="true"/></event>'
        '<event><string key="concept:name" value="B"/><date key="time:timestamp" value="2024-03-05T09:00:00+07:00"/></event>'
        '</trace><trace><string key="concept:name" value="T2"/></trace></log>', encoding="utf-8")
    log = read_xes(path)
    names, traces = log.names, log.traces
    values = {n: log.table.column(f"c{i}").to_pylist() for i, n in enumerate(names)}
    assert traces == 2  # T2 has no events: no rows
    assert values["case:concept:name"] == ["T1", "T1"]
    assert values["concept:name"] == ["A", "B"]
    assert values["time:timestamp"] == [None, "2024-03-05T09:00:00+07:00"]  # globals are not defaults
    assert values["n"] == ["3", None] and values["ok"] == ["true", None] and values["case:biaya"] == ["1.5", "1.5"]
    assert "x" not in names and "items" not in names  # nested attributes ignored


def test_source_row_counts_data_rows(tmp_path: Path, sop: Sop) -> None:
    s0 = sop.model.steps[0].name
    path = write_csv(tmp_path / "log.csv", ["case_id", "activity", "timestamp"],
                     [(f"R{i}", s0, f"2024-03-05 09:{i:02d}") for i in range(1, 51)])
    db = tmp_path / "s.duckdb"
    ingest_file(db, path, **sop.kw())
    rows = query(db, "SELECT source_row, case_id FROM events ORDER BY source_row")
    assert rows == [(i, f"R{i}") for i in range(1, 51)]


def _plain_control(chunk: bytes) -> bool:
    """The plain form of the byte scan's control test: delete the control bytes, compare lengths."""
    from event_logs.ingest.csvfile import _CONTROL_BYTES

    return len(chunk.translate(None, _CONTROL_BYTES)) != len(chunk)


@settings(max_examples=200, deadline=None)
@given(chunk=st.binary(min_size=0, max_size=300)
       | st.lists(st.sampled_from([b"\n", b"\r\n", b"\t", b"a,b", b"\x00", b"\x7f", b"\x1f", b"\x0b", b"\xc3\xa9", b" "]),
                  max_size=60).map(b"".join))
def test_count_bytes_is_the_plain_count(chunk: bytes) -> None:
    """The NumPy pass counts line feeds and finds control bytes as bytes.count and translate do."""
    from event_logs.ingest.csvfile import count_bytes

    assert count_bytes(chunk) == (chunk.count(b"\n"), _plain_control(chunk))


def test_count_bytes_sees_every_control_byte_alone() -> None:
    from event_logs.ingest.csvfile import count_bytes

    for byte in range(256):
        chunk = b"ab\ncd" + bytes([byte]) + b"\r\n\t"
        assert count_bytes(chunk) == (chunk.count(b"\n"), _plain_control(chunk)), byte
