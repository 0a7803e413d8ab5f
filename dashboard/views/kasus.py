"""Kasus: one case's timeline by lane against its SOP steps, each step's Mutu Baku status,
the alignment with the SOP and the deviations explained. URL: ``?case=<id>&sop=<id>``.
Everything is shown in the model version the case was checked against."""

import streamlit as st

from dashboard import auth, case_view, charts, fmt, ui
from dashboard.catalog import agency_short
from dashboard.filters import Filters

L = ui.lang()
ui.page_header("page_case", "case_intro")
ui.require_results()


def _pick() -> None:
    picked = st.session_state.get("case_pick")
    if picked:
        st.session_state["case"] = picked


with ui.guard():
    cat = ui.catalog()
    candidates = ui.load("case_candidates")
    left, right = st.columns([1, 2])
    case_id = left.text_input(ui.tr("case_id"), key="case", bind="query-params").strip()
    right.selectbox(ui.tr("pick_case"), list(candidates["case_id"]), index=None, key="case_pick",
                    on_change=_pick, placeholder=ui.tr("pick_case_placeholder"))
    if not case_id:
        st.info(ui.tr("case_enter"))
        st.stop()
    sop = ui.filters().sop_id
    if not sop:
        found = ui.load("case_sops", Filters(), case_id=case_id)
        sops = list(found["sop_id"])
        sop = sops[0] if len(sops) == 1 else (
            st.selectbox(ui.tr("sop"), sops, key="case_sop", format_func=cat.sop_choice) if sops else None)
    summary = ui.load("case_summary", Filters(), sop_id=sop, case_id=case_id) if sop else None
    if summary is None or summary.empty:
        ui.case_missing(case_id, sop)
        st.stop()
    auth.record_case(sop, case_id)
    c = summary.iloc[0]
    m = cat.version(c["model_sha256"], sop)
    if m is None:
        st.info(ui.tr("no_model", sop=ui.plain(sop)))
        st.stop()
    st.markdown(f"**{ui.plain(case_id)}** · {ui.plain(cat.sop_title(sop, 70))} · "
                f"{ui.plain(agency_short(c['agency']))} · {ui.plain(c['unit'] or '–')}")
    st.caption(ui.tr("case_version_note", revision=ui.plain(m.revision or "–"),
                     effective=fmt.day(m.effective, L) if m.effective else "–", sha=m.model_sha256[:12]))
    cols = st.columns([1, 1.6, 1, 1, 1])
    cols[0].metric(ui.tr("status"), ui.tr("open" if c["is_open"] else "closed"))
    cols[1].metric(ui.tr("throughput"), fmt.hours(c["throughput_hours"], L))
    cols[2].metric(ui.tr("violations"), fmt.number(c["breach_count"], 0, L))
    cols[3].metric(ui.tr("fitness"), fmt.number(c["alignment_fitness"], 3, L))
    cols[4].metric(ui.tr("deviations"), fmt.number(c["deviation_count"], 0, L))

    opened = ui.load("case_open", Filters(), sop_id=sop, case_id=case_id)
    if len(opened):
        o = opened.iloc[0]
        st.info(ui.tr("case_open_note", step=ui.plain(cat.step_label(sop, o["current_step"], 60, m.model_sha256)),
                      remaining=fmt.in_unit(o["remaining"], o["std_unit"], cat.step_calendar(sop, o["current_step"]),
                                            L, day_minutes=m.day_minutes),
                      status=cat.label("open_status", o["status"], L)))

    steps = ui.load("case_steps", Filters(), sop_id=sop, case_id=case_id)
    st.subheader(ui.tr("timeline"))
    if not ui.empty(steps):
        segments = case_view.gantt_segments(steps, m, cat, L)
        st.plotly_chart(charts.case_gantt(segments, case_view.step_order(m, steps, cat), cat, L))
        st.caption(ui.tr("timeline_note", tz=ui.plain(m.timezone)))
        st.subheader(ui.tr("mutu_baku_per_step"))
        st.dataframe(case_view.step_table(steps, m, cat, L), hide_index=True)

    deviations = ui.load("case_deviations", Filters(), sop_id=sop, case_id=case_id)
    trace = ui.load("case_trace", Filters(), sop_id=sop, case_id=case_id)
    st.subheader(ui.tr("alignment"))
    st.caption(ui.tr("alignment_note", fitness=fmt.number(c["alignment_fitness"], 3, L),
                     status=cat.label("alignment_status", c["alignment_status"], L)))
    if len(trace):
        st.dataframe(case_view.alignment_rows(list(trace["activities"].iloc[0]), deviations, m, cat, L),
                     hide_index=True)
    st.subheader(ui.tr("deviations_explained"))
    if len(deviations):
        st.dataframe(case_view.explanations(deviations, m, cat, L), hide_index=True)
    else:
        st.success(ui.tr("case_conformant"))
