"""Ringkasan: per agency and SOP, cases, share on time, share conformant, throughput, trend, and
the open cases already late or at risk."""

import streamlit as st

from dashboard import charts, fmt, reports, tables, ui

L = ui.lang()
ui.page_header("page_overview", "overview_intro")
ui.require_results()

with ui.guard():
    cat = ui.catalog()
    totals = ui.load("overview_totals")
    if ui.empty(totals if int(totals["cases"].iloc[0]) else None):
        st.stop()
    row = totals.iloc[0]
    cols = st.columns([1, 1, 1, 1.5, 1])
    cols[0].metric(ui.tr("cases"), fmt.number(int(row["cases"]), 0, L),
                   help=ui.tr("cases_help", open=fmt.number(int(row["open"]), 0, L)))
    cols[1].metric(ui.tr("share_on_time"), fmt.percent(row["on_time_share"], 1, L),
                   help=ui.tr("on_time_help"))
    cols[1].caption(fmt.count_of(row["on_time"], row["closed"], L))
    cols[2].metric(ui.tr("share_conformant"), fmt.percent(row["conformant_share"], 1, L),
                   help=ui.tr("conformant_help"))
    cols[2].caption(fmt.count_of(row["conformant"], row["closed"], L))
    cols[3].metric(ui.tr("median_throughput"), fmt.hours(row["median_throughput_hours"], L),
                   help=ui.tr("throughput_help"))
    cols[4].metric(ui.tr("open_late"), fmt.number(int(row["late"]), 0, L),
                   help=ui.tr("open_late_help", at_risk=fmt.number(int(row["at_risk"]), 0, L)))

    by_sop = ui.load("overview_by_sop")
    st.subheader(ui.tr("per_agency_sop"))
    ui.table(tables.overview(by_sop, cat, L))
    st.subheader(ui.tr("agencies_side_by_side"))
    st.plotly_chart(charts.paired_shares(by_sop, ("on_time_share", "conformant_share"),
                                         (ui.tr("share_on_time"), ui.tr("share_conformant")), cat, L))

    st.subheader(ui.tr("monthly_trend"))
    trend = ui.load("monthly_trend")
    if not ui.empty(trend):
        st.plotly_chart(charts.trend(trend, cat, L))

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

    st.subheader(ui.tr("report_title"))
    reports.monthly_download(trend)
