"""What an auditor does on the Kasus and Deviasi pages: accept a finding or a rule (with a
reason and an optional expiry), and download evidence packs. Shown only to roles that may
(:data:`~pantau.access.roles.ACCEPT`, :data:`~pantau.access.roles.EVIDENCE`).

An acceptance is written to the acceptances file beside the store by
:func:`event_logs.acceptances.accept` (the store stays read-only) and recorded in the audit
log; the page is drawn again at once, and every count already leaves the accepted findings out
(the store's views read the file on every connection; the cache key holds the file's version).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import auth, data, fmt
from dashboard.catalog import Catalog
from dashboard.data import DbState
from dashboard.documents import evidence
from dashboard.downloads import audited_evidence
from dashboard.filters import Filters
from dashboard.i18n import t
from event_logs import acceptances
from pantau import audit
from pantau.access.roles import ACCEPT
from pantau.errors import PantauError

_DONE = "_acceptance_done"


def _record_and_rerun(number: int, target: acceptances.Target) -> None:
    auth.record(audit.ACCEPTANCE, {"action": acceptances.ACCEPT, "acceptance_id": number, "sop": target.sop_id,
                                   "agency": target.agency, "unit": target.unit, "case": target.case_id,
                                   "kind": target.kind, "step": target.step_id,
                                   "from": target.period_from, "to": target.period_to})
    st.session_state[_DONE] = number
    st.rerun()


def _accept(state: DbState, target: acceptances.Target, reason: str, until: date | None, lang: str) -> None:
    session = auth.current()
    try:
        with data.connection(state.path, state.scope) as con:
            number = acceptances.accept(con, state.path, target, reason=reason, by=session.user, role=session.role,
                                        until=until, scope=state.scope)
    except PantauError as exc:
        st.error(str(exc))
        return
    _record_and_rerun(number, target)


def done_note(lang: str) -> None:
    """Say that an acceptance was just recorded (once, after the page was drawn again)."""
    number = st.session_state.pop(_DONE, None)
    if number is not None:
        st.success(t("accept_done", lang, id=number), icon=":material/task_alt:")


def finding_form(state: DbState, sop_id: str, agency: str, case_id: str, deviations: pd.DataFrame, cat: Catalog,
                 lang: str) -> None:
    """Accept one of the case's findings not yet accepted (auditors only)."""
    if not auth.may(ACCEPT):
        return
    open_rows = deviations[~deviations["accepted"].fillna(False).astype(bool)]
    choices = sorted({(k, s if isinstance(s, str) else None) for k, s in zip(open_rows["kind"], open_rows["step_id"],
                                                                              strict=True)},
                     key=lambda x: (x[0], x[1] or ""))
    if not choices:
        return
    with st.expander(t("accept_finding", lang), icon=":material/gavel:"), st.form("accept_finding_form"):
        picked = st.selectbox(t("accept_which", lang), choices, key="accept_pick",
                              format_func=lambda c: cat.label("deviation_kinds", c[0], lang)
                              + (f" · {cat.step_label(sop_id, c[1], 50)}" if c[1] else ""))
        reason = st.text_area(t("accept_reason", lang), key="accept_reason", max_chars=1000)
        until = st.date_input(t("accept_until", lang), value=None, key="accept_until", format="DD/MM/YYYY")
        if st.form_submit_button(t("accept_button", lang), type="primary") and picked:
            _accept(state, acceptances.Target(sop_id=sop_id, kind=picked[0], case_id=case_id, agency=agency,
                                              step_id=picked[1]), reason, until, lang)


def rule_form(state: DbState, f: Filters, sop_id: str | None, kinds: list[str], agencies: list[str], cat: Catalog,
              lang: str) -> None:
    """Accept every finding of a kind (at a step, for an agency, in the filter's period) in an SOP."""
    if not auth.may(ACCEPT) or not sop_id or not kinds:
        return
    every = t("accept_every_agency", lang)
    options = agencies if not state.scope.is_all else [every, *agencies]
    with st.expander(t("accept_rule", lang), icon=":material/rule:"), st.form("accept_rule_form"):
        st.caption(t("accept_rule_note", lang, sop=cat.sop_title(sop_id, 60)))
        kind = st.selectbox(t("kind", lang), kinds, key="rule_kind",
                            format_func=lambda k: cat.label("deviation_kinds", k, lang))
        steps = [None, *cat.case_steps(sop_id)]
        step = st.selectbox(t("step", lang), steps, key="rule_step",
                            format_func=lambda s: t("accept_every_step", lang) if s is None else cat.step_label(sop_id, s, 50))
        agency = st.selectbox(t("agency", lang), options, key="rule_agency",
                              index=options.index(f.agency) if f.agency in options else 0)
        reason = st.text_area(t("accept_reason", lang), key="rule_reason", max_chars=1000)
        until = st.date_input(t("accept_until", lang), value=None, key="rule_until", format="DD/MM/YYYY")
        if f.start or f.end:
            st.caption(t("accept_rule_period", lang, start=fmt.day(f.start, lang) if f.start else "…",
                         end=fmt.day(f.end, lang) if f.end else "…"))
        if st.form_submit_button(t("accept_button", lang), type="primary"):
            _accept(state, acceptances.Target(sop_id=sop_id, kind=kind, agency=None if agency == every else agency,
                                              unit=f.unit, step_id=step, period_from=f.start, period_to=f.end),
                    reason, until, lang)


def _downloads(build: Any, name: str, kind: str, details: dict[str, Any], lang: str) -> None:
    left, right = st.columns(2)
    audited_evidence(t("evidence_html", lang), lambda: build().html.encode("utf-8"), file_name=f"{name}.html",
                     kind=kind, mime="text/html", details=details, where=left)
    audited_evidence(t("evidence_pdf", lang), lambda: build().pdf(), file_name=f"{name}.pdf", kind=kind,
                     mime="application/pdf", details=details, where=right)


def case_evidence(state: DbState, sop_id: str, agency: str, case_id: str, run_id: int, lang: str) -> None:
    """Download the case's evidence pack (HTML, PDF), made on click in the session's scope."""
    scope = state.scope

    def build() -> evidence.Pack:
        with data.connection(state.path, scope) as con:
            return evidence.case_pack(con, sop_id, case_id, agency=agency)

    st.caption(t("evidence_note", lang))
    _downloads(build, evidence.case_name(case_id, None, None, run_id), "case",
               {"sop": sop_id, "agency": agency, "case": case_id, "run_id": run_id}, lang)


def period_evidence(state: DbState, f: Filters, sop_id: str | None, bounds: tuple[date, date] | None, lang: str) -> None:
    """Download the SOP × agency × period pack of the filter (an agency must be chosen)."""
    if not sop_id or not f.agency or bounds is None:
        st.caption(t("evidence_period_needs", lang))
        return
    start, end = f.start or bounds[0], f.end or bounds[1]
    scope = state.scope

    def build() -> evidence.Pack:
        with data.connection(state.path, scope) as con:
            return evidence.period_pack(con, sop_id, f.agency, start, end)

    st.caption(t("evidence_period_note", lang, start=fmt.day(start, lang), end=fmt.day(end, lang)))
    _downloads(build, evidence.period_name(sop_id, f.agency, start, end, state.run_id), "period",
               {"sop": sop_id, "agency": f.agency, "from": start, "to": end, "run_id": state.run_id}, lang)
