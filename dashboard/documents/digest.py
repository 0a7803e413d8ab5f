"""The weekly digest of one agency: the monthly report's content as a short email.

The figures are a :class:`~dashboard.documents.monthly.Report` for the last ``days`` local days
up to the latest run's as-of (the same queries as the pages, so the digest equals the dashboard
for that agency and period); what needs action comes first: open cases late now (the most late
first) and the SOPs whose on-time share is below their target. One ``multipart/alternative``
message, plain text and HTML with the same figures; :mod:`pantau.mail` sends it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import duckdb
import pandas as pd

from dashboard import fmt
from dashboard.catalog import agency_short
from dashboard.documents import monthly
from dashboard.documents.monthly_html import facts_line
from dashboard.documents.render import escape
from dashboard.filters import Filters
from dashboard.i18n import t
from dashboard.queries import QUERIES, load_catalog

LATE_LINES = 5  # late cases named in the digest (the count is always given)


def gather_week(con: duckdb.DuckDBPyConnection, agency: str, *, days: int = 7, lang: str = "id") -> monthly.Report:
    """The report of ``agency`` for the ``days`` local days ending with the last day before the
    latest run's as-of (the last imported day)."""
    if days < 1:
        raise monthly.ReportError(f"--days must be at least 1, not {days}", field="days")
    runs = QUERIES["run_facts"](con, Filters(agency=agency))
    if not len(runs) or pd.isna(runs["as_of"].iloc[0]):
        # gather() names the agencies there are; without a run it says what to do
        return monthly.gather(con, agency, datetime.now().date(), datetime.now().date(), lang)
    options = QUERIES["filter_options"](con, Filters())
    sops = options[options["agency"] == agency]
    cat = load_catalog(con)
    zone = cat.timezone(sops.sort_values("cases")["sop_id"].iloc[-1] if len(sops) else None)
    last = (pd.Timestamp(runs["as_of"].iloc[0]).tz_convert(zone) - pd.Timedelta(microseconds=1)).date()
    return monthly.gather(con, agency, last - timedelta(days=days - 1), last, lang)


def _period(r: monthly.Report) -> str:
    return f"{fmt.day(r.start, r.lang)} – {fmt.day(r.end, r.lang)}"


def _attention(r: monthly.Report) -> list[tuple[str, list[str]]]:
    """(heading, lines) blocks, the most urgent first."""
    L, cat = r.lang, r.cat
    late = [f"{o.case_id} · {cat.sop_tag(o.sop_id)} · {o.unit or '–'} · "
            f"{cat.step_label(o.sop_id, o.current_step, 40)} · {t('overdue', L).lower()} "
            f"{fmt.hours(o.overdue_hours, L) if not pd.isna(o.overdue_hours) and o.overdue_hours > 0 else '–'}"
            for o in r.late.head(LATE_LINES).itertuples(index=False)]
    blocks = [(t("report_late_now", L, n=fmt.number(r.late_total, 0, L)), late)]
    below = [f"{cat.sop_tag(s.sop_id)}: {fmt.percent(s.on_time_share, 1, L)} "
             f"({fmt.count_of(s.on_time, s.closed, L)}) < {t('target', L).lower()} {fmt.percent(s.target, 0, L)}"
             for s in r.below_target.itertuples(index=False)]
    blocks.append((t("report_below_target", L, n=len(below), sops="").rstrip(": .") if below
                   else t("report_all_on_target", L), below))
    return blocks


def _week(r: monthly.Report) -> list[str]:
    L, cat = r.lang, r.cat
    lines = [f"{cat.sop_tag(s.sop_id)}: {t('cases_started', L)} {fmt.number(s.cases, 0, L)}, "
             f"{t('share_on_time', L)} {fmt.percent(s.on_time_share, 1, L)} "
             f"({fmt.count_of(s.on_time, s.closed, L)}), {t('target', L).lower()} {fmt.percent(s.target, 0, L)}, "
             f"{t('share_conformant', L)} {fmt.percent(s.conformant_share, 1, L)}"
             for s in r.by_sop.itertuples(index=False)]
    tot = r.totals
    lines.append(t("report_breached_cases", L, n=fmt.number(int(tot["closed"]) - int(tot["on_time"]), 0, L),
                   of=fmt.number(int(tot["closed"]), 0, L)))
    return lines


def subject(r: monthly.Report) -> str:
    """``Pantau · ringkasan mingguan · Dinkes Kota Batam · 25 Desember 2024 – 31 Desember 2024``."""
    return t("digest_subject", r.lang, agency=agency_short(r.agency), period=_period(r))


def text(r: monthly.Report, created: datetime) -> str:
    """The plain-text body."""
    L = r.lang
    out = [t("digest_intro", L, agency=r.agency, period=_period(r)), "", t("digest_late_first", L).upper()]
    for heading, lines in _attention(r):
        out += ["", heading, *(f"  - {x}" for x in lines)]
    out += ["", t("digest_week", L).upper(), *(f"  - {x}" for x in _week(r)), "", facts_line(r, created)]
    return "\n".join(out) + "\n"


def html(r: monthly.Report, created: datetime) -> str:
    """The HTML body (inline styles only: mail clients drop style sheets and load nothing)."""
    L = r.lang

    def items(lines: list[str]) -> str:
        return "<ul>" + "".join(f"<li>{escape(x)}</li>" for x in lines) + "</ul>" if lines else ""

    parts = [f'<p>{escape(t("digest_intro", L, agency=r.agency, period=_period(r)))}</p>',
             f'<h2 style="color:#c62828;font-size:15px">{escape(t("digest_late_first", L))}</h2>']
    for heading, lines in _attention(r):
        parts.append(f"<p><b>{escape(heading)}</b></p>{items(lines)}")
    parts += [f'<h2 style="font-size:15px">{escape(t("digest_week", L))}</h2>', items(_week(r)),
              f'<p style="color:#555;font-size:12px">{escape(facts_line(r, created))}</p>']
    return (f'<!DOCTYPE html><html lang="{L}"><head><meta charset="utf-8"></head>'
            f'<body style="font-family:sans-serif;font-size:14px">{"".join(parts)}</body></html>')


def message(r: monthly.Report, *, sender: str, recipients: tuple[str, ...] | list[str],
            created: datetime) -> EmailMessage:
    """The digest as one email: text first, the HTML alternative second."""
    msg = EmailMessage()
    msg["Subject"] = subject(r)
    msg["From"] = sender
    if recipients:
        msg["To"] = ", ".join(recipients)
    msg["Date"] = format_datetime(created)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    msg.set_content(text(r, created))
    msg.add_alternative(html(r, created), subtype="html")
    return msg


def text_part(msg: EmailMessage) -> str:
    """The plain-text part of a digest message."""
    part = msg.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""
