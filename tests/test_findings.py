"""Findings a head and an auditor read (issues 12.2, 12.3, 15.1): the trend by month of
completion with the incomplete month marked and the target drawn, shares coloured against
their target, counts beside every rate, and the bottleneck sentence, on a store built by the
real pipeline (simulate + analyze).
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")

import duckdb
import pandas as pd
import pytest
from dashboard_fixture import session_db
from streamlit.testing.v1 import AppTest

from dashboard import app_path, as_of, charts, fmt, tables, theme
from dashboard.callouts import bottleneck_lines, hour_decimals
from dashboard.filters import Filters
from dashboard.i18n import t
from dashboard.queries import QUERIES


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return session_db(tmp_path_factory.getbasetemp(), "simulated")


def _con(db: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(db), read_only=True)


def _catalog(con: duckdb.DuckDBPyConnection):
    from dashboard import catalog
    from dashboard.data import CATALOG_QUERIES

    return catalog.build(*(QUERIES[name](con, Filters()) for name in CATALOG_QUERIES))


def test_trend_counts_each_closed_case_in_its_local_completion_month(sim) -> None:
    con = _con(sim)
    try:
        trend = QUERIES["monthly_trend"](con, Filters())
        # the same rule written from the raw checks: a closed case's last event, on its SOP's clock
        truth = con.execute("""
            SELECT date_trunc('month', timezone(m.timezone, c.last_ts))::DATE AS month, c.agency, c.sop_id,
                   count(*) AS closed,
                   count(*) FILTER (WHERE c.breach_count = 0 AND NOT coalesce(c.service_std_breach, false)) AS on_time
            FROM case_checks c JOIN models m ON m.model_sha256 = c.model_sha256
            WHERE NOT c.is_open GROUP BY ALL ORDER BY ALL""").df()
        open_cases = con.execute("SELECT count(*) FROM case_checks WHERE is_open").fetchone()[0]
    finally:
        con.close()
    assert open_cases > 0  # open cases exist, and none of them is in any month
    got = trend[["month", "agency", "sop_id", "closed", "on_time"]].sort_values(["month", "agency", "sop_id"])
    got["month"] = pd.to_datetime(got["month"])
    truth["month"] = pd.to_datetime(truth["month"])
    assert got.reset_index(drop=True).astype(str).equals(truth.reset_index(drop=True).astype(str))
    assert (trend["on_time_share"] - trend["on_time"] / trend["closed"]).abs().max() < 1e-9
    assert set(trend["target"]) == {0.9}  # the default target of views.sql (no model or table sets one)


def _runs(moment: str, zone: str = "Asia/Jakarta") -> pd.DataFrame:
    return pd.DataFrame({"sop_id": ["x"], "run_id": [3], "as_of": [pd.Timestamp(moment)], "timezone": [zone]})


def test_the_month_the_as_of_falls_in_is_incomplete_unless_it_is_its_very_start() -> None:
    # 15 Dec 2024 24.00 WIB: December goes on
    assert as_of.incomplete_month(_runs("2024-12-15T17:00:00+00:00")) == date(2024, 12, 1)
    # 31 Dec 2024 24.00 WIB (= 1 Jan 00.00): December is complete, January has nothing yet
    assert as_of.incomplete_month(_runs("2024-12-31T17:00:00+00:00")) is None
    assert as_of.incomplete_month(_runs("2024-12-31T17:00:00+00:00").iloc[:0]) is None


def test_trend_chart_shades_the_incomplete_month_and_draws_the_target(sim) -> None:
    con = _con(sim)
    try:
        trend = QUERIES["monthly_trend"](con, Filters())
        cat = _catalog(con)
    finally:
        con.close()
    last = max(trend["month"])
    fig = charts.trend(trend, cat, "id", incomplete=last)
    assert len(fig.layout.shapes) == 2  # the month shaded in both panels
    assert [a.text for a in fig.layout.annotations if a.text == t("incomplete_month", "id")]
    target = [d for d in fig.data if d.name == t("target_line", "id", share=fmt.percent(0.9, 0, "id"))]
    assert len(target) == 1 and set(target[0].y) == {0.9}
    # every line point carries its counts: "n dari N"
    lines = [d for d in fig.data if d.type == "scatter" and d.customdata is not None]
    assert lines and all(" dari " in c for d in lines for c in d.customdata)
    assert not charts.trend(trend, cat, "id").layout.shapes


def test_a_share_meeting_its_target_is_green_and_one_below_red() -> None:
    shown = pd.DataFrame({"Tepat": ["95 %", "90%", "89 %", "–"]})
    styled = tables.against_target(shown, "Tepat", pd.Series([0.95, 0.9, 0.89, None]), pd.Series([0.9] * 4))
    styled._compute()
    fills = [styled.ctx[(i, 0)] for i in range(3)]
    assert fills[0] == fills[1] == [("background-color", theme.MEETS_TARGET_FILL)]
    assert fills[2] == [("background-color", theme.BELOW_TARGET_FILL)]
    assert (3, 0) not in styled.ctx or styled.ctx[(3, 0)] in ([], [("", "")])


def test_bottleneck_sentence_names_the_step_lane_hours_and_cases(sim) -> None:
    con = _con(sim)
    try:
        found = QUERIES["bottlenecks"](con, Filters())
        top = con.execute("SELECT sop_id, agency, lane, step_id, cases, excess_hours FROM bottlenecks "
                          "WHERE rank = 1 ORDER BY excess_hours DESC LIMIT 1").fetchone()
        cat = _catalog(con)
    finally:
        con.close()
    lines = bottleneck_lines(found, cat, "id")
    assert len(lines) == len(found[found["rank"] == 1])
    sop, _agency, lane, step, cases, hours = top
    first = lines[0]  # the SOP adding the most hours first
    assert cat.step_label(sop, step, 60) in first and f"({lane})" in first
    assert f"menambah {fmt.number(hours, hour_decimals(hours), 'id')} jam kerja di atas Mutu Baku pada {fmt.number(cases, 0, 'id')} kasus" \
        in first


def test_overview_page_states_scopes_counts_target_and_bottleneck(monkeypatch, sim) -> None:
    monkeypatch.setenv("PANTAU_DB", str(sim))
    at = AppTest.from_file(str(app_path()), default_timeout=60)
    at.run()
    assert [e.value for e in at.exception] == []
    con = _con(sim)
    try:
        closed, opened, on_time = con.execute("""
            SELECT count(*) FILTER (WHERE NOT is_open), count(*) FILTER (WHERE is_open),
                   count(*) FILTER (WHERE NOT is_open AND breach_count = 0
                                    AND NOT coalesce(service_std_breach, false)) FROM case_checks""").fetchone()
        run_id, moment = con.execute("SELECT run_id, as_of FROM runs ORDER BY run_id DESC LIMIT 1").fetchone()
    finally:
        con.close()
    captions = [c.value.replace("\\", "") for c in at.caption]  # Markdown escapes
    # the page header: as of when, and which run
    # the default as-of, the end of the last imported day on the clock of the SOP with the
    # latest event, read there as 24.00 of that day
    zone = next(z for z in ("Asia/Jakarta", "Asia/Makassar") if moment.astimezone(ZoneInfo(z)).hour == 0)
    shown = as_of.local_moment(moment, zone)
    assert shown.endswith(" 24.00 WIB") or shown.endswith(" 24.00 WITA")
    assert any(f"Keadaan per {shown} · run {run_id}" in c for c in captions)
    assert t("cases_scope", "id", closed=fmt.number(closed), open=fmt.number(opened)) in captions
    assert f"{fmt.count_of(on_time, closed)} {t('scope_closed', 'id')}" in captions
    assert any(c.startswith("Target porsi tepat Mutu Baku: 90%") for c in captions)
    assert any("menambah" in m.value and "jam kerja di atas Mutu Baku" in m.value for m in at.markdown)
    overview = at.dataframe[0].value
    assert all(" dari " in v for v in overview[t("share_on_time", "id")])


def _page(monkeypatch, db: Path, page: str, params: dict | None = None) -> AppTest:
    monkeypatch.setenv("PANTAU_DB", str(db))
    at = AppTest.from_file(str(app_path()), default_timeout=60)
    at.query_params = dict(params or {})
    at.switch_page(f"views/{page}.py")
    at.run()
    assert [e.value for e in at.exception] == []
    return at


@pytest.mark.parametrize("scope", ["closed", "open", "all"])
def test_deviation_headline_and_the_list_under_it_count_the_same_cases(monkeypatch, sim, scope) -> None:
    at = _page(monkeypatch, sim, "deviasi")
    if scope != "closed":
        at.segmented_control(key="dev_scope").set_value(scope).run()
        assert [e.value for e in at.exception] == []
    where = {"closed": "NOT c.is_open", "open": "c.is_open", "all": "true"}[scope]
    n, = _q(sim, f"SELECT count(*) FROM case_checks c WHERE {where} AND deviation_count > 0")[0]
    shown = {m.label: m.value for m in at.metric}
    assert shown[t("deviating_cases", "id")] == fmt.number(n)
    captions = [c.value.replace("\\", "") for c in at.caption]
    listed = [c for c in captions if c.startswith(t("deviating_cases_scope", "id", scope=t(f"scope_{scope}", "id")))]
    if n:
        assert listed and f"dari {fmt.number(n)}" in listed[0]


def test_open_variants_are_marked_still_running_never_deviating(monkeypatch, sim) -> None:
    con = _con(sim)
    try:
        sop, = con.execute("""SELECT c.sop_id FROM case_checks c JOIN variants v ON v.sop_id = c.sop_id
                              AND v.variant_id = c.variant_id WHERE v.is_open GROUP BY 1 ORDER BY count(*) DESC
                              LIMIT 1""").fetchone()
        variants = QUERIES["variants_for_sop"](con, Filters(sop_id=sop))
    finally:
        con.close()
    labels = tables.variant_labels(variants, "id")
    for label, is_open, path in zip(labels, variants["is_open"], variants["is_sop_path"], strict=True):
        assert (t("variant_open", "id") in label) == bool(is_open)
        if is_open and path:
            assert t("so_far_conformant", "id") in label
    assert variants["is_open"].any()


def test_case_page_of_an_open_case_says_so_far(monkeypatch, sim) -> None:
    sop, case_id, conformant = _q(sim, "SELECT sop_id, case_id, conformant FROM case_checks WHERE is_open "
                                       "ORDER BY sop_id, case_id LIMIT 1")[0]
    at = _page(monkeypatch, sim, "kasus", {"case": case_id, "sop": sop})
    shown = {m.label: m.value for m in at.metric}
    assert shown[t("status", "id")] == t("running", "id")
    assert t("elapsed_so_far", "id") in shown and t("throughput", "id") not in shown
    assert t("fitness_so_far", "id") in shown
    assert t("so_far_conformant" if conformant else "so_far_deviating", "id") in [c.value for c in at.caption]
    closed_sop, closed_case = _q(sim, "SELECT sop_id, case_id FROM case_checks WHERE NOT is_open LIMIT 1")[0]
    at = _page(monkeypatch, sim, "kasus", {"case": closed_case, "sop": closed_sop})
    assert t("throughput", "id") in {m.label for m in at.metric}


def _q(db: Path, sql: str) -> list[tuple]:
    con = _con(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()
