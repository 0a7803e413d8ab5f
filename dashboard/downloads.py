"""Downloads of case data, each on record: who, what, how many rows, the SHA-256 of the file.

Every page's download goes through :func:`audited_download` (rows), :func:`audited_document`
(a report) or :func:`audited_evidence` (an evidence pack). The rows are produced only when
the user clicks (Streamlit runs the callable in a worker thread, outside the page's run), so
the session and its scope are captured here, at the time the button is drawn: the rows come
from a connection in that scope, and the audit entry names that user. When the entry cannot
be written the file is not sent (Streamlit reports a failed download).

A CSV or Excel download gets its rows through :func:`dashboard.export.neutralise` before they
are rendered, whatever the renderer: no cell of a spreadsheet the dashboard hands out starts a
formula (render with :func:`dashboard.export.to_csv` / :func:`~dashboard.export.to_xlsx`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import auth, export
from dashboard.filters import Filters
from pantau import audit
from pantau.access.roles import EVIDENCE, EXPORT


def render_rows(frame: pd.DataFrame, render: Callable[[pd.DataFrame], bytes], mime: str) -> bytes:
    """``render(frame)``, the rows neutralised first when ``mime`` is a spreadsheet's."""
    return render(export.neutralise(frame) if mime in export.TABLE_MIMES else frame)


def audited_download(label: str, rows: Callable[[], pd.DataFrame], render: Callable[[pd.DataFrame], bytes], *,
                     file_name: str, kind: str, mime: str, filters: Filters, where: Any = st,
                     icon: str = ":material/download:") -> None:
    """A download button for ``render(rows())``, recorded as an ``export`` with its row count
    and SHA-256. Shown only to roles that may export; ``where`` is the container (a column).
    For a spreadsheet ``mime`` (:data:`dashboard.export.TABLE_MIMES`) the rows are neutralised
    first, so no cell can start a formula."""
    if not auth.may(EXPORT):
        return
    session = auth.current()

    def payload() -> bytes:
        frame = rows()
        body = render_rows(frame, render, mime)
        auth.record(audit.EXPORT, {"kind": kind, "file": file_name, "rows": len(frame),
                                   "sha256": hashlib.sha256(body).hexdigest(),
                                   "filters": auth.filters_detail(filters)}, session=session)
        return body

    where.download_button(label, data=payload, file_name=file_name, mime=mime, on_click="ignore", icon=icon,
                          key=f"download_{kind}_{file_name}")


def audited_document(label: str, build: Callable[[], tuple[bytes, int]], *, file_name: str, kind: str,
                     mime: str, filters: Filters, where: Any = st, icon: str = ":material/download:") -> None:
    """A download button for a document (``build() -> (bytes, cases it covers)``), recorded as
    an ``export`` like :func:`audited_download`; built only when clicked."""
    if not auth.may(EXPORT):
        return
    session = auth.current()

    def payload() -> bytes:
        body, rows = build()
        auth.record(audit.EXPORT, {"kind": kind, "file": file_name, "rows": rows,
                                   "sha256": hashlib.sha256(body).hexdigest(),
                                   "filters": auth.filters_detail(filters)}, session=session)
        return body

    where.download_button(label, data=payload, file_name=file_name, mime=mime, on_click="ignore", icon=icon,
                          key=f"download_{kind}_{file_name}")


def export_downloads(kind: str, filters: Filters, state: Any, *, labels: tuple[str, str],
                     params: dict[str, Any] | None = None, where: tuple[Any, Any] | None = None) -> None:
    """The CSV and Excel downloads of export ``kind`` (``deviations``, ``breaches``, ``late``)
    for ``filters``: the same files as ``pantau export`` (:mod:`dashboard.export_files`), built
    on click from a connection in the session's scope, each recorded (:func:`audited_download`)."""
    from dashboard import data, export_files
    from dashboard.queries import exports

    params = dict(params or {})
    left, right = where or st.columns(2)

    def rows() -> pd.DataFrame:
        with data.connection(state.path, state.scope) as con:
            frame = exports.export_rows(con, kind, filters, **params)
            frame.attrs["as_of"] = export_files.as_of_text(con, filters)
        return frame

    def xlsx(frame: pd.DataFrame) -> bytes:
        deviations = kind == "deviations"
        return export_files.render(frame, kind, "xlsx", filters, db_name=data.db_path().name,
                                   as_of_text=frame.attrs.get("as_of", ""),
                                   kinds=tuple(params.get("kinds") or ()) if deviations else None,
                                   scope=params.get("scope", "all") if deviations else None)

    stem = f"pantau-{kind}-run{state.run_id}"
    audited_download(labels[0], rows, export_files.render_csv, file_name=f"{stem}.csv", kind=kind,
                     mime="text/csv", filters=filters, where=left)
    audited_download(labels[1], rows, xlsx, file_name=f"{stem}.xlsx", kind=kind, filters=filters, where=right,
                     mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def audited_evidence(label: str, build: Callable[[], bytes], *, file_name: str, kind: str, mime: str,
                     details: dict[str, Any], where: Any = st, icon: str = ":material/verified:") -> None:
    """A download button for a document made on click (an evidence pack), recorded as an
    ``evidence_pack`` with what it covers and the SHA-256 of the file sent. Shown only to
    roles that may write evidence packs; ``build`` runs in the session's scope (the caller
    captures it)."""
    if not auth.may(EVIDENCE):
        return
    session = auth.current()

    def payload() -> bytes:
        body = build()
        auth.record(audit.EVIDENCE_PACK, {"kind": kind, "file": file_name, **details,
                                          "sha256": hashlib.sha256(body).hexdigest()}, session=session)
        return body

    where.download_button(label, data=payload, file_name=file_name, mime=mime, on_click="ignore", icon=icon,
                          key=f"evidence_{kind}_{file_name}")
