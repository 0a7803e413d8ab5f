"""The dashboard's SQL, filters, cache, colours, charts, process map and exports.

Queries run on a real store built by ``dashboard_fixture`` (simulate + analyze, real SOP
models); expected numbers come from separate SQL written here from the definitions, or from
the models.
"""

from __future__ import annotations

import io
import math
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import openpyxl
import pandas as pd
import pytest
from dashboard_fixture import build_results_db, session_db

from dashboard import catalog, charts, data, export, fmt, queries, theme, upload
from dashboard.filters import Filters, from_widgets, where
from dashboard.process_map import process_map_dot
from sop_models import get_model, load_all

SOP = "batam-dinkes-integrasi-jkn"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return session_db(tmp_path_factory.getbasetemp(), "fixture")


@pytest.fixture()
def con(db: Path):
    c = duckdb.connect(str(db), read_only=True)
    yield c
    c.close()


def one(con, sql: str, params: list | None = None):
    return con.execute(sql, params or []).fetchone()


def cat_of(con) -> catalog.Catalog:
    """The store's catalog, as the pages build it."""
    return catalog.build(*(queries.QUERIES[n](con, Filters()) for n in data.CATALOG_QUERIES))


@pytest.mark.parametrize("name", sorted(queries.QUERIES))
def test_every_query_runs_unfiltered_and_narrowed(con, name) -> None:
    case_id, agency = one(con, "SELECT case_id, agency FROM case_checks WHERE sop_id = ? LIMIT 1", [SOP])
    sha = one(con, "SELECT model_sha256 FROM case_checks WHERE sop_id = ? LIMIT 1", [SOP])[0]
    extra = {"case_keys": {"case_id": case_id}, "model_artifact": {"model_sha256": sha, "kind": "bpmn"},
             "model_text": {"model_sha256": sha},
             "quarantine_kinds": {"import_id": 1}, "quarantine_reasons": {"import_id": 1, "kind": None}}
    if name.startswith("case_") and name not in ("case_candidates", "case_keys"):
        extra[name] = {"sop_id": SOP, "agency": agency, "case_id": case_id}
    narrowed = Filters(agency="Dinas Kesehatan Kota Batam", sop_id=SOP, start=date(2024, 3, 1), end=date(2025, 1, 31))
    for f in (Filters(sop_id=SOP), narrowed, Filters(sop_id=SOP, unit="no such unit")):
        df = queries.QUERIES[name](con, f, **extra.get(name, {}))
        assert isinstance(df, pd.DataFrame)


def test_overview_adds_up(con) -> None:
    rows = queries.QUERIES["overview_by_sop"](con, Filters())
    assert rows["cases"].sum() == one(con, "SELECT count(*) FROM case_checks")[0]
    assert rows["late"].sum() == one(con, "SELECT count(*) FROM open_cases WHERE status = 'late'")[0]
    totals = queries.QUERIES["overview_totals"](con, Filters()).iloc[0]
    closed = one(con, "SELECT count(*) FROM case_checks WHERE NOT is_open")[0]
    on_time = one(con, """SELECT count(*) FROM case_checks c WHERE NOT is_open AND NOT EXISTS (
        SELECT 1 FROM step_checks s WHERE s.case_id = c.case_id AND s.sop_id = c.sop_id
        AND s.status IN ('breach', 'deadline_missed', 'too_fast'))
        AND NOT coalesce(service_std_breach, false)""")[0]
    assert totals["on_time_share"] == pytest.approx(on_time / closed)
    trend = queries.QUERIES["monthly_trend"](con, Filters())
    assert trend["closed"].sum() == totals["closed"]  # by month of completion: closed cases only


