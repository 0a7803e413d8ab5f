"""Data: import history, the quarantine browser, and the upload form (column mapping with a
preview, then ingest + analyze in a separate process with a progress bar)."""

import json
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import auth, data, fmt, jobs, tables, ui, upload
from event_logs.fields import FIELDS, REQUIRED
from pantau.access.roles import UPLOAD

L = ui.lang()
ui.page_header("page_data", "data_intro")
state = ui.require_store()
F = ui.filters()

with ui.guard():
    cat = ui.catalog()
    st.subheader(ui.tr("import_history"))
    history = ui.load("imports")
    if not ui.empty(history, "no_imports"):
        st.dataframe(tables.imports(history, cat, L), hide_index=True)

    st.subheader(ui.tr("quarantine"))
    summary = ui.load("quarantine_summary")
    if not ui.empty(summary, "no_quarantine"):
        left, right = st.columns(2)
        ids = list(dict.fromkeys(summary["import_id"]))
        names = dict(zip(summary["import_id"], summary["file_name"], strict=True))
        import_id = left.selectbox(ui.tr("import"), ids, key="q_import", format_func=lambda i: f"#{i} {names[i]}")
        reasons = summary[summary["import_id"] == import_id]
        reason = right.selectbox(ui.tr("reason"), list(reasons["reason"]), index=None, key="q_reason",
                                 placeholder=ui.tr("all"),
                                 format_func=lambda r: f"{r} ({fmt.number(int(reasons.set_index('reason').loc[r, 'n']), 0, L)})")
        rows = ui.load("quarantine_rows", import_id=int(import_id), reason=reason)
        raw = pd.json_normalize([json.loads(x) if x else {} for x in rows["raw"]])
        shown = pd.concat([rows[["source_row", "reason"]].reset_index(drop=True), raw], axis=1)
        st.dataframe(shown.rename(columns={"source_row": ui.tr("source_row"), "reason": ui.tr("reason")}),
                     hide_index=True)

    if not auth.may(UPLOAD):  # importing and analysing: administrators only
        st.stop()
    st.subheader(ui.tr("upload"))
    st.caption(ui.tr("upload_intro"))
    file = st.file_uploader(ui.tr("upload_file"), type=list(upload.UPLOAD_TYPES), key="upload_file")
    if file is not None:
        content = file.getvalue()
        head = upload.preview(file.name, content)
        if len(head.columns):
            st.caption(ui.tr("preview", rows=len(head)))
            st.dataframe(head, hide_index=True)
        columns = [str(c) for c in head.columns]
        guess = upload.guess_mapping(columns)
        st.markdown(f"**{ui.tr('column_mapping')}**")
        choice: dict[str, str | None] = {}
        grid = st.columns(4)
        for i, field in enumerate(FIELDS):
            options = [None, *columns]
            choice[field] = grid[i % 4].selectbox(
                ui.tr(f"field_{field}") + (" *" if field in REQUIRED else ""), options,
                index=options.index(guess[field]) if guess[field] in options else 0, key=f"map_{field}",
                format_func=lambda c: ui.tr("not_mapped") if c is None else c, disabled=not columns)
        known = cat.sop_ids
        left, mid, right = st.columns(3)
        sop = left.selectbox(ui.tr("sop"), known, key="upload_sop",
                             index=known.index(F.sop_id) if F.sop_id in known else None,
                             placeholder=ui.tr("choose_sop"), format_func=lambda s: cat.sop_choice(s, 40))
        model = cat.shown(sop)
        agency = mid.text_input(ui.tr("agency"), value=model.agency if model else "", key=f"upload_agency_{sop}")
        tz = right.text_input(ui.tr("timezone"), value=model.timezone if model else "", key=f"upload_tz_{sop}")
        target_agency = agency or (model.agency if model else "")
        in_scope = not target_agency or auth.scope().allows_agency(target_agency)
        if not in_scope:
            auth.refuse("agency", agency, L)
        pii = st.multiselect(ui.tr("pii_columns"), columns, key="upload_pii", help=ui.tr("pii_help"),
                             placeholder=ui.tr("choose_columns"))
        problems = upload.mapping_problems(choice) if columns else []
        if sop is None:
            problems.append("missing:sop")
        for problem in problems:
            kind, _, what = problem.partition(":")
            st.warning(ui.tr(f"mapping_{kind}", what=ui.tr(f"field_{what}") if kind == "missing" else what))
        if st.button(ui.tr("ingest_analyze"), type="primary", disabled=bool(problems) or not in_scope,
                     key="upload_go"):
            bar = st.progress(0.0, text=ui.tr("job_starting"))
            with tempfile.TemporaryDirectory(prefix="pantau-upload-") as tmp:
                path = Path(tmp) / Path(file.name).name
                path.write_bytes(content)
                done = None
                for event in jobs.start_upload(Path(state.path), path, sop_id=sop, agency=agency or None,
                                               tz=tz or None, mapping=upload.ingest_mapping(choice),
                                               pii_columns=tuple(pii)):
                    if event["event"] == "progress":
                        bar.progress(jobs.overall(event["stage"], event["done"], event["total"]),
                                     text=ui.tr(f"job_{event['stage']}"))
                    elif event["event"] == "done":
                        done = event
            bar.progress(1.0, text=ui.tr("job_done"))
            auth.record_upload(file.name, content, sop, target_agency, done)
            data.clear_cache()
            if done and done.get("changed"):
                st.success(f"{done['ingest']}\n\n{done.get('analyze', '')}")
            else:
                st.info(f"{ui.tr('job_unchanged')} {done['ingest'] if done else ''}")
            if done and done.get("unmapped"):
                st.warning(ui.tr("unmapped_labels", labels=", ".join(f"“{k}” ({v})" for k, v in done["unmapped"].items())))
