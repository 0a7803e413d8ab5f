"""The monthly report of one agency: what its head reads at the monthly meeting.

:func:`gather` reads every figure through the dashboard's own queries
(:data:`dashboard.queries.QUERIES`, the store's metric macros) with the filters the pages
would have for that agency and month, so a figure in the report equals the page's; the HTML
(:mod:`dashboard.documents.monthly_html`) only lays them out, and the PDF is that HTML printed
(:func:`dashboard.documents.render.to_pdf`). The weekly digest (:mod:`dashboard.documents.digest`)
reads the same :class:`Report` for another period.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import pandas as pd

from dashboard.catalog import Catalog
from dashboard.filters import Filters
from dashboard.queries import QUERIES, breaches, load_catalog
from pantau.errors import PantauError

TREND_MONTHS = 12     # months of trend, ending with the report's month
TOP = 5               # worst steps, worst lanes
LATE_ROWS = 10        # open cases late now, listed (the total is always given)
UNIT_ROWS = 15        # units listed (the lowest on-time share first)


class ReportError(PantauError):
    """A report that cannot be made as asked (unknown agency, a month without data)."""


@dataclass(frozen=True)
class Report:
    """Every figure of one agency's report for one period, as the dashboard's queries return
    them (DataFrames), with the catalog that names steps, SOPs and vocabularies."""

    agency: str
    start: date                 # first day of the period (local days of each SOP)
    end: date                   # last day, inclusive
    lang: str
    cat: Catalog
    totals: pd.Series           # overview_totals for the period
    by_sop: pd.DataFrame        # overview_by_sop for the period, with target and source
    trend: pd.DataFrame         # monthly_trend over the TREND_MONTHS months up to end
    worst_steps: pd.DataFrame   # breach_counts -> by_step, the TOP with the most violations
    worst_lanes: pd.DataFrame   # breach_counts -> by_lane, the TOP with the highest breach rate
    units: pd.DataFrame         # unit_league for the period
    late: pd.DataFrame          # open_at_risk(late_only) for the agency: late now, most late first
    late_total: int             # how many open cases are late now (the list shows LATE_ROWS)
    kinds: pd.DataFrame         # deviation_kinds for the period
    runs: pd.DataFrame          # run_facts: run id and as-of behind the figures

    @property
    def period(self) -> Filters:
        """The filters of the report's figures (the page view they equal)."""
        return Filters(agency=self.agency, start=self.start, end=self.end)

    @property
    def run_id(self) -> int | None:
        """The latest analysis run behind the figures."""
        return int(self.runs["run_id"].iloc[0]) if len(self.runs) else None

    @property
    def as_of(self) -> datetime | None:
        """The moment open cases are judged at (the latest run's as-of)."""
        return pd.Timestamp(self.runs["as_of"].iloc[0]).to_pydatetime() if len(self.runs) else None

    @property
    def timezone(self) -> str:
        """The zone the agency's days are read in (its busiest SOP's)."""
        sop = self.by_sop.sort_values("cases", ascending=False)["sop_id"].iloc[0] if len(self.by_sop) else None
        return self.cat.timezone(sop)

    @property
    def below_target(self) -> pd.DataFrame:
        """The SOPs whose on-time share is below their target (the head's first question)."""
        rows = self.by_sop
        return rows[rows["on_time_share"].notna() & (rows["on_time_share"] < rows["target"])]


def month_bounds(month: str | date) -> tuple[date, date]:
    """``"2024-11"`` (or any date in it) -> (1 November 2024, 30 November 2024)."""
    if isinstance(month, str):
        try:
            year, mon = (int(x) for x in month.strip().split("-")[:2])
            first = date(year, mon, 1)
        except ValueError:
            raise ReportError(f"'{month[:20]}' is not a month", field="month",
                              hint="give the month as YYYY-MM, e.g. 2024-11") from None
    else:
        first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _months_back(first: date, n: int) -> date:
    y, m = divmod(first.year * 12 + first.month - 1 - n, 12)
    return date(y, m + 1, 1)


def gather(con: duckdb.DuckDBPyConnection, agency: str, start: date, end: date, lang: str = "id",
           progress: Callable[[int, int], None] | None = None) -> Report:
    """Every figure of ``agency``'s report for the local days ``start``..``end``, read through
    the dashboard's queries on ``con`` (in whatever scope ``con`` has). Raises ReportError for
    an agency without analysed cases."""
    known = QUERIES["filter_options"](con, Filters())
    agencies = sorted(set(known["agency"].dropna()))
    if agency not in agencies:
        from pantau.errors import did_you_mean

        raise ReportError(f"no analysed cases of agency '{agency[:80]}'", field="agency",
                          hint=did_you_mean(agency, agencies) or
                          ("agencies in this store: " + "; ".join(agencies) if agencies else
                           "run 'pantau analyze --db FILE' first"))
    period = Filters(agency=agency, start=start, end=end)
    steps = 9
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, steps)

    cat = load_catalog(con)
    tick()
    totals = QUERIES["overview_totals"](con, period).iloc[0]
    by_sop = QUERIES["overview_by_sop"](con, period)
    sources = QUERIES["targets"](con, Filters(agency=agency))[["sop_id", "agency", "target_source"]]
    by_sop = by_sop.merge(sources, on=["sop_id", "agency"], how="left")
    tick()
    trend = QUERIES["monthly_trend"](con, Filters(agency=agency, start=_months_back(start.replace(day=1),
                                                                                     TREND_MONTHS - 1), end=end))
    tick()
    counts = QUERIES["breach_counts"](con, period)
    worst_steps = breaches.by_step(counts)
    worst_steps = worst_steps[worst_steps["violations"] > 0].head(TOP)
    lanes = breaches.by_lane(counts)
    worst_lanes = (lanes[lanes["violations"] > 0]
                   .sort_values(["breach_rate", "violations"], ascending=False).head(TOP))
    tick()
    units = QUERIES["unit_league"](con, period)
    tick()
    late = QUERIES["open_at_risk"](con, Filters(agency=agency), limit=LATE_ROWS, late_only=True)
    tick()
    kinds = QUERIES["deviation_kinds"](con, period)
    tick()
    runs = QUERIES["run_facts"](con, Filters(agency=agency))
    tick()
    report = Report(agency=agency, start=start, end=end, lang=lang, cat=cat, totals=totals,
                    by_sop=by_sop, trend=trend, worst_steps=worst_steps.reset_index(drop=True),
                    worst_lanes=worst_lanes.reset_index(drop=True), units=units, late=late,
                    late_total=int(late["total"].iloc[0]) if len(late) else 0, kinds=kinds, runs=runs)
    tick()
    return report
