"""The monthly report as one HTML document (A4, one to three pages), and its PDF.

Layout only: every figure comes from :class:`dashboard.documents.monthly.Report` (the
dashboard's queries) and is formatted by :mod:`dashboard.fmt` as on the pages; every data
string passes :func:`~dashboard.documents.render.escape`. Key cells carry ``data-figure``
attributes (``cases``, ``on_time``, ...) so a test can read the figures back and compare them
with the pages'.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from dashboard import fmt, theme
from dashboard.catalog import agency_short
from dashboard.documents import svg
from dashboard.documents.monthly import Report
from dashboard.documents.render import escape, page, to_pdf
from dashboard.i18n import t
from dashboard.tables import meets_target

CSS = """
.head { margin-bottom: 6pt; } .ok { color: #2e7d32; font-weight: bold; } .bad { color: #c62828; font-weight: bold; }
.callout { border-left: 3pt solid #c62828; padding: 3pt 6pt; background: #fdecea; margin: 6pt 0; }
.callout.good { border-color: #2e7d32; background: #e8f5e9; }
h2 { break-after: avoid; } td svg { vertical-align: middle; } svg.trend { width: 100%; }
table { font-size: 8.5pt; } h2 { border-bottom: 0.6pt solid #999; padding-bottom: 1pt; }
"""


def _pct(v: object, lang: str) -> str:
    return fmt.percent(None if v is None or pd.isna(v) else float(v), 1, lang)


def _n(v: object, lang: str) -> str:
    return fmt.number(None if v is None or pd.isna(v) else float(v), 0, lang)


def _table(headers: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    head = "".join(f'<th{" class=num" if i in numeric else ""}>{escape(h)}</th>' for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f'<td{" class=num" if i in numeric else ""}>{c}</td>'
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _fig(name: str, text: str) -> str:
    return f'<span data-figure="{escape(name)}">{escape(text)}</span>'


def _verdict(share: object, target: object, lang: str) -> str:
    met = meets_target(share, target)
    if met is None:
        return "–"
    return f'<span class="{"ok" if met else "bad"}">{escape(t("target_met" if met else "target_missed", lang))}</span>'


def _headline(r: Report) -> str:
    L, cat = r.lang, r.cat
    rows = []
    for s in r.by_sop.itertuples(index=False):
        rows.append([
            escape(cat.sop_tag(s.sop_id)), escape(_n(s.cases, L)), escape(_n(s.closed, L)),
            escape(fmt.count_of(s.on_time, s.closed, L)), escape(_pct(s.on_time_share, L)),
            escape(_pct(s.target, L)), _verdict(s.on_time_share, s.target, L),
            escape(_pct(s.conformant_share, L)), escape(fmt.hours(s.median_throughput_hours, L)),
            escape(_n(s.late, L))])
    tot = r.totals
    rows.append([f"<b>{escape(t('all_sops', L))}</b>", _fig("cases", _n(tot["cases"], L)),
                 _fig("closed", _n(tot["closed"], L)), _fig("on_time_count", fmt.count_of(tot["on_time"], tot["closed"], L)),
                 _fig("on_time", _pct(tot["on_time_share"], L)), "", "",
                 _fig("conformant", _pct(tot["conformant_share"], L)),
                 _fig("median_throughput", fmt.hours(tot["median_throughput_hours"], L)),
                 _fig("late_started", _n(tot["late"], L))])
    headers = [t("sop", L), t("cases_started", L), t("closed", L), t("on_time_count", L), t("share_on_time", L),
               t("target", L), "", t("share_conformant", L), t("median_throughput", L), t("open_late", L)]
    not_on_time = int(tot["closed"]) - int(tot["on_time"])
    below = r.below_target
    if len(below):
        names = "; ".join(f"{cat.sop_title(s, 50)} {fmt.percent(v, 1, L)} < {fmt.percent(g, 0, L)}"
                          for s, v, g in zip(below["sop_id"], below["on_time_share"], below["target"], strict=True))
        call = f'<p class="callout">{escape(t("report_below_target", L, n=len(below), sops=names))}</p>'
    else:
        call = f'<p class="callout good">{escape(t("report_all_on_target", L))}</p>'
    breached = t("report_breached_cases", L, n=fmt.number(not_on_time, 0, L), of=fmt.number(int(tot["closed"]), 0, L))
    return (f"<section><h2>{escape(t('report_headline', L))}</h2>{call}"
            f"<p>{_fig('not_on_time', breached)}</p>"
            f"{_table(headers, rows, numeric={1, 2, 3, 4, 5, 7, 9})}</section>")


def _trend(r: Report) -> str:
    L = r.lang
    # the agency's month over its SOPs: the view's counts added up (cases closed in the month,
    # of them within Mutu Baku), as the Ringkasan trend counts them per SOP
    by_month = r.trend.groupby("month", as_index=False)[["closed", "on_time"]].sum()
    months = sorted(by_month["month"])
    closed = by_month.set_index("month")["closed"]
    on_time = by_month.set_index("month")["on_time"]
    shares = {m: (float(on_time[m]) / float(closed[m]) if closed[m] else None) for m in months}
    targets = r.by_sop["target"].dropna()
    target = float(targets.min()) if len(targets) else None
    chart = svg.trend([fmt.month_label(pd.Timestamp(m), L) for m in months],
                      [shares[m] for m in months], [int(closed[m]) for m in months], target, L,
                      share_title=t("share_on_time", L), cases_title=t("cases_closed_in_month", L),
                      target_label=t("target", L))
    return f"<section><h2>{escape(t('report_trend', L))}</h2>{chart}</section>"


def _worst(r: Report) -> str:
    L, cat = r.lang, r.cat
    steps = [[escape(cat.step_label(s.sop_id, s.step_id, 60)), escape(cat.sop_tag(s.sop_id)), escape(s.lane or "–"),
              escape(fmt.count_of(s.violations, s.judged, L)), escape(_pct(s.breach_rate, L))]
             for s in r.worst_steps.itertuples(index=False)]
    lanes = [[escape(x.lane), escape(fmt.count_of(x.violations, x.judged, L)),
              svg.bar(x.breach_rate, colour=theme.BAD) + " " + escape(_pct(x.breach_rate, L))]
             for x in r.worst_lanes.itertuples(index=False)]
    none = f"<p>{escape(t('no_breaches', L))}</p>"
    return (f"<section><h2>{escape(t('report_worst_steps', L))}</h2>"
            + (_table([t("step", L), t("sop", L), t("lane", L), t("violations", L), t("breach_rate", L)], steps,
                      numeric={3, 4}) if steps else none)
            + f"</section><section><h2>{escape(t('report_worst_lanes', L))}</h2>"
            + (_table([t("lane", L), t("violations", L), t("breach_rate", L)], lanes, numeric={1}) if lanes else none)
            + "</section>")


def _units(r: Report) -> str:
    from dashboard.documents.monthly import UNIT_ROWS

    L, cat = r.lang, r.cat
    units = r.units.sort_values(["on_time_share", "cases"], ascending=[True, False], na_position="last")
    rows = []
    for u in units.head(UNIT_ROWS).itertuples(index=False):
        below = not pd.isna(u.on_time_share) and not pd.isna(u.target) and u.on_time_share < u.target
        share = f'<span class="{"bad" if below else "ok"}">{escape(_pct(u.on_time_share, L))}</span>'
        rows.append([escape(u.unit or "–"), escape(cat.sop_tag(u.sop_id)), escape(_n(u.cases, L)),
                     escape(fmt.count_of(u.on_time, u.closed, L)), share,
                     escape(fmt.hours(u.median_throughput_hours, L)), escape(_n(u.late, L))])
    more = len(units) - UNIT_ROWS
    note = f'<p class="small muted">{escape(t("report_more_units", L, n=more))}</p>' if more > 0 else ""
    return (f"<section><h2>{escape(t('units_side_by_side', L))}</h2>"
            + _table([t("unit", L), t("sop", L), t("cases", L), t("on_time_count", L), t("share_on_time", L),
                      t("median_throughput", L), t("open_late", L)], rows, numeric={2, 3, 4, 6}) + note + "</section>")


def _late(r: Report) -> str:
    L, cat = r.lang, r.cat
    rows = [[escape(o.case_id), escape(cat.sop_tag(o.sop_id)), escape(o.unit or "–"),
             escape(cat.step_label(o.sop_id, o.current_step, 44)), escape(o.current_lane or "–"),
             escape(fmt.hours(o.overdue_hours, L) if not pd.isna(o.overdue_hours) and o.overdue_hours > 0 else "–")]
            for o in r.late.itertuples(index=False)]
    head = t("report_late_now", L, n=fmt.number(r.late_total, 0, L))
    body = (_table([t("case", L), t("sop", L), t("unit", L), t("current_step", L), t("lane", L), t("overdue", L)], rows,
                   numeric={5}) if rows else f"<p>{escape(t('report_none_late', L))}</p>")
    return f'<section><h2>{_fig("late_now", head)}</h2>{body}</section>'


def _kinds(r: Report) -> str:
    L, cat = r.lang, r.cat
    rows = [[escape(cat.label("deviation_kinds", k.kind, L)), escape(_n(k.n, L)), escape(_n(k.cases, L))]
            for k in r.kinds.itertuples(index=False)]
    body = _table([t("deviation_kinds", L), t("deviations", L), t("cases", L)], rows, numeric={1, 2}) if rows else \
        f"<p>{escape(t('no_deviations', L))}</p>"
    return f"<section><h2>{escape(t('deviation_kinds', L))}</h2>{body}</section>"


def title(r: Report) -> str:
    """``Laporan bulanan Mutu Baku · Dinkes Kota Batam · November 2024``."""
    return f"{t('report_title', r.lang)} · {agency_short(r.agency)} · {_period(r)}"


def _period(r: Report) -> str:
    from dashboard.documents.monthly import month_bounds

    if (r.start, r.end) == month_bounds(r.start):
        return f"{fmt.MONTHS[r.lang][r.start.month - 1]} {r.start.year}"
    return f"{fmt.day(r.start, r.lang)} – {fmt.day(r.end, r.lang)}"


def facts_line(r: Report, created: datetime) -> str:
    """As-of, run id, zone and creation time: what every figure is read against."""
    L = r.lang
    as_of = r.as_of
    zone = r.timezone
    when = fmt.moment(pd.Timestamp(as_of).tz_convert(zone), L) if as_of else "–"
    made = fmt.moment(pd.Timestamp(created).tz_convert(zone), L)
    return t("report_facts", L, as_of=when, zone=zone, run=r.run_id or "–", created=made)


def to_html(r: Report, created: datetime) -> str:
    """The whole report as one self-contained HTML document."""
    L = r.lang
    body = (f'<div class="head"><h1>{escape(title(r))}</h1>'
            f'<p class="muted" data-figure="facts">{escape(facts_line(r, created))}</p></div>'
            + _headline(r) + _trend(r) + _worst(r) + _units(r) + _late(r) + _kinds(r)
            + f'<p class="small muted">{escape(t("report_method", L))}</p>')
    return page(title(r), body, lang=L, created=created, css=CSS)


def to_pdf_bytes(r: Report, created: datetime) -> bytes:
    """The report printed on A4 (the HTML of :func:`to_html`)."""
    return to_pdf(to_html(r, created))
