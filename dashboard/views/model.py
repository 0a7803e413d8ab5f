"""Model SOP: the reference model drawn with its lanes, the steps with their Mutu Baku, and
downloads (BPMN 2.0 with lanes, PNML), all in the version stored with the results."""

import streamlit as st

from dashboard import fmt, tables, ui
from dashboard.filters import Filters

L = ui.lang()
ui.page_header("page_model", "model_intro")
ui.require_store()

with ui.guard():
    cat = ui.catalog()  # read through the session's scope: only the user's agencies' SOPs
    if not cat.sop_ids:
        st.info(ui.tr("no_rows"))
        st.stop()
    sop = ui.filters().sop_id
    if sop not in cat.shown_sha:
        known = [s for s in cat.sop_ids if not ui.filters().agency or cat.shown(s).agency == ui.filters().agency]
        known = known or cat.sop_ids
        sop = st.selectbox(ui.tr("choose_sop"), known, key="model_sop", format_func=cat.sop_choice)
    m = cat.shown(sop)
    if m is None:
        st.info(ui.tr("no_model", sop=ui.plain(sop or "–")))
        st.stop()
    st.subheader(ui.plain(cat.sop_title(sop, 120)))
    cols = st.columns(3)
    cols[0].markdown(f"**{ui.tr('agency')}**  \n{ui.plain(m.agency)}")
    cols[1].markdown(f"**{ui.tr('sop_number')}**  \n{ui.plain(m.sop_number or '–')} (rev. {ui.plain(m.revision or '–')})")
    cols[2].markdown(f"**{ui.tr('effective')}**  \n{fmt.day(m.effective, L) if m.effective else '–'}")
    # the whole checksum on its own line (a column cut it); the code block has a copy button
    st.markdown(f"**{ui.tr('checksum')}**")
    st.code(m.model_sha256, language=None, wrap_lines=True)
    st.subheader(ui.tr("model_diagram"))
    dot = ui.load("model_artifact", Filters(), model_sha256=m.model_sha256, kind="dot_lanes")
    if len(dot):
        st.graphviz_chart(dot["content"].iloc[0], width="stretch")
    if m.program_steps:  # in the table below but not in the drawing: say why
        note = ui.tr("program_steps_note", steps=", ".join(f"{s.printed_no} ({s.step_id})" if s.printed_no else s.step_id
                                                                for s in m.program_steps))
        if m.program_lanes:
            note += ui.tr("program_lanes_note", lanes=", ".join(m.program_lanes))
        st.info(ui.plain(note), icon=":material/info:")
    st.subheader(ui.tr("model_steps"))
    st.dataframe(tables.model_steps(m, L), hide_index=True)
    if m.service_std_value is not None:
        st.info(ui.tr("service_standard_note",
                      std=fmt.standard(m.service_std_value, m.service_std_unit, m.service_std_calendar, L)))
    left, right = st.columns(2)
    for col, kind, label, ext in ((left, "bpmn", "download_bpmn", "bpmn"), (right, "pnml", "download_pnml", "pnml")):
        found = ui.load("model_artifact", Filters(), model_sha256=m.model_sha256, kind=kind)
        if len(found):
            col.download_button(ui.tr(label), data=found["content"].iloc[0], file_name=f"{m.sop_id}.{ext}",
                                mime="application/xml", on_click="ignore", icon=":material/download:")
        else:
            col.caption(ui.tr("artifact_after_analysis", kind=ext.upper()))
