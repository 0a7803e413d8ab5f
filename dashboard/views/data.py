"""Data: import history, the quarantine (by import, then kind, then reason, paged in SQL), and
the upload form — a preview read in a process of its own, the column mapping, which columns are
hashed or dropped as personal data, then ingest + analyze in a separate process with a progress
bar. After an upload the page runs again, so the history and the quarantine show it at once."""

import hashlib
import tempfile
from pathlib import Path

import streamlit as st

from dashboard import auth, data, fmt, jobs, tables, ui, upload
from dashboard import quarantine_view as qv
from dashboard.preview_job import preview as read_preview
from dashboard.queries.quarantine import PAGE_ROWS
from event_logs.fields import FIELDS, REQUIRED
from pantau.access.roles import UPLOAD
from pantau.errors import PantauError

L = ui.lang()
RESULT, PREVIEW = "_upload_result", "_upload_preview"
ui.page_header("page_data", "data_intro")
state = ui.require_store()
F = ui.filters()


def _page(where, key: str, total: int) -> int:
    """A page number chooser (only when there is more than one page); the offset to read."""
    count = qv.pages(total, PAGE_ROWS)
    if count <= 1:
        return 0
    page = where.number_input(ui.tr("q_page", pages=fmt.number(count, 0, L)), min_value=1, max_value=count,
                              value=1, step=1, key=key)
    return (int(page) - 1) * PAGE_ROWS


def quarantine(cat) -> None:
    st.subheader(ui.tr("quarantine"))
    imports = ui.load("quarantine_imports")
    if ui.empty(imports, "no_quarantine"):
        return
    info = {int(r.import_id): r for r in imports.itertuples(index=False)}
    import_id = st.selectbox(ui.tr("import"), list(info), key="q_import", format_func=lambda i: ui.tr(
        "q_import_choice", id=i, file=info[i].file_name, n=fmt.number(int(info[i].rows_quarantined), 0, L),
        of=fmt.number(int(info[i].rows_read), 0, L)))
    kinds = ui.load("quarantine_kinds", import_id=int(import_id))
    if ui.empty(kinds, "no_quarantine"):
        return
    st.dataframe(qv.kinds_table(kinds, cat, L), hide_index=True)
    counts = {k: (int(n), int(r)) for k, n, r in zip(kinds["kind"], kinds["n"], kinds["reasons"], strict=True)}
    left, right = st.columns([3, 1])
    kind = left.selectbox(ui.tr("q_kind"), list(counts), key=f"q_kind_{import_id}", format_func=lambda k: (
        f"{qv.kind_label(k, cat, L)} ({fmt.number(counts[k][0], 0, L)})"))
    offset = _page(right, f"q_reason_page_{import_id}_{kind}", counts[kind][1])
    reasons = ui.load("quarantine_reasons", import_id=int(import_id), kind=kind, offset=offset)
    st.caption(ui.tr("showing_of", shown=fmt.number(len(reasons), 0, L), total=fmt.number(counts[kind][1], 0, L))
               + " " + ui.tr("q_pick_reason"))
    event = st.dataframe(qv.reasons_table(reasons, cat, L), hide_index=True, on_select="rerun",
                         selection_mode="single-row", key=f"q_reasons_{import_id}_{kind}_{offset}")
    picked = ui.selected_row(event)
    reason = reasons["reason"].iloc[picked] if picked is not None and picked < len(reasons) else None
    total = counts[kind][0] if reason is None else int(reasons["n"].iloc[picked])
    left, right = st.columns([3, 1])
    left.markdown(f"**{ui.tr('q_rows')}**" + (f" · {ui.plain(qv.reason_text(reason, cat, L))}" if reason else ""))
    offset = _page(right, f"q_row_page_{import_id}_{kind}_{reason}", total)
    rows = ui.load("quarantine_rows", import_id=int(import_id), kind=kind, reason=reason, offset=offset)
    if not ui.empty(rows, "no_quarantine"):
        st.dataframe(qv.rows_table(rows, cat, L), hide_index=True)


def last_result() -> None:
    """What the last upload did (kept across the run that follows it)."""
    done = st.session_state.pop(RESULT, None)
    if not done:
        return
    text = "  \n".join(upload.result_lines(done, L))  # numbers and our words only: no data to escape
    if done.get("changed"):
        st.success(text, icon=":material/check_circle:")
    else:
        st.info(f"{ui.tr('job_unchanged')}  \n{text}")
    if done.get("unmapped"):
        labels = ", ".join(f"“{ui.plain(k)}” ({fmt.number(int(v), 0, L)})" for k, v in done["unmapped"].items())
        st.warning(ui.tr("unmapped_labels", labels=labels))


