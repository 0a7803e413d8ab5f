"""The moment a page's findings are read at: "Keadaan per 31 Des 2024 24.00 WIB · run 7".

Every analysis run judges its open cases at one instant, ``runs.as_of`` (by default the end of
the last imported day). Pages (:func:`dashboard.ui.page_header`), exports and documents state
it with these pure functions over the rows of ``queries.store.run_as_of`` (one per SOP in
view: ``sop_id``, ``run_id``, ``as_of``, ``timezone``), so it reads the same everywhere. No
Streamlit, no SQL here.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from dashboard import fmt
from dashboard.i18n import t
from pantau.units import DEFAULT_TIMEZONE, ZONE_NAMES


def local_moment(moment: datetime, zone: str, lang: str = "id") -> str:
    """``31 Des 2024 24.00 WIB``: ``moment`` on ``zone``'s clock; local midnight is written as
    24.00 of the day before (the default as-of is the end of a day, not the start of the next)."""
    local = pd.Timestamp(moment).tz_convert(ZoneInfo(zone))
    name = ZONE_NAMES.get(zone, zone)
    sep = "." if lang == "id" else ":"
    if local.time() == time(0):
        day = (local - timedelta(days=1)).date()
        return f"{fmt.day_short(day, lang)} 24{sep}00 {name}"
    return f"{fmt.moment(local, lang)} {name}"


def _zone(group: pd.DataFrame) -> str:
    """The zone a run's as-of reads best in: the one where it is local midnight (the default,
    the end of a local day), else the first SOP's."""
    zones = sorted(set(group["timezone"].dropna())) or [DEFAULT_TIMEZONE]
    moment = pd.Timestamp(group["as_of"].iloc[0])
    for zone in zones:
        if moment.tz_convert(ZoneInfo(zone)).time() == time(0):
            return zone
    return zones[0]


def parts(rows: pd.DataFrame, lang: str = "id") -> list[tuple[str, int]]:
    """``[(local as-of text, run id), ...]``: one per distinct (run, as-of) among ``rows``,
    latest run first; empty when no run judged anything (no results, or runs without as-of)."""
    rows = rows.dropna(subset=["as_of"]) if len(rows) else rows
    if rows is None or not len(rows):
        return []
    out = []
    for (run_id, _as_of), group in sorted(rows.groupby(["run_id", "as_of"]), key=lambda g: -int(g[0][0])):
        out.append((local_moment(pd.Timestamp(group["as_of"].iloc[0]), _zone(group), lang), int(run_id)))
    return out


def caption(rows: pd.DataFrame, lang: str = "id") -> str:
    """``Keadaan per 31 Des 2024 24.00 WIB · run 7`` (several runs: ``…; 30 Des 2024 24.00 WITA · run 5``);
    "" when nothing was analysed."""
    found = parts(rows, lang)
    if not found:
        return ""
    body = "; ".join(t("as_of_part", lang, moment=moment, run=run) for moment, run in found)
    return t("as_of_caption", lang, parts=body)


def run_ids(rows: pd.DataFrame) -> str:
    """``7`` or ``5, 7``: the runs behind the rows."""
    return ", ".join(str(int(r)) for r in sorted(set(rows["run_id"].dropna()))) if len(rows) else "-"


def incomplete_month(rows: pd.DataFrame) -> date | None:
    """The first day of the local month the latest as-of falls in, when that month is not over
    at the as-of (a trend by completion month is final for every month before it); None when
    the as-of is the very start of a month (the month before is complete, the next is empty)
    or nothing was analysed."""
    rows = rows.dropna(subset=["as_of"]) if len(rows) else rows
    if rows is None or not len(rows):
        return None
    latest = rows.loc[pd.to_datetime(rows["as_of"], utc=True).idxmax()]
    group = rows[rows["run_id"] == latest["run_id"]]
    local = pd.Timestamp(latest["as_of"]).tz_convert(ZoneInfo(_zone(group)))
    if local.day == 1 and local.time() == time(0):
        return None
    return date(local.year, local.month, 1)
