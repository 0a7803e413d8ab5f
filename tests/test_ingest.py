"""Ingest: every input format lands the same events; counts, cases, re-import, progress."""

# ruff: noqa: F811  (fixtures imported from conftest_ingest are parameters of the same name)

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest_ingest import Sop, counts, key_file, query, query_steps, sop, write_csv  # noqa: F401

from event_logs.ingest import IngestResult, ingest_file

# Three events of two cases, as local (WIB) wall-clock times.
CASE_ROWS = [
    ("REG-001", 0, "2024-03-05 09:15:00", "Ani"),
    ("REG-001", 1, "2024-03-05 10:40:00", "Budi"),
    ("REG-002", 0, "2024-03-06 08:05:00", "Ani"),
]
# 09:15 WIB (UTC+7) is 02:15 UTC, and so on.
EXPECTED_UTC = [
    datetime(2024, 3, 5, 2, 15, tzinfo=UTC),
    datetime(2024, 3, 5, 3, 40, tzinfo=UTC),
    datetime(2024, 3, 6, 1, 5, tzinfo=UTC),
]


def _rows(sop: Sop) -> list[tuple[str, str, str, str]]:
    return [(case, sop.model.steps[step].name, ts, who) for case, step, ts, who in CASE_ROWS]


def _check_loaded(db: Path, sop: Sop, result: IngestResult, fmt: str) -> None:
    assert result.format == fmt
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined, result.rows_duplicate) == (3, 3, 0, 0)
    events = query_steps(db, "SELECT case_id, step_id, lane, ts, resource, lifecycle, source_row "
                             "FROM events ORDER BY event_id")
    steps = sop.model.steps
    assert [(e[0], e[1], e[2]) for e in events] == [
        ("REG-001", steps[0].id, steps[0].lane),
        ("REG-001", steps[1].id, steps[1].lane),
        ("REG-002", steps[0].id, steps[0].lane),
    ]
    assert [e[3] for e in events] == EXPECTED_UTC
    assert [e[4] for e in events] == ["Ani", "Budi", "Ani"]
    assert {e[5] for e in events} == {"complete"}  # no lifecycle column
    assert [e[6] for e in events] == [1, 2, 3]
    cases = query(db, "SELECT case_id, first_ts, last_ts, agency FROM cases ORDER BY case_id")
    assert cases == [("REG-001", EXPECTED_UTC[0], EXPECTED_UTC[1], sop.model.agency),
                     ("REG-002", EXPECTED_UTC[2], EXPECTED_UTC[2], sop.model.agency)]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"], ids=["comma", "semicolon", "tab"])
def test_csv_delimiters(tmp_path: Path, sop: Sop, delimiter: str) -> None:
    path = write_csv(tmp_path / "log.csv", ["no_registrasi", "kegiatan", "tanggal", "petugas"],
                     _rows(sop), delimiter=delimiter)
    db = tmp_path / "store.duckdb"
    result = ingest_file(db, path, **sop.kw())
    _check_loaded(db, sop, result, "csv")
    mapping = json.loads(query(db, "SELECT mapping FROM imports")[0][0])
    assert mapping["delimiter"] == delimiter
    assert result.columns == {"case_id": "no_registrasi", "activity": "kegiatan",
                              "timestamp": "tanggal", "resource": "petugas"}


def test_csv_cp1252_text_is_transcoded(tmp_path: Path, sop: Sop) -> None:
    rows = [(c, a, t, who) for c, a, t, who in _rows(sop)]
    rows[0] = (*rows[0][:3], "Zoë Müller")
    rows[1] = (*rows[1][:3], "José")
    path = write_csv(tmp_path / "log.csv", ["Case ID", "Activity", "Timestamp", "Resource"], rows,
                     delimiter=";", encoding="cp1252")
    assert b"\xeb" in path.read_bytes()  # really cp1252 bytes, not UTF-8
    db = tmp_path / "store.duckdb"
    result = ingest_file(db, path, **sop.kw())
    assert result.rows_loaded == 3
    assert [r[0] for r in query(db, "SELECT resource FROM events ORDER BY event_id")] == ["Zoë Müller", "José", "Ani"]
    assert json.loads(query(db, "SELECT mapping FROM imports")[0][0])["encoding"] == "cp1252"


