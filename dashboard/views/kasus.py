"""Kasus: one case's timeline by lane against its SOP steps, each step's Mutu Baku status,
the alignment with the SOP and the deviations explained. URL: ``?case=<id>&sop=<id>&agency=<name>``
(``sop`` and ``agency`` are the global filters). A case is (SOP, agency, case id): when the id
exists in more than one agency or SOP in view, the page asks which. Everything is shown in the
model version the case was checked against."""

import pandas as pd
import streamlit as st

from dashboard import accepting, auth, case_view, charts, fmt, tables, ui
from dashboard.as_of import local_moment as moment_text
from dashboard.catalog import agency_short
from dashboard.filters import Filters
from pantau.access.roles import EVIDENCE

L = ui.lang()
ui.page_header("page_case", "case_intro")
state = ui.require_results()
accepting.done_note(L)


def _pick() -> None:
    picked = st.session_state.get("case_pick")
    if picked:
        st.session_state["case"] = picked


with ui.guard():
    cat = ui.catalog()
    candidates = ui.load("case_candidates")
    left, right = st.columns([1, 2])
    case_id = left.text_input(ui.tr("case_id"), key="case", bind="query-params").strip()
    right.selectbox(ui.tr("pick_case"), list(dict.fromkeys(candidates["case_id"])), index=None, key="case_pick",
                    on_change=_pick, placeholder=ui.tr("pick_case_placeholder"))
    if not case_id:
        st.info(ui.tr("case_enter"))
        st.stop()
    f = ui.filters()
    found = ui.load("case_keys", Filters(), case_id=case_id)
    keys = [(s, a) for s, a in zip(found["sop_id"], found["agency"], strict=True)
            if (not f.sop_id or s == f.sop_id) and (not f.agency or a == f.agency)]
    if len(keys) > 1:
        key = st.selectbox(ui.tr("case_which", n=len(keys)), keys, index=None, key="case_key",
                           placeholder=ui.tr("case_which_placeholder"),
                           format_func=lambda k: f"{agency_short(k[1])} · {cat.sop_choice(k[0])}")
        if key is None:
            st.info(ui.tr("case_which_note", case=ui.plain(case_id), n=len(keys)))
            st.stop()
    else:
        key = keys[0] if keys else None
    sop, agency = key if key else (f.sop_id, f.agency)
    summary = ui.load("case_summary", Filters(), sop_id=sop, agency=agency, case_id=case_id) if key else None
    if summary is None or summary.empty:
        ui.case_missing(case_id, sop)
        st.stop()
    auth.record_case(sop, agency, case_id)
    c = summary.iloc[0]
    m = cat.version(c["model_sha256"], sop)
    if m is None:
        st.info(ui.tr("no_model", sop=ui.plain(sop)))
        st.stop()
    st.markdown(f"**{ui.plain(case_id)}** · {ui.plain(cat.sop_title(sop, 70))} · "
                f"{ui.plain(agency_short(c['agency']))} · {ui.plain(c['unit'] or '–')}")
    st.caption(ui.tr("case_version_note", revision=ui.plain(m.revision or "–"),
                     effective=fmt.day(m.effective, L) if m.effective else "–", sha=m.model_sha256[:12]))
    running = bool(c["is_open"])  # judged on its events so far (docs/mutu-baku.md, "Conformance of open cases")
    cols = st.columns([1, 1.6, 1, 1, 1])
    cols[0].metric(ui.tr("status"), ui.tr("running" if running else "closed"))
    cols[1].metric(ui.tr("elapsed_so_far" if running else "throughput"), fmt.hours(c["throughput_hours"], L),
                   help=ui.tr("elapsed_so_far_help") if running else None)
    cols[2].metric(ui.tr("violations"), fmt.number(c["breach_count"], 0, L))
    cols[3].metric(ui.tr("fitness_so_far" if running else "fitness"), fmt.number(c["alignment_fitness"], 3, L))
    if running:
        cols[3].caption(ui.tr("so_far_conformant" if c["conformant"] else "so_far_deviating"))
    cols[4].metric(ui.tr("deviations"), fmt.number(c["deviation_count"], 0, L))
    if c["deviations_accepted"]:
        cols[4].caption(ui.tr("deviations_accepted_note", n=fmt.number(c["deviations_accepted"], 0, L)))
    identity = ui.load("case_identity", Filters(), sop_id=sop, case_id=case_id, agency=c["agency"])
    if len(identity):
        i = identity.iloc[0]
        # the moment written as in the page header ("30 Des 2024 24.00 WIB")
        as_of = moment_text(i["as_of"], m.timezone, L) if not pd.isna(i["as_of"]) else "–"
        st.caption(ui.tr("case_as_of", as_of=as_of, run=int(i["run_id"]),
                         sha=str(i["model_sha256"])[:12]))

    one = {"sop_id": sop, "agency": agency, "case_id": case_id}
    opened = ui.load("case_open", Filters(), **one)
    if len(opened):
        o = opened.iloc[0]
        st.info(ui.tr("case_open_late_note",
                      step=ui.plain(cat.step_label(sop, o["current_step"], 60, m.model_sha256)),
                      remaining=tables.remaining_with_date(o["remaining"], o["std_unit"], sop, o["current_step"],
                                                           o["deadline_ts"], o["status"] == "late", cat, L),
                      status=cat.label("open_status", o["status"], L), when=ui.plain(ui.as_of_caption())))

    steps = ui.load("case_steps", Filters(), **one)
    st.subheader(ui.tr("timeline"))
    if not ui.empty(steps):
        segments = case_view.gantt_segments(steps, m, cat, L)
        if len(segments):
            st.plotly_chart(charts.case_gantt(segments, case_view.step_order(m, steps, cat), cat, L))
            st.caption(ui.tr("timeline_note", tz=ui.plain(m.timezone)))
        else:  # a case of a log without times: its order is known, its times are not
            st.info(ui.tr("timeline_untimed"))
        st.subheader(ui.tr("mutu_baku_per_step"))
        ui.table(case_view.step_table(steps, m, cat, L))

    deviations = ui.load("case_deviations", Filters(), **one)
    trace = ui.load("case_trace", Filters(), **one)
    st.subheader(ui.tr("alignment"))
    st.caption(ui.tr("alignment_so_far_note" if running else "alignment_note",
                     fitness=fmt.number(c["alignment_fitness"], 3, L),
                     status=cat.label("alignment_status", c["alignment_status"], L)))
    if len(trace):
        st.dataframe(case_view.alignment_rows(list(trace["activities"].iloc[0]), deviations, m, cat, L),
                     hide_index=True)
    st.subheader(ui.tr("deviations_explained"))
    if len(deviations):
        st.dataframe(case_view.explanations(deviations, m, cat, L), hide_index=True)
    else:
        st.success(ui.tr("case_conformant"))

    events = ui.load("case_events", Filters(), **one)
    st.subheader(ui.tr("case_events"))
    st.caption(ui.tr("case_events_note", tz=m.timezone))
    st.dataframe(case_view.event_table(events, m, L), hide_index=True)
    accepted = ui.load("case_acceptances", Filters(), sop_id=sop, case_id=case_id, agency=c["agency"])
    if len(accepted):
        st.subheader(ui.tr("acceptances_title"))
        st.dataframe(tables.acceptances(accepted, cat, L), hide_index=True)
    if len(deviations):
        accepting.finding_form(state, sop, c["agency"], case_id, deviations, cat, L)
    if auth.may(EVIDENCE):
        st.subheader(ui.tr("evidence_title"))
        accepting.case_evidence(state, sop, c["agency"], case_id, int(c["run_id"]), L)
