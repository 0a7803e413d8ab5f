"""Issue 10, rows and values: every row counted truthfully (stale Excel dimension, unbalanced
quotes, blank lines, CR-only line ends), mixed encodings per line, control characters
removed, implausible timestamps quarantined, DST gaps as documented, caps refuse early."""



from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest_ingest import ROOT, counts, key_file, query, write_csv  # noqa: F401

from event_logs.ingest import ingest_file
from pantau.config import IngestSettings
from pantau.errors import IngestError

sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "hostile"))
import make_corpus as corpus

CORPUS = corpus.HERE
SOP = corpus.SOP
SMALL = IngestSettings(max_decompressed_mb=1)


def _untouched(db: Path) -> None:
    if db.exists():
        assert counts(db) == {"imports": 0, "events": 0, "cases": 0, "quarantine": 0}


def test_stale_excel_dimension_reads_every_row(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    result = ingest_file(db, CORPUS / "stale_dimension.xlsx", sop_id=SOP)
    assert (result.rows_read, result.rows_loaded, result.skipped_rows) == (10, 10, 1)
    # source_row is the row below the header as the sheet numbers it (row 6 is the empty one)
    assert [r[0] for r in query(db, "SELECT source_row FROM events ORDER BY 1")] == [1, 2, 3, 4, 5, 7, 8, 9, 10, 11]
    assert json.loads(query(db, "SELECT mapping FROM imports")[0][0])["skipped_rows"] == 1
    assert "1 empty rows skipped" in result.summary_line()


def test_unbalanced_quote_keeps_every_line_its_row(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    result = ingest_file(db, CORPUS / "unbalanced_quote.csv", sop_id=SOP)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (6, 4, 2)
    assert result.unbalanced_quote_rows == [2, 4]
    assert query(db, "SELECT source_row, kind, reason FROM quarantine ORDER BY 1") == [
        (2, "unbalanced_quote", "unbalanced quote"), (4, "unbalanced_quote", "unbalanced quote")]
    # every later row keeps its number; a legitimate two-line value (row 6) stays one value
    assert query(db, "SELECT case_id, source_row FROM events ORDER BY 2") == \
        [("R1", 1), ("R3", 3), ("R5", 5), ("R6", 6)]
    assert json.loads(query(db, "SELECT attributes FROM cases WHERE case_id = 'R6'")[0][0]) == {"catatan": "dua\nbaris"}
    assert json.loads(query(db, "SELECT mapping FROM imports")[0][0])["unbalanced_quote_rows"] == [2, 4]


def test_mixed_encoding_is_decoded_per_line(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    result = ingest_file(db, CORPUS / "mixed_encoding.csv", sop_id=SOP)
    assert [r[0] for r in query(db, "SELECT resource FROM events ORDER BY source_row")] == \
        ["Petugas café", "José", "Ñoño Müller"]
    assert result.recoded_lines == 1 and "1 lines were not UTF-8" in result.summary_line()
    mapping = json.loads(query(db, "SELECT mapping FROM imports")[0][0])
    assert (mapping["encoding"], mapping["recoded_lines"]) == ("mixed", 1)


def test_events_outside_any_trace_are_counted(tmp_path: Path) -> None:
    event = (f'<event><string key="concept:name" value="{corpus.STEPS[0]}"/>'
             '<date key="time:timestamp" value="2024-03-05T09:00:00+07:00"/></event>')
    path = tmp_path / "loose.xes"
    path.write_text(f'<log xmlns="http://www.xes-standard.org/">{event}<trace><string key="concept:name" '
                    f'value="R1"/>{event}</trace>{event}</log>', encoding="utf-8")
    result = ingest_file(tmp_path / "s.duckdb", path, sop_id=SOP)
    assert (result.rows_read, result.skipped_rows) == (1, 2)


def test_blank_lines_and_cr_only_line_ends(tmp_path: Path) -> None:
    result = ingest_file(tmp_path / "a.duckdb", CORPUS / "blank_lines.csv", sop_id=SOP)
    assert (result.rows_read, result.rows_loaded, result.skipped_rows) == (2, 2, 3)  # 2 between, 1 at the end
    db = tmp_path / "b.duckdb"
    result = ingest_file(db, CORPUS / "cr_only.csv", sop_id=SOP)
    assert (result.rows_read, result.rows_loaded) == (2, 2)
    assert query(db, "SELECT case_id, source_row FROM events ORDER BY 2") == [("R1", 1), ("R2", 2)]


def test_control_characters_are_removed_counted_and_exports_work(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    result = ingest_file(db, CORPUS / "control_chars.csv", sop_id=SOP)
    assert result.control_rows == 1 and "control characters removed from 1 rows" in result.summary_line()
    assert query(db, "SELECT resource FROM events ORDER BY source_row") == [("Petugas A",), ("Petugas B",)]
    assert json.loads(query(db, "SELECT attributes FROM cases WHERE case_id = 'R1'")[0][0]) == {"catatan": "catatan"}
    book = openpyxl.Workbook()  # openpyxl refuses control characters: every stored value passes
    for row in query(db, "SELECT case_id, activity, resource, CAST(ts AS VARCHAR) FROM events"):
        book.active.append(list(row))
    book.save(tmp_path / "export.xlsx")


def test_control_characters_in_parquet_are_removed(tmp_path: Path) -> None:
    path = tmp_path / "c.parquet"
    pq.write_table(pa.table({"case_id": ["R1"], "activity": [corpus.STEPS[0]],
                             "timestamp": ["2024-03-05 09:00"], "resource": ["Petu\x00gas\x1b"]}), path)
    db = tmp_path / "s.duckdb"
    assert ingest_file(db, path, sop_id=SOP).control_rows == 1
    assert query(db, "SELECT resource FROM events") == [("Petugas",)]


def test_implausible_timestamps_are_quarantined_with_their_reason(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    result = ingest_file(db, CORPUS / "implausible_time.csv", sop_id=SOP)
    assert result.quarantine_reasons == {"implausible timestamp": 8}
    reasons = dict(query(db, "SELECT source_row, reason FROM quarantine"))
    assert reasons[1] == "implausible timestamp '0000-01-01 00:00' (before 1990-01-01)"
    assert reasons[3].startswith("implausible timestamp '9999-12-31 10:00' (after ")
    assert reasons[4] == "implausible timestamp '2024-03-05T09:00:00+99:99' (offset beyond ±14:00)"
    assert reasons[5] == "implausible timestamp '00000' (before 1990-01-01)"  # Excel serial 0
    assert reasons[6] == "implausible timestamp '0000000000' (before 1990-01-01)"  # Unix 0
    assert sorted(reasons) == [1, 2, 3, 4, 5, 6, 7, 11]
    # the boundaries load: 1990-01-01 local midnight, +14:00 and -12:00
    assert [r[0] for r in query(db, "SELECT case_id FROM events ORDER BY source_row")] == ["T8", "T9", "T10"]


def test_the_window_comes_from_the_settings(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "old.csv", ["case_id", "activity", "timestamp"],
                     [("R1", corpus.STEPS[0], "1995-06-01 09:00"), ("R2", corpus.STEPS[0], "2024-06-01 09:00")])
    result = ingest_file(tmp_path / "s.duckdb", path, sop_id=SOP, settings=IngestSettings(earliest_year=2000))
    assert (result.rows_loaded, result.quarantine_reasons) == (1, {"implausible timestamp": 1})
    toml = tmp_path / "beside" / "pantau.toml"  # the settings file beside the store is read
    toml.parent.mkdir()
    toml.write_text("[ingest]\nearliest_year = 2000\n", encoding="utf-8")
    assert ingest_file(toml.parent / "s.duckdb", path, sop_id=SOP).rows_loaded == 1


def test_dst_gap_and_overlap_times_are_read_as_documented(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    ingest_file(db, CORPUS / "dst_gap.csv", sop_id=SOP, tz="Europe/Amsterdam")
    assert [r[0] for r in query(db, "SELECT ts FROM events ORDER BY source_row")] == [
        datetime(2024, 3, 31, 0, 30, tzinfo=UTC),   # 01:30 CET
        datetime(2024, 3, 31, 1, 30, tzinfo=UTC),   # 02:30 does not exist: read as CET, i.e. 03:30 CEST
        datetime(2024, 10, 27, 1, 30, tzinfo=UTC),  # 02:30 happens twice: the later, CET
    ]


@pytest.mark.parametrize(("name", "message"), [
    ("bomb.xes.gz", "inflates to more than 1 MB"), ("bomb.xlsx", "would inflate to 3 MB"),
])
def test_decompression_caps_refuse_early_and_leave_the_store_untouched(tmp_path: Path, name: str,
                                                                      message: str) -> None:
    db = tmp_path / "s.duckdb"
    with pytest.raises(IngestError, match=message) as info:
        ingest_file(db, CORPUS / name, sop_id=SOP, settings=SMALL)
    assert "max_decompressed_mb" in (info.value.hint or "")
    _untouched(db)
    assert ingest_file(db, CORPUS / name, sop_id=SOP).rows_read > 0  # the default cap lets it in


@pytest.mark.parametrize(("fmt", "message"), [
    ("csv", "the file holds 3 rows"), ("xes", "the XES log holds more than 2 events"),  # while reading
    ("xlsx", "the sheet holds more than 2 rows"), ("parquet", "the Parquet file holds 3 rows"),  # metadata
])
def test_row_cap_refuses_every_format(tmp_path: Path, fmt: str, message: str) -> None:
    rows = [(f"R{i}", corpus.STEPS[0], f"2024-03-05 09:{i:02d}") for i in range(3)]
    path = tmp_path / f"log.{fmt}"
    if fmt == "csv":
        write_csv(path, ["case_id", "activity", "timestamp"], rows)
    elif fmt == "parquet":
        pq.write_table(pa.table({"case_id": [r[0] for r in rows], "activity": [r[1] for r in rows],
                                 "timestamp": [r[2] for r in rows]}), path)
    elif fmt == "xlsx":
        book = openpyxl.Workbook()
        for row in [("case_id", "activity", "timestamp"), *rows]:
            book.active.append(row)
        book.save(path)
    else:
        events = "".join(f'<trace><string key="concept:name" value="{c}"/><event>'
                         f'<string key="concept:name" value="{a}"/><date key="time:timestamp" '
                         f'value="{t.replace(" ", "T")}:00+07:00"/></event></trace>' for c, a, t in rows)
        path.write_text(f'<log xmlns="http://www.xes-standard.org/">{events}</log>', encoding="utf-8")
    db = tmp_path / "s.duckdb"
    with pytest.raises(IngestError, match=f"refused: {message}") as info:
        ingest_file(db, path, sop_id=SOP, settings=IngestSettings(max_rows=2))
    assert "max_rows" in (info.value.hint or "")
    _untouched(db)
    assert ingest_file(db, path, sop_id=SOP, settings=IngestSettings(max_rows=3)).rows_loaded == 3


def test_a_broken_xlsx_is_an_error_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="damaged") as info:
        ingest_file(tmp_path / "s.duckdb", CORPUS / "broken.xlsx", sop_id=SOP)
    assert "save it again" in (info.value.hint or "")
