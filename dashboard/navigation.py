"""The dashboard's pages: file, title key, URL path and icon, in menu order.

The router (``app.py``) builds ``st.navigation`` from this; the screenshot driver and the
tests read the same list, so a page added here is opened and checked everywhere.
"""

from __future__ import annotations

from dashboard.i18n import t

PAGES: tuple[tuple[str, str, str, str], ...] = (
    ("views/ringkasan.py", "page_overview", "ringkasan", ":material/dashboard:"),
    ("views/pelanggaran.py", "page_breaches", "pelanggaran", ":material/timer_off:"),
    ("views/lane.py", "page_lanes", "lane", ":material/view_week:"),
    ("views/deviasi.py", "page_deviations", "deviasi", ":material/alt_route:"),
    ("views/kasus.py", "page_case", "kasus", ":material/search:"),
    ("views/model.py", "page_model", "model", ":material/account_tree:"),
    ("views/data.py", "page_data", "data", ":material/database:"),
)


def page_titles() -> dict[str, tuple[str, str]]:
    """URL path -> (Indonesian title, English title), in menu order."""
    return {slug: (t(key, "id"), t(key, "en")) for _path, key, slug, _icon in PAGES}
