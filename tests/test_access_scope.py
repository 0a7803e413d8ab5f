"""Scoped connections on a real analysed store: every table has a rule, every query obeys it.

The store is ``analysed_db`` (simulate + analyze, 2,500 cases, five agencies). A scoped
connection must show only the scope's rows in every table and view — checked table by table
from the store's own catalogue, so a table added later without a rule fails here — and every
dashboard query must return the same as an unscoped query filtered to that agency.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from dashboard import data, queries
from dashboard.filters import Filters
from event_logs.scoped import (
    BY_AGENCY,
    BY_AGENCY_AND_UNIT,
    GLOBAL,
    RULES,
    SCHEMA,
    SCOPED_VIEWS,
    THROUGH,
    apply_scope,
    open_scoped,
    scope_macros_sql,
    store_tables,
)
from event_logs.store import open_store
from pantau.access.scope import ALL, Scope
from pantau.errors import AccessError

BATAM = "Dinas Kesehatan Kota Batam"
BANJARBARU = "Dinas Sosial Kota Banjarbaru"


def _con(db, scope: Scope) -> duckdb.DuckDBPyConnection:
    return apply_scope(open_store(db), scope)


def _count(con, sql: str, params: list | None = None) -> int:
    return con.execute(sql, params or []).fetchone()[0]


def _search_path(con) -> str:
    return con.execute("SELECT current_setting('search_path')").fetchone()[0]


def _without_stored_shadows(source, target):
    """A copy of the store ``source`` whose stored shadows are gone: scoped by TEMP views."""
    target.write_bytes(source.read_bytes())
    con = duckdb.connect(str(target))  # not open_store: a writable open writes them again
    con.execute(f"DROP SCHEMA {SCHEMA} CASCADE")
    con.close()
    return target


# both ways to the shadows (event_logs.scoped): the stored views and the TEMP views
WAYS = ["stored", "temp"]


@pytest.fixture(scope="module")
def unit(analysed_db) -> str:
    con = open_store(analysed_db)
    try:
        return con.execute("SELECT unit FROM case_checks WHERE agency = ? GROUP BY unit ORDER BY count(*) DESC "
                           "LIMIT 1", [BATAM]).fetchone()[0]
    finally:
        con.close()


def test_every_table_and_view_of_an_analysed_store_has_a_rule(analysed_db) -> None:
    con = open_store(analysed_db)
    try:
        tables = store_tables(con)
    finally:
        con.close()
    assert set(tables) - set(RULES) - set(GLOBAL) == set(), "a table without an access rule"
    assert set(RULES) <= set(tables), "a rule for a table the store no longer has"


@pytest.fixture(scope="module")
def with_calendars(analysed_db, tmp_path_factory: pytest.TempPathFactory):
    """The analysed store, with two agencies' own working calendars (agency_calendars rows)."""
    from analytics.calendars.agency import set_calendar

    copy = tmp_path_factory.mktemp("scope") / "calendars.duckdb"
    copy.write_bytes(analysed_db.read_bytes())
    con = open_store(copy, read_only=False)
    try:
        for agency in (BATAM, BANJARBARU):
            set_calendar(con, agency, office_open="07:30", office_close="16:00")
    finally:
        con.close()
    return copy