def test_period_filter_uses_each_sops_local_days(con) -> None:
    # every SOP's cases are read in its own zone (Banjarbaru in WITA, the others in WIB)
    f = Filters(start=date(2024, 5, 1), end=date(2024, 5, 31))
    zones = {m.id: ZoneInfo(m.timezone) for m in load_all()}
    assert {str(z) for z in zones.values()} == {"Asia/Jakarta", "Asia/Makassar"}
    rows = con.execute("SELECT sop_id, first_ts FROM case_checks").fetchall()
    expected = sum(1 for sop, ts in rows if date(2024, 5, 1) <= ts.astimezone(zones[sop]).date() <= date(2024, 5, 31))
    assert 0 < queries.QUERIES["overview_totals"](con, f)["cases"].iloc[0] == expected
    months = queries.QUERIES["monthly_trend"](con, f)["month"]
    assert set(pd.to_datetime(months).dt.month) <= {5}
    # the case a WIB reading would move: started before 01:00 WITA on the 1st of a month
    moved = [(sop, ts) for sop, ts in rows if str(zones[sop]) == "Asia/Makassar"
             and ts.astimezone(zones[sop]).date() != ts.astimezone(ZoneInfo("Asia/Jakarta")).date()]
    for sop, ts in moved[:3]:
        day = ts.astimezone(zones[sop]).date()
        got = queries.QUERIES["case_candidates"](con, Filters(sop_id=sop, start=day, end=day), limit=10000)
        assert ts in set(got["first_ts"])


def test_breach_counts_equal_counting_every_row_at_each_grain(con) -> None:
    # the query counts rows per step, lane and status once and sums the grains from those
    # counts; here each grain is counted from the rows, with histogram(), as the definition says
    agency = one(con, "SELECT agency FROM step_checks GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")[0]
    for f in (Filters(), Filters(agency=agency)):
        got = queries.QUERIES["breach_counts"](con, f)
        sql, params = where(f, day="complete_day")
        for grain, keys in (("step", ["sop_id", "step_id"]), ("lane", ["agency", "lane"]), ("all", [])):
            group = f"GROUP BY {', '.join(keys)}" if keys else ""
            want = con.execute(f"""
                SELECT {''.join(k + ', ' for k in keys)} count(*) AS occurrences,
                       count(*) FILTER (WHERE is_violation) AS violations,
                       count(*) FILTER (WHERE is_judged) AS judged,
                       count(*) FILTER (WHERE is_violation)::DOUBLE
                           / nullif(count(*) FILTER (WHERE is_judged), 0) AS breach_rate,
                       histogram(status) AS statuses
                FROM step_results {sql} {group}""", params).df()
            rows = got[got["grain"] == grain]
            assert len(rows) == len(want) > 0, grain
            mine = {tuple(r[k] for k in keys): r for _, r in rows.iterrows()}
            for _, w in want.iterrows():
                r = mine[tuple(w[k] for k in keys)]
                assert (r["occurrences"], r["violations"], r["judged"]) == (
                    w["occurrences"], w["violations"], w["judged"]), (grain, dict(w))
                assert r["breach_rate"] == pytest.approx(w["breach_rate"], rel=1e-12, nan_ok=True)
                assert {k: int(v) for k, v in r["statuses"].items()} == {
                    k: int(v) for k, v in w["statuses"].items()}, (grain, dict(w))
            if grain == "step":  # a step's lane is the lane its rows carry
                lanes = dict(con.execute(f"SELECT sop_id || '/' || step_id, any_value(lane) FROM step_results "
                                         f"{sql} GROUP BY ALL", params).fetchall())
                assert all(lanes[f"{r.sop_id}/{r.step_id}"] == r.step_lane for r in rows.itertuples())


def test_breaches_by_step_and_overrun_bins_agree(con) -> None:
    steps = queries.QUERIES["breaches_by_step"](con, Filters())
    assert steps["occurrences"].sum() == one(con, "SELECT count(*) FROM step_checks")[0]
    breached = one(con, "SELECT count(*) FROM step_checks WHERE status = 'breach' AND std_max > 0")[0]
    assert sum((m or {}).get("breach", 0) for m in steps["statuses"]) >= breached
    bins = queries.QUERIES["overrun_bins"](con, Filters())
    assert bins["n"].sum() == breached
    # a breach is over its standard: nothing below the first bin's lower edge
    assert one(con, "SELECT count(*) FROM step_checks WHERE status = 'breach' AND elapsed < std_max")[0] == 0
    worst = queries.QUERIES["worst_cases"](con, Filters(), limit=5)
    assert list(worst["worst_ratio"]) == sorted(worst["worst_ratio"], reverse=True)