def test_xlsx_first_sheet_and_named_sheet(tmp_path: Path, sop: Sop) -> None:
    book = openpyxl.Workbook()
    first = book.active
    first.title = "Log"
    first.append(["No Registrasi", "Kegiatan", "Tanggal", "Petugas"])
    for case, label, ts, who in _rows(sop):
        # a real datetime cell, as Excel stores dates
        first.append([case, label, datetime.fromisoformat(ts), who])
    first.append([None, None, None, None])  # trailing empty row: not data
    other = book.create_sheet("Catatan")
    other.append(["nothing", "here"])
    path = tmp_path / "log.xlsx"
    book.save(path)
    db = tmp_path / "store.duckdb"
    _check_loaded(db, sop, ingest_file(db, path, **sop.kw()), "xlsx")

    db2 = tmp_path / "store2.duckdb"
    with pytest.raises(Exception, match="no case_id"):
        ingest_file(db2, path, sheet="Catatan", **sop.kw())
    with pytest.raises(Exception, match="no sheet named 'Nope'"):
        ingest_file(db2, path, sheet="Nope", **sop.kw())


LEGACY_XLS = Path(__file__).parent / "fixtures" / "ingest" / "legacy.xls"  # see make_legacy_xls.py


def test_old_excel_xls_first_sheet_and_named_sheet(tmp_path: Path, sop: Sop) -> None:
    if sop.id != "batam-dinkes-integrasi-jkn":
        pytest.skip("the .xls fixture holds the Batam SOP's labels")
    db = tmp_path / "store.duckdb"
    # date cells (numbers with a date format) read as the same wall-clock times as the CSV
    _check_loaded(db, sop, ingest_file(db, LEGACY_XLS, **sop.kw()), "xls")
    attrs = json.loads(query(db, "SELECT attributes FROM cases WHERE case_id = 'REG-001'")[0][0])
    assert attrs == {"Jumlah WBS": 3}  # a number cell stays a number
    assert json.loads(query(db, "SELECT mapping FROM imports")[0][0])["sheet"] == "Log"
    with pytest.raises(Exception, match="no case_id"):
        ingest_file(tmp_path / "s2.duckdb", LEGACY_XLS, sheet="Catatan", **sop.kw())
    with pytest.raises(Exception, match="no sheet named 'Nope'"):
        ingest_file(tmp_path / "s2.duckdb", LEGACY_XLS, sheet="Nope", **sop.kw())


def test_a_broken_xls_names_the_file(tmp_path: Path, sop: Sop) -> None:
    path = tmp_path / "rusak.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)  # OLE2 magic, no workbook
    with pytest.raises(Exception, match="cannot read the old Excel") as info:
        ingest_file(tmp_path / "s.duckdb", path, **sop.kw())
    assert "rusak.xls" in str(info.value)


def _xes(sop: Sop, with_time: bool = True) -> str:
    traces = {}
    for case, label, ts, who in _rows(sop):
        iso = ts.replace(" ", "T") + "+07:00"
        attrs = [f'<string key="concept:name" value="{label}"/>',
                 f'<string key="org:resource" value="{who}"/>',
                 '<string key="lifecycle:transition" value="complete"/>']
        if with_time:
            attrs.append(f'<date key="time:timestamp" value="{iso}"/>')
        traces.setdefault(case, []).append("<event>" + "".join(attrs) + "</event>")
    body = "".join(
        f'<trace><string key="concept:name" value="{case}"/><int key="jumlah_wbs" value="3"/>'
        f'<string key="channel" value="loket"/>{"".join(events)}</trace>'
        for case, events in traces.items())
    return f'<?xml version="1.0" encoding="UTF-8"?><log xes.version="1.0" xmlns="http://www.xes-standard.org/">{body}</log>'


def test_xes_and_xes_gz(tmp_path: Path, sop: Sop) -> None:
    path = tmp_path / "log.xes"
    path.write_text(_xes(sop), encoding="utf-8")
    db = tmp_path / "store.duckdb"
    _check_loaded(db, sop, ingest_file(db, path, **sop.kw()), "xes")
    # trace attributes are case attributes, under their own key; int attributes are numbers
    attrs = json.loads(query(db, "SELECT attributes FROM cases WHERE case_id = 'REG-001'")[0][0])
    assert attrs == {"jumlah_wbs": 3, "channel": "loket"}

    gz = tmp_path / "log.xes.gz"
    gz.write_bytes(gzip.compress(_xes(sop).encode("utf-8")))
    db2 = tmp_path / "store2.duckdb"
    _check_loaded(db2, sop, ingest_file(db2, gz, **sop.kw()), "xes")


