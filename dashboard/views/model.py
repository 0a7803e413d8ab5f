"""Model SOP: the reference model drawn with its lanes, the steps with their Mutu Baku, and
downloads (BPMN 2.0 with lanes, PNML). Needs no database."""

import streamlit as st

from dashboard import auth, fmt, tables, ui
from dashboard.models_info import models, sop_title
from sop_models.export import to_bpmn_xml, to_dot, to_pnml

L = ui.lang()
ui.page_header("page_model", "model_intro")

with ui.guard():
    known = {k: m for k, m in models().items() if auth.scope().allows_agency(m.agency)}  # the user's agencies
    if not known:
        st.info(ui.tr("no_rows"))
        st.stop()
    sop = ui.filters().sop_id
    if sop not in known:
        sop = st.selectbox(ui.tr("choose_sop"), sorted(known), key="model_sop",
                           format_func=lambda s: f"{s} — {sop_title(s, 50)}")
    m = known[sop]
    st.subheader(sop_title(sop, 120))
    cols = st.columns(4)
    cols[0].markdown(f"**{ui.tr('agency')}**  \n{m.agency}")
    cols[1].markdown(f"**{ui.tr('sop_number')}**  \n{m.sop_number or '–'} (rev. {m.revision or '–'})")
    cols[2].markdown(f"**{ui.tr('effective')}**  \n{fmt.day(m.effective, L) if m.effective else '–'}")
    cols[3].markdown(f"**{ui.tr('checksum')}**  \n`{m.sha256[:16]}…`")
    st.subheader(ui.tr("model_diagram"))
    st.graphviz_chart(to_dot(m, kind="lanes"), width="stretch")
    st.subheader(ui.tr("model_steps"))
    st.dataframe(tables.model_steps(m, L), hide_index=True)
    if m.service_standard and m.service_standard.waktu and m.service_standard.waktu.max:
        w = m.service_standard.waktu.max
        st.info(ui.tr("service_standard_note", std=fmt.standard(w.value, w.unit, w.calendar, L)))
    left, right = st.columns(2)
    left.download_button(ui.tr("download_bpmn"), data=lambda: to_bpmn_xml(m), file_name=f"{m.id}.bpmn",
                         mime="application/xml", on_click="ignore", icon=":material/download:")
    # PNML needs pm4py (seconds to import): built only when clicked
    right.download_button(ui.tr("download_pnml"), data=lambda: to_pnml(m), file_name=f"{m.id}.pnml",
                          mime="application/xml", on_click="ignore", icon=":material/download:")