def test_process_arcs_start_once_per_case_and_end_once_per_closed_case(con) -> None:
    f = Filters(sop_id=SOP)
    arcs = queries.QUERIES["process_arcs"](con, f)
    cases = one(con, "SELECT count(DISTINCT case_id) FROM step_checks WHERE sop_id = ?", [SOP])[0]
    closed = one(con, """SELECT count(DISTINCT s.case_id) FROM step_checks s WHERE sop_id = ? AND NOT EXISTS
                         (SELECT 1 FROM open_cases o WHERE o.sop_id = s.sop_id AND o.case_id = s.case_id)""", [SOP])[0]
    assert arcs.loc[arcs["src"] == "__start__", "n"].sum() == cases
    assert arcs.loc[arcs["dst"] == "__end__", "n"].sum() == closed
    nodes = queries.QUERIES["process_nodes"](con, f)
    # every occurrence but a case's first is the target of exactly one arc from a step
    inner = arcs[(arcs["src"] != "__start__") & (arcs["dst"] != "__end__")]["n"].sum()
    assert inner == nodes["n"].sum() - cases


def test_process_map_dot_draws_lanes_steps_and_arcs(con) -> None:
    model = get_model(SOP)
    cat = cat_of(con)
    info = cat.shown(SOP)
    assert info.model_sha256 == model.sha256  # the version the results were computed with
    f = Filters(sop_id=SOP)
    dot = process_map_dot(info, queries.QUERIES["process_nodes"](con, f), queries.QUERIES["process_arcs"](con, f),
                          cat, "id")
    assert dot.startswith(f'digraph "{SOP}"') and dot.rstrip().endswith("}")
    for lane in {s.lane for s in model.case_steps}:
        assert f'label="{lane}"' in dot
    for step in model.case_steps:
        assert f'"{step.id}" [label=' in dot
    assert '"__start__" -> "s01"' in dot
    assert dot.count("{") == dot.count("}")
    empty = process_map_dot(info, pd.DataFrame(columns=["step_id", "lane", "n", "breach_rate", "median_min"]),
                            pd.DataFrame(columns=["src", "dst", "n", "median_min", "breach_rate"]), cat, "en")
    assert "not observed" in empty and "dashed" in empty


def test_deviation_export_carries_run_id_and_model_checksum(con) -> None:
    rows = queries.QUERIES["deviation_export"](con, Filters())
    assert len(rows) == one(con, "SELECT count(*) FROM deviations")[0]
    checksums = {m.id: m.sha256 for m in load_all()}
    assert all(rows["model_sha256"] == rows["sop_id"].map(checksums))
    assert set(rows["run_id"]) == {one(con, "SELECT max(run_id) FROM runs")[0]}
    meta = export.metadata(rows, Filters(sop_id=SOP), "demo.duckdb")
    csv_text = export.to_csv(rows).decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("run_id,as_of,sop_id,sop_number,sop_revision,model_sha256,")
    assert checksums[rows["sop_id"].iloc[0]] in csv_text
    book = openpyxl.load_workbook(io.BytesIO(export.to_xlsx(rows, meta)))
    assert book.sheetnames == ["deviasi", "metadata"]
    assert book["deviasi"].max_row == len(rows) + 1
    values = {r[0].value: r[1].value for r in book["metadata"].iter_rows(min_row=2)}
    assert values["filter_sop"] == SOP and values["run_ids"] == str(rows["run_id"].iloc[0])


def test_deviating_cases_filter_by_kind(con) -> None:
    every = queries.QUERIES["deviating_cases"](con, Filters())
    assert every["total"].iloc[0] == one(con, "SELECT count(DISTINCT (sop_id, agency, case_id)) FROM deviations")[0]
    skipped = queries.QUERIES["deviating_cases"](con, Filters(), kinds=("skipped_step",))
    assert all("skipped_step" in k for k in skipped["kinds"])


def test_where_binds_values_in_order() -> None:
    sql, params = where(Filters(agency="A", sop_id="S", unit="U", start=date(2024, 1, 1), end=date(2024, 1, 31)),
                        alias="c", day="first_day", extra=[("c.x = ?", [1])])
    assert sql == ("WHERE c.x = ? AND c.sop_id = ? AND c.agency = ? AND c.unit = ? "
                   "AND c.first_day >= ? AND c.first_day <= ?")   # local days, end day inclusive
    assert params == [1, "S", "A", "U", date(2024, 1, 1), date(2024, 1, 31)]
    assert where(Filters())[0] == ""
    assert where(Filters(unit="U"), unit=False)[0] == ""


def test_period_equal_to_the_data_range_filters_nothing() -> None:
    bounds = (date(2024, 1, 2), date(2024, 12, 27))
    assert from_widgets(None, None, None, bounds, bounds) == Filters()
    assert from_widgets("A", "", None, (date(2024, 2, 1),), bounds) == Filters("A", None, None, date(2024, 2, 1), None)


