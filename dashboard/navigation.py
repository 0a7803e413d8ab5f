"""The dashboard's pages: file, title key, URL path and icon, in menu order.

The router (``app.py``) builds ``st.navigation`` from this (leaving out the pages the user's
role may not open, :data:`PAGE_PERMISSION`); the screenshot driver and the tests read the same
list, so a page added here is opened and checked everywhere.
"""

from __future__ import annotations

from dashboard.i18n import t
from pantau.access.roles import AUDIT

PAGES: tuple[tuple[str, str, str, str], ...] = (
    ("views/ringkasan.py", "page_overview", "ringkasan", ":material/dashboard:"),
    ("views/pelanggaran.py", "page_breaches", "pelanggaran", ":material/timer_off:"),
    ("views/lane.py", "page_lanes", "lane", ":material/view_week:"),
    ("views/deviasi.py", "page_deviations", "deviasi", ":material/alt_route:"),
    ("views/kasus.py", "page_case", "kasus", ":material/search:"),
    ("views/model.py", "page_model", "model", ":material/account_tree:"),
    ("views/data.py", "page_data", "data", ":material/database:"),
    ("views/audit.py", "page_audit", "audit", ":material/policy:"),
)
# The overview is served at the root URL; Streamlit then answers its own slug (/ringkasan, the
# name a head types or shares) with an English "Page not found". The default page therefore
# reserves another path and a hidden page serves the overview at its slug too.
HOME = "ringkasan"
HOME_RESERVED = "beranda"
# the permission a page needs, when it is not READ (pantau.access.roles)
PAGE_PERMISSION: dict[str, str] = {"audit": AUDIT}


def page_titles() -> dict[str, tuple[str, str]]:
    """URL path -> (Indonesian title, English title), in menu order."""
    return {slug: (t(key, "id"), t(key, "en")) for _path, key, slug, _icon in PAGES}