def test_xes_without_timestamps_loads_in_file_order(tmp_path: Path, sop: Sop) -> None:
    """An XES log none of whose events has time:timestamp (the a22 benchmark logs) is read in
    order only: every event loads with ts NULL, event_id in file order (tests/test_order_only.py
    follows such a log through the analysis)."""
    path = tmp_path / "notime.xes.gz"
    path.write_bytes(gzip.compress(_xes(sop, with_time=False).encode("utf-8")))
    db = tmp_path / "store.duckdb"
    result = ingest_file(db, path, **sop.kw())
    assert result.order_only and result.rows_loaded == len(_rows(sop)) and result.rows_quarantined == 0
    assert "no timestamps" in result.summary_line()
    rows = query(db, "SELECT case_id, activity, ts FROM events ORDER BY event_id")
    in_file = [(c, a) for case in dict.fromkeys(r[0] for r in _rows(sop))  # _xes groups by trace
               for c, a, _, _ in _rows(sop) if c == case]
    assert [(c, a) for c, a, _ in rows] == in_file
    assert {ts for _, _, ts in rows} == {None}
    assert json.loads(query(db, "SELECT mapping FROM imports")[0][0])["order_only"] is True


def test_parquet_with_typed_columns(tmp_path: Path, sop: Sop) -> None:
    rows = _rows(sop)
    table = pa.table({
        "case_id": [r[0] for r in rows],
        "activity": [r[1] for r in rows],
        # a naive TIMESTAMP column: local time, takes the SOP's zone
        "timestamp": pa.array([datetime.fromisoformat(r[2]) for r in rows], pa.timestamp("us")),
        "resource": [r[3] for r in rows],
        "jumlah_wbs": pa.array([2, 2, 5], pa.int64()),
    })
    path = tmp_path / "log.parquet"
    pq.write_table(table, path)
    db = tmp_path / "store.duckdb"
    _check_loaded(db, sop, ingest_file(db, path, **sop.kw()), "parquet")
    assert json.loads(query(db, "SELECT attributes FROM cases WHERE case_id='REG-002'")[0][0]) == {"jumlah_wbs": 5}

    # a zoned column keeps its instant whatever the SOP's zone
    zoned = table.set_column(2, "timestamp", pa.array(EXPECTED_UTC, pa.timestamp("us", tz="UTC")))
    path2 = tmp_path / "zoned.parquet"
    pq.write_table(zoned, path2)
    db2 = tmp_path / "store2.duckdb"
    _check_loaded(db2, sop, ingest_file(db2, path2, tz="Asia/Jayapura", **sop.kw()), "parquet")


def test_reimport_same_bytes_is_a_no_op(tmp_path: Path, sop: Sop) -> None:
    rows = [*_rows(sop), ("", "x", "2024-03-05 09:00", "Ani")]
    path = write_csv(tmp_path / "log.csv", ["case_id", "activity", "timestamp", "resource"], rows)
    db = tmp_path / "store.duckdb"
    first = ingest_file(db, path, **sop.kw())
    before = counts(db)
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(path.read_bytes())
    again = ingest_file(db, copy, **sop.kw())
    assert again.already_imported and not first.already_imported
    assert (again.import_id, again.rows_read, again.rows_loaded, again.rows_quarantined) == \
        (first.import_id, 4, 3, 1)
    assert again.quarantine_reasons == first.quarantine_reasons == {"missing case_id": 1}
    assert "already imported" in again.summary_line()
    assert counts(db) == before


