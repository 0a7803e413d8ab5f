"""The global filters (agency, SOP, period, unit) as one hashable value.

The sidebar widgets are bound to URL query parameters (``agency``, ``sop``, ``unit``,
``period``), so a copied link reproduces the view; this module turns their values into a
:class:`Filters` and a filter into SQL. Pure: no Streamlit here.

Periods: case-level results (``case_checks``, ``open_cases``, ``deviations`` through their
case) are filtered on the case's first local day (``case_checks.first_day``); step-level
results (``step_checks``) on the local day of the step's completion (``complete_day``);
monthly ``lane_stats`` and ``handovers`` on their month. Every day and month is read in the
SOP's own zone (WIB, WITA, ...): the analysis writes the local days, so a Banjarbaru case
started on 1 January at 00:30 WITA belongs to January, not to 31 December WIB.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Filters:
    """What the user narrowed the view to; ``None`` means "all"."""

    agency: str | None = None
    sop_id: str | None = None
    unit: str | None = None
    start: date | None = None   # first day, inclusive
    end: date | None = None     # last day, inclusive

    def with_sop(self, sop_id: str | None) -> Filters:
        """The same filters for another SOP (pages that need exactly one SOP)."""
        return Filters(self.agency, sop_id, self.unit, self.start, self.end)

    @property
    def is_default(self) -> bool:
        """True when nothing is filtered."""
        return self == Filters()


def from_widgets(agency: Any, sop_id: Any, unit: Any, period: Any,
                 bounds: tuple[date, date] | None = None) -> Filters:
    """Build filters from the sidebar widget values.

    ``period`` is what ``st.date_input`` returns for a range: a tuple of 0, 1 or 2 dates.
    A period equal to the data's ``bounds`` filters nothing (so it stays out of the cache key).
    """
    start = end = None
    if isinstance(period, (tuple, list)):
        if len(period) >= 1:
            start = period[0]
        if len(period) >= 2:
            end = period[1]
    elif isinstance(period, date):
        start = end = period
    if bounds is not None:
        if start is not None and start <= bounds[0]:
            start = None
        if end is not None and end >= bounds[1]:
            end = None
    return Filters(agency or None, sop_id or None, unit or None, start, end)


def where(
    f: Filters,
    *,
    alias: str = "",
    day: str | None = None,
    month: str | None = None,
    unit: bool = True,
    agency: bool = True,
    extra: list[tuple[str, list[Any]]] | None = None,
) -> tuple[str, list[Any]]:
    """A ``WHERE`` clause (or ``""``) and its parameters for a result table.

    ``day`` names the local-day column (DATE) the period applies to; ``month`` a DATE column
    holding the first day of a month; ``unit``/``agency`` False for tables without those columns;
    ``extra`` more ``(sql, params)`` conditions, put first.
    """
    p = f"{alias}." if alias else ""
    clauses: list[str] = [sql for sql, _ in extra or []]
    params: list[Any] = [v for _, values in extra or [] for v in values]
    if f.sop_id:
        clauses.append(f"{p}sop_id = ?")
        params.append(f.sop_id)
    if agency and f.agency:
        clauses.append(f"{p}agency = ?")
        params.append(f.agency)
    if unit and f.unit:
        clauses.append(f"{p}unit = ?")
        params.append(f.unit)
    if day:
        if f.start:
            clauses.append(f"{p}{day} >= ?")
            params.append(f.start)
        if f.end:
            clauses.append(f"{p}{day} <= ?")
            params.append(f.end)
    elif month:
        if f.start:
            clauses.append(f"{p}{month} >= ?")
            params.append(f.start.replace(day=1))
        if f.end:
            clauses.append(f"{p}{month} <= ?")
            params.append(f.end)
    sql = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    return sql, params
