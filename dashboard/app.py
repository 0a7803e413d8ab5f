"""Pantau dashboard entrypoint: ``streamlit run dashboard/app.py`` (``pantau dashboard``).

Only the router: page config, the language switch, the login gate (:mod:`dashboard.login`:
nobody passes without a session when logins are on), the global filters in the sidebar
(bound to URL query parameters, so a copied link shows the same view; a parameter outside
the user's scope is refused), the database state as the user's scope sees it, then
``st.navigation`` over the pages the user's role may open, recording the page view.
The database is ``$PANTAU_DB``.

The page scripts live in ``views/``, not ``pages/``: a ``pages/`` folder next to the entrypoint
switches Streamlit to its legacy multipage mode until ``st.navigation`` has run once in the
process, so a shared deep link (``/kasus?case=...``) opened first on a fresh server would run
the page without this router (no filters, no language, no database state).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import auth, data, filters, login, ui
from dashboard.i18n import t
from dashboard.navigation import HOME, HOME_RESERVED, PAGE_PERMISSION, PAGES
from pantau.access.roles import READ
from pantau.errors import PantauError

FILTER_KEYS = ("agency", "sop", "unit", "period")

st.set_page_config(page_title="Pantau", page_icon=":material/monitoring:", layout="wide")


def _reset_filters(bounds: tuple | None) -> None:
    for key in ("agency", "sop", "unit"):
        st.session_state[key] = None
    st.query_params.pop("sop", None)  # not bound by Streamlit: see ui.url_selectbox
    if bounds is not None:
        st.session_state["period"] = bounds  # the whole data range: no period filter


def _read_state() -> None:
    try:
        st.session_state["_db_state"] = data.read_state(data.db_path(), SESSION.scope)
        st.session_state["_db_error"] = None
    except PantauError as exc:
        st.session_state["_db_state"] = None
        st.session_state["_db_error"] = str(exc)


def _sidebar(lang: str) -> filters.Filters:
    state = st.session_state["_db_state"]
    options = None
    if state is not None:
        try:
            options = data.load(state, "filter_options", filters.Filters())
        except PantauError as exc:
            st.session_state["_db_error"] = str(exc)
    cat = None
    if state is not None:
        try:
            cat = data.load_catalog(state)
        except PantauError as exc:
            st.session_state["_db_error"] = str(exc)
    sb = st.sidebar
    sb.subheader(t("filters", lang))
    # only agencies and SOPs with analysed cases: a filter that can only show nothing is noise.
    # The connection is scoped (dashboard.data): the options and the catalog hold only what the
    # user may see; a link naming anything else is refused and recorded (auth.allow_param).
    seen = options if options is not None else pd.DataFrame(columns=["agency", "sop_id", "unit"])
    known = set(cat.sop_ids) if cat is not None else set()
    auth.allow_param("agency", set(seen["agency"].dropna())
                     | ({m.agency for m in cat.versions.values()} if cat is not None else set()), lang)
    agencies = sorted(set(seen["agency"].dropna()))
    agency = sb.selectbox(t("agency", lang), agencies, index=None, key="agency", bind="query-params",
                          placeholder=t("all", lang))
    in_agency = seen[seen["agency"] == agency] if agency else seen
    # the SOPs of the chosen agency; an SOP a link names stays choosable (its page says when
    # the filters match nothing), so a shared link shows what it showed
    auth.allow_param("sop", known | set(seen["sop_id"].dropna()), lang)
    named = {st.query_params.get("sop"), st.session_state.get("sop")} & known
    sops = sorted(set(in_agency["sop_id"].dropna()) | named)
    sop = ui.url_selectbox(sb, t("sop", lang), sops, key="sop", placeholder=t("all", lang),
                           format_func=(lambda s: cat.sop_choice(s, 40)) if cat is not None else str)
    units: list[str] = []
    bounds = None
    if options is not None and len(options):
        scoped = options
        if agency:
            scoped = scoped[scoped["agency"] == agency]
        if sop:
            scoped = scoped[scoped["sop_id"] == sop]
        units = sorted(scoped["unit"].dropna().unique())
        # cases of a log without times have no day (ui.untimed_note says how many)
        days, lasts = options["first_day"].dropna(), options["last_day"].dropna()
        bounds = (min(days), max(lasts)) if len(days) else None
    auth.allow_param("unit", set(options["unit"].dropna()) if options is not None else set(), lang)
    unit = sb.selectbox(t("unit", lang), units, index=None, key="unit", bind="query-params",
                        placeholder=t("all", lang))
    period = None
    if bounds is not None:
        lo, hi = (pd.Timestamp(d).date() for d in bounds)
        period = sb.date_input(t("period", lang), value=(lo, hi), min_value=lo, max_value=hi,
                               key="period", bind="query-params", format="DD/MM/YYYY")
        bounds = (lo, hi)
    sb.button(t("reset_filters", lang), on_click=_reset_filters, args=(bounds,), icon=":material/filter_alt_off:",
              key="reset_filters")
    if state is not None:
        sb.caption(t("db_caption", lang, name=ui.plain(data.db_path().name), run=state.run_id or "–"))
    return filters.from_widgets(agency, sop, unit, period, bounds)


choice = st.sidebar.segmented_control(
    "Bahasa / Language", ["ID", "EN"], default="ID", required=True, key="lang", bind="query-params")
LANG = "en" if choice == "EN" else "id"
SESSION = login.gate(LANG)  # the login page, and stop, until someone is logged in
pages = [st.Page(path, title=t(key, LANG), url_path=HOME_RESERVED if slug == HOME else slug, icon=icon,
                 default=(slug == HOME))
         for path, key, slug, icon in PAGES if auth.may(PAGE_PERMISSION.get(slug, READ))]
pages += [st.Page(path, title=t(key, LANG), url_path=slug, visibility="hidden")  # /ringkasan works too
          for path, key, slug, _icon in PAGES if slug == HOME]
with data.batch(), ui.guard():  # one read-only connection for this run's cache misses
    _read_state()
    st.session_state["_filters"] = _sidebar(LANG)
    if st.session_state["_db_error"]:
        st.sidebar.error(ui.plain_lines(st.session_state["_db_error"]))
    page = st.navigation(pages)
    auth.record_page(page.url_path or HOME, st.session_state["_filters"])
    page.run()
