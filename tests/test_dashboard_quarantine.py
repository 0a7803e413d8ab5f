"""Issue 10.8 and 15.5, the Data page's quarantine: grouped by kind (labels from the store's
vocabulary, in the chosen language), then by reason, paged in SQL — one page of 50 out of a
hundred thousand distinct reasons — and every reason ingest writes shown in Bahasa Indonesia.
"""



from __future__ import annotations

import re
import sys
from pathlib import Path

import duckdb
import pytest
from conftest_ingest import ROOT, key_file  # noqa: F401
from dashboard_fixture import quarantine_at_scale
from streamlit.testing.v1 import AppTest

from dashboard import app_path, catalog, data, queries
from dashboard import quarantine_view as qv
from dashboard.filters import Filters
from dashboard.queries.quarantine import PAGE_ROWS
from event_logs.scoped import open_scoped
from pantau.access.scope import Scope

sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "hostile"))
import make_corpus as corpus

# words of ingest's English reasons that must not reach an Indonesian page
ENGLISH = re.compile(r"\b(characters|not shown|before|after|offset|beyond|removed|unparsable|implausible|"
                     r"unknown|lifecycle|missing|quote|empty|fields|timestamp)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def at_scale(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return quarantine_at_scale(tmp_path_factory.mktemp("quarantine") / "q.duckdb", rows=200_000, reasons=100_000)


def _cat(con: duckdb.DuckDBPyConnection) -> catalog.Catalog:
    return catalog.build(*(queries.QUERIES[n](con, Filters()) for n in data.CATALOG_QUERIES))


def test_a_hundred_thousand_reasons_come_one_page_at_a_time(at_scale: Path) -> None:
    con = open_scoped(at_scale, Scope(agencies=("Dinas Kesehatan Kota Batam",)))  # the scoped path
    try:
        imports = queries.QUERIES["quarantine_imports"](con, Filters())
        assert list(imports["import_id"]) == [1] and int(imports["rows_quarantined"].iloc[0]) == 200_000
        kinds = queries.QUERIES["quarantine_kinds"](con, Filters(), import_id=1)
        assert sorted(kinds["kind"]) == ["implausible_timestamp", "unknown_lifecycle", "unparsable_timestamp"]
        assert int(kinds["n"].sum()) == 200_000 and int(kinds["reasons"].sum()) == 100_000
        kind = kinds["kind"].iloc[0]
        distinct = int(kinds["reasons"].iloc[0])
        first = queries.QUERIES["quarantine_reasons"](con, Filters(), import_id=1, kind=kind)
        assert len(first) == PAGE_ROWS and int(first["total"].iloc[0]) == distinct
        assert list(first["n"]) == sorted(first["n"], reverse=True)  # most rows first
        last_offset = (qv.pages(distinct, PAGE_ROWS) - 1) * PAGE_ROWS
        last = queries.QUERIES["quarantine_reasons"](con, Filters(), import_id=1, kind=kind, offset=last_offset)
        assert 0 < len(last) <= PAGE_ROWS and set(last["reason"]).isdisjoint(first["reason"])
        reason = first["reason"].iloc[0]
        rows = queries.QUERIES["quarantine_rows"](con, Filters(), import_id=1, reason=reason)
        assert len(rows) == int(first["n"].iloc[0]) and set(rows["reason"]) == {reason}
        page = queries.QUERIES["quarantine_rows"](con, Filters(), import_id=1, kind=kind, offset=PAGE_ROWS)
        assert len(page) == PAGE_ROWS and int(page["total"].iloc[0]) == int(kinds["n"].iloc[0])
        # another agency's user sees none of it
        other = open_scoped(at_scale, Scope(agencies=("Dinas Sosial Kota Banjarbaru",)))
        try:
            assert queries.QUERIES["quarantine_imports"](other, Filters()).empty
            assert queries.QUERIES["quarantine_reasons"](other, Filters(), import_id=1, kind=kind).empty
        finally:
            other.close()
    finally:
        con.close()


def test_the_data_page_shows_one_page_of_reasons_at_scale(at_scale: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PANTAU_DB", str(at_scale))
    at = AppTest.from_file(str(app_path()), default_timeout=120)
    at.switch_page("views/data.py").run()
    assert [e.value for e in at.exception] == [] and [e.value for e in at.error] == []
    kinds, reasons, rows = (at.dataframe[i].value for i in (1, 2, 3))
    assert len(kinds) == 3 and len(reasons) == PAGE_ROWS and len(rows) == PAGE_ROWS
    assert set(kinds.iloc[:, 0]) == {"Waktu tidak terbaca", "Waktu tidak masuk akal", "Status siklus tidak dikenal"}
    assert not [r for r in reasons.iloc[:, 0] if ENGLISH.search(r)]
    assert at.number_input(key="q_reason_page_1_unparsable_timestamp").max == qv.pages(33_334, PAGE_ROWS)
    at.number_input(key="q_reason_page_1_unparsable_timestamp").set_value(3).run()
    page3 = at.dataframe[2].value
    assert len(page3) == PAGE_ROWS and set(page3.iloc[:, 0]).isdisjoint(set(reasons.iloc[:, 0]))


@pytest.fixture(scope="module")
def corpus_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every corpus file that quarantines rows, ingested (their reasons as ingest writes them)."""
    from event_logs.ingest import ingest_file
    from pantau.errors import PantauError

    folder = tmp_path_factory.mktemp("reasons")
    mp = pytest.MonkeyPatch()
    mp.setenv("PANTAU_KEY_FILE", str(folder / "key"))
    db = folder / "store.duckdb"
    try:
        for name in ("pii_everywhere.csv", "implausible_time.csv", "unbalanced_quote.csv", "markup_labels.csv"):
            ingest_file(db, corpus.HERE / name, sop_id=corpus.SOP)
        missing = folder / "missing.csv"
        missing.write_text("case_id,activity,timestamp,lifecycle\n,a,2024-03-05 09:00,complete\n"
                           "R2,,,pause\nR3,a,31/31/2024,complete\n", encoding="utf-8")
        ingest_file(db, missing, sop_id=corpus.SOP)
    except PantauError as exc:  # pragma: no cover - a corpus file refused is a bug here
        raise AssertionError(str(exc)) from exc
    finally:
        mp.undo()
    return db


def test_every_reason_ingest_writes_reads_in_bahasa_indonesia(corpus_store: Path) -> None:
    con = duckdb.connect(str(corpus_store), read_only=True)
    try:
        stored = [r[0] for r in con.execute("SELECT DISTINCT reason FROM quarantine ORDER BY 1").fetchall()]
        kinds = {r[0] for r in con.execute("SELECT DISTINCT kind FROM quarantine").fetchall()}
        cat = _cat(con)
    finally:
        con.close()
    # CONTROL: the corpus produced the kinds and the fixed phrases the page translates
    assert {"unbalanced_quote", "implausible_timestamp", "unparsable_timestamp", "unknown_lifecycle",
            "missing_case_id"} <= kinds
    assert any("not shown" in r for r in stored) and any("before" in r for r in stored)
    assert any("offset beyond" in r for r in stored) and any("[number removed]" in r for r in stored)
    assert any("; " in r for r in stored)  # a row with two problems
    shown = {r: qv.reason_text(r, cat, "id") for r in stored}
    assert {r: s for r, s in shown.items() if ENGLISH.search(s)} == {}
    assert shown["unbalanced quote"] == "Tanda kutip tidak tertutup"
    two = next(r for r in stored if r.startswith("missing activity; missing timestamp"))
    assert shown[two].startswith("Kegiatan kosong; Waktu kosong")
    english = {qv.reason_text(r, cat, "en") for r in stored}
    assert "Unbalanced quote" in english


def test_reason_details_translate_and_keep_the_masked_value() -> None:
    cat = catalog.Catalog({}, {}, {"quarantine_kinds": {
        "implausible_timestamp": {"label_id": "Waktu tidak masuk akal", "label_en": "Implausible timestamp"},
        "unparsable_timestamp": {"label_id": "Waktu tidak terbaca", "label_en": "Unparsable timestamp"}}})
    assert qv.reason_text("implausible timestamp '0000-01-01 00:00' (before 1990-01-01)", cat, "id") == \
        "Waktu tidak masuk akal: '0000-01-01 00:00' (sebelum 1990-01-01)"
    assert qv.reason_text("unparsable timestamp (1234 characters, not shown)", cat, "id") == \
        "Waktu tidak terbaca: (1.234 karakter, tidak ditampilkan)"
    assert qv.reason_text("unparsable timestamp '[number removed]'", cat, "en") == \
        "Unparsable timestamp: '[number removed]'"
    assert qv.reason_text("something new", cat, "id") == "something new"  # unknown: as stored


def test_rows_an_older_pantau_quarantined_without_a_kind_are_a_group_of_their_own(tmp_path: Path) -> None:
    db = quarantine_at_scale(tmp_path / "q.duckdb", rows=30, reasons=9)
    con = duckdb.connect(str(db))
    try:
        con.execute("UPDATE quarantine SET kind = NULL WHERE source_row <= 6")
        kinds = queries.QUERIES["quarantine_kinds"](con, Filters(), import_id=1)
        untyped = kinds[kinds["kind"].isna()]
        assert int(untyped["n"].iloc[0]) == 6
        rows = queries.QUERIES["quarantine_rows"](con, Filters(), import_id=1, kind=None)
        assert sorted(rows["source_row"]) == [1, 2, 3, 4, 5, 6] and rows["kind"].isna().all()
        reasons = queries.QUERIES["quarantine_reasons"](con, Filters(), import_id=1, kind=None)
        assert int(reasons["n"].sum()) == 6
        assert len(queries.QUERIES["quarantine_rows"](con, Filters(), import_id=1)) == 30  # any kind
    finally:
        con.close()
    assert qv.kind_label(None, catalog.Catalog({}, {}, {}), "id") == "(jenis tidak tercatat)"
