"""The monthly report on the Ringkasan page: a month picker and the PDF/HTML downloads.

The report is built only when clicked, from a fresh connection in the user's scope, with the
same :mod:`dashboard.documents.monthly` code as ``pantau report`` (the figures equal the
page's); each download is recorded in the audit log (:func:`dashboard.downloads.audited_document`).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from dashboard import data, fmt, ui
from dashboard.downloads import audited_document


def monthly_download(trend: pd.DataFrame) -> None:
    """The month picker and the two download buttons; a hint when no single agency is chosen."""
    f = ui.filters()
    if not f.agency:
        st.info(ui.tr("report_needs_agency"))
        return
    months = sorted({pd.Timestamp(m).date() for m in trend["month"]}, reverse=True) if len(trend) else []
    if not months:
        return
    L = ui.lang()
    left, mid, right = st.columns([2, 1, 1])
    month = left.selectbox(ui.tr("report_month"), months, key="report_month",
                           format_func=lambda m: f"{fmt.MONTHS[L][m.month - 1]} {m.year}")
    state = ui.require_store()
    agency = f.agency

    def build(kind: str):
        from dashboard.documents import monthly, monthly_html

        def make() -> tuple[bytes, int]:
            start, end = monthly.month_bounds(month)
            with data.connection(state.path, state.scope) as con:
                report = monthly.gather(con, agency, start, end, L)
            created = datetime.now(UTC)
            body = (monthly_html.to_pdf_bytes(report, created) if kind == "pdf"
                    else monthly_html.to_html(report, created).encode("utf-8"))
            return body, int(report.totals["cases"])
        return make

    name = f"pantau-laporan-{agency.lower().replace(' ', '-')}-{month:%Y-%m}"
    audited_document(ui.tr("report_download"), build("pdf"), file_name=f"{name}.pdf", kind="monthly_report",
                     mime="application/pdf", filters=f, where=mid)
    audited_document(ui.tr("report_download_html"), build("html"), file_name=f"{name}.html", kind="monthly_report",
                     mime="text/html", filters=f, where=right)
