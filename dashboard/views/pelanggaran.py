"""Pelanggaran Mutu Baku: breaches by step and lane, how far over, the worst cases, and the
auditor's export of every violation (with run id, as-of and model checksum)."""

import streamlit as st

from dashboard import charts, fmt, tables, ui
from dashboard.downloads import export_downloads
from dashboard.queries import OVERRUN_BINS, breaches

L = ui.lang()
ui.page_header("page_breaches", "breaches_intro")
state = ui.require_results()
F = ui.filters()

with ui.guard():
    cat = ui.catalog()
    # a tolerance for tiny overruns (views.sql within_tolerance); 0 = Mutu Baku as written
    tol = int(st.columns([1, 3])[0].number_input(ui.tr("tolerance_label"), min_value=0, max_value=1440, value=0,
                                                 step=1, key="breach_tolerance", help=ui.tr("tolerance_help")))
    counts = ui.load("breach_counts", tolerance_min=tol)
    if ui.empty(counts if len(counts) and int(breaches.totals(counts)["occurrences"]) else None):
        st.stop()
    by_step, by_lane, total = breaches.by_step(counts), breaches.by_lane(counts), breaches.totals(counts)
    statuses = total["statuses"] or {}
    if tol:
        st.caption(ui.tr("tolerance_note", minutes=fmt.number(tol, 0, L),
                         tolerated=fmt.number(int(total["tolerated"]), 0, L)))
    cols = st.columns(4)
    cols[0].metric(ui.tr("step_occurrences"), fmt.number(int(total["occurrences"]), 0, L))
    for col, status in zip(cols[1:3], ("breach", "deadline_missed"), strict=True):
        col.metric(cat.label("step_status", status, L), fmt.number(int(statuses.get(status, 0)), 0, L),
                   help=cat.description("step_status", status, L))
        col.caption(fmt.count_of(int(statuses.get(status, 0)), total["judged"], L))
    cols[3].metric(ui.tr("breach_rate"), fmt.percent(total["breach_rate"], 1, L), help=ui.tr("breach_rate_help"))
    cols[3].caption(fmt.count_of(total["violations"], total["judged"], L))

    left, right = st.columns(2)
    with left:
        st.subheader(ui.tr("breaches_by_step"))
        many = by_step["sop_id"].nunique() > 1
        # the SOP's tag on its own line: one line of tag and step left the bars a sliver
        labels = [(f"{cat.sop_tag(s)}{charts.LINE_BREAK}" if many else "") + cat.step_label(s, x, 34)
                  for s, x in zip(by_step["sop_id"], by_step["step_id"], strict=True)]
        st.plotly_chart(charts.breaches_by_step(by_step, labels, cat, L))
    with right:
        st.subheader(ui.tr("breaches_by_lane"))
        st.plotly_chart(charts.breach_rate_by_lane(by_lane, cat, L))
    with st.expander(ui.tr("table_by_step")):
        ui.table(tables.steps(by_step, cat, L))

    st.subheader(ui.tr("overrun_distribution"))
    st.caption(ui.tr("overrun_intro"))
    bins = ui.load("overrun_bins", tolerance_min=tol)
    if not ui.empty(bins, "no_breaches"):
        left, right = st.columns([1, 1])
        left.plotly_chart(charts.overrun_histogram(
            bins, [charts.ratio_label(lo, hi, L) for lo, hi in OVERRUN_BINS], cat, L))
        with right:
            ui.table(tables.overruns(ui.load("overrun_by_step", tolerance_min=tol), cat, L))

    st.subheader(ui.tr("worst_cases"))
    worst = ui.load("worst_cases", tolerance_min=tol)
    if not ui.empty(worst, "no_breaches"):
        st.caption(ui.tr("pick_row"))
        ui.case_picker(worst, tables.worst(worst, cat, L), key="breach_worst")

    st.subheader(ui.tr("export_breaches"))
    st.caption(ui.tr("export_note_all"))
    export_downloads("breaches", F, state, labels=(ui.tr("download_breaches_csv"), ui.tr("download_breaches_xlsx")))