def test_second_file_continues_ids_and_updates_cases(tmp_path: Path, sop: Sop) -> None:
    steps = sop.model.steps
    header = ["case_id", "activity", "timestamp", "unit", "jumlah_wbs"]
    a = write_csv(tmp_path / "jan.csv", header, [
        ("REG-001", steps[0].name, "2024-03-05 09:15", "Kelurahan Baloi", "2"),
        ("REG-001", steps[1].name, "2024-03-05 10:40", "Kelurahan Baloi", ""),
    ])
    b = write_csv(tmp_path / "feb.csv", header, [
        ("REG-001", steps[1].name, "2024-03-05 10:40", "Kelurahan Baloi", ""),  # overlap: already stored
        ("REG-001", steps[2].name, "2024-03-07 11:00", "Kelurahan Lain", "9"),
        ("REG-003", steps[0].name, "2024-03-08 08:00", "", "1"),
    ])
    db = tmp_path / "store.duckdb"
    ra = ingest_file(db, a, **sop.kw())
    rb = ingest_file(db, b, **sop.kw())
    assert rb.import_id == ra.import_id + 1
    assert (rb.rows_loaded, rb.rows_duplicate) == (2, 1)
    ids = [r[0] for r in query(db, "SELECT event_id FROM events ORDER BY import_id, source_row")]
    assert ids == sorted(ids) and len(set(ids)) == 4
    case = query(db, "SELECT unit, attributes, first_ts, last_ts, import_id FROM cases WHERE case_id='REG-001'")[0]
    # first values win (earlier import), span recomputed from all events of the case
    assert case[0] == "Kelurahan Baloi"
    assert json.loads(case[1]) == {"jumlah_wbs": 2}
    assert (case[2], case[3]) == (datetime(2024, 3, 5, 2, 15, tzinfo=UTC), datetime(2024, 3, 7, 4, 0, tzinfo=UTC))
    assert case[4] == ra.import_id


def test_progress_and_summary(tmp_path: Path, sop: Sop) -> None:
    path = write_csv(tmp_path / "log.csv", ["case_id", "activity", "timestamp"],
                     [(c, a, t) for c, a, t, _ in _rows(sop)] + [("REG-9", "x", "kemarin")])
    calls: list[tuple[int, int]] = []
    result = ingest_file(tmp_path / "s.duckdb", path, progress=lambda d, t: calls.append((d, t)), **sop.kw())
    assert calls[0] == (0, 4) and calls[-1] == (4, 4)
    assert all(t == 4 for _, t in calls) and [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert result.summary_line() == f"imported 4 rows: 3 loaded, 1 quarantined, 0 duplicates (import {result.import_id})"


def test_agency_unit_and_lifecycle_columns(tmp_path: Path, sop: Sop) -> None:
    s0 = sop.model.steps[0].name
    path = write_csv(tmp_path / "log.csv", ["No Registrasi", "Langkah", "Waktu", "Status", "Kantor", "Instansi"], [
        ("R1", s0, "2024-03-05 09:00", "Mulai", "Kantor A", ""),
        ("R1", s0, "2024-03-05 09:10", "SELESAI", "Kantor A", "Dinas Sosial"),
        ("R2", s0, "2024-03-05 09:20", "started", "", ""),
        ("R2", s0, "2024-03-05 09:30", "end", "", ""),
        ("R3", s0, "2024-03-05 09:40", "", "", ""),
    ])
    db = tmp_path / "store.duckdb"
    ingest_file(db, path, agency="Dinkes Batam (CLI)", **sop.kw())
    rows = query(db, "SELECT case_id, lifecycle, unit, agency FROM events ORDER BY event_id")
    assert [r[1] for r in rows] == ["start", "complete", "start", "complete", "complete"]
    # the column wins over --agency; a blank cell takes the agency the case's other rows name
    # (a case is SOP, agency and case id: a blank must not make a second case)
    assert [r[3] for r in rows] == ["Dinas Sosial"] * 2 + ["Dinkes Batam (CLI)"] * 3
    assert query(db, "SELECT unit, agency FROM cases WHERE case_id = 'R1'") == [("Kantor A", "Dinas Sosial")]


def test_status_column_of_case_statuses_is_an_attribute(tmp_path: Path, sop: Sop) -> None:
    s0 = sop.model.steps[0].name
    path = write_csv(tmp_path / "log.csv", ["case_id", "activity", "timestamp", "status"], [
        ("R1", s0, "2024-03-05 09:00", "Diterima"), ("R2", s0, "2024-03-05 09:10", "Ditolak")])
    db = tmp_path / "store.duckdb"
    result = ingest_file(db, path, **sop.kw())
    assert result.rows_loaded == 2 and "lifecycle" not in result.columns
    assert json.loads(query(db, "SELECT attributes FROM cases WHERE case_id='R2'")[0][0]) == {"status": "Ditolak"}
