"""Pelanggaran Mutu Baku: breaches by step and lane, how far over, the worst cases."""

import streamlit as st

from dashboard import charts, fmt, tables, ui
from dashboard.models_info import step_label
from dashboard.queries import OVERRUN_BINS, breaches

L = ui.lang()
ui.page_header("page_breaches", "breaches_intro")
ui.require_results()

with ui.guard():
    counts = ui.load("breach_counts")
    if ui.empty(counts):
        st.stop()
    by_step, by_lane = breaches.by_step(counts), breaches.by_lane(counts)
    occ = int(by_step["occurrences"].sum())
    cols = st.columns(4)
    cols[0].metric(ui.tr("step_occurrences"), fmt.number(occ, 0, L))
    cols[1].metric(ui.tr("status_breach"), fmt.number(int(by_step["breach"].sum()), 0, L))
    cols[2].metric(ui.tr("status_deadline_missed"), fmt.number(int(by_step["deadline_missed"].sum()), 0, L))
    cols[3].metric(ui.tr("breach_rate"),
                   fmt.percent((by_step["breach"].sum() + by_step["deadline_missed"].sum()) / occ if occ else None, 1, L),
                   help=ui.tr("breach_rate_help"))

    left, right = st.columns(2)
    with left:
        st.subheader(ui.tr("breaches_by_step"))
        many = by_step["sop_id"].nunique() > 1
        labels = [(f"{s.split('-')[0]} " if many else "") + step_label(s, x, 34)
                  for s, x in zip(by_step["sop_id"], by_step["step_id"], strict=True)]
        st.plotly_chart(charts.breaches_by_step(by_step, labels, L))
    with right:
        st.subheader(ui.tr("breaches_by_lane"))
        st.plotly_chart(charts.breach_rate_by_lane(by_lane, L))
    with st.expander(ui.tr("table_by_step")):
        st.dataframe(tables.steps(by_step, L), hide_index=True)

    st.subheader(ui.tr("overrun_distribution"))
    st.caption(ui.tr("overrun_intro"))
    bins = ui.load("overrun_bins")
    if not ui.empty(bins, "no_breaches"):
        left, right = st.columns([2, 3])
        left.plotly_chart(charts.overrun_histogram(bins, [charts.ratio_label(lo, hi, L) for lo, hi in OVERRUN_BINS], L))
        right.dataframe(tables.overruns(ui.load("overrun_by_step"), L), hide_index=True)

    st.subheader(ui.tr("worst_cases"))
    worst = ui.load("worst_cases")
    if not ui.empty(worst, "no_breaches"):
        st.caption(ui.tr("pick_row"))
        ui.case_picker(worst, tables.worst(worst, L), key="breach_worst")