@pytest.fixture(scope="module")
def stores(analysed_db, with_calendars, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """(way, store) -> the file: the analysed store (and the one with calendars) as written,
    read through the stored shadows, and copies without them, read through TEMP views."""
    folder = tmp_path_factory.mktemp("temp-way")
    return {("stored", "plain"): analysed_db, ("stored", "calendars"): with_calendars,
            ("temp", "plain"): _without_stored_shadows(analysed_db, folder / "plain.duckdb"),
            ("temp", "calendars"): _without_stored_shadows(with_calendars, folder / "calendars.duckdb")}


@pytest.mark.parametrize("way", WAYS)
def test_an_analysed_store_is_scoped_by_its_stored_shadows_else_by_temp_views(stores, way) -> None:
    con = _con(stores[way, "plain"], Scope.of([BATAM]))
    try:
        temp = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE temporary").fetchall()}
        if way == "stored":
            assert _search_path(con) == SCHEMA and not temp & set(RULES)
        else:
            assert _search_path(con) != SCHEMA and set(BY_AGENCY_AND_UNIT) | set(THROUGH) <= temp
    finally:
        con.close()


def test_the_stored_shadows_show_nothing_without_the_scope_macros(analysed_db) -> None:
    con = open_store(analysed_db)
    try:
        # as a scoped connection (the overlay's unscoped acceptance_log dropped), but no scope defined
        con.execute(f"SET search_path = '{SCHEMA}'; DROP VIEW temp.main.acceptance_log")
        tables = store_tables(con)
        for table in (*BY_AGENCY_AND_UNIT, *BY_AGENCY, *THROUGH, "case_results"):
            if table in tables and table != "runs":  # runs: every row, the totals blanked
                with pytest.raises(duckdb.CatalogException, match="pantau_scope_"):
                    con.execute(f"SELECT count(*) FROM {table}").fetchall()
        # the macros of a scope that sees nothing: no rows
        con.execute(";\n".join(scope_macros_sql(Scope(()), ())))
        for table in (*BY_AGENCY_AND_UNIT, *BY_AGENCY, *THROUGH, "case_results"):
            if table in tables and table != "runs":
                assert _count(con, f"SELECT count(*) FROM {table}") == 0, table
    finally:
        con.close()


def test_stored_shadows_not_current_are_not_used(analysed_db, tmp_path) -> None:
    # a rule's view dropped by hand, or a table altered after they were written: TEMP views
    for n, change in enumerate((f"DROP VIEW {SCHEMA}.case_checks", "ALTER TABLE cases ADD COLUMN extra INTEGER")):
        copy = tmp_path / f"changed{n}.duckdb"
        copy.write_bytes(analysed_db.read_bytes())
        raw = duckdb.connect(str(copy))
        raw.execute(change)
        raw.close()
        con = _con(copy, Scope.of([BATAM]))
        try:
            assert _search_path(con) != SCHEMA, change
            assert {r[0] for r in con.execute("SELECT DISTINCT agency FROM case_checks").fetchall()} == {BATAM}
        finally:
            con.close()
        open_store(copy, read_only=False).close()  # a writable open writes them anew
        con = _con(copy, Scope.of([BATAM]))
        try:
            assert _search_path(con) == SCHEMA, change
            assert {r[0] for r in con.execute("SELECT DISTINCT agency FROM case_checks").fetchall()} == {BATAM}
        finally:
            con.close()


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("scope_kind", ["agency", "unit"])
def test_each_table_shows_only_the_scope(stores, unit, scope_kind, way) -> None:
    scope = Scope.of([BATAM], [unit] if scope_kind == "unit" else [])
    with_calendars = stores[way, "calendars"]
    full, scoped = open_store(with_calendars), _con(with_calendars, scope)
    try:
        for table in BY_AGENCY_AND_UNIT:
            rows = scoped.execute(f"SELECT DISTINCT agency, unit FROM {table}").fetchall()
            assert all(scope.allows(a, u) for a, u in rows), table
            assert rows or table == "open_cases", table  # a unit may have no open case
            where = "agency = ?" + (" AND unit = ?" if scope.units else "")
            expected = _count(full, f"SELECT count(*) FROM {table} WHERE {where}", [BATAM, *scope.units])
            assert _count(scoped, f"SELECT count(*) FROM {table}") == expected, table
        for table in BY_AGENCY:
            agencies = {r[0] for r in scoped.execute(f"SELECT DISTINCT agency FROM {table}").fetchall()}
            assert agencies == (set() if scope.units else {BATAM}), table
        # tables scoped through others
        imports = {r[0] for r in scoped.execute("SELECT import_id FROM imports").fetchall()}
        assert {r[0] for r in scoped.execute("SELECT DISTINCT import_id FROM quarantine").fetchall()} <= imports
        truth = scoped.execute("SELECT s.sop_id, s.case_id, c.agency FROM sim_truth s "
                               "LEFT JOIN cases c USING (sop_id, agency, case_id)").fetchall()
        assert truth and all(a == BATAM for _s, _c, a in truth)
        variants = scoped.execute("""
            SELECT v.case_count, (SELECT count(*) FROM case_checks c WHERE c.sop_id = v.sop_id
                                  AND c.variant_id = v.variant_id) FROM variants v""").fetchall()
        assert variants and all(n == m and n > 0 for n, m in variants)
        assert _count(scoped, "SELECT count(*) FROM runs WHERE case_count IS NOT NULL OR event_count IS NOT NULL") == 0
        assert _count(scoped, "SELECT count(*) FROM runs") == _count(full, "SELECT count(*) FROM runs")
        # the model tables: the scope's agency's versions and those its cases were checked against
        seen = {r[0] for r in scoped.execute("SELECT model_sha256 FROM models").fetchall()}
        expected = {r[0] for r in full.execute(
            "SELECT model_sha256 FROM models WHERE agency = ? UNION SELECT model_sha256 FROM case_checks "
            "WHERE agency = ?" + (" AND unit = ?" if scope.units else ""), [BATAM, BATAM, *scope.units]).fetchall()}
        assert seen == expected and seen
        for table in THROUGH:
            if table.startswith("model_") or table == "activity_labels":
                shas = {r[0] for r in scoped.execute(f"SELECT DISTINCT model_sha256 FROM {table}").fetchall()}
                assert shas and shas <= seen, table
        sops = {r[0] for r in scoped.execute("SELECT sop_id FROM models").fetchall()}
        assert {r[0] for r in scoped.execute("SELECT DISTINCT sop_id FROM activity_map").fetchall()} <= sops
        # the result views read the shadows: only the scope's rows
        for view in SCOPED_VIEWS:
            columns = {r[0] for r in scoped.execute(f"DESCRIBE {view}").fetchall()}
            if "agency" in columns:
                agencies = {r[0] for r in scoped.execute(f"SELECT DISTINCT agency FROM {view}").fetchall()}
                assert agencies <= {BATAM}, view
                if _count(full, f"SELECT count(*) FROM {view}"):  # (the analysed store sets no targets)
                    assert _count(scoped, f"SELECT count(*) FROM {view}") < _count(full, f"SELECT count(*) FROM {view}")
        # global tables are the same for everyone
        for table in GLOBAL:
            assert _count(scoped, f"SELECT count(*) FROM {table}") == _count(full, f"SELECT count(*) FROM {table}")
    finally:
        full.close()
        scoped.close()


def test_a_table_without_a_rule_is_refused_not_shown(analysed_db, tmp_path) -> None:
    copy = tmp_path / "extra.duckdb"
    copy.write_bytes(analysed_db.read_bytes())
    con = duckdb.connect(str(copy))
    con.execute("CREATE TABLE signoffs AS SELECT sop_id, case_id, agency FROM deviations")
    con.close()
    with pytest.raises(AccessError, match="signoffs"):
        _con(copy, Scope.of([BATAM]))
    _con(copy, ALL).close()  # a user who sees everything may still open it


def test_a_model_of_another_agency_is_seen_when_a_case_in_scope_was_checked_against_it(analysed_db,
                                                                                         tmp_path) -> None:
    # an agency may run another agency's SOP: the version its cases were checked against is
    # shown with its steps, and only that one (the list is read once per scoped connection)
    copy = tmp_path / "borrowed.duckdb"
    copy.write_bytes(analysed_db.read_bytes())
    con = duckdb.connect(str(copy))
    other, other_sop = con.execute("SELECT model_sha256, sop_id FROM models WHERE agency = ? LIMIT 1",
                                   [BANJARBARU]).fetchone()
    untouched = {r[0] for r in con.execute("SELECT model_sha256 FROM models WHERE agency NOT IN (?, ?)",
                                           [BATAM, BANJARBARU]).fetchall()}
    con.execute("UPDATE case_checks SET model_sha256 = ? WHERE rowid = (SELECT min(rowid) FROM case_checks "
                "WHERE agency = ?)", [other, BATAM])
    con.close()
    scoped = _con(copy, Scope.of([BATAM]))
    try:
        seen = {r[0] for r in scoped.execute("SELECT model_sha256 FROM models").fetchall()}
        assert other in seen and not seen & untouched
        assert _count(scoped, "SELECT count(*) FROM model_steps WHERE model_sha256 = ?", [other]) > 0
        assert other_sop in {r[0] for r in scoped.execute("SELECT sop_id FROM models").fetchall()}
    finally:
        scoped.close()
    # the list is kept for the next connection only while the file is unchanged
    def models_seen() -> set[str]:
        con = open_scoped(copy, Scope.of([BATAM]))
        try:
            return {r[0] for r in con.execute("SELECT model_sha256 FROM models").fetchall()}
        finally:
            con.close()

    assert other in models_seen() and other in models_seen()
    con = duckdb.connect(str(copy))
    con.execute("UPDATE case_checks SET model_sha256 = (SELECT model_sha256 FROM models WHERE agency = ? "
                "LIMIT 1) WHERE model_sha256 = ?", [BATAM, other])
    con.close()
    assert other not in models_seen()


def _all_queries(con) -> dict[str, pd.DataFrame]:
    sop = con.execute("SELECT sop_id FROM case_checks WHERE agency = ? LIMIT 1", [BATAM]).fetchone()[0]
    out = {}
    for name, fn in queries.QUERIES.items():
        if name.startswith("case_") and name not in ("case_candidates",):
            continue
        f = Filters(sop_id=sop) if name in ("variants_for_sop", "process_nodes", "process_arcs") else Filters()
        params = {}
        if name in ("model_artifact", "model_text"):  # the SOP's latest version in view
            sha = con.execute("SELECT model_sha256 FROM models WHERE sop_id = ? ORDER BY added_at DESC LIMIT 1",
                              [sop]).fetchone()[0]
            params = {"model_sha256": sha, **({"kind": "pnml"} if name == "model_artifact" else {})}
        if name in ("quarantine_kinds", "quarantine_reasons"):  # an import of each agency in turn
            params = {"import_id": con.execute("SELECT min(import_id) FROM imports").fetchone()[0],
                      **({"kind": None} if name == "quarantine_reasons" else {})}
        out[name] = fn(con, f, **params)
    return out


@pytest.mark.parametrize("way", WAYS)
def test_every_dashboard_query_returns_the_scope_and_nothing_else(stores, way) -> None:
    analysed_db = stores[way, "plain"]
    scoped, full = _con(analysed_db, Scope.of([BATAM])), open_store(analysed_db)
    try:
        results = _all_queries(scoped)
        for name, df in results.items():
            if "agency" in df.columns:
                assert set(df["agency"].dropna()) <= {BATAM}, name
        # the same numbers as the unscoped query filtered to Batam
        sop = scoped.execute("SELECT sop_id FROM case_checks LIMIT 1").fetchone()[0]
        for name in ("overview_totals", "overview_by_sop", "breach_counts", "lane_summary", "deviation_export",
                     "fitness_by_agency", "open_at_risk"):
            a = queries.QUERIES[name](scoped, Filters())
            b = queries.QUERIES[name](full, Filters(agency=BATAM))
            pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False,
                                          obj=name)
        assert not results["model_artifact"].empty
        other = full.execute("SELECT model_sha256 FROM models WHERE agency = ? LIMIT 1", [BANJARBARU]).fetchone()[0]
        assert queries.QUERIES["model_artifact"](scoped, Filters(), model_sha256=other, kind="pnml").empty
        assert queries.QUERIES["model_text"](scoped, Filters(), model_sha256=other).empty
        # a filter naming another agency, and a case id of another agency: nothing
        assert queries.QUERIES["overview_totals"](scoped, Filters(agency=BANJARBARU))["cases"].iloc[0] == 0
        case_id, case_sop = full.execute("SELECT case_id, sop_id FROM case_checks WHERE agency = ? LIMIT 1",
                                         [BANJARBARU]).fetchone()
        for name in ("case_keys", "case_summary", "case_steps", "case_deviations", "case_trace", "case_events"):
            params = ({"case_id": case_id} if name == "case_keys"
                      else {"case_id": case_id, "sop_id": case_sop, "agency": BANJARBARU})
            assert queries.QUERIES[name](scoped, Filters(), **params).empty, name
            assert not queries.QUERIES[name](full, Filters(), **params).empty or name == "case_deviations"
        assert queries.QUERIES["variants_for_sop"](scoped, Filters(sop_id=sop)).shape[0] > 0
        # another agency's import: its quarantine is not shown
        (other_import,) = full.execute("SELECT min(import_id) FROM imports WHERE agency = ?", [BANJARBARU]).fetchone()
        if other_import is not None:
            assert queries.QUERIES["quarantine_kinds"](scoped, Filters(), import_id=other_import).empty
            assert queries.QUERIES["quarantine_rows"](scoped, Filters(), import_id=other_import, kind=None).empty
    finally:
        scoped.close()
        full.close()


