"""The login gate the router runs before ``st.navigation``: nobody passes without a session.

Local accounts: a form (user name, password, "Masuk") checked by
:func:`pantau.access.authenticate` (argon2id, lockout read from the audit log). OIDC: a button
that calls Streamlit's own ``st.login`` (Authlib underneath); the provider's ``email`` or
``sub`` claim names the Pantau user record, which carries the role and the scope.

Sessions live in ``st.session_state`` with the time of the last activity and end after
``[auth] idle_minutes`` without one. Local logins set no cookie: Streamlit offers apps no
server-set (HttpOnly) cookie, and a cookie written by page JavaScript could be read by any
script injected into the page, so a reload asks for the password again. OIDC keeps
Streamlit's signed HttpOnly login cookie; a session restored from it is accepted only while
the id token was issued, or the user was last active (the audit log), within the idle time.
Every run re-reads the user's record, so ``pantau user disable`` takes effect at the next click.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import streamlit as st

from dashboard import auth
from dashboard.auth import Session
from dashboard.i18n import t
from dashboard.navigation import PAGES
from dashboard.ui import plain, plain_lines
from pantau import audit
from pantau.access import authenticate
from pantau.access.login import UNKNOWN_USER, anonymous_name
from pantau.access.scope import Scope
from pantau.access.setup import OIDC_PROVIDER
from pantau.access.users import UsersFile
from pantau.errors import LoginError, PantauError
from pantau.units import DEFAULT_TIMEZONE

_LAST_ACTIVITY = "_auth_last_activity"
_NOTICE = "_auth_notice"


def _users() -> UsersFile:
    path = auth.setup().users_file
    cache = st.session_state.get("_users_file")
    if cache is None or cache.path != path:
        cache = st.session_state["_users_file"] = UsersFile(path)
    return cache


def gate(lang: str) -> Session:
    """The session's user; otherwise show the login page and stop the run."""
    setup = auth.setup()
    if not setup.enabled:
        return auth.DEMO
    try:
        session = _refresh(lang)
        if session is None and setup.mode == "oidc":
            session = _from_oidc(lang)
        if session is None:
            _keep_url()
            _login_page(lang)
            st.stop()
    except PantauError as exc:  # the users file or the audit log: no data without them
        st.error(plain_lines(exc))
        st.stop()
    st.session_state[_LAST_ACTIVITY] = auth.now()
    _sidebar(session, lang)
    return session


def _keep_url() -> None:
    """Register the pages without showing them, so the address asked for (``/kasus?case=...``)
    is still the one shown after the login."""
    st.navigation([st.Page(path, url_path=slug, default=(slug == "ringkasan")) for path, _key, slug, _icon in PAGES],
                  position="hidden")


def _refresh(lang: str) -> Session | None:
    """The running session, brought up to date with the user's record; None when there is
    none, or it ended (idle too long, account disabled or removed)."""
    session = auth.current()
    if session is None:
        return None
    last = st.session_state.get(_LAST_ACTIVITY)
    if last is None or auth.now() - last > timedelta(minutes=auth.setup().idle_minutes):
        _finish(session, audit.SESSION_EXPIRED, "session_expired")
        return None
    user = _users().get(session.user)
    if user is None or user.disabled:
        _finish(session, audit.LOGOUT, "account_disabled", reason="disabled")
        return None
    if (user.role, user.scope) != (session.role, session.scope):
        session = Session(user.name, user.role, user.scope, session.method)
        auth.begin(session)
    return session


def _finish(session: Session, event: str, notice: str, **details: str) -> None:
    auth.record(event, details, session=session)
    auth.end()
    st.session_state[_NOTICE] = notice
    if session.method == "oidc":
        st.logout()  # clears Streamlit's login cookie and reloads the page
        st.stop()


def _from_oidc(lang: str) -> Session | None:
    """A session for the identity Streamlit's login cookie carries, if it maps to a user."""
    if not st.user.is_logged_in:
        return None
    setup = auth.setup()
    claim = setup.oidc.match_claim
    value = st.user.get(claim)
    user = _users().by_claim(claim, value)
    if claim == "email" and st.user.get("email_verified") is False:
        user = None
    if user is None or user.disabled:
        stranger = Session(UNKNOWN_USER, "", Scope(agencies=()), "oidc")
        auth.record(audit.LOGIN_FAILED, {"reason": "unknown_identity" if user is None else "disabled",
                                         "method": "oidc", "name_sha256": anonymous_name(str(value or ""))},
                    session=stranger)
        st.error(t("oidc_unknown", lang))
        st.button(t("logout", lang), on_click=st.logout, key="oidc_unknown_logout")
        st.stop()
    issued = st.user.get("iat")
    fresh = isinstance(issued, int | float) and auth.now().timestamp() - issued <= setup.idle_minutes * 60
    session = Session(user.name, user.role, user.scope, "oidc")
    if not fresh:
        active = [e for e in auth.audit_log().since(auth.now() - timedelta(minutes=setup.idle_minutes))
                  if e.user == user.name]
        if not active:
            _finish(session, audit.SESSION_EXPIRED, "session_expired")
    auth.begin(session)
    auth.record(audit.LOGIN, {"method": "oidc", "restored": not fresh}, session=session)
    return session


def _login_page(lang: str) -> None:
    setup = auth.setup()
    st.title("Pantau")
    st.caption(t("login_intro", lang))
    notice = st.session_state.pop(_NOTICE, None)
    if notice:
        st.info(t(notice, lang, minutes=setup.idle_minutes))
    if setup.mode == "oidc":
        st.button(t("login_oidc", lang, provider=setup.oidc.label), type="primary", key="login_oidc",
                  on_click=st.login, args=(OIDC_PROVIDER,), icon=":material/login:")
        return
    with st.form("login", enter_to_submit=True):
        name = st.text_input(t("user_name", lang), key="login_name")
        password = st.text_input(t("password", lang), type="password", key="login_password")
        submitted = st.form_submit_button(t("login_button", lang), type="primary")
    if not submitted:
        return
    try:
        user = authenticate(_users(), auth.audit_log(), name, password, policy=setup.lockout, now=auth.now())
    except LoginError as exc:
        if exc.reason == "locked":
            until = exc.until.astimezone(ZoneInfo(DEFAULT_TIMEZONE)).strftime("%H:%M")
            st.error(t("login_locked", lang, until=until, minutes=setup.lockout.minutes))
        else:
            st.error(t("login_wrong", lang))
        return
    auth.begin(Session(user.name, user.role, user.scope, "password"))
    st.session_state[_LAST_ACTIVITY] = auth.now()
    st.rerun()


def _logout(session: Session) -> None:
    auth.record(audit.LOGOUT, {}, session=session)
    auth.end()
    st.session_state[_NOTICE] = "logged_out"
    if session.method == "oidc":
        st.logout()


def _sidebar(session: Session, lang: str) -> None:
    sb = st.sidebar
    scope = session.scope.describe() if session.scope.agencies is not None else t("all_agencies", lang)
    sb.caption(t("logged_in_as", lang, user=plain(session.user), role=t(f"role_{session.role}", lang),
                 scope=plain(scope)))
    sb.button(t("logout", lang), on_click=_logout, args=(session,), key="logout", icon=":material/logout:")