def test_query_cache_is_keyed_on_the_latest_run(tmp_path, monkeypatch) -> None:
    path = build_results_db(tmp_path / "cache.duckdb", cases=10)
    calls = []
    original = queries.QUERIES["overview_totals"]
    monkeypatch.setitem(queries.QUERIES, "overview_totals", lambda con, f: calls.append(1) or original(con, f))
    state = data.read_state(path)
    first = data.load(state, "overview_totals", Filters())
    data.load(state, "overview_totals", Filters())
    assert len(calls) == 1  # second call served from the cache
    c = duckdb.connect(str(path))
    c.execute("INSERT INTO runs SELECT * REPLACE (2 AS run_id) FROM runs WHERE run_id = 1")
    c.execute("UPDATE case_checks SET run_id = 2")
    c.execute("DELETE FROM case_checks WHERE case_id IN (SELECT case_id FROM case_checks LIMIT 3)")
    c.close()
    state2 = data.read_state(path)
    assert state2.run_id == 2 and state2.version != state.version
    second = data.load(state2, "overview_totals", Filters())
    assert len(calls) == 2
    assert second["cases"].iloc[0] == first["cases"].iloc[0] - 3


def test_colours_are_stable_distinct_and_mean_the_status(con) -> None:
    cat = cat_of(con)
    lanes = {lane for m in load_all() for lane in (*m.lanes, *(s.lane for s in m.steps))}
    colours = {cat.lane_color(x) for x in lanes}
    assert len(colours) == len({" ".join(x.split()).casefold() for x in lanes})  # no two lanes share one
    assert cat.lane_color("BPJS Kesehatan") == cat.lane_color("BPJS KESEHATAN")
    assert theme.lane_color("Lane nobody has") == theme.lane_color("Lane nobody has")
    # statuses take their colours (and labels) from the store's vocabulary
    assert cat.color("step_status", "ok") == "#2e7d32" and cat.color("step_status", "breach") == "#d32f2f"
    assert cat.label("step_status", "breach", "id") == "Melebihi waktu"
    statuses = {cat.color("step_status", k) for k in cat.keys("step_status")}
    assert statuses.isdisjoint(theme.LANE_PALETTE)
    agencies = {m.agency for m in load_all()}
    assert len({cat.agency_color(a) for a in agencies}) == len(agencies)


def test_charts_use_the_theme_colours(con) -> None:
    cat = cat_of(con)
    steps = queries.QUERIES["breaches_by_step"](con, Filters())
    fig = charts.breaches_by_step(steps, list(steps["step_id"]), cat, "id")
    violations = cat.keys("step_status", "is_violation")
    assert violations == ["deadline_missed", "breach", "too_fast"]
    assert [t.marker.color for t in fig.data] == [cat.color("step_status", s) for s in violations]
    assert fig.layout.separators == ",."
    lanes = queries.QUERIES["lane_summary"](con, Filters())
    fig = charts.waiting_vs_processing(lanes, cat, "en")
    assert list(fig.data[1].marker.color) == [cat.lane_color(x) for x in lanes.sort_values(
        "waiting_wm", key=lambda s: s.fillna(0) + lanes.loc[s.index, "processing_wm"].fillna(0))["lane"]]
    assert fig.layout.separators == ".,"
    assert charts.ratio_label(1.0, 1.25, "id") == "1–1,25×"  # short ticks: no trailing zeros
    assert charts.ratio_label(1.5, 2.0, "en") == "1.5–2×"
    assert charts.ratio_label(10.0, math.inf, "en") == "≥ 10×"


def test_amounts_in_a_standards_unit_are_humanised() -> None:
    # a working day is the calendar's office day: 480 minutes for 08:00-16:00, 420 for 08:00-15:00
    assert fmt.in_unit(1.5, "day", "working", day_minutes=480) == "1 hari 4 jam"   # 1.5 x 8 working hours
    assert fmt.in_unit(1.5, "day", "working", day_minutes=420) == "1 hari 3 jam"
    assert fmt.in_unit(1.5, "day", "calendar", day_minutes=480) == "1 hari 12 jam"
    assert fmt.in_unit(-0.25, "hour", "working", "en", day_minutes=480) == "-15 minutes"
    assert fmt.in_unit(None, "day", "working", day_minutes=480) == "–"
    assert fmt.in_unit(2, "day", "working", day_minutes=None) == "2 hari kerja"  # office day unknown


