"""HTML pieces of the evidence packs: tables and the sections every pack shares. Pure: rows
in, HTML out; every value passes :func:`~dashboard.documents.render.escape`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from dashboard.documents.render import escape
from dashboard.documents.texts import both, en, id_

EVIDENCE_CSS = """
h2 .en, th .en, h1 .en { font-weight: normal; color: #555; }
th .en { display: block; font-size: 7.5pt; }
.en { color: #555; }
code, .mono { font-family: "DejaVu Sans Mono", monospace; font-size: 8pt; word-break: break-all; }
table.facts th { width: 32%; }
tr.accepted td { background: #eef6ee; }
.badge { border: 0.5pt solid #2e7d32; color: #2e7d32; padding: 0 3pt; font-size: 8pt; }
section.manifest { margin-top: 14pt; border-top: 0.5pt solid #999; }
"""


def missing(value: Any) -> bool:
    """True for None, NaN and pandas' NA/NaT."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def text(value: Any) -> str:
    """A cell's text: '–' for a missing value, dates as ISO, floats without noise."""
    if missing(value):
        return "–"
    if isinstance(value, bool | np.bool_):
        return f'{id_("yes")} / {en("yes")}' if value else f'{id_("no")} / {en("no")}'
    if isinstance(value, np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        value = float(value)
        return f"{value:.3f}".rstrip("0").rstrip(".") if not value.is_integer() else str(int(value))
    if isinstance(value, pd.Timestamp) and value.tzinfo is None and value == value.normalize():
        return value.date().isoformat()
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def local_time(value: Any, timezone: str) -> str:
    """A timestamp on the SOP's own clock: ``2024-04-01 09:19:25 WIB (+07:00)``."""
    if missing(value):
        return "–"
    moment = pd.Timestamp(value).to_pydatetime().astimezone(ZoneInfo(timezone))
    offset = moment.strftime("%z")
    return f"{moment:%Y-%m-%d %H:%M:%S} {moment.tzname()} ({offset[:3]}:{offset[3:]})"


def utc_time(value: Any) -> str:
    """A timestamp in UTC: ``2026-12-01 08:00:00 UTC``."""
    if missing(value):
        return "–"
    return f"{pd.Timestamp(value).tz_convert('UTC'):%Y-%m-%d %H:%M:%S} UTC"


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, classes: Iterable[str] | None = None,
          cls: str = "") -> str:
    """A table: ``headers`` are text keys (shown in both languages), cells are escaped text;
    ``classes`` one CSS class per row (e.g. ``accepted``)."""
    head = "".join(f"<th>{both(h)}</th>" for h in headers)
    marks = list(classes) if classes is not None else None
    body = []
    for i, row in enumerate(rows):
        mark = f' class="{marks[i]}"' if marks and marks[i] else ""
        body.append(f"<tr{mark}>" + "".join(f"<td>{escape(text(v))}</td>" for v in row) + "</tr>")
    return (f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
            if body else "")


def facts(pairs: Iterable[tuple[str, Any]]) -> str:
    """A two-column table of facts: the text key (both languages) and its value."""
    rows = "".join(f"<tr><th>{both(k)}</th><td>{escape(text(v))}</td></tr>" for k, v in pairs)
    return f'<table class="facts">{rows}</table>'


def heading(key: str) -> str:
    """A section heading in both languages."""
    return f"<h2>{both(key)}</h2>"


def words(id_text: str, en_text: str) -> str:
    """A sentence in Indonesian, then its English."""
    return f'<p>{escape(id_text)}<br><span class="en">{escape(en_text)}</span></p>'


def identity(rows: pd.DataFrame, timezone: str) -> str:
    """What the findings were checked against: per run and model version, the SOP's number,
    revision, effective date, the model's sha256, the calendar version, the run and its as-of."""
    parts = []
    for r in rows.itertuples(index=False):
        parts.append(facts([
            ("sop_number", r.sop_number), ("revision", r.revision), ("effective", r.effective),
            ("model_sha256", r.model_sha256), ("calendar_version", r.calendar_version),
            ("run_id", r.run_id), ("as_of", local_time(r.as_of, timezone)), ("pantau_version", r.pantau_version),
        ]))
    return heading("identity") + "".join(parts)


def acceptance_scope(a: Any) -> str:
    """What one acceptance covers, in words (Indonesian / English)."""
    if not missing(a.case_id):
        where = f"{id_('case')} {a.case_id} ({a.agency})"
    else:
        bits = [a.agency if not missing(a.agency) else id_("every_agency")]
        if not missing(a.unit):
            bits.append(str(a.unit))
        if not missing(a.period_from) or not missing(a.period_to):
            bits.append(f"{text(a.period_from)} – {text(a.period_to)}")
        where = f"{id_('rule_scope')}: " + ", ".join(bits)
    step = text(a.step_id) if not missing(a.step_id) else id_("every_step")
    return f"{a.sop_id} · {a.kind} · {step} · {where}"


def acceptances(rows: pd.DataFrame, history: pd.DataFrame, status_label: Any) -> str:
    """The acceptances that cover findings here, and every entry of their history."""
    out = heading("acceptances")
    if rows.empty:
        return out + words(id_("no_acceptances"), en("no_acceptances"))
    out += table(("acceptance", "status", "covers", "reason", "by", "when", "until"), [
        (a.acceptance_id, status_label(a.status), acceptance_scope(a), a.reason, a.accepted_by,
         utc_time(a.accepted_at), a.valid_until) for a in rows.itertuples(index=False)])
    if not history.empty:
        out += f"<h3>{both('history')}</h3>" + table(("acceptance", "action", "by", "when", "until", "reason"), [
            (h.acceptance_id, h.action, f"{h.actor} ({h.actor_role})", utc_time(h.written_at), h.valid_until,
             h.reason) for h in history.itertuples(index=False)])
        out += "<p class='small muted'>sha256: " + " · ".join(
            f"#{h.seq} <code>{escape(h.entry_hash)}</code>" for h in history.itertuples(index=False)) + "</p>"
    return out
