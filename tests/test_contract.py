"""The store as the one contract: vocabularies, models and the activity mapping as data.

Every status and kind a result holds is a row of its vocabulary; a corrected mapping reaches
stored events at the next analysis without importing anything again; a page shows the model
version its results were computed with even after another version is added; and a lane's
breach rate reads the same on every page.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest

from analytics import analyze
from dashboard import catalog, data, queries
from dashboard.filters import Filters
from event_logs import open_store, vocabulary
from event_logs.mapping import set_mapping
from event_logs.registry import register_model
from event_logs.store import transaction
from sop_models import get_model, load_model


# --- vocabularies --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def quarantined_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store whose one import quarantined rows of several kinds (the simulator writes none)."""
    from event_logs.ingest import ingest_file

    folder = tmp_path_factory.mktemp("quarantine")
    log = folder / "bad.csv"
    log.write_text("case_id,activity,timestamp,lifecycle\n"
                   "A,Verifikasi,2024-03-04 09:00,complete\n"
                   ",Verifikasi,2024-03-04 09:00,complete\n"
                   "B,,2024-03-04 09:00,complete\n"
                   "C,Verifikasi,,complete\n"
                   "D,Verifikasi,31/31/2024,complete\n"
                   "E,Verifikasi,0001-01-01 09:00,complete\n"
                   "F,Verifikasi,2024-03-04 09:00,suspend\n", encoding="utf-8")
    db = folder / "q.duckdb"
    ingest_file(db, log, sop_id="batam-dinkes-jaminan-rs")
    return db


