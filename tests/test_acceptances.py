"""Accepted deviations (issue 12.4): an acceptance leaves the rates by exactly the findings it
covers, stays visible (marked) in the lists and the export, survives ``pantau analyze``, expires
on its date, and revoking it restores the counts. The acceptances file is append-only and
hash-chained: an edited entry makes every reader refuse it. Only the auditor role accepts.

Expected sets are computed here from the raw ``deviations`` table in Python, not read from the
view under test, so a change to the rule in views.sql turns these red.
"""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from access_browser import pantau

from dashboard.filters import Filters
from dashboard.queries import QUERIES
from event_logs import acceptances
from event_logs.acceptances import AcceptanceError, Target
from event_logs.store import open_store
from pantau.access.scope import Scope
from pantau.errors import AccessError

BATAM = "Dinas Kesehatan Kota Batam"


@pytest.fixture()
def db(analysed_db: Path, tmp_path: Path) -> Path:
    """A fresh copy of the analysed store (and no acceptances file)."""
    path = tmp_path / "store.duckdb"
    shutil.copyfile(analysed_db, path)
    return path


def _rows(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = open_store(path)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _raw_deviations(path: Path) -> list[dict]:
    """The deviations as analysed, with the first local day of their case (no view involved)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        cur = con.execute("SELECT d.sop_id, d.agency, d.unit, d.case_id, d.kind, d.step_id, d.position, "
                          "d.event_id, c.first_day FROM deviations d JOIN case_checks c ON c.sop_id = d.sop_id "
                          "AND c.agency = d.agency AND c.case_id = d.case_id")
        names = [x[0] for x in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


def _counted(path: Path) -> int:
    return _rows(path, "SELECT deviations_counted(accepted) FROM deviation_results")[0][0]


def _accept(path: Path, target: Target, **kw) -> int:
    con = open_store(path)
    try:
        return acceptances.accept(con, path, target, reason=kw.pop("reason", "diterima auditor"),
                                  by=kw.pop("by", "auditor"), **kw)
    finally:
        con.close()


def _a_case_with_two_kinds(path: Path) -> tuple[str, str, str, str]:
    """(sop, agency, case, kind) of a closed case with deviations of two kinds or more."""
    return _rows(path, """
        SELECT d.sop_id, d.agency, d.case_id, min(d.kind) FROM deviations d
        JOIN case_checks c USING (sop_id, agency, case_id)
        WHERE NOT coalesce(c.is_open, false)
        GROUP BY ALL HAVING count(DISTINCT d.kind) >= 2 ORDER BY ALL LIMIT 1""")[0]


def test_one_finding_leaves_the_counts_by_exactly_its_rows_and_stays_listed(db: Path) -> None:
    sop, agency, case, kind = _a_case_with_two_kinds(db)
    covered = [d for d in _raw_deviations(db) if (d["sop_id"], d["agency"], d["case_id"], d["kind"])
               == (sop, agency, case, kind)]
    before_total, before_case = _counted(db), _rows(
        db, "SELECT deviation_count FROM case_results WHERE sop_id = ? AND agency = ? AND case_id = ?",
        [sop, agency, case])[0][0]
    number = _accept(db, Target(sop_id=sop, kind=kind, case_id=case, agency=agency))
    assert _counted(db) == before_total - len(covered)
    row = _rows(db, "SELECT deviation_count, deviations_found, deviations_accepted FROM case_results "
                    "WHERE sop_id = ? AND agency = ? AND case_id = ?", [sop, agency, case])[0]
    assert row == (before_case - len(covered), before_case, len(covered))
    # still listed, marked with the acceptance
    marked = _rows(db, "SELECT kind, accepted, acceptance_id FROM deviation_results "
                       "WHERE sop_id = ? AND agency = ? AND case_id = ? ORDER BY ALL", [sop, agency, case])
    assert {(k, a, i) for k, a, i in marked if a} == {(kind, True, number)}
    assert any(not a for _k, a, _i in marked)  # the case's other kind still counts
    # the Deviasi page's figures (the same query the page loads)
    con = open_store(db)
    try:
        kinds = QUERIES["deviation_kinds"](con, Filters())
        export = QUERIES["deviation_export"](con, Filters())
    finally:
        con.close()
    assert int(kinds.loc[kinds["kind"] == kind, "accepted"].iloc[0]) == len(covered)
    mine = export[(export["case_id"] == case) & (export["kind"] == kind)]
    assert len(mine) == len(covered) and mine["accepted"].all()
    assert set(mine["acceptance_id"]) == {number} and set(mine["accepted_by"]) == {"auditor"}
    assert set(mine["accepted_reason"]) == {"diterima auditor"}
    assert int(export["accepted"].sum()) == len(covered)  # nothing else in the export is marked


def _covered(raw: list[dict], sop: str, kind: str, *, agency: str | None = None, unit: str | None = None,
             step: str | None = None, start: date | None = None, end: date | None = None) -> set[tuple]:
    """The findings a rule covers, by its definition (docs/auditors.md), in Python."""
    return {(d["case_id"], d["position"], d["event_id"]) for d in raw
            if d["sop_id"] == sop and d["kind"] == kind and agency in (None, d["agency"])
            and unit in (None, d["unit"]) and step in (None, d["step_id"])
            and (start is None or d["first_day"] >= start) and (end is None or d["first_day"] <= end)}


def _by(path: Path, number: int) -> set[tuple]:
    return set(_rows(path, "SELECT case_id, position, event_id FROM accepted_deviations WHERE acceptance_id = ?",
                     [number]))


def test_a_rule_covers_what_its_agency_unit_step_and_period_say(db: Path) -> None:
    raw = _raw_deviations(db)
    # the SOP and kind found at the most steps, at its most frequent step
    sop, agency, kind, step = _rows(db, """
        WITH k AS (SELECT sop_id, agency, kind, count(DISTINCT step_id) AS steps FROM deviations
                   WHERE step_id IS NOT NULL GROUP BY ALL ORDER BY steps DESC, sop_id, kind LIMIT 1)
        SELECT d.sop_id, d.agency, d.kind, d.step_id FROM deviations d JOIN k USING (sop_id, agency, kind)
        GROUP BY ALL ORDER BY count(*) DESC, d.step_id LIMIT 1""")[0]
    days = sorted({d["first_day"] for d in raw if d["sop_id"] == sop and d["kind"] == kind})
    start, end = days[len(days) // 5], days[4 * len(days) // 5]
    expected = _covered(raw, sop, kind, agency=agency, step=step, start=start, end=end)
    # each bound leaves findings out, so each is tested
    assert expected and expected < _covered(raw, sop, kind, agency=agency, start=start, end=end)
    assert expected < _covered(raw, sop, kind, agency=agency, step=step, end=end)
    assert expected < _covered(raw, sop, kind, agency=agency, step=step, start=start)
    before = _counted(db)
    number = _accept(db, Target(sop_id=sop, kind=kind, agency=agency, step_id=step, period_from=start,
                                period_to=end))
    assert _by(db, number) == expected
    assert _counted(db) == before - len(expected)
    # a unit: only that unit's findings
    unit = max({d["unit"] for d in raw if d["sop_id"] == sop and d["kind"] == kind},
               key=lambda u: (sum(d["unit"] == u for d in raw), u))
    by_unit = _covered(raw, sop, kind, unit=unit)
    assert by_unit < _covered(raw, sop, kind)
    unit_rule = _accept(db, Target(sop_id=sop, kind=kind, agency=agency, unit=unit))
    assert _by(db, unit_rule) == by_unit - expected  # the lowest acceptance in force is named
    # a rule without agency, unit, step or period covers every finding of the kind in the SOP
    _accept(db, Target(sop_id=sop, kind=kind))
    every = _covered(raw, sop, kind)
    assert _counted(db) == before - len(every)
    assert set(_rows(db, "SELECT case_id, position, event_id FROM accepted_deviations WHERE sop_id = ? AND kind = ?",
                     [sop, kind])) == every
    assert _rows(db, "SELECT count(*) FROM accepted_deviations WHERE kind <> ?", [kind]) == [(0,)]


def test_a_case_whose_every_alignment_deviation_is_accepted_counts_as_conformant(db: Path) -> None:
    sop, agency, case, kind = _rows(db, """
        SELECT d.sop_id, d.agency, d.case_id, any_value(d.kind) FROM deviations d
        JOIN ref_deviation_kinds k USING (kind)
        JOIN case_checks c USING (sop_id, agency, case_id)
        WHERE NOT coalesce(c.is_open, false) AND NOT c.conformant
        GROUP BY ALL HAVING count(DISTINCT d.kind) = 1 AND bool_and(k.detected_by = 'alignment')
        ORDER BY ALL LIMIT 1""")[0]
    share = "SELECT conformant_share(conformant, is_closed), count(*) FILTER (WHERE is_closed) FROM case_results"
    (before, closed), = _rows(db, share)
    _accept(db, Target(sop_id=sop, kind=kind, case_id=case, agency=agency))
    (after, _), = _rows(db, share)
    assert after == pytest.approx(before + 1 / closed)
    assert _rows(db, "SELECT conformant, model_conformant FROM case_results WHERE sop_id = ? AND agency = ? "
                     "AND case_id = ?", [sop, agency, case]) == [(True, False)]


def test_an_acceptance_survives_analyze_and_is_copied_into_the_store(db: Path) -> None:
    from analytics import analyze

    sop, agency, case, kind = _a_case_with_two_kinds(db)
    number = _accept(db, Target(sop_id=sop, kind=kind, case_id=case, agency=agency), reason="berkas susulan")
    accepted_before = _rows(db, "SELECT count(*) FROM accepted_deviations")[0][0]
    analyze(db)
    con = duckdb.connect(str(db), read_only=True)  # the store itself, no overlay of the file
    try:
        log = con.execute("SELECT acceptance_id, action, case_id, kind, reason FROM acceptance_log").fetchall()
        in_store = con.execute("SELECT count(*) FROM accepted_deviations").fetchall()[0][0]
    finally:
        con.close()
    assert log == [(number, "accept", case, kind, "berkas susulan")]
    assert in_store == accepted_before > 0


def test_an_acceptance_expires_after_its_last_day_and_revoking_restores_the_counts(db: Path) -> None:
    sop, agency, case, kind = _a_case_with_two_kinds(db)
    before = _counted(db)
    target = Target(sop_id=sop, kind=kind, case_id=case, agency=agency)
    past = datetime.now(UTC) - timedelta(days=30)
    old = _accept(db, target, until=(past + timedelta(days=10)).date(), now=past)
    assert _rows(db, "SELECT status FROM acceptances WHERE acceptance_id = ?", [old]) == [("expired",)]
    assert _counted(db) == before
    today = _accept(db, target, until=date.today())  # in force through its last day
    assert _rows(db, "SELECT status FROM acceptances WHERE acceptance_id = ?", [today]) == [("in_force",)]
    accepted = before - _counted(db)
    assert accepted > 0
    con = open_store(db)
    try:
        acceptances.revoke(con, db, today, reason="keliru", by="auditor2")
    finally:
        con.close()
    assert _counted(db) == before
    (status, by, why), = _rows(db, "SELECT status, revoked_by, revoke_reason FROM acceptances "
                                   "WHERE acceptance_id = ?", [today])
    assert (status, by, why) == ("revoked", "auditor2", "keliru")
    # append-only: the accept and revoke entries are both in the file
    actions = [e.details["action"] for e in acceptances._log(db).entries()]
    assert actions == ["accept", "accept", "revoke"]


def test_change_gives_a_new_reason_and_expiry_and_the_old_entry_stays(db: Path) -> None:
    sop, agency, case, kind = _a_case_with_two_kinds(db)
    number = _accept(db, Target(sop_id=sop, kind=kind, case_id=case, agency=agency), reason="awal")
    con = open_store(db)
    try:
        acceptances.change(con, db, number, reason="diperpanjang", by="auditor2", until=date(2099, 12, 31))
        state = acceptances.current(open_store(db), number)
    finally:
        con.close()
    assert (state["reason"], state["valid_until"], state["accepted_by"], state["changed_by"]) == \
        ("diperpanjang", date(2099, 12, 31), "auditor", "auditor2")
    assert [e.details["reason"] for e in acceptances._log(db).entries()] == ["awal", "diperpanjang"]


def test_an_edited_acceptances_file_is_refused_by_every_reader(db: Path) -> None:
    sop, agency, case, kind = _a_case_with_two_kinds(db)
    _accept(db, Target(sop_id=sop, kind=kind, case_id=case, agency=agency), reason="alasan asli")
    path = acceptances.file_for(db)
    path.write_text(path.read_text(encoding="utf-8").replace("alasan asli", "alasan lain"), encoding="utf-8")
    with pytest.raises(AcceptanceError, match="changed by hand"):
        open_store(db)
    with pytest.raises(AcceptanceError, match="changed by hand"):
        open_store(db, read_only=False)
    result = pantau("accept", "verify", "--db", str(db))
    assert result.returncode == 1 and "entry 1" in result.stderr


def test_only_the_auditor_role_accepts_and_a_scoped_auditor_only_for_their_agencies(db: Path) -> None:
    sop, agency, case, kind = _rows(db, "SELECT sop_id, agency, case_id, kind FROM deviations WHERE agency <> ? "
                                        "ORDER BY ALL LIMIT 1", [BATAM])[0]
    target = Target(sop_id=sop, kind=kind, case_id=case, agency=agency)
    con = open_store(db)
    try:
        for role in ("kepala_dinas", "analis", "admin"):
            with pytest.raises(AccessError, match="may not accept"):
                acceptances.accept(con, db, target, reason="x", by="someone", role=role)
        with pytest.raises(AccessError, match="outside your agencies"):
            acceptances.accept(con, db, target, reason="x", by="someone", role="inspektorat",
                               scope=Scope.of([BATAM]))
        assert acceptances.accept(con, db, target, reason="x", by="auditor", role="inspektorat",
                                  scope=Scope.of([agency])) == 1
    finally:
        con.close()
    assert not acceptances.file_for(db).read_text(encoding="utf-8").count("someone")


def test_a_scoped_reader_sees_only_its_agencies_acceptances(db: Path) -> None:
    from event_logs.scoped import apply_scope

    other = _rows(db, "SELECT sop_id, agency, case_id, kind FROM deviations WHERE agency <> ? ORDER BY ALL LIMIT 1",
                  [BATAM])[0]
    batam = _rows(db, "SELECT sop_id, agency, case_id, kind FROM deviations WHERE agency = ? ORDER BY ALL LIMIT 1",
                  [BATAM])[0]
    for sop, agency, case, kind in (other, batam):
        _accept(db, Target(sop_id=sop, kind=kind, case_id=case, agency=agency))
    con = open_store(db)
    try:
        apply_scope(con, Scope.of([BATAM]))
        seen = con.execute("SELECT DISTINCT agency FROM acceptances").fetchall()
        log = con.execute("SELECT DISTINCT agency FROM acceptance_log WHERE action = 'accept'").fetchall()
        marked = con.execute("SELECT DISTINCT agency FROM deviation_results WHERE accepted").fetchall()
    finally:
        con.close()
    assert seen == log == marked == [(BATAM,)]


def test_the_cli_accepts_lists_revokes_and_explains_mistakes(db: Path) -> None:
    sop, agency, case, kind = _a_case_with_two_kinds(db)
    n = len([d for d in _raw_deviations(db) if (d["sop_id"], d["agency"], d["case_id"], d["kind"])
             == (sop, agency, case, kind)])
    def run(*args: str) -> tuple[int, str]:
        done = pantau(*args)
        return done.returncode, done.stdout + done.stderr

    code, out = run("accept", "--db", str(db), "--case", case, "--sop", sop, "--kind", kind,
                    "--reason", "berkas lengkap menyusul", "--by", "Inspektur A")
    assert code == 0, out
    assert f"acceptance 1: {n} finding(s) accepted" in out
    _code, listed = run("accept", "list", "--db", str(db))
    assert f"case {case}" in listed and f"{n} finding(s)" in listed and "Inspektur A" in listed
    code, wrong = run("accept", "--db", str(db), "--case", case, "--sop", sop, "--kind", "skiped_step",
                      "--reason", "x", "--by", "y")
    assert code == 1 and "Error: field 'kind': unknown deviation kind 'skiped_step'" in wrong
    assert "skipped_step" in wrong.split("Hint:")[1]
    code, no_reason = run("accept", "--db", str(db), "--sop", sop, "--kind", kind, "--by", "y")
    assert code == 1 and "a reason must be given" in no_reason
    code, out = run("accept", "revoke", "1", "--db", str(db), "--reason", "salah", "--by", "Inspektur B")
    assert code == 0, out
    assert "no acceptances in force" in run("accept", "list", "--db", str(db))[1]
    assert "revoked" in run("accept", "list", "--all", "--db", str(db))[1]
    assert run("accept", "verify", "--db", str(db))[0] == 0
