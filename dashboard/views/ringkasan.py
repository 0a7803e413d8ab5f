"""Ringkasan: per agency and SOP, cases, share on time against the target, share conformant,
throughput, the bottleneck of each SOP, the trend by month of completion, and the open cases
already late or at risk. Every figure says which cases it covers; every rate has its counts."""

import streamlit as st

from dashboard import as_of, callouts, charts, fmt, reports, tables, ui
from dashboard.downloads import export_downloads

L = ui.lang()
ui.page_header("page_overview", "overview_intro")
state = ui.require_results()
F = ui.filters()


def _of(n, of, scope: str) -> str:
    return f"{fmt.count_of(n, of, L)} {ui.tr(scope)}"


with ui.guard():
    cat = ui.catalog()
    totals = ui.load("overview_totals")
    if ui.empty(totals if int(totals["cases"].iloc[0]) else None):
        st.stop()
    row = totals.iloc[0]
    targets = ui.load("targets")
    cols = st.columns([1, 1.2, 1.2, 1.5, 1])
    cols[0].metric(ui.tr("cases"), fmt.number(int(row["cases"]), 0, L),
                   help=ui.tr("cases_help", open=fmt.number(int(row["open"]), 0, L)))
    cols[0].caption(ui.tr("cases_scope", closed=fmt.number(int(row["closed"]), 0, L),
                          open=fmt.number(int(row["open"]), 0, L)))
    delta = None
    if len(targets) == 1 and row["on_time_share"] is not None and row["on_time_share"] == row["on_time_share"]:
        target = float(targets["target"].iloc[0])
        delta = ui.tr("vs_target", delta=fmt.number((row["on_time_share"] - target) * 100, 1, L),
                      target=fmt.percent(target, 0, L))
        if row["on_time_share"] >= target:
            delta = "+" + delta
    cols[1].metric(ui.tr("share_on_time"), fmt.percent(row["on_time_share"], 1, L), delta=delta,
                   help=ui.tr("on_time_help"))
    cols[1].caption(_of(row["on_time"], row["closed_measured"], "scope_closed"))
    cols[2].metric(ui.tr("share_conformant"), fmt.percent(row["conformant_share"], 1, L),
                   help=ui.tr("conformant_help"))
    cols[2].caption(_of(row["conformant"], row["closed"], "scope_closed"))
    cols[3].metric(ui.tr("median_throughput"), fmt.hours(row["median_throughput_hours"], L),
                   help=ui.tr("throughput_help"))
    cols[3].caption(ui.tr("scope_closed"))
    cols[4].metric(ui.tr("open_late"), fmt.number(int(row["late"]), 0, L),
                   help=ui.tr("open_late_help", at_risk=fmt.number(int(row["at_risk"]), 0, L)))
    cols[4].caption(_of(row["late"], row["open"], "scope_open"))

    by_sop = ui.load("overview_by_sop")
    st.subheader(ui.tr("per_agency_sop"))
    sources = {(a, s): src for a, s, src in zip(targets["agency"], targets["sop_id"], targets["target_source"],
                                                 strict=True)}
    shown_targets = sorted({(float(g), sources.get((a, s), "default")) for a, s, g in
                            zip(by_sop["agency"], by_sop["sop_id"], by_sop["target"], strict=True)})
    ui.table(tables.overview(by_sop, cat, L))
    st.caption(" · ".join(ui.tr("target_help", share=fmt.percent(g, 0, L), source=ui.tr(f"target_source_{src}"))
                          for g, src in shown_targets))

    st.subheader(ui.tr("bottleneck"), help=ui.tr("bottleneck_help"))
    found = ui.load("bottlenecks")
    lines = callouts.bottleneck_lines(found, cat, L, escape=ui.plain)
    if lines:
        st.markdown("\n".join(f"- {line}" for line in lines))
    else:
        st.info(ui.tr("bottleneck_none"))

    st.subheader(ui.tr("agencies_side_by_side"))
    st.plotly_chart(charts.paired_shares(by_sop, ("on_time_share", "conformant_share"),
                                         (ui.tr("share_on_time"), ui.tr("share_conformant")), cat, L,
                                         counts=(("on_time", "closed_measured"), ("conformant", "closed"))))

    st.subheader(ui.tr("monthly_trend"))
    trend = ui.load("monthly_trend")
    if not ui.empty(trend):
        runs = ui.as_of_rows()
        month = as_of.incomplete_month(runs)
        st.plotly_chart(charts.trend(trend, cat, L, incomplete=month))
        if month is not None:
            st.caption(ui.tr("trend_note", month=fmt.month_label(month, L),
                             as_of="; ".join(m for m, _run in as_of.parts(runs, L))))
        else:
            st.caption(ui.tr("trend_note_complete"))

    st.subheader(ui.tr("units_side_by_side"))
    st.caption(ui.tr("units_intro"))
    league = ui.load("unit_league")
    if not ui.empty(league):
        ui.unit_picker(league, tables.units(league, cat, L), key="overview_units")

    st.subheader(ui.tr("open_risky"))
    risky = ui.load("open_at_risk")
    if not ui.empty(risky, "no_open_at_risk"):
        st.caption(ui.tr("showing_of", shown=fmt.number(len(risky), 0, L),
                         total=fmt.number(int(risky["total"].iloc[0]), 0, L)) + " " + ui.tr("pick_row"))
        ui.case_picker(risky, tables.open_cases(risky, cat, L), key="overview_open")
        export_downloads("late", F, state, labels=(ui.tr("download_late_csv"), ui.tr("download_late_xlsx")))

    st.subheader(ui.tr("report_title"))
    reports.monthly_download(trend)
