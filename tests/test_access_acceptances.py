"""Which acceptances a scope sees (``event_logs.scoped.ACCEPTANCES_IN_SCOPE``, read once per
scoped connection): rules of its SOPs for every agency or its own agencies and units, its own
cases' acceptances, every entry of those; none of another agency's or unit's.

The store is a copy of ``analysed_db`` with acceptances of each kind, chosen so that every
part of the rule has one acceptance that only that part keeps out; the ids each scope must see
are written here, not read from the rule. The pages' figures through a scope must equal the
unscoped ones filtered to it (the acceptances leave the same findings out of the counts).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dashboard import queries
from dashboard.filters import Filters
from event_logs import acceptances
from event_logs.acceptances import Target
from event_logs.scoped import SCHEMA, apply_scope
from event_logs.store import open_store
from pantau.access.scope import Scope

BATAM = "Dinas Kesehatan Kota Batam"
BANJARBARU = "Dinas Sosial Kota Banjarbaru"


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


@pytest.fixture(scope="module")
def accepted(analysed_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Copies of the analysed store (stored shadows; and without them: TEMP views) sharing one
    acceptances file's entries, and what each acceptance is (name -> id), with Batam's units."""
    folder = tmp_path_factory.mktemp("accepted")
    db = folder / "stored.duckdb"
    shutil.copyfile(analysed_db, db)
    raw = duckdb.connect(str(db), read_only=True)
    try:
        # Batam's SOP with deviations in the most units, its two units with the most deviating cases
        sop, = raw.execute("SELECT sop_id FROM deviations WHERE agency = ? GROUP BY 1 "
                           "ORDER BY count(DISTINCT unit) DESC, 1 LIMIT 1", [BATAM]).fetchone()
        u, v = (r[0] for r in _rows(raw, "SELECT unit FROM deviations WHERE agency = ? AND sop_id = ? "
                                         "GROUP BY 1 ORDER BY count(DISTINCT case_id) DESC, 1 LIMIT 2", [BATAM, sop]))

        def case_in(unit: str) -> tuple[str, str]:
            return _rows(raw, "SELECT case_id, kind FROM deviations WHERE agency = ? AND sop_id = ? AND unit = ? "
                              "ORDER BY ALL LIMIT 1", [BATAM, sop, unit])[0]

        kind, = raw.execute("SELECT kind FROM deviations WHERE sop_id = ? GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
                            [sop]).fetchone()
        other_sop, other_case, other_kind = _rows(raw, "SELECT sop_id, case_id, kind FROM deviations WHERE agency = ? "
                                                       "ORDER BY ALL LIMIT 1", [BANJARBARU])[0]
        # the premises the expectations rest on: Batam's SOP is Batam's alone, and the reverse
        assert {r[0] for r in _rows(raw, "SELECT DISTINCT agency FROM case_checks WHERE sop_id = ?", [sop])} == {BATAM}
        assert {r[0] for r in _rows(raw, "SELECT DISTINCT agency FROM case_checks WHERE sop_id = ?",
                                    [other_sop])} == {BANJARBARU}
        case_u, kind_u = case_in(u)
        case_v, kind_v = case_in(v)
    finally:
        raw.close()
    targets = {
        "rule_every_agency": Target(sop_id=sop, kind=kind),
        "rule_batam_unit_u": Target(sop_id=sop, kind=kind, agency=BATAM, unit=u),
        # a rule of Batam's SOP for another agency: only the agency condition keeps it out
        "rule_other_agency": Target(sop_id=sop, kind=kind, agency=BANJARBARU),
        # a case in unit v, named without its unit: only the cases condition keeps it from unit u
        "case_v": Target(sop_id=sop, kind=kind_v, case_id=case_v, agency=BATAM),
        "case_u": Target(sop_id=sop, kind=kind_u, case_id=case_u, agency=BATAM, unit=u),
        "case_other_agency": Target(sop_id=other_sop, kind=other_kind, case_id=other_case, agency=BANJARBARU),
        # a rule of another agency's SOP for every agency: only the SOP condition keeps it out
        "rule_other_sop": Target(sop_id=other_sop, kind=other_kind),
    }
    con = open_store(db)
    try:
        ids = {name: acceptances.accept(con, db, t, reason="diterima auditor", by="auditor", role="inspektorat")
               for name, t in targets.items()}
    finally:
        con.close()
    con = open_store(db)  # a read-only connection sees the file's latest state
    try:
        acceptances.change(con, db, ids["case_v"], reason="alasan baru", by="auditor", role="inspektorat")
        acceptances.revoke(con, db, ids["case_other_agency"], reason="salah", by="auditor", role="inspektorat")
    finally:
        con.close()
    temp = folder / "temp.duckdb"
    shutil.copyfile(db, temp)
    raw = duckdb.connect(str(temp))  # not open_store: a writable open writes the shadows again
    raw.execute(f"DROP SCHEMA {SCHEMA} CASCADE")
    raw.close()
    shutil.copyfile(acceptances.file_for(db), acceptances.file_for(temp))
    shutil.copyfile(f"{acceptances.file_for(db)}.head", f"{acceptances.file_for(temp)}.head")
    return {"stored": db, "temp": temp, "ids": ids, "units": (u, v)}


