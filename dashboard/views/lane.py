"""Lane & bottleneck: waiting vs processing, work in progress, handovers, the process map."""

import streamlit as st

from dashboard import charts, tables, ui
from dashboard.catalog import agency_short
from dashboard.process_map import process_map_dot

L = ui.lang()
ui.page_header("page_lanes", "lanes_intro")
ui.require_results()

with ui.guard():
    cat = ui.catalog()
    lanes = ui.load("lane_summary")
    if ui.empty(lanes):
        st.stop()
    st.subheader(ui.tr("waiting_vs_processing"))
    st.caption(ui.tr("lane_stats_note"))
    st.plotly_chart(charts.waiting_vs_processing(lanes, cat, L))
    with st.expander(ui.tr("table_by_lane")):
        st.dataframe(tables.lanes(lanes, cat, L), hide_index=True)

    st.subheader(ui.tr("wip_over_time"))
    wip = ui.load("lane_wip")
    if not ui.empty(wip):
        st.plotly_chart(charts.wip_over_time(wip, cat, L))

    st.subheader(ui.tr("handover_matrix"))
    st.caption(ui.tr("handover_note"))
    handovers = ui.load("handover_matrix")
    if not ui.empty(handovers, "no_handovers"):
        # one matrix per agency: lanes of different agencies never hand over to each other
        agencies = list(handovers.groupby("agency")["n"].sum().sort_values(ascending=False).index)
        for tab, agency in zip(st.tabs([ui.plain(agency_short(a)) for a in agencies]), agencies, strict=True):
            with tab:
                st.plotly_chart(charts.handover_heatmap(handovers[handovers["agency"] == agency], cat, L),
                                key=f"handover_{agency}")

    st.subheader(ui.tr("process_map"))
    sop = ui.sop_scope("lane_sop")
    m = cat.shown(sop)
    if m is None:
        st.info(ui.tr("no_model", sop=ui.plain(sop or "–")))
        st.stop()
    f = ui.filters().with_sop(sop)
    nodes = ui.load("process_nodes", f)
    if not ui.empty(nodes):
        share = st.slider(ui.tr("hide_rare_arcs"), 0, 20, 0, format="%d%%", key="lane_min_share")
        arcs = ui.load("process_arcs", f)
        st.caption(ui.tr("process_map_legend"))
        st.graphviz_chart(process_map_dot(m, nodes, arcs, cat, L, min_share=share / 100))
