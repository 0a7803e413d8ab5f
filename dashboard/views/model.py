"""Model SOP: the reference model drawn with its lanes, the steps with their Mutu Baku, and
downloads (BPMN 2.0 with lanes, PNML), all in the version stored with the results; for the admin
role, the review of drafts: steps, lanes, Waktu and flow beside the document's text, fixed and
saved as a confirmed version by a job process (the page never writes the store)."""

import getpass

import streamlit as st

from dashboard import auth, data, fmt, jobs, review, tables, ui
from dashboard.filters import Filters
from pantau import audit
from pantau.access import roles

L = ui.lang()
ui.page_header("page_model", "model_intro")
state = ui.require_store()

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
    # an SOP with revisions: which one judged which cases, and any one of them to look at
    versions = ui.load("model_versions", ui.filters(), sop_id=sop)
    if len(versions) > 1:
        shas = list(versions["model_sha256"])
        picked = st.selectbox(ui.tr("model_version_pick"), shas, key=f"model_version_{sop}",
                              index=shas.index(m.model_sha256) if m.model_sha256 in shas else len(shas) - 1,
                              format_func=lambda sha: f"rev. {cat.version(sha, sop).revision or '–'} · {sha[:12]}")
        m = cat.version(picked, sop)
    st.subheader(ui.plain(cat.sop_title(sop, 120)))
    cols = st.columns(3)
    cols[0].markdown(f"**{ui.tr('agency')}**  \n{ui.plain(m.agency)}")
    cols[1].markdown(f"**{ui.tr('sop_number')}**  \n{ui.plain(m.sop_number or '–')} (rev. {ui.plain(m.revision or '–')})")
    cols[2].markdown(f"**{ui.tr('effective')}**  \n{fmt.day(m.effective, L) if m.effective else '–'}")
    # the whole checksum on its own line (a column cut it); the code block has a copy button
    st.markdown(f"**{ui.tr('checksum')}**")
    st.code(m.model_sha256, language=None, wrap_lines=True)
    if len(versions) > 1:
        st.subheader(ui.tr("model_versions"))
        st.caption(ui.tr("model_versions_note"))
        st.dataframe(tables.model_versions(versions, L), hide_index=True)
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

# --- review of drafts (admin): a draft is not used for analysis until it is confirmed ---------
drafts = [v for v in cat.versions.values() if v.status == "draft"] if auth.may(roles.MODELS) else []
if drafts:
    st.divider()
    st.subheader(ui.tr("review_title"))
    st.caption(ui.tr("review_intro"))
    d = st.selectbox(ui.tr("review_choose"), drafts, key="review_draft",
                     format_func=lambda v: f"{v.sop_id} · rev. {v.revision or '–'} · {v.model_sha256[:12]}")
    with ui.guard():
        stored = ui.load("model_text", Filters(), model_sha256=d.model_sha256)
        document = ui.load("model_artifact", Filters(), model_sha256=d.model_sha256, kind="document_text")
        drawing = ui.load("model_artifact", Filters(), model_sha256=d.model_sha256, kind="dot_lanes")
    st.markdown(f"**{ui.tr('review_draft')}** — {ui.plain(d.title)} ({ui.plain(d.agency)})")
    if len(drawing):
        st.graphviz_chart(drawing["content"].iloc[0], width="stretch")
    left, right = st.columns(2)
    with left:
        st.dataframe(tables.model_steps(d, L), hide_index=True, height=520)
    with right, st.container(height=520):
        st.markdown(f"**{ui.tr('review_document')}**")
        if len(document):
            st.code(document["content"].iloc[0], language=None, wrap_lines=True)
        else:
            st.info(ui.tr("review_no_document"))
    st.markdown(f"**{ui.tr('review_fix')}**")
    before = review.editable_steps(list(d.steps))
    after = st.data_editor(before, hide_index=True, disabled=["id", "name"], key=f"review_steps_{d.model_sha256}",
                           column_config={
                               "id": st.column_config.TextColumn(ui.tr("step")),
                               "name": st.column_config.TextColumn(ui.tr("activity")),
                               review.LANE: st.column_config.SelectboxColumn(ui.tr("lane"), options=list(d.lanes),
                                                                             required=True),
                               review.WAKTU: st.column_config.TextColumn(ui.tr("waktu_printed")),
                           })
    flow_before = review.flow_text(stored["model_text"].iloc[0]) if len(stored) else ""
    flow_after = st.text_area(ui.tr("review_flow"), flow_before, height=220, key=f"review_flow_{d.model_sha256}",
                              help=ui.tr("review_flow_help"))
    c1, c2 = st.columns(2)
    revision = c1.text_input(ui.tr("review_revision"), d.revision or "", key=f"review_rev_{d.model_sha256}")
    effective = c2.date_input(ui.tr("effective"), d.effective, key=f"review_eff_{d.model_sha256}", format="YYYY-MM-DD")
    if st.button(ui.tr("review_confirm"), type="primary", key=f"review_go_{d.model_sha256}"):
        who = auth.current()
        changes = review.fixes(before, after, flow_before, flow_after, revision_before=d.revision,
                               revision_after=revision, effective_before=d.effective, effective_after=effective)
        with ui.guard():
            done = jobs.start_review(state.path, sop_id=d.sop_id, version=d.model_sha256, fixes=changes,
                                     by=who.user if who and who.user != auth.ANONYMOUS else getpass.getuser())
            auth.record(audit.MODEL_CHANGE, {"action": "review", "sop": d.sop_id, "draft": d.model_sha256,
                                             "sha256": done["sha256"], "fixed": sorted(k for k, v in changes.items() if v)})
            data.clear_cache()
            st.success(ui.tr("review_saved", sop=ui.plain(d.sop_id), sha=done["sha256"][:12]))
