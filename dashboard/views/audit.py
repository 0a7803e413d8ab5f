"""Log audit (administrators): who logged in, saw, exported and changed what; read-only.

The log is only ever appended to by Pantau; nothing on this page writes it. The chain check
(the same as ``pantau audit verify``) runs on every view.
"""

import pandas as pd
import streamlit as st

from dashboard import auth, ui
from pantau import audit
from pantau.access.roles import AUDIT

LIMIT = 1000

L = ui.lang()
ui.page_header("page_audit", "audit_intro")
ui.require_role(AUDIT)

with ui.guard():
    path = auth.setup().audit_file
    st.caption(ui.tr("audit_file", path=ui.plain(path)))
    if not path.exists():
        st.info(ui.tr("audit_empty"))
        st.stop()
    check = audit.verify(path)
    if check.ok:
        st.success(ui.tr("audit_ok", n=check.entries, head=check.head[:16]), icon=":material/verified:")
    else:
        st.error(ui.tr("audit_broken", n=len(check.problems)) + "\n\n" + "\n".join(f"- {ui.plain(p)}" for p in check.problems[:20]))
    entries = list(audit.AuditLog(path).entries())
    left, mid, right = st.columns(3)
    user = left.selectbox(ui.tr("audit_user"), sorted({e.user for e in entries}), index=None,
                          placeholder=ui.tr("all"), key="audit_user")
    event = mid.selectbox(ui.tr("audit_event"), list(audit.EVENTS), index=None, placeholder=ui.tr("all"),
                          key="audit_event", format_func=lambda k: ui.tr(f"event_{k}"))
    since = right.date_input(ui.tr("audit_since"), value=None, key="audit_since", format="DD/MM/YYYY")
    start = pd.Timestamp(since, tz="UTC").to_pydatetime() if since else None
    shown = audit.select(entries, user=user, event=event, since=start)[::-1][:LIMIT]
    st.caption(ui.tr("showing_of", shown=len(shown), total=len(entries)))
    st.dataframe(pd.DataFrame({
        "#": [e.seq for e in shown],
        ui.tr("audit_time"): [e.time for e in shown],
        ui.tr("audit_user"): [e.user for e in shown],
        ui.tr("audit_role"): [e.role for e in shown],
        ui.tr("audit_event"): [ui.tr(f"event_{e.event}") for e in shown],
        ui.tr("audit_details"): [audit.describe(e.details) for e in shown],
    }), hide_index=True)