@pytest.fixture(scope="module")
def accepted_db(analysed_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the analysed store with one accepted finding (acceptance_log.kind has a value)."""
    from event_logs import acceptances

    db = tmp_path_factory.mktemp("accepted") / "a.duckdb"
    db.write_bytes(analysed_db.read_bytes())
    con = open_store(db)
    try:
        sop, agency, case, kind = con.execute(
            "SELECT sop_id, agency, case_id, kind FROM deviations ORDER BY ALL LIMIT 1").fetchall()[0]
        acceptances.accept(con, db, acceptances.Target(sop_id=sop, kind=kind, case_id=case, agency=agency),
                           reason="test", by="auditor")
    finally:
        con.close()
    open_store(db, read_only=False).close()  # the writable open copies the file into acceptance_log
    return db


@pytest.mark.parametrize(("table", "column"), sorted(vocabulary.COLUMN_VOCABULARY))
def test_every_status_and_kind_comes_from_its_vocabulary(analysed_db: Path, quarantined_db: Path,
                                                         accepted_db: Path, table: str, column: str) -> None:
    names = vocabulary.COLUMN_VOCABULARY[(table, column)].split("+")
    allowed = {k for name in names for k in vocabulary.keys(name)}
    con = open_store({"quarantine": quarantined_db, "acceptance_log": accepted_db}.get(table, analysed_db))
    try:
        values = {r[0] for r in con.execute(f"SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL").fetchall()}
        stored = {r[0] for name in names for r in con.execute(
            f"SELECT {vocabulary.VOCABULARIES[name][1]} FROM {vocabulary.VOCABULARIES[name][0]}").fetchall()}
    finally:
        con.close()
    assert values, f"{table}.{column} is empty in the analysed store: nothing checked"
    assert values <= allowed, f"{table}.{column} holds values no vocabulary defines: {sorted(values - allowed)}"
    assert stored == allowed  # the store's ref tables are the CSV files


# columns named like a vocabulary that are not one, and why
NOT_VOCABULARIES = {
    ("model_steps", "kind"): "the step's kind as the model file says it (task, decision)",
    ("model_artifacts", "kind"): "which drawing or export a row holds",
}


def test_every_status_and_kind_column_of_the_schema_is_checked(analysed_db: Path) -> None:
    # a new status/kind column must be added to COLUMN_VOCABULARY (and so to the test above)
    con = open_store(analysed_db)
    try:
        columns = {(t, c) for t, c in con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_catalog = current_database() AND table_schema = 'main' AND table_name NOT LIKE 'ref_%' "
            "AND table_name NOT IN (SELECT view_name FROM duckdb_views() WHERE database_name = current_database() "
            "AND schema_name = 'main') "
            "AND (column_name IN ('status', 'kind') OR column_name LIKE '%\\_status' ESCAPE '\\')").fetchall()}
    finally:
        con.close()
    assert columns - set(NOT_VOCABULARIES) == set(vocabulary.COLUMN_VOCABULARY)


@pytest.mark.parametrize("name", sorted(vocabulary.VOCABULARIES))
def test_vocabulary_files_are_complete(name: str) -> None:
    rows = vocabulary.rows(name)
    key = vocabulary.VOCABULARIES[name][1]
    keys = [r[key] for r in rows]
    assert keys and len(keys) == len(set(keys))
    for r in rows:
        assert all(r[c].strip() for c in ("label_id", "label_en", "description_id", "description_en")), r
        if "color" in r:
            assert re.fullmatch(r"#[0-9a-f]{6}", r["color"]), r


def test_the_violations_and_late_statuses() -> None:
    # what counts as a violation (the breach rate) and as late, written here on purpose: a
    # change to the vocabulary's flags changes every page's numbers and must be deliberate
    assert set(vocabulary.where("step_status", "is_violation")) == {"breach", "deadline_missed", "too_fast"}
    assert set(vocabulary.where("step_status", "is_late")) == {"breach", "deadline_missed"}
    assert set(vocabulary.keys("step_status")) - set(vocabulary.where("step_status", "is_judged")) == {"no_standard", "not_measurable"}
    assert set(vocabulary.where("open_status", "is_late")) == {"late"}


# --- the activity mapping is applied at analysis time ----------------------------------------
def test_a_corrected_mapping_takes_effect_at_the_next_analysis_without_importing_again(
        analysed_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "remap.duckdb"
    shutil.copyfile(analysed_db, db)
    con = open_store(db, read_only=False)
    try:
        events = con.execute("SELECT count(*), sum(hash(event_id, activity)) FROM events").fetchall()[0]
        sop, label, n = con.execute("""
            SELECT sop_id, label, events FROM activity_labels WHERE how IS NULL
            ORDER BY events DESC, sop_id, label LIMIT 1""").fetchall()[0]
        before = con.execute("SELECT count(*) FROM deviations WHERE sop_id = ? AND kind = 'unmapped_activity' "
                             "AND activity = ?", [sop, label]).fetchall()[0][0]
        with transaction(con):
            set_mapping(con, sop, label, "-", source="cli", by="test")  # known, but no SOP step
    finally:
        con.close()
    assert before > 0
    analyze(db, sop_ids=[sop])
    con = open_store(db)
    try:
        assert con.execute("SELECT count(*), sum(hash(event_id, activity)) FROM events").fetchall()[0] == events
        assert con.execute("SELECT how, step_id, events FROM activity_labels WHERE sop_id = ? AND label = ?",
                           [sop, label]).fetchall() == [("out_of_scope", None, n)]
        after = con.execute("SELECT count(*) FROM deviations WHERE sop_id = ? AND activity = ?",
                            [sop, label]).fetchall()[0][0]
    finally:
        con.close()
    assert after == 0  # out of scope: kept, never a deviation


def test_a_mapping_to_a_step_maps_every_stored_event_of_the_label(tmp_path: Path) -> None:
    from event_logs.ingest import ingest_file

    sop = get_model("batam-dinkes-jaminan-rs")
    first, second = sop.case_steps[:2]
    log = tmp_path / "log.csv"
    log.write_text("case_id,activity,timestamp\n"
                   f"A,{first.name},2024-03-04 09:00\nA,Cek berkas masuk,2024-03-04 09:20\n", encoding="utf-8")
    db = tmp_path / "s.duckdb"
    result = ingest_file(db, log, sop_id=sop.id)
    assert result.unmapped_labels == {"Cek berkas masuk": 1}
    analyze(db)
    con = open_store(db, read_only=False)
    try:
        assert con.execute("SELECT count(*) FROM step_checks WHERE step_id = ?", [second.id]).fetchall() == [(0,)]
        with transaction(con):
            set_mapping(con, sop.id, "Cek berkas masuk", second.id, source="cli")
    finally:
        con.close()
    analyze(db)
    con = open_store(db)
    try:
        steps = con.execute("SELECT step_id FROM step_checks ORDER BY complete_ts").fetchall()
        kinds = {r[0] for r in con.execute("SELECT kind FROM deviations").fetchall()}
    finally:
        con.close()
    assert steps == [(first.id,), (second.id,)]
    assert "unmapped_activity" not in kinds


# --- a page shows the model its results were computed with -----------------------------------------
def _catalog(db: Path) -> catalog.Catalog:
    con = open_store(db)
    try:
        return catalog.build(*(queries.QUERIES[n](con, Filters()) for n in data.CATALOG_QUERIES))
    finally:
        con.close()


def test_pages_show_the_model_version_of_the_run_after_a_new_version_is_added(
        analysed_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "versions.duckdb"
    shutil.copyfile(analysed_db, db)
    old = get_model("batam-dinkes-integrasi-jkn")
    step = old.case_steps[0]
    text = Path(old.path).read_text(encoding="utf-8")
    revised = tmp_path / "revised.yaml"
    revised.write_text(text.replace(f'name: "{step.name}"', 'name: "Menerima berkas (revisi 05)"')
                       .replace('revision: "04"', 'revision: "05"'), encoding="utf-8")
    new = load_model(revised)
    assert new.sha256 != old.sha256 and new.step(step.id).name == "Menerima berkas (revisi 05)"
    con = open_store(db, read_only=False)
    try:
        with transaction(con):
            register_model(con, new, revised.read_text(encoding="utf-8"), origin="file")
    finally:
        con.close()
    cat = _catalog(db)
    shown = cat.shown(old.id)
    assert shown.model_sha256 == old.sha256 and shown.revision == "04"  # the run's version
    assert cat.step_name(old.id, step.id, 200) == step.name
    assert cat.versions[new.sha256].step(step.id).name == "Menerima berkas (revisi 05)"
    # the stored text alone gives the version back, as the run read it
    con = open_store(db)
    try:
        stored = con.execute("SELECT model_text FROM models WHERE model_sha256 = ?", [old.sha256]).fetchall()[0][0]
    finally:
        con.close()
    assert stored == text


# --- one breach rate ------------------------------------------------------------------------
def test_the_breach_rate_of_a_lane_and_a_step_reads_the_same_on_every_page(analysed_db: Path) -> None:
    con = duckdb.connect(str(analysed_db), read_only=True)
    try:
        for f in (Filters(), Filters(agency="Dinas Kesehatan Kota Batam"), Filters(unit="Puskesmas Sekupang")):
            pelanggaran = queries.QUERIES["breaches_by_lane"](con, f).set_index(["agency", "lane"])["breach_rate"]
            lane_page = queries.QUERIES["lane_summary"](con, f).set_index(["agency", "lane"])["breach_rate"]
            assert len(pelanggaran) > 0
            assert pelanggaran.sort_index().to_dict() == pytest.approx(lane_page.sort_index().to_dict(), nan_ok=True)
            # and against the definition computed here, from the rows
            expected = dict(((a, lane), v / j if j else None) for a, lane, v, j in con.execute(
                "SELECT agency, lane, count(*) FILTER (WHERE status IN ('breach', 'deadline_missed', 'too_fast')), "
                "count(*) FILTER (WHERE status <> 'no_standard') FROM step_checks "
                f"{'WHERE agency = ?' if f.agency else 'WHERE unit = ?' if f.unit else ''} GROUP BY ALL",
                [f.agency or f.unit] if (f.agency or f.unit) else []).fetchall())
            assert pelanggaran.to_dict() == pytest.approx(expected, nan_ok=True)
        sop = "batam-dinkes-integrasi-jkn"
        by_step = queries.QUERIES["breaches_by_step"](con, Filters(sop_id=sop)).set_index("step_id")["breach_rate"]
        nodes = queries.QUERIES["process_nodes"](con, Filters(sop_id=sop)).set_index("step_id")["breach_rate"]
        assert by_step.sort_index().to_dict() == pytest.approx(nodes.sort_index().to_dict(), nan_ok=True)
    finally:
        con.close()