def test_the_cache_keeps_scopes_apart_and_unscoped_reads_are_refused(analysed_db, monkeypatch) -> None:
    batam, banjar = Scope.of([BATAM]), Scope.of([BANJARBARU])
    data.clear_cache()
    a = data.load(data.read_state(analysed_db, batam), "overview_by_sop", Filters())
    b = data.load(data.read_state(analysed_db, banjar), "overview_by_sop", Filters())
    assert set(a["agency"]) == {BATAM} and set(b["agency"]) == {BANJARBARU}
    monkeypatch.setenv("PANTAU_AUTH", "local")
    with pytest.raises(AccessError, match="not permitted"), data.connection(analysed_db):
        pass
    with pytest.raises(AccessError):
        data.read_state(analysed_db)
    monkeypatch.setenv("PANTAU_AUTH", "none")
    raw = duckdb.connect(str(analysed_db), read_only=True)
    everything = _count(raw, "SELECT count(DISTINCT agency) FROM case_checks")
    raw.close()
    with data.connection(analysed_db) as con:  # the local demo: everything
        assert _count(con, "SELECT count(DISTINCT agency) FROM case_checks") == everything > 1


@pytest.mark.parametrize("way", WAYS)
def test_names_with_quotes_cannot_break_out_of_the_filter(stores, way) -> None:
    con = _con(stores[way, "plain"], Scope.of(["x' OR true OR agency = '"], ["u' OR true OR unit = '"]))
    try:
        assert _count(con, "SELECT count(*) FROM case_checks") == 0
    finally:
        con.close()


def test_rules_cover_each_kind_once() -> None:
    kinds = [*BY_AGENCY_AND_UNIT, *BY_AGENCY, *THROUGH]
    assert len(kinds) == len(set(kinds)) and not set(kinds) & set(GLOBAL)