def _preview(tmp_path: Path, name: str, data: bytes) -> pd.DataFrame:
    from dashboard.preview_job import read_preview

    path = tmp_path / name
    path.write_bytes(data)
    return upload.preview_frame(read_preview(path), "id")


def test_upload_guesses_the_columns_pantau_ingest_recognises(tmp_path: Path) -> None:
    text = "No Registrasi;Kegiatan;Tanggal;Petugas;NIK\nR-1;Verifikasi;2024-05-06 09:00;Ani;3171000000000001\n"
    head = _preview(tmp_path, "log.csv", text.encode("utf-8"))
    assert list(head.columns) == ["No Registrasi", "Kegiatan", "Tanggal", "Petugas", "NIK"]
    assert list(head["NIK"]) == ["(di-hash)"]  # an identity number is never shown, even to the uploader
    guess = upload.guess_mapping(list(head.columns))
    assert guess["case_id"] == "No Registrasi" and guess["timestamp"] == "Tanggal" and guess["resource"] == "Petugas"
    assert upload.mapping_problems(guess) == []
    assert upload.mapping_problems({**guess, "case_id": None}) == ["missing:case_id"]
    assert upload.mapping_problems({**guess, "unit": "Kegiatan"}) == ["twice:Kegiatan"]
    assert upload.ingest_mapping({"case_id": "No Registrasi", "unit": None}) == {"No Registrasi": "case_id"}
    assert _preview(tmp_path, "x.csv", "a,b\n1,é\n".encode("cp1252"))["b"][0] == "é"


def test_upload_previews_an_old_excel_file(tmp_path: Path) -> None:
    data = (Path(__file__).parent / "fixtures" / "ingest" / "legacy.xls").read_bytes()
    head = _preview(tmp_path, "log.xls", data)
    assert list(head.columns) == ["No Registrasi", "Kegiatan", "Tanggal", "Petugas", "Jumlah WBS"]
    assert list(head["No Registrasi"]) == ["REG-001", "REG-001", "REG-002"]
    assert "xls" in upload.UPLOAD_TYPES


def test_lane_page_follows_the_unit_and_period_filters(tmp_path_factory: pytest.TempPathFactory) -> None:
    # on the simulated + analysed store: lane figures and handovers narrow with the unit and
    # the months, and equal counts taken from step_checks directly
    sim = duckdb.connect(str(session_db(tmp_path_factory.getbasetemp(), "simulated")), read_only=True)
    try:
        unit, month = one(sim, """SELECT unit, date_trunc('month', any_value(complete_ts))::DATE
                                  FROM step_checks GROUP BY unit ORDER BY count(*) DESC LIMIT 1""")
        whole = Filters(unit=unit)
        lanes_of = "(SELECT DISTINCT sop_id, step_id, lane FROM step_checks)"
        changes = f"""SELECT count(*) FROM step_checks s JOIN {lanes_of} p
                      ON p.sop_id = s.sop_id AND p.step_id = s.prev_step_id
                      WHERE s.unit = ? AND p.lane <> s.lane"""
        assert queries.QUERIES["handover_matrix"](sim, whole)["n"].sum() == one(sim, changes, [unit])[0]
        steps = queries.QUERIES["lane_summary"](sim, whole)["step_occurrences"].sum()
        assert steps == one(sim, "SELECT count(*) FROM step_checks WHERE unit = ?", [unit])[0]
        assert steps < one(sim, "SELECT count(*) FROM step_checks")[0]
        # a period of whole months: handovers received in them
        start = month.replace(day=1)
        end = (pd.Timestamp(start) + pd.offsets.MonthEnd(0)).date()
        months = Filters(unit=unit, start=start, end=end)
        got = queries.QUERIES["handover_matrix"](sim, months)["n"].sum()
        zones = ", ".join(f"('{m.id}', '{m.timezone}')" for m in load_all())
        expected = one(sim, f"""{changes} AND date_trunc('month', timezone(
                                    (SELECT z.tz FROM (VALUES {zones}) z(sop_id, tz) WHERE z.sop_id = s.sop_id),
                                    s.complete_ts))::DATE = ?""", [unit, start])[0]
        assert 0 < got == expected
    finally:
        sim.close()
