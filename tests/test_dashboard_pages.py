"""Every dashboard page through Streamlit's AppTest, on real DuckDB files.

Two stores: one built in SQL by ``dashboard_fixture`` (60 cases over the five real SOP models)
and one built by the real pipeline (simulate + analyze, 300 cases). Key numbers on the pages
are compared with SQL written here from the definitions the pages state in their help texts.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from dashboard_fixture import build_results_db, session_db
from dashboard_fixture import open_page as fixture_open_page
from streamlit.testing.v1 import AppTest

from dashboard import app_path, fmt
from dashboard.navigation import page_titles
from pantau.units import ZONE_NAMES
from sop_models import get_model, load_all

PAGES = page_titles()  # url path -> (Indonesian title, English title)
WIB = ZoneInfo("Asia/Jakarta")


@pytest.fixture(scope="module", params=["fixture", "simulated"])
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with results: SQL-built and pipeline-built."""
    return session_db(tmp_path_factory.getbasetemp(), request.param)


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pipeline-built store alone, for behaviour that does not depend on the numbers."""
    return session_db(tmp_path_factory.getbasetemp(), "simulated")


def open_page(monkeypatch: pytest.MonkeyPatch, db: Path, page: str = "ringkasan",
              params: dict | None = None) -> AppTest:
    """Run the app on ``db`` and switch to ``page``; fail on any exception element (error
    elements are what some tests here look for)."""
    return fixture_open_page(monkeypatch, db, page, params, errors_ok=True)


def q(db: Path, sql: str, params: list | None = None):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders_without_error(monkeypatch, db, page) -> None:
    at = open_page(monkeypatch, db, page)
    assert [e.value for e in at.error] == []
    assert at.title[0].value == PAGES[page][0]


def test_overview_numbers_equal_sql(monkeypatch, db) -> None:
    at = open_page(monkeypatch, db)
    cases, on_time, conformant = q(db, """
        SELECT count(*),
               avg(CASE WHEN NOT is_open THEN (breach_count = 0 AND NOT coalesce(service_std_breach, false))::INT END),
               avg(CASE WHEN NOT is_open THEN conformant::INT END)
        FROM case_checks""")[0]
    late = q(db, "SELECT count(*) FROM open_cases WHERE status = 'late'")[0][0]
    median_hours = q(db, "SELECT median(throughput_hours) FROM case_checks WHERE NOT is_open")[0][0]
    shown = metrics(at)
    assert shown["Kasus"] == fmt.number(cases)
    assert shown["Tepat Mutu Baku"] == fmt.percent(on_time)
    assert shown["Sesuai alur SOP"] == fmt.percent(conformant)
    assert shown["Terbuka & terlambat"] == fmt.number(late)
    assert shown["Median waktu penyelesaian"] == fmt.duration(median_hours * 60)
    table = at.dataframe[0].value
    assert len(table) == q(db, "SELECT count(DISTINCT (agency, sop_id)) FROM case_checks")[0][0]


def test_breach_numbers_equal_sql(monkeypatch, db) -> None:
    at = open_page(monkeypatch, db, "pelanggaran")
    occ, breach, missed, violations, judged = q(db, """
        SELECT count(*), count(*) FILTER (WHERE status = 'breach'),
               count(*) FILTER (WHERE status = 'deadline_missed'),
               count(*) FILTER (WHERE status IN ('breach', 'deadline_missed', 'too_fast')),
               count(*) FILTER (WHERE status <> 'no_standard') FROM step_checks""")[0]
    shown = metrics(at)
    assert shown["Pelaksanaan langkah"] == fmt.number(occ)
    assert shown["Melebihi waktu"] == fmt.number(breach)
    assert shown["Tenggat terlewat"] == fmt.number(missed)
    # the breach rate: every violation of a standard, of the occurrences that have one
    assert shown["Tingkat pelanggaran"] == fmt.percent(violations / judged)


def test_deviation_numbers_equal_sql(monkeypatch, db) -> None:
    at = open_page(monkeypatch, db, "deviasi")
    fitness, deviations = q(db, """SELECT avg(coalesce(alignment_fitness, token_fitness)), sum(deviation_count)
                                   FROM case_checks WHERE NOT is_open""")[0]
    shown = metrics(at)
    assert shown["Fitness"] == fmt.number(fitness, 3)
    assert shown["Deviasi"] == fmt.number(deviations)
    kinds = at.multiselect(key="dev_kinds").options
    assert len(kinds) == q(db, "SELECT count(DISTINCT kind) FROM deviations")[0][0]
    assert len(at.get("download_button")) == 2  # CSV and Excel for auditors


def test_agency_filter_from_the_url(monkeypatch, db) -> None:
    agency, n = q(db, "SELECT agency, count(*) FROM case_checks GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1")[0]
    at = open_page(monkeypatch, db, params={"agency": agency})
    assert at.selectbox(key="agency").value == agency
    assert metrics(at)["Kasus"] == fmt.number(n)


def test_period_filter_from_the_url(monkeypatch, db) -> None:
    # days are each SOP's local days (its model's zone)
    local = ("SELECT timezone(m.timezone, c.first_ts)::DATE AS day FROM case_checks c "
             "JOIN models m ON m.model_sha256 = c.model_sha256")
    lo, hi = q(db, f"SELECT min(day), max(day) FROM ({local})")[0]
    start = lo + (hi - lo) / 3
    end = lo + 2 * (hi - lo) / 3
    expected = q(db, f"SELECT count(*) FROM ({local}) WHERE day BETWEEN ? AND ?", [start, end])[0][0]
    at = open_page(monkeypatch, db, params={"period": [start.isoformat(), end.isoformat()]})
    assert at.date_input(key="period").value == (start, end)
    assert metrics(at)["Kasus"] == fmt.number(expected)


def test_english_switch(monkeypatch, sim) -> None:
    at = open_page(monkeypatch, sim, params={"lang": "EN"})
    assert at.title[0].value == "Overview"
    assert "Within Mutu Baku" in metrics(at)
    at.switch_page("views/pelanggaran.py").run()
    assert at.title[0].value == PAGES["pelanggaran"][1]
    assert [e.value for e in at.exception] == []


def test_case_page_explains_one_case(monkeypatch, db) -> None:
    case_id, sop_id, agency, breaches, deviations = q(db, """
        SELECT case_id, sop_id, agency, breach_count, deviation_count FROM case_checks
        WHERE NOT is_open ORDER BY deviation_count DESC, breach_count DESC, case_id LIMIT 1""")[0]
    at = open_page(monkeypatch, db, "kasus", {"case": case_id, "sop": sop_id, "agency": agency})
    assert [e.value for e in at.error] == []
    shown = metrics(at)
    assert shown["Pelanggaran"] == fmt.number(breaches)
    assert shown["Deviasi"] == fmt.number(deviations)
    key = [case_id, sop_id, agency]
    one = "case_id = ? AND sop_id = ? AND agency = ?"
    steps = q(db, f"SELECT count(*) FROM step_checks WHERE {one}", key)[0][0]
    rows = q(db, f"SELECT count(*) FROM deviations WHERE {one}", key)[0][0]
    trace = q(db, f"""SELECT len(v.activities) FROM case_checks c JOIN variants v USING (sop_id, variant_id)
                      WHERE c.{one.replace(' AND ', ' AND c.')}""", key)[0][0]
    skipped = q(db, f"SELECT count(*) FROM deviations WHERE {one} AND kind = 'skipped_step'", key)[0][0]
    step_table, alignment = at.dataframe[0].value, at.dataframe[1].value
    assert len(step_table) == steps
    assert len(alignment) == trace + skipped
    if rows:
        assert len(at.dataframe[2].value) == rows


def test_case_page_without_a_case_and_with_an_unknown_one(monkeypatch, sim) -> None:
    at = open_page(monkeypatch, sim, "kasus")
    assert any("Masukkan nomor kasus" in i.value for i in at.info)
    at = open_page(monkeypatch, sim, "kasus", {"case": "TIDAK-ADA-999"})
    # the case id is data: shown escaped, never read as Markdown
    assert any("TIDAK\\-ADA\\-999" in w.value for w in at.warning)


def test_model_page_lists_the_steps(monkeypatch, sim) -> None:
    model = get_model("batam-dinkes-integrasi-jkn")
    at = open_page(monkeypatch, sim, "model", {"sop": model.id})
    assert len(at.dataframe[0].value) == len(model.steps)
    assert len(at.get("graphviz_chart")) == 1
    assert len(at.get("download_button")) == 2


def test_data_page_shows_imports_and_quarantine(monkeypatch, db) -> None:
    at = open_page(monkeypatch, db, "data")
    imports = q(db, "SELECT count(*) FROM imports")[0][0]
    assert len(at.dataframe[0].value) == imports
    # one column holds imports of SOPs in several zones: each time names its SOP's zone
    zones = dict(q(db, "SELECT DISTINCT sop_id, timezone FROM models"))
    table = at.dataframe[0].value
    sop_of = dict(q(db, "SELECT import_id, sop_id FROM imports"))
    for number, moment in zip(table["#"], table["Waktu impor"], strict=True):
        assert moment.endswith(" " + ZONE_NAMES[zones[sop_of[number]]]), (number, moment)
    # the SOP named as elsewhere on the pages (place and title), not by its id
    assert not set(table["SOP"]) & set(sop_of.values()), list(table["SOP"])
    if q(db, "SELECT count(*) FROM quarantine")[0][0]:
        # the newest import with quarantined rows: its kinds, then its first kind's reasons and rows
        (latest,) = q(db, "SELECT max(import_id) FROM quarantine")[0]
        kinds = q(db, "SELECT kind, count(*) FROM quarantine WHERE import_id = ? GROUP BY ALL ORDER BY 2 DESC, 1",
                  [latest])
        assert len(at.dataframe[1].value) == len(kinds)
        first, rows = kinds[0]
        reasons = q(db, "SELECT count(DISTINCT reason) FROM quarantine WHERE import_id = ? AND kind = ?",
                    [latest, first])[0][0]
        assert len(at.dataframe[2].value) == min(reasons, 50)
        assert len(at.dataframe[3].value) == min(rows, 50)


def test_a_filter_with_no_rows_says_so(monkeypatch, sim) -> None:
    # an SOP of one agency with another agency: nothing matches
    at = open_page(monkeypatch, sim, params={"sop": "dki-setda-jkn-wbs", "agency": "Dinas Kesehatan Kota Batam"})
    assert any("Tidak ada data untuk filter ini" in i.value for i in at.info)
    for page in ("pelanggaran", "lane", "deviasi"):
        at.switch_page(f"views/{page}.py").run()
        assert [e.value for e in at.exception] == [] and [e.value for e in at.error] == []
        assert any("Tidak ada data" in i.value for i in at.info)


def test_an_sop_without_cases_says_so(monkeypatch, tmp_path) -> None:
    db = build_results_db(tmp_path / "two.duckdb", cases=20, sop_ids=["batam-dinkes-integrasi-jkn",
                                                                       "batam-dinkes-jaminan-rs"])
    for page in ("ringkasan", "pelanggaran", "lane", "deviasi"):
        at = open_page(monkeypatch, db, page, {"sop": "muba-dinkes-uhc-bpjs"})
        assert any("belum memiliki kasus" in i.value for i in at.info), page
        assert [e.value for e in at.error] == []


@pytest.mark.parametrize("kind,expected", [("empty", "belum berisi kasus"), ("unanalysed", "belum dianalisis")])
def test_store_without_results_shows_a_message_on_every_page(monkeypatch, tmp_path_factory, kind, expected) -> None:
    db = session_db(tmp_path_factory.getbasetemp(), kind)
    for page in PAGES:
        at = open_page(monkeypatch, db, page)
        assert [e.value for e in at.error] == [], page
        if page not in ("model", "data", "audit"):  # the audit page reads no store
            assert any(expected in i.value for i in at.info), page
        if page == "data":
            assert len(at.get("file_uploader")) == 1  # the Data page still offers the upload


def test_results_of_an_older_version_ask_for_a_new_run_on_every_results_page(monkeypatch, tmp_path) -> None:
    db = build_results_db(tmp_path / "old.duckdb", cases=20)
    con = duckdb.connect(str(db))
    con.execute("UPDATE runs SET schema_version = NULL")  # written before results said their schema
    con.close()
    for page in PAGES:
        at = open_page(monkeypatch, db, page)
        assert [e.value for e in at.error] == [], page
        if page not in ("model", "data", "audit"):
            assert any("versi Pantau yang lebih lama" in w.value for w in at.warning), page


def test_missing_database_is_an_error_message_not_a_traceback(monkeypatch, tmp_path) -> None:
    at = open_page(monkeypatch, tmp_path / "nope.duckdb", "pelanggaran")
    assert any("no such database file" in e.value and "Hint" in e.value for e in at.error)
    at.switch_page("views/model.py").run()  # the models live in the store: the same message
    assert at.title[0].value == "Model SOP" and [e.value for e in at.exception] == []
    assert any("no such database file" in e.value for e in at.error)


def test_database_locked_by_a_writer_names_what_to_do(monkeypatch, tmp_path) -> None:
    db = build_results_db(tmp_path / "locked.duckdb", cases=10)
    writer = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('open', flush=True); time.sleep(60)", str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "open"
        at = open_page(monkeypatch, db, "ringkasan")
        texts = [e.value for e in at.error]
        assert any("locked" in x and "Close it or wait" in x for x in texts), texts
    finally:
        writer.kill()
        writer.wait()


def test_upload_form_previews_and_maps_columns(monkeypatch, tmp_path, sim) -> None:
    from dashboard_fixture import write_upload_csv

    csv = write_upload_csv(tmp_path / "log_puskesmas.csv", cases=3)
    at = open_page(monkeypatch, sim, "data")
    at.file_uploader(key="upload_file").set_value((csv.name, csv.read_bytes(), "text/csv")).run()
    assert [e.value for e in at.exception] == []
    preview = at.dataframe[-1].value
    assert list(preview.columns) == ["No Registrasi", "Kegiatan", "Tanggal", "Petugas"]
    assert at.selectbox(key="map_case_id").value == "No Registrasi"
    assert at.selectbox(key="map_activity").value == "Kegiatan"
    assert at.selectbox(key="map_timestamp").value == "Tanggal"
    assert at.selectbox(key="map_resource").value == "Petugas"
    # no SOP is pre-chosen (it would pre-fill another agency's name and zone): choose one
    assert at.selectbox(key="upload_sop").value is None and at.button(key="upload_go").disabled
    at.selectbox(key="upload_sop").select("batam-dinkes-jaminan-rs").run()
    assert at.text_input(key="upload_agency_batam-dinkes-jaminan-rs").value == "Dinas Kesehatan Kota Batam"
    assert not at.button(key="upload_go").disabled
    at.selectbox(key="map_case_id").select_index(0).run()  # "— tidak dipetakan —"
    assert at.button(key="upload_go").disabled
    assert any("Nomor kasus" in w.value for w in at.warning)


def test_every_text_has_both_languages_and_every_used_key_exists() -> None:
    import re

    from dashboard import i18n, jobs
    from event_logs.fields import FIELDS

    assert all(set(v) == set(i18n.LANGS) and all(v.values()) for v in i18n.STRINGS.values())
    root = Path(app_path()).parent
    used = set()
    for path in root.rglob("*.py"):
        used |= set(re.findall(r"""\b(?:t|tr|page_header|empty)\(\s*["']([a-z0-9_]+)["']\s*[,)]""", path.read_text()))
        used |= set(re.findall(r"""page_header\("[a-z_]+", "([a-z_]+)"\)""", path.read_text()))
    # statuses and deviation kinds are labelled by the store's vocabularies, not here
    assert not [k for k in i18n.STRINGS if k.startswith(("status_", "kind_", "open_status_"))]
    families = ([f"field_{f}" for f in (*FIELDS, "sop")] + [f"job_{s}" for s in jobs.STAGES]
                + [f"scope_{s}" for s in ("case", "program")] + ["mapping_missing", "mapping_twice"])
    missing = sorted((used | set(families)) - set(i18n.STRINGS))
    assert missing == []
    assert {m.id for m in load_all()}  # models load (the Model page depends on them)
