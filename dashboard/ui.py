"""What every page shares: language, filters, the database state, messages and errors.

``app.py`` puts the language, the filters and the database state in ``st.session_state``
before running a page; pages read them through these helpers and never talk to DuckDB.
Errors a user can cause (:class:`~pantau.errors.PantauError`, a locked or missing database)
become ``st.error`` with the hint; never a traceback.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from dashboard import as_of, auth, data, fmt
from dashboard.catalog import Catalog
from dashboard.data import DbState
from dashboard.filters import Filters
from dashboard.i18n import t
from pantau.errors import PantauError

CASE_PAGE = "views/kasus.py"


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>&$:])")
# GitHub-flavoured Markdown turns a bare URL or e-mail address in text into a link after the
# escapes are read; an invisible word joiner inside "://", "www." and "@" keeps them text
_AUTOLINK = re.compile(r"(:)(?=//)|(?i:(www))(?=\\?\.)|(@)")
WORD_JOINER = "\u2060"


def plain(text: object) -> str:
    """A data string made inert for every place Streamlit renders Markdown (``st.markdown``,
    captions, tab and expander labels, ``st.info``/``st.error``…): each Markdown character is
    backslash-escaped and URLs cannot autolink, so ``**x**`` shows as typed and ``![](http://…)``
    neither renders, links nor makes the browser fetch."""
    escaped = _MARKDOWN.sub(r"\\\1", " ".join(str(text).split()))
    return _AUTOLINK.sub(lambda m: m.group(0) + WORD_JOINER, escaped)


def plain_lines(text: object) -> str:
    """:func:`plain` line by line, the line breaks kept (Markdown hard breaks): for messages
    that name files, rows and values, such as an error and its hint."""
    return "  \n".join(plain(line) for line in str(text).splitlines() if line.strip())


def lang() -> str:
    """``id`` (default) or ``en``."""
    return "en" if st.session_state.get("lang") == "EN" else "id"


def tr(key: str, **values: Any) -> str:
    """The text ``key`` in the current language."""
    return t(key, lang(), **values)


def filters() -> Filters:
    """The global filters set in the sidebar."""
    return st.session_state.get("_filters") or Filters()


def db_state() -> DbState | None:
    """The database's state read at the start of this run, or None when it cannot be opened."""
    return st.session_state.get("_db_state")


def catalog() -> Catalog:
    """The store's model versions and vocabularies (labels, standards, colours)."""
    state = db_state()
    if state is None:
        raise PantauError(st.session_state.get("_db_error") or tr("db_unavailable"))
    return data.load_catalog(state)


def load(name: str, f: Filters | None = None, **params: Any) -> pd.DataFrame:
    """A cached query of :mod:`dashboard.queries` on the current database."""
    state = db_state()
    if state is None:
        raise PantauError(st.session_state.get("_db_error") or tr("db_unavailable"))
    return data.load(state, name, f if f is not None else filters(), **params)


@contextlib.contextmanager
def guard() -> Iterator[None]:
    """Show a user-facing error instead of a traceback (the rest of the block is skipped)."""
    try:
        yield
    except PantauError as exc:
        st.error(plain_lines(exc))
    except duckdb.Error as exc:
        st.error(f"{tr('db_error')}: {plain_lines(exc)}")


def page_header(title_key: str, intro_key: str | None = None) -> None:
    """The page title, a one-line explanation, and the moment the findings are read at
    ("Keadaan per 31 Des 2024 24.00 WIB · run 7"; nothing before a first analysis)."""
    st.title(tr(title_key))
    if intro_key:
        st.caption(tr(intro_key))
    text = as_of_caption()
    if text:
        st.caption(f":material/schedule: {plain(text)}", help=tr("as_of_help"))
    note = untimed_note()
    if note:
        st.caption(f":material/timer_off: {note}", help=tr("untimed_help"))


def untimed_note(f: Filters | None = None) -> str:
    """How many cases in view come from a log without times (conformance only, Mutu Baku not
    measurable), and, when a period is chosen, that no period holds them: a date filter never
    drops them silently. Empty when there are none or no results yet."""
    state = db_state()
    if state is None or not state.has_results or state.results_outdated:
        return ""
    f = f if f is not None else filters()
    try:
        row = load("untimed_cases", f).iloc[0]
    except (PantauError, duckdb.Error):
        return ""
    n = int(row["cases"])
    if not n:
        return ""
    count = fmt.number(n, 0, lang())
    return tr("untimed_period" if (f.start or f.end) else "untimed_cases", n=count)


def as_of_rows(f: Filters | None = None) -> pd.DataFrame:
    """Per SOP in view: its run, the run's as-of and the SOP's zone (``queries.store.run_as_of``);
    empty before a first analysis or when the store cannot be read."""
    state = db_state()
    if state is None or not state.has_results or state.results_outdated:
        return pd.DataFrame(columns=["sop_id", "run_id", "as_of", "timezone", "model_sha256"])
    try:
        return load("run_as_of", f)
    except (PantauError, duckdb.Error):
        return pd.DataFrame(columns=["sop_id", "run_id", "as_of", "timezone", "model_sha256"])


def as_of_caption(f: Filters | None = None) -> str:
    """``Keadaan per 31 Des 2024 24.00 WIB · run 7`` for the SOPs in view (:mod:`dashboard.as_of`)."""
    return as_of.caption(as_of_rows(f), lang())


def require_store() -> DbState:
    """The database state, or stop the page with the reason it cannot be read."""
    state = db_state()
    if state is None:
        st.error(plain_lines(st.session_state.get("_db_error") or tr("db_unavailable")))
        st.stop()
    return state


def require_results() -> DbState:
    """The database state when it holds analysis results; else a clear message and stop."""
    state = require_store()
    if not state.has_results:
        key = "no_cases" if state.cases == 0 else "no_results"
        st.info(tr(key))
        st.stop()
    if state.results_outdated:
        st.warning(tr("results_outdated"))
        st.stop()
    return state


def empty(df: pd.DataFrame | None, key: str | None = None) -> bool:
    """True (and an info message) when a query returned nothing for the current filters.

    The message says why: the chosen SOP has no cases at all, or the filters match nothing.
    """
    if df is not None and len(df) > 0:
        return False
    if key is None:
        key = "no_rows"
        f = filters()
        if f.sop_id:
            options = load("filter_options", Filters())
            if f.sop_id not in set(options["sop_id"]):
                key = "sop_no_cases"
    st.info(tr(key, sop=plain(filters().sop_id or "")))
    return True


def sop_scope(key: str) -> str | None:
    """One SOP for pages that need exactly one: the global filter, or a local choice."""
    f = filters()
    if f.sop_id:
        return f.sop_id
    options = load("filter_options", Filters())
    if f.agency and len(options):
        options = options[options["agency"] == f.agency]
    sops = sorted(options["sop_id"].dropna().unique()) if len(options) else []
    if not sops:
        return None
    cat = catalog()
    return st.selectbox(tr("choose_sop"), sops, key=key, format_func=lambda s: cat.sop_choice(s))


def url_selectbox(where: Any, label: str, options: list[str], *, key: str, placeholder: str,
                  format_func: Any = str) -> str | None:
    """A selectbox showing names (``format_func``) whose value lives in the URL as the id.

    Streamlit's own ``bind="query-params"`` writes the *formatted* option into the URL, so a
    link naming the id (``/kasus?case=…&sop=<id>&agency=…``) would not select it. Here the session
    state is the source of truth and ``?key=<id>`` mirrors it: a URL naming a valid option
    (a link, a reload) selects it; choosing another writes it back.
    """
    wanted = st.query_params.get(key)
    if wanted in options and st.session_state.get(key) != wanted:
        st.session_state[key] = wanted
    if st.session_state.get(key) not in options:
        st.session_state[key] = None

    def mirror() -> None:
        value = st.session_state.get(key)
        if value is None:
            st.query_params.pop(key, None)
        else:
            st.query_params[key] = value

    value = where.selectbox(label, options, key=key, placeholder=placeholder, format_func=format_func,
                            on_change=mirror)
    if value is not None and st.query_params.get(key) != value:
        st.query_params[key] = value  # keep the URL naming it across page switches
    return value


def case_missing(case_id: str, sop_id: str | None) -> None:
    """No such case in view: "not permitted" (recorded) for a user who sees only some
    agencies — the same answer whether the case exists elsewhere or not, so the page tells
    nothing about other agencies' cases — else "not found"."""
    if auth.scope().is_all:
        st.warning(tr("case_not_found", case=plain(case_id), sop=plain(sop_id or "–")))
    else:
        auth.refuse("case", case_id, lang())


def require_role(permission: str) -> None:
    """Stop the page with "not permitted" (recorded) unless the user's role grants
    ``permission`` (:mod:`pantau.access.roles`)."""
    auth.require(permission, lang())


def case_link(case_id: str, sop_id: str, agency: str) -> None:
    """A link to the Kasus page for this case (``?case=<id>&sop=<id>&agency=<name>``: a case id
    is unique only within its agency)."""
    st.page_link(CASE_PAGE, label=tr("open_case", case=plain(case_id)), icon=":material/open_in_new:",
                 query_params={"case": case_id, "sop": sop_id, "agency": agency})


def case_picker(cases: pd.DataFrame, shown: pd.DataFrame, key: str) -> None:
    """``shown`` (a display table of ``cases``) where picking a row links to that case's page."""
    event = table(shown, key=key, on_select="rerun", selection_mode="single-row")
    picked = selected_row(event)
    if picked is not None:
        case_link(cases["case_id"].iloc[picked], cases["sop_id"].iloc[picked], cases["agency"].iloc[picked])


def fit_headers(df: pd.DataFrame, least: int = 80) -> dict[str, Any]:
    """A ``column_config`` giving every column at least its header's width, so a long header
    ("Median waktu penyelesaian") is not cut at 1440 px, and text columns room for their
    values; the first column stays in view when a wide table scrolls sideways."""
    from dashboard.tables import column_px

    return {c: st.column_config.Column(width=max(least, column_px(c, df[c])), pinned=(i == 0))
            for i, c in enumerate(df.columns)}


def table(shown: pd.DataFrame | Any, key: str | None = None, **kwargs: Any) -> Any:
    """``st.dataframe`` of a display table (or its Styler) with every header readable."""
    frame = shown.data if hasattr(shown, "data") and not isinstance(shown, pd.DataFrame) else shown
    return st.dataframe(shown, hide_index=True, column_config=fit_headers(frame), key=key, **kwargs)


def unit_picker(league: pd.DataFrame, shown: pd.DataFrame, key: str) -> None:
    """The units league (``shown``, sortable: its numbers stay numbers) where picking a row
    links to that unit's cases: the Kasus page filtered to the unit, its agency and SOP."""
    from dashboard.tables import units_style

    event = table(units_style(shown, lang()), key=key, on_select="rerun", selection_mode="single-row")
    picked = selected_row(event)
    if picked is not None:
        row = league.iloc[picked]
        params = {"agency": row["agency"], "sop": row["sop_id"]}
        if isinstance(row["unit"], str):
            params["unit"] = row["unit"]
        st.page_link(CASE_PAGE, label=tr("open_unit_cases", unit=plain(row["unit"] or "–"), sop=catalog().sop_tag(row["sop_id"])),
                     icon=":material/open_in_new:", query_params=params)


def selected_row(event: Any) -> int | None:
    """The row index picked in an ``st.dataframe(on_select="rerun")``, if any."""
    try:
        rows = event.selection.rows
    except AttributeError:
        return None
    return rows[0] if rows else None
