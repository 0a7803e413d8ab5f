"""The monthly report (``pantau report``, Ringkasan's download): its figures equal the pages'.

On the pipeline-built store (simulate + analyze): the report of the busiest agency for a month
is read back (its ``data-figure`` cells, the PDF's text) and compared with what Ringkasan shows
through AppTest for the same agency and period; the unit league and the open-late list are
checked against their own definitions in SQL written here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from dashboard_fixture import session_db
from streamlit.testing.v1 import AppTest

from dashboard import app_path, fmt
from dashboard.documents import monthly, monthly_html
from dashboard.filters import Filters
from dashboard.i18n import t
from dashboard.queries import QUERIES
from event_logs.store import open_store

CREATED = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
PANTAU = [sys.executable, "-c", "from pantau_cli import main; main()"]


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return session_db(tmp_path_factory.getbasetemp(), "simulated")


@pytest.fixture(scope="module")
def late(sim: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same store analysed as of a month after its last day: open cases are late now."""
    db = tmp_path_factory.mktemp("late") / "late.duckdb"
    db.write_bytes(sim.read_bytes())
    done = subprocess.run([*PANTAU, "analyze", "--db", str(db), "--as-of", "2025-02-01", "--quiet"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return db


def _busiest(db: Path) -> tuple[str, str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("""SELECT agency, strftime(date_trunc('month', first_day), '%Y-%m') AS month
                              FROM case_checks GROUP BY ALL ORDER BY count(*) DESC, 1, 2 LIMIT 1""").fetchone()
    finally:
        con.close()


def _figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="([a-z_]+)">([^<]*)<', html))


def _page(monkeypatch, db: Path, page: str, params: dict) -> AppTest:
    monkeypatch.setenv("PANTAU_DB", str(db))
    at = AppTest.from_file(str(app_path()), default_timeout=90)
    at.query_params = params
    if page != "ringkasan":
        at.switch_page(f"views/{page}.py")
    at.run()
    assert [e.value for e in at.exception] == [] and [e.value for e in at.error] == []
    return at


def _report(db: Path, agency: str, month: str, lang: str = "id") -> monthly.Report:
    con = open_store(db)
    try:
        start, end = monthly.month_bounds(month)
        return monthly.gather(con, agency, start, end, lang)
    finally:
        con.close()


def test_the_reports_figures_equal_the_overview_page(monkeypatch, late) -> None:
    sim = late
    agency, month = _busiest(sim)
    report = _report(sim, agency, month)
    shown = _figures(monthly_html.to_html(report, CREATED))
    start, end = monthly.month_bounds(month)
    con = duckdb.connect(str(sim), read_only=True)
    lo, hi = con.execute("SELECT min(first_day), max(first_day) FROM case_checks").fetchone()
    con.close()
    # the sidebar's period cannot reach outside the data's days: the same cases either way
    start, end = max(start, lo), min(end, hi)
    at = _page(monkeypatch, sim, "ringkasan", {"agency": agency, "period": [start.isoformat(), end.isoformat()]})
    metrics = {m.label: m.value for m in at.metric}
    assert shown["cases"] == metrics["Kasus"]
    assert shown["on_time"] == metrics["Tepat Mutu Baku"]
    assert shown["conformant"] == metrics["Sesuai alur SOP"]
    assert shown["median_throughput"] == metrics["Median waktu penyelesaian"]
    assert shown["late_started"] == metrics["Terbuka & terlambat"]
    captions = [c.value for c in at.caption]
    # "n dari N kasus selesai" under the share
    assert f'{shown["on_time_count"]} {t("scope_closed", "id")}' in captions
    # the league table on the page and in the report: the same units with the same counts
    page_units = at.dataframe[1].value
    assert sorted(page_units["Kasus"]) == sorted(report.units["cases"])
    # open cases late now (no period): the page's count for the agency
    at = _page(monkeypatch, sim, "ringkasan", {"agency": agency})
    late = {m.label: m.value for m in at.metric}["Terbuka & terlambat"]
    assert shown["late_now"].endswith(f": {late}")


def test_the_worst_steps_and_kinds_are_the_breach_and_deviation_pages_figures(sim) -> None:
    agency, month = _busiest(sim)
    report = _report(sim, agency, month)
    start, end = monthly.month_bounds(month)
    con = open_store(sim)
    try:
        steps = con.execute("""
            SELECT sop_id, step_id, count(*) FILTER (WHERE r.is_violation) AS v, count(*) FILTER (WHERE r.is_judged) AS j
            FROM step_checks s JOIN ref_step_status r USING (status)
            WHERE agency = ? AND complete_day BETWEEN ? AND ?
            GROUP BY ALL HAVING v > 0 ORDER BY v DESC, sop_id, step_id LIMIT 5""", [agency, start, end]).fetchall()
        kinds = con.execute("""
            SELECT d.kind, count(*) FROM deviations d JOIN case_checks c USING (sop_id, agency, case_id)
            WHERE d.agency = ? AND c.first_day BETWEEN ? AND ? GROUP BY 1 ORDER BY 2 DESC, 1""",
                            [agency, start, end]).fetchall()
    finally:
        con.close()
    assert [(r.sop_id, r.step_id, r.violations, r.judged) for r in report.worst_steps.itertuples()] == steps
    assert [(k.kind, k.n) for k in report.kinds.itertuples()] == kinds


def test_report_cli_writes_one_to_three_a4_pages_in_both_languages(sim, tmp_path) -> None:
    agency, month = _busiest(sim)
    pdf = tmp_path / "laporan.pdf"
    done = subprocess.run([*PANTAU, "report", "--db", str(sim), "--agency", agency, "--month", month,
                           "--format", "pdf", "-o", str(pdf)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert 1 <= pages <= 3
    assert "595.276 x 841.89" in info  # A4 in points
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    run_id = _report(sim, agency, month).run_id
    assert "Laporan bulanan Mutu Baku" in text and f"analisis run {run_id}" in text
    assert "Kasus terbuka yang terlambat sekarang" in text
    html = tmp_path / "report.html"
    done = subprocess.run([*PANTAU, "report", "--db", str(sim), "--agency", agency, "--month", month,
                           "--format", "html", "--lang", "en", "-o", str(html)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    body = html.read_text(encoding="utf-8")
    assert "Monthly Mutu Baku report" in body and "Open cases late now" in body and "<svg" in body
    assert "http" not in re.sub(r'xmlns="http://www.w3.org/2000/svg"', "", body)  # nothing to fetch


@pytest.mark.parametrize(("args", "message"), [
    (["--month", "2024-13"], "is not a month"),
    (["--month", "2024-11", "--format", "docx"], "unknown format"),
])
def test_report_cli_refuses_what_it_cannot_make(sim, tmp_path, args, message) -> None:
    agency, _month = _busiest(sim)
    done = subprocess.run([*PANTAU, "report", "--db", str(sim), "--agency", agency, *args,
                           "-o", str(tmp_path / "x.pdf")], capture_output=True, text=True)
    assert done.returncode == 1 and message in done.stderr and "Hint:" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unknown_agency_is_named_with_a_suggestion(sim, tmp_path) -> None:
    agency, month = _busiest(sim)
    done = subprocess.run([*PANTAU, "report", "--db", str(sim), "--agency", agency.replace("Kota ", ""),
                           "--month", month, "-o", str(tmp_path / "x.pdf")], capture_output=True, text=True)
    assert done.returncode == 1 and "no analysed cases of agency" in done.stderr and agency in done.stderr


def test_open_late_cases_are_sorted_by_how_late(late) -> None:
    sim = late
    con = open_store(sim)
    try:
        rows = QUERIES["open_at_risk"](con, Filters(), limit=500)
        as_of = con.execute("SELECT max(as_of) FROM runs").fetchone()[0]
    finally:
        con.close()
    late = rows[rows["status"] == "late"]
    assert len(late) >= 2
    assert list(late["deadline_ts"]) == sorted(late["deadline_ts"])  # the longest overdue first
    assert (late["overdue_hours"] > 0).all()
    first = late.iloc[0]
    assert first["overdue_hours"] == pytest.approx((as_of - first["deadline_ts"]).total_seconds() / 3600)
    # every late case before every at-risk one
    statuses = list(rows["status"])
    assert statuses == sorted(statuses, key=lambda s: s != "late")


def test_the_unit_league_adds_up_to_its_sop_and_colours_against_the_target(monkeypatch, sim, tmp_path) -> None:
    con = open_store(sim)
    try:
        league = QUERIES["unit_league"](con, Filters())
        by_sop = QUERIES["overview_by_sop"](con, Filters())
    finally:
        con.close()
    sums = league.groupby(["agency", "sop_id"])[["cases", "closed", "on_time", "late"]].sum()
    for r in by_sop.itertuples():
        assert tuple(sums.loc[(r.agency, r.sop_id)]) == (r.cases, r.closed, r.on_time, r.late)
    assert (league["target"] == 0.9).all()  # no target set: the default
    from dashboard import tables
    from dashboard.catalog import Catalog

    shown = tables.units(league, Catalog({}, {}, {}), "id")
    styled = tables.units_style(shown, "id")
    styled._compute()  # the cell styles pandas would write: (row, column) -> [(property, value)]
    backgrounds = {(r, c): dict(v).get("background-color") for (r, c), v in styled.ctx.items()}
    share_col = list(shown.columns).index("Tepat Mutu Baku")
    red = {r for (r, c), v in backgrounds.items() if c == share_col and v == "#d32f2f22"}
    green = {r for (r, c), v in backgrounds.items() if c == share_col and v == "#2e7d3222"}
    assert red == set(league.index[league["on_time_share"] < league["target"]])
    assert green == set(league.index[league["on_time_share"] >= league["target"]])
    assert red and green


def test_a_target_set_for_the_agency_changes_the_report(sim, tmp_path) -> None:
    db = tmp_path / "target.duckdb"
    db.write_bytes(sim.read_bytes())
    agency, month = _busiest(db)
    sop = _report(db, agency, month).by_sop.sort_values("cases")["sop_id"].iloc[-1]
    done = subprocess.run([*PANTAU, "target", "set", "100%", "--db", str(db), "--sop", sop, "--agency", agency,
                           "--by", "kadis"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    report = _report(db, agency, month)
    row = report.by_sop.set_index("sop_id").loc[sop]
    assert row["target"] == 1.0 and row["target_source"] == "agency"
    assert sop in set(report.below_target["sop_id"]) or row["on_time_share"] == 1.0
    assert fmt.percent(1.0, 0) in monthly_html.to_html(report, CREATED)