def _scopes(units: tuple[str, str]) -> dict[str, Scope]:
    u, v = units
    return {"batam": Scope.of([BATAM]), "batam_u": Scope.of([BATAM], [u]), "batam_v": Scope.of([BATAM], [v]),
            "banjarbaru": Scope.of([BANJARBARU])}


# what each scope sees, by the names of the fixture's acceptances
EXPECTED = {
    "batam": {"rule_every_agency", "rule_batam_unit_u", "case_v", "case_u"},
    "batam_u": {"rule_every_agency", "rule_batam_unit_u", "case_u"},
    "batam_v": {"rule_every_agency", "case_v"},
    "banjarbaru": {"case_other_agency", "rule_other_sop"},
}


@pytest.mark.parametrize("way", ["stored", "temp"])
@pytest.mark.parametrize("scope_name", sorted(EXPECTED))
def test_a_scope_sees_its_acceptances_with_every_entry_and_no_other(accepted, way, scope_name) -> None:
    scope = _scopes(accepted["units"])[scope_name]
    expected = {accepted["ids"][name] for name in EXPECTED[scope_name]}
    full, scoped = open_store(accepted[way]), apply_scope(open_store(accepted[way]), scope)
    try:
        assert (_rows(scoped, "SELECT current_setting('search_path')")[0][0] == SCHEMA) == (way == "stored")
        entries = sorted(_rows(scoped, "SELECT seq, acceptance_id, action FROM acceptance_log"))
        assert {a for _s, a, _x in entries} == expected
        # every entry of those (a change, a revoke), not only the accept
        assert entries == sorted(_rows(full, "SELECT seq, acceptance_id, action FROM acceptance_log "
                                             "WHERE list_contains(?, acceptance_id)", [sorted(expected)]))
        assert {r[0] for r in _rows(scoped, "SELECT acceptance_id FROM acceptances")} == expected
        marked = {r[0] for r in _rows(scoped, "SELECT DISTINCT acceptance_id FROM deviation_results "
                                              "WHERE acceptance_id IS NOT NULL")}
        assert marked and marked <= expected
    finally:
        full.close()
        scoped.close()


@pytest.mark.parametrize("way", ["stored", "temp"])
@pytest.mark.parametrize("scope_name", ["batam", "batam_u"])
def test_the_pages_figures_through_a_scope_equal_the_unscoped_ones_filtered_to_it(accepted, way,
                                                                                  scope_name) -> None:
    scope = _scopes(accepted["units"])[scope_name]
    f = Filters(agency=BATAM, unit=scope.units[0] if scope.units else None)
    full, scoped = open_store(accepted[way]), apply_scope(open_store(accepted[way]), scope)
    try:
        sop = _rows(scoped, "SELECT sop_id FROM case_checks GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")[0][0]
        accepted_findings = 0
        for name in ("overview_totals", "overview_by_sop", "monthly_trend", "fitness_by_agency", "fitness_totals",
                     "deviation_kinds", "deviating_cases", "variants_for_sop", "case_candidates"):
            on = Filters(sop_id=sop) if name == "variants_for_sop" else Filters()
            a = queries.QUERIES[name](scoped, on)
            b = queries.QUERIES[name](full, Filters(f.agency, on.sop_id, f.unit))
            if scope.units and name == "fitness_by_agency":  # a model's precision covers every unit: not shown
                a, b = a.drop(columns="precision"), b.drop(columns="precision")
            pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False,
                                          obj=name)
            if name == "fitness_totals":
                accepted_findings = int(a["accepted"].iloc[0])
        assert accepted_findings > 0  # the acceptances in scope do leave findings out
    finally:
        full.close()
        scoped.close()


def test_a_page_view_after_an_acceptance_sees_it_though_the_ids_are_kept_between_views(accepted, tmp_path) -> None:
    # open_scoped keeps a scope's acceptance ids per store file, acceptances file and query: an
    # acceptance written to the acceptances file alone (the dashboard's read-only store
    # untouched) must show on the next page view
    from event_logs.scoped import file_identity, open_scoped

    db = tmp_path / "store.duckdb"
    shutil.copyfile(accepted["stored"], db)
    for suffix in ("", ".head"):
        shutil.copyfile(f"{acceptances.file_for(accepted['stored'])}{suffix}", f"{acceptances.file_for(db)}{suffix}")
    scope = Scope.of([BATAM])
    expected = {accepted["ids"][name] for name in EXPECTED["batam"]}

    def seen() -> set[int]:
        con = open_scoped(db, scope)
        try:
            return {r[0] for r in _rows(con, "SELECT acceptance_id FROM acceptances")}
        finally:
            con.close()

    assert seen() == seen() == expected  # the second view from the kept ids
    before = file_identity(db)
    con = open_store(db, read_only=True)
    try:
        sop, case_id, kind = _rows(con, "SELECT sop_id, case_id, kind FROM deviations WHERE agency = ? "
                                        "ORDER BY ALL DESC LIMIT 1", [BATAM])[0]
        new = acceptances.accept(con, db, Target(sop_id=sop, kind=kind, case_id=case_id, agency=BATAM),
                                 reason="diterima auditor", by="auditor", role="inspektorat")
    finally:
        con.close()
    assert file_identity(db) == before  # only the acceptances file changed
    assert seen() == expected | {new}
