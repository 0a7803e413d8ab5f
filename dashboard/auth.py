"""Who is using this dashboard session, what they may do, and what goes on record.

The session (:class:`Session`: user, role, scope) is put in ``st.session_state`` by the login
gate (:mod:`dashboard.login`); pages ask :func:`may` / :func:`require` and record through
:func:`record`. With ``--auth none`` (the local demo) the session is an anonymous admin who
sees everything and nothing is recorded: there is nobody to record.

Everything recorded passes :func:`safe_text` first: a NIK typed into a field is hashed as the
store hashes it (so the entry still matches the stored case id), longer digit runs are removed.
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import streamlit as st

from dashboard import data
from dashboard.filters import Filters
from dashboard.i18n import t
from event_logs.ingest.pii import guard_text, load_secret
from pantau import audit
from pantau.access import roles
from pantau.access.scope import ALL, Scope
from pantau.access.setup import AUTH_ENV, AuthSetup, auth_setup
from pantau.config import CONFIG_ENV, load_settings

ANONYMOUS = "-"
_SESSION = "_session"
_LAST_VIEW = "_audit_last_view"
_LAST_CASE = "_audit_last_case"


@dataclass(frozen=True)
class Session:
    """The logged-in user of this browser session."""

    user: str
    role: str
    scope: Scope
    method: str  # none | password | oidc


DEMO = Session(ANONYMOUS, roles.ADMIN, ALL, "none")


@functools.cache
def _setup(db: str, mode: str | None, config: str | None) -> AuthSetup:
    return auth_setup(load_settings(config, store=db), db, mode=mode)


def setup() -> AuthSetup:
    """The login setup of the database shown (``$PANTAU_AUTH``, the settings file), read once
    per process for each of them."""
    return _setup(str(data.db_path().resolve()), os.environ.get(AUTH_ENV) or None,
                  os.environ.get(CONFIG_ENV) or None)


def audit_log() -> audit.AuditLog | None:
    """The audit log, or None with logins off."""
    s = setup()
    return audit.AuditLog(s.audit_file) if s.enabled else None


def current() -> Session | None:
    """The session's user, or None before a login."""
    if not setup().enabled:
        return DEMO
    return st.session_state.get(_SESSION)


def begin(session: Session) -> None:
    """Start ``session`` (after a login)."""
    st.session_state[_SESSION] = session
    st.session_state.pop(_LAST_VIEW, None)
    st.session_state.pop(_LAST_CASE, None)


def end() -> None:
    """Forget the session's user."""
    for key in (_SESSION, _LAST_VIEW, _LAST_CASE):
        st.session_state.pop(key, None)


def scope() -> Scope:
    """Whose data this session sees (nothing before a login)."""
    s = current()
    return s.scope if s is not None else Scope(agencies=())


def may(permission: str) -> bool:
    """True when the session's role grants ``permission``."""
    s = current()
    return s is not None and roles.may(s.role, permission)


def safe_text(value: Any) -> Any:
    """``value`` fit for the audit log, guarded as the store guards text
    (:func:`event_logs.ingest.pii.guard_text`): a NIK (16 digits, grouped or not) becomes its
    HMAC as in the store, digit runs and phone numbers inside text are replaced."""
    if not isinstance(value, str):
        return value
    return guard_text(value, load_secret())


def record(event: str, details: dict[str, Any] | None = None, session: Session | None = None) -> None:
    """Write an audit entry for the session's user (nothing with logins off). Raises
    :class:`~pantau.errors.AuditError` when the log cannot be written: the page stops."""
    log = audit_log()
    session = session or current()
    if log is None or session is None:
        return
    clean = {k: safe_text(v) for k, v in (details or {}).items()}
    log.record(session.user, session.role, event, clean)


def filters_detail(f: Filters) -> dict[str, str]:
    """The filters of a view, as recorded (only those set)."""
    values = {"agency": f.agency, "sop": f.sop_id, "unit": f.unit,
              "start": f.start.isoformat() if f.start else None, "end": f.end.isoformat() if f.end else None}
    return {k: v for k, v in values.items() if v}


def record_page(page: str, f: Filters) -> None:
    """Record a page view with its filters, once per change of page or filters."""
    view = (page, f)
    if st.session_state.get(_LAST_VIEW) == view:
        return
    record(audit.PAGE_VIEW, {"page": page, "filters": filters_detail(f)})
    st.session_state[_LAST_VIEW] = view


def record_case(sop_id: str, agency: str, case_id: str) -> None:
    """Record that the session looked at one case, (SOP, agency, case id) (once per case in a row)."""
    if st.session_state.get(_LAST_CASE) == (sop_id, agency, case_id):
        return
    record(audit.CASE_VIEW, {"sop": sop_id, "agency": agency, "case": case_id})
    st.session_state[_LAST_CASE] = (sop_id, agency, case_id)


def record_upload(file_name: str, content: bytes, sop_id: str, agency: str, outcome: dict[str, Any] | None) -> None:
    """Record an upload (file name, SHA-256, rows loaded) and the analysis run it started."""
    outcome = outcome or {}
    record(audit.UPLOAD, {"file": file_name, "sha256": hashlib.sha256(content).hexdigest(), "sop": sop_id,
                          "agency": agency, "import_id": outcome.get("import_id"),
                          "rows_loaded": outcome.get("rows_loaded")})
    if outcome.get("run_id"):
        record(audit.ANALYSIS_RUN, {"run_id": outcome["run_id"], "sop": sop_id, "trigger": "upload"})


def refuse(what: str, value: Any, lang: str) -> None:
    """Say "not permitted" for ``what`` = ``value`` outside the scope, and record the refusal."""
    record(audit.DENIED, {"what": what, "value": value})
    st.error(t("not_permitted", lang, what=t(f"denied_{what}", lang)), icon=":material/block:")


def allow_param(key: str, allowed: set[str], lang: str) -> None:
    """Drop a URL parameter (and its widget value) naming something outside the scope, with a
    refusal. Only for a restricted scope: with every agency in scope nothing is forbidden."""
    if scope().is_all:
        return
    value = st.query_params.get(key) or st.session_state.get(key)
    if value and value not in allowed:
        st.query_params.pop(key, None)
        if key in st.session_state:
            del st.session_state[key]
        refuse(key, value, lang)


def require(permission: str, lang: str) -> None:
    """Stop the page with "not permitted" unless the session's role grants ``permission``."""
    if not may(permission):
        refuse("page", permission, lang)
        st.stop()


def now() -> datetime:
    """The clock the session checks use."""
    return datetime.now(UTC)
