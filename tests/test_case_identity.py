"""A case is (sop_id, agency, case_id): one service, many agencies (issue 14.7).

Logs of one SOP from two agencies are loaded side by side, on the real pipeline: the simulator
writes a log of the Batam SOP, its events are exported as the CSV an agency would send, and a
second agency's CSV reuses 60 of the same case ids with different events (one step left out),
as BPIC15's municipalities do (case 4020737 is in Gemeente 2 and 5). The same id in two
agencies must be two cases, each with its own events, variant and checks, and every result of
one agency must equal that of a store holding only that agency (EXCEPT ALL, both ways).
Also: a case id repeated under two agencies inside one file, the migration of a store that
merged such cases (the schema before that migration), the scope of a user of one agency and the Kasus page
asking which agency's case is meant.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from analytics import analyze
from dashboard import app_path, queries
from dashboard.filters import Filters
from event_logs.ingest import ingest_file
from event_logs.scoped import apply_scope
from event_logs.simulator import simulate
from event_logs.store import MIGRATIONS, open_store, sql_text
from pantau.access.scope import Scope

SOP = "batam-dinkes-integrasi-jkn"
A, B = "Dinas Kesehatan Kota A", "Dinas Kesehatan Kota B"
SHARED = 60  # case ids of A that B's register uses too
# results that belong to one agency's cases (variants and labels are per SOP: compared apart)
# the schema version before the migration that re-keyed cases (whatever its number)
BEFORE = next(v for v, name in MIGRATIONS.items() if name.endswith("_case_identity.sql")) - 1
PER_AGENCY = ("step_checks", "case_checks", "deviations", "open_cases", "lane_stats", "handovers",
              "model_quality")


def _export(db: Path, out: Path, case_ids: list[str], *, drop_second_step: bool = False,
            rename: str = "") -> int:
    """Events of ``case_ids`` as an agency's CSV (what the file would hold; no agency column)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("""
            WITH e AS (SELECT * FROM events WHERE case_id IN (SELECT unnest(?::VARCHAR[]))),
            steps AS (  -- each activity's rank in its case, by its first completion
                SELECT case_id, activity, dense_rank() OVER (PARTITION BY case_id ORDER BY
                           min(ts) FILTER (WHERE lifecycle = 'complete')) AS step_rank
                FROM e GROUP BY case_id, activity)
            SELECT e.case_id, e.activity, strftime(e.ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%f') || 'Z',
                   e.lifecycle, e.resource, e.unit, s.step_rank
            FROM e JOIN steps s USING (case_id, activity)
            ORDER BY e.case_id, e.ts, e.event_id""", [case_ids]).fetchall()
    finally:
        con.close()
    n = 0
    with out.open("w", newline="", encoding="utf-8") as handle:
        w = csv.writer(handle)
        w.writerow(["case_id", "activity", "timestamp", "lifecycle", "resource", "unit"])
        for case_id, activity, ts, lifecycle, resource, unit, rank in rows:
            if drop_second_step and rank == 2:
                continue
            w.writerow([rename + case_id, activity, ts, lifecycle, resource, unit])
            n += 1
    return n


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``both``: A's and B's logs of one SOP; ``only_a``: A's log alone (same import order)."""
    base = tmp_path_factory.mktemp("identity")
    sim = base / "sim.duckdb"
    simulate(sim, cases=400, seed=7, sop_ids=[SOP])
    con = duckdb.connect(str(sim), read_only=True)
    ids = [r[0] for r in con.execute("SELECT case_id FROM cases ORDER BY case_id").fetchall()]
    con.close()
    file_a, file_b = base / "agency_a.csv", base / "agency_b.csv"
    _export(sim, file_a, ids)
    # B: the first ids of A with other events (their second step left out), and cases of its
    # own; inside A's time range, so the working calendars of both stores cover the same days
    _export(sim, file_b, ids[:SHARED], drop_second_step=True)
    with file_b.open("a", newline="", encoding="utf-8") as handle:
        own = base / "own.csv"
        _export(sim, own, ids[100:140], rename="B-")
        handle.writelines(own.read_text(encoding="utf-8").splitlines(keepends=True)[1:])
    out = {"both": base / "both.duckdb", "only_a": base / "only_a.duckdb", "files": base}
    ingest_file(out["only_a"], file_a, sop_id=SOP, agency=A)
    ingest_file(out["both"], file_a, sop_id=SOP, agency=A)
    ingest_file(out["both"], file_b, sop_id=SOP, agency=B)
    analyze(out["only_a"])
    analyze(out["both"])
    return out


def _rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _shared_id(db: Path) -> str:
    """A case id both agencies use."""
    return _rows(db, "SELECT case_id FROM cases GROUP BY case_id HAVING count(*) = 2 ORDER BY 1 LIMIT 1")[0][0]


def test_the_same_case_id_in_two_agencies_is_two_cases(stores) -> None:
    both = stores["both"]
    shared = _rows(both, """
        SELECT case_id FROM cases GROUP BY case_id HAVING count(DISTINCT agency) = 2 ORDER BY 1""")
    assert len(shared) == SHARED
    case_id = shared[0][0]
    per = {a: (n, lo, hi) for a, n, lo, hi in _rows(both, """
        SELECT e.agency, count(*), min(e.ts), max(e.ts) FROM events e
        WHERE e.case_id = ? GROUP BY e.agency""", [case_id])}
    cases = {a: (lo, hi) for a, lo, hi in _rows(both, "SELECT agency, first_ts, last_ts FROM cases "
                                                      "WHERE case_id = ?", [case_id])}
    # each case holds its own events: B's lost a step, so it has fewer
    assert set(per) == set(cases) == {A, B} and per[B][0] < per[A][0]
    assert all(cases[a] == per[a][1:] for a in (A, B))
    checks = {a: (v, n) for a, v, n in _rows(both, """
        SELECT c.agency, c.variant_id, (SELECT count(*) FROM step_checks s
            WHERE s.sop_id = c.sop_id AND s.agency = c.agency AND s.case_id = c.case_id)
        FROM case_checks c WHERE c.case_id = ?""", [case_id])}
    assert set(checks) == {A, B}
    assert checks[A][0] != checks[B][0], "two traces, two variants"
    assert checks[A][1] > checks[B][1]
    total = _rows(both, "SELECT case_count FROM runs ORDER BY run_id DESC LIMIT 1")[0][0]
    assert total == _rows(both, "SELECT count(*) FROM cases")[0][0] == len(_rows(both, "SELECT * FROM case_checks"))


@pytest.mark.parametrize("table", PER_AGENCY)
def test_one_agencys_results_equal_a_store_of_that_agency_alone(stores, table) -> None:
    con = duckdb.connect(str(stores["both"]), read_only=True)
    try:
        con.execute(f"ATTACH '{stores['only_a']}' AS alone (READ_ONLY)")
        mine = f"SELECT * EXCLUDE (run_id) FROM {table} WHERE agency = '{A}'"
        alone = f"SELECT * EXCLUDE (run_id) FROM alone.{table}"
        n = con.execute(f"SELECT count(*) FROM ({alone})").fetchall()[0][0]
        extra = con.execute(f"SELECT count(*) FROM ({mine} EXCEPT ALL {alone})").fetchall()[0][0]
        missing = con.execute(f"SELECT count(*) FROM ({alone} EXCEPT ALL {mine})").fetchall()[0][0]
    finally:
        con.close()
    assert n > 0 or table in ("open_cases", "handovers")
    assert (extra, missing) == (0, 0), f"{table}: {extra} rows only with B beside, {missing} only alone"


def test_variants_of_one_agencys_cases_are_aligned_alike(stores) -> None:
    cols = "v.variant_id, v.activities, v.alignment_fitness, v.cost, v.is_sop_path, v.is_open"
    sql = (f"SELECT {cols} FROM variants v WHERE (v.sop_id, v.variant_id) IN "
           f"(SELECT sop_id, variant_id FROM case_checks WHERE agency = ?) ORDER BY v.variant_id")
    assert _rows(stores["both"], sql, [A]) == _rows(stores["only_a"], sql, [A])


def test_the_dashboard_compares_the_agencies_and_scopes_them(stores) -> None:
    con = open_store(stores["both"])
    try:
        by_sop = queries.QUERIES["overview_by_sop"](con, Filters())
        assert sorted(by_sop.loc[by_sop["sop_id"] == SOP, "agency"]) == [A, B]
        options = queries.QUERIES["filter_options"](con, Filters())
        assert sorted(options["agency"].unique()) == [A, B]
        case_id = _shared_id(stores["both"])
        keys = queries.QUERIES["case_keys"](con, Filters(), case_id=case_id)
        assert sorted(keys["agency"]) == [A, B]
        apply_scope(con, Scope.of([B]))
        keys = queries.QUERIES["case_keys"](con, Filters(), case_id=case_id)
        assert list(keys["agency"]) == [B]
        assert queries.QUERIES["case_summary"](con, Filters(), sop_id=SOP, agency=A, case_id=case_id).empty
        one = queries.QUERIES["case_summary"](con, Filters(), sop_id=SOP, agency=B, case_id=case_id)
        assert len(one) == 1
    finally:
        con.close()


def _kasus(monkeypatch: pytest.MonkeyPatch, db: Path, params: dict) -> AppTest:
    monkeypatch.setenv("PANTAU_DB", str(db))
    at = AppTest.from_file(str(app_path()), default_timeout=60)
    at.query_params = params
    at.switch_page("views/kasus.py")
    at.run()
    assert [e.value for e in at.exception] == []
    return at


def test_the_case_page_asks_which_agency_and_shows_the_one_chosen(stores, monkeypatch) -> None:
    both = stores["both"]
    case_id = _shared_id(both)
    at = _kasus(monkeypatch, both, {"case": case_id})
    which = [s for s in at.selectbox if s.key == "case_key"]
    assert len(which) == 1 and len(which[0].options) == 2
    assert any("2 kasus berbeda" in i.value for i in at.info)
    assert not at.metric  # nothing shown until one is chosen
    for agency in (A, B):
        deviations = _rows(both, "SELECT deviation_count FROM case_checks WHERE agency = ? AND case_id = ?",
                           [agency, case_id])[0][0]
        at = _kasus(monkeypatch, both, {"case": case_id, "sop": SOP, "agency": agency})
        assert not [s for s in at.selectbox if s.key == "case_key"]
        shown = {m.label: m.value for m in at.metric}
        assert shown["Deviasi"] == str(deviations)
        assert any(f"Dinkes Kota {agency[-1]}" in m.value for m in at.markdown)


def test_one_file_with_an_agency_column_holds_two_cases_of_one_id(tmp_path) -> None:
    path = tmp_path / "two.csv"
    path.write_text(
        "case_id,activity,timestamp,agency\n"
        "R-1,Menerima Dokumen Pendukung dari Pemohon Bantuan,2024-03-04 09:00,Kota A\n"
        "R-1,Menerima Dokumen Pendukung dari Pemohon Bantuan,2024-03-04 09:00,Kota B\n"
        "R-1,Menerima Dokumen Pendukung dari Pemohon Bantuan,2024-03-04 09:00,Kota B\n"
        "R-1,Melakukan verifikasi dokumen,2024-03-05 10:00,Kota B\n", encoding="utf-8")
    db = tmp_path / "s.duckdb"
    result = ingest_file(db, path, sop_id=SOP)
    # the third row is a copy of the second; the first is another agency's event, not a copy
    assert (result.rows_loaded, result.rows_duplicate) == (3, 1)
    got = _rows(db, "SELECT agency, first_ts = last_ts FROM cases WHERE case_id = 'R-1' ORDER BY agency")
    assert got == [("Kota A", True), ("Kota B", False)]


def _store_v5(path: Path) -> None:
    """A store as the schema before the case-identity migration left it, holding a case merged
    from two agencies."""
    con = duckdb.connect(str(path))
    try:
        for version in range(1, BEFORE + 1):
            con.execute(sql_text(f"migrations/{MIGRATIONS[version]}"))
        con.execute("INSERT INTO schema_info VALUES ('schema_version', ?), ('pantau_version', 'old')",
                    [str(BEFORE)])
        con.execute("""
            INSERT INTO imports VALUES
                (1, 'a.csv', 'aa', 'csv', 'x-sop', 'Kota A', NULL, 2, 2, 0, 0, now(), now(), 'old'),
                (2, 'b.csv', 'bb', 'csv', 'x-sop', 'Kota B', NULL, 3, 3, 0, 0, now(), now(), 'old');
            INSERT INTO events (event_id, case_id, sop_id, activity, lifecycle, ts, agency, unit, import_id) VALUES
                (1, '4020737', 'x-sop', 'a', 'complete', TIMESTAMPTZ '2024-01-02 09:00+07', 'Kota A', 'u1', 1),
                (2, '4020737', 'x-sop', 'b', 'complete', TIMESTAMPTZ '2024-01-03 09:00+07', 'Kota A', 'u1', 1),
                (3, '4020737', 'x-sop', 'a', 'complete', TIMESTAMPTZ '2024-02-01 09:00+07', 'Kota B', 'u2', 2),
                (4, '4020737', 'x-sop', 'c', 'complete', TIMESTAMPTZ '2024-02-05 09:00+07', 'Kota B', NULL, 2),
                (5, 'only-b', 'x-sop', 'a', 'complete', TIMESTAMPTZ '2024-02-06 09:00+07', NULL, NULL, 2);
            INSERT INTO cases VALUES
                ('4020737', 'x-sop', 'Kota A', 'u1', 'hash-a', '{"jumlah_wbs": 3}',
                 TIMESTAMPTZ '2024-01-02 09:00+07', TIMESTAMPTZ '2024-02-05 09:00+07', 1),
                ('only-b', 'x-sop', NULL, NULL, NULL, NULL, NULL, NULL, 2);
            INSERT INTO sim_truth VALUES ('only-b', 'x-sop', 'rework', 's01', 'a', 'x');""")
    finally:
        con.close()


def test_the_migration_splits_merged_cases_and_keeps_each_rows_agency(tmp_path) -> None:
    db = tmp_path / "old.duckdb"
    _store_v5(db)
    open_store(db, read_only=False).close()
    rows = _rows(db, """SELECT case_id, agency, unit, nik_hash, attributes, first_ts, last_ts, import_id
                        FROM cases ORDER BY case_id, agency""")
    (a, b, only_b) = rows
    assert a[:5] == ("4020737", "Kota A", "u1", "hash-a", '{"jumlah_wbs": 3}')
    assert (a[5].day, a[6].day) == (2, 3), "its span is its own events' now"
    # B's events became a case of their own: its span, unit and import; the attributes copied,
    # no NIK hash (which of the two a NIK was is not known)
    assert b[:4] == ("4020737", "Kota B", "u2", None) and json.loads(b[4]) == {"jumlah_wbs": 3}
    assert (b[5].month, b[5].day, b[6].day, b[7]) == (2, 1, 5, 2)
    # an event without an agency took its case's, else its import's
    assert only_b[1] == "Kota B"
    assert _rows(db, "SELECT agency FROM events WHERE event_id = 5") == [("Kota B",)]
    assert _rows(db, "SELECT agency FROM sim_truth") == [("Kota B",)]
    assert _rows(db, "SELECT value FROM schema_info WHERE key = 'schema_version'") == [(str(max(MIGRATIONS)),)]
    con = duckdb.connect(str(db))
    try:
        with pytest.raises(duckdb.ConstraintException):
            con.execute("INSERT INTO cases (case_id, sop_id, agency) VALUES ('4020737', 'x-sop', 'Kota B')")
        con.execute("INSERT INTO cases (case_id, sop_id, agency) VALUES ('4020737', 'x-sop', 'Kota C')")
    finally:
        con.close()