def file_preview(name: str, content: bytes) -> dict:
    """The preview of the uploaded file (read once per file, in a process of its own)."""
    digest = hashlib.sha256(content).hexdigest()
    kept = st.session_state.get(PREVIEW)
    if kept and kept[0] == digest:
        found = kept[1]
    else:
        with st.spinner(ui.tr("preview_reading")), tempfile.TemporaryDirectory(prefix="pantau-preview-") as tmp:
            path = Path(tmp) / upload.safe_file_name(name)
            path.write_bytes(content)
            try:
                found = read_preview(path, store=Path(state.path))
            except PantauError as exc:
                found = {"error": str(exc)}
        st.session_state[PREVIEW] = (digest, found)
    if "error" in found:
        raise PantauError(found["error"])
    return found


def upload_form(cat) -> None:
    st.subheader(ui.tr("upload"))
    st.caption(ui.tr("upload_intro"))
    last_result()
    st.html(upload.uploader_css(L, int(st.get_option("server.maxUploadSize"))))
    file = st.file_uploader(ui.tr("upload_file"), type=list(upload.UPLOAD_TYPES), key="upload_file")
    if file is None:
        return
    content = file.getvalue()
    preview = file_preview(file.name, content)
    columns = [str(c) for c in preview["columns"]]
    if columns:
        st.caption(ui.tr("preview", rows=len(preview["rows"])))
        st.dataframe(upload.preview_frame(preview, L), hide_index=True)
    hashed = upload.columns_by_role(preview, upload.ROLE_ID)
    personal = upload.columns_by_role(preview, upload.ROLE_PERSONAL)
    if hashed:
        st.caption(ui.tr("upload_hashed_columns", columns=ui.plain(", ".join(hashed))))
    keep: list[str] = []
    if personal:
        st.info(ui.tr("upload_dropped_columns", columns=ui.plain(", ".join(personal))), icon=":material/privacy_tip:")
        keep = st.multiselect(ui.tr("keep_columns"), personal, key="upload_keep", help=ui.tr("keep_help"),
                              placeholder=ui.tr("keep_none"))
    guess = upload.guess_mapping(columns)
    st.markdown(f"**{ui.plain(ui.tr('column_mapping'))}**")
    choice: dict[str, str | None] = {}
    grid = st.columns(4)
    for i, field in enumerate(FIELDS):
        options = [None, *columns]
        choice[field] = grid[i % 4].selectbox(
            ui.tr(f"field_{field}") + (" \\*" if field in REQUIRED else ""), options,
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
    others = [c for c in columns if c not in hashed and c not in personal]
    pii = st.multiselect(ui.tr("pii_columns"), others, key="upload_pii", help=ui.tr("pii_help"),
                         placeholder=ui.tr("choose_columns"))
    problems = upload.mapping_problems(choice) if columns else []
    if sop is None:
        problems.append("missing:sop")
    for problem in problems:
        kind, _, what = problem.partition(":")
        st.warning(ui.tr(f"mapping_{kind}", what=ui.tr(f"field_{what}") if kind == "missing" else ui.plain(what)))
    if st.button(ui.tr("ingest_analyze"), type="primary", disabled=bool(problems) or not in_scope,
                 key="upload_go"):
        bar = st.progress(0.0, text=ui.tr("job_starting"))
        with tempfile.TemporaryDirectory(prefix="pantau-upload-") as tmp:
            path = Path(tmp) / upload.safe_file_name(file.name)
            path.write_bytes(content)
            done = None
            for event in jobs.start_upload(Path(state.path), path, sop_id=sop, agency=agency or None,
                                           tz=tz or None, mapping=upload.ingest_mapping(choice),
                                           pii_columns=tuple(pii), keep_columns=tuple(keep)):
                if event["event"] == "progress":
                    bar.progress(jobs.overall(event["stage"], event["done"], event["total"]),
                                 text=ui.tr(f"job_{event['stage']}"))
                elif event["event"] == "done":
                    done = event
        bar.progress(1.0, text=ui.tr("job_done"))
        auth.record_upload(file.name, content, sop, target_agency, done)
        data.clear_cache()
        st.session_state[RESULT] = done or {}
        st.rerun()  # the history and the quarantine above are read again, with this import


with ui.guard():
    cat = ui.catalog()
    st.subheader(ui.tr("import_history"))
    history = ui.load("imports")
    if not ui.empty(history, "no_imports"):
        st.dataframe(tables.imports(history, cat, L), hide_index=True)
    quarantine(cat)

with ui.guard():
    if auth.may(UPLOAD):  # importing and analysing: administrators only
        upload_form(ui.catalog())
