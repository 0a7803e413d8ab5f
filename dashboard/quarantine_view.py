"""The quarantine for people: kinds, reasons and rows in the chosen language.

A stored reason is written by ingest in English, one part per problem of the row (``missing
case_id; unparsable timestamp '[number removed]'``), each part the kind's words and at most a
masked value (:func:`event_logs.ingest.pii.mask_value`). Here each part becomes the kind's label
from the store's vocabulary (``ref_quarantine_kinds``) and its detail with the few fixed words
ingest uses in it translated; the masked value itself is shown as stored. Pure functions over
the rows of :mod:`dashboard.queries.quarantine`; the Data page lays them out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pandas as pd

from dashboard import fmt
from dashboard.catalog import Catalog
from dashboard.i18n import t
from event_logs.ingest.pii import NUMBER_REMOVED, PERSONAL_REMOVED, PHONE_REMOVED

PART_SEPARATOR = "; "
# the fixed words of a reason's detail (event_logs.ingest: staging's reason text, pii's masks)
_WORDS: list[tuple[re.Pattern[str], Callable[[re.Match[str], str], str]]] = [
    (re.compile(r"\((\d+) characters, not shown\)"),
     lambda m, lang: t("q_not_shown", lang, n=fmt.number(int(m.group(1)), 0, lang))),
    (re.compile(r"\(before ([0-9-]+)\)"), lambda m, lang: t("q_before", lang, day=m.group(1))),
    (re.compile(r"\(after ([0-9-]+)\)"), lambda m, lang: t("q_after", lang, day=m.group(1))),
    (re.compile(r"\(offset beyond ([^)]*)\)"), lambda m, lang: t("q_offset", lang, limit=m.group(1))),
    (re.compile(re.escape(NUMBER_REMOVED)), lambda m, lang: t("q_number_removed", lang)),
    (re.compile(re.escape(PERSONAL_REMOVED)), lambda m, lang: t("q_personal_removed", lang)),
    (re.compile(re.escape(PHONE_REMOVED)), lambda m, lang: t("q_phone_removed", lang)),
    (re.compile(r"^\(empty\)$"), lambda m, lang: t("q_empty", lang)),
]


def _detail(text: str, lang: str) -> str:
    if lang == "en":
        return text
    for pattern, word in _WORDS:
        text = pattern.sub(lambda m, w=word: w(m, lang), text)
    return text


def reason_text(reason: str | None, cat: Catalog, lang: str) -> str:
    """A stored reason in ``lang``: each problem's kind label, then its masked detail."""
    if not reason:
        return "–"
    kinds = sorted(cat.keys("quarantine_kinds"), key=len, reverse=True)  # longest words first
    parts = []
    for part in reason.split(PART_SEPARATOR):
        # ingest's kind words are the kind code with spaces (event_logs.ingest.staging.kind_code)
        code = part.replace(" ", "_")
        kind = next((k for k in kinds if code == k or code.startswith(k + "_")), None)
        if kind is None:
            parts.append(_detail(part, lang))
            continue
        detail = part[len(kind):].strip()
        label = cat.label("quarantine_kinds", kind, lang)
        parts.append(f"{label}: {_detail(detail, lang)}" if detail else label)
    return PART_SEPARATOR.join(parts)


def kind_label(kind: str | None, cat: Catalog, lang: str) -> str:
    """A kind's label in ``lang`` (rows an older Pantau quarantined have none)."""
    return cat.label("quarantine_kinds", kind, lang) if kind else t("q_kind_unknown", lang)


def kinds_table(kinds: pd.DataFrame, cat: Catalog, lang: str) -> pd.DataFrame:
    """Per kind: its label, what it means, rows and distinct reasons."""
    return pd.DataFrame({
        t("q_kind", lang): [kind_label(k, cat, lang) for k in kinds["kind"]],
        t("q_meaning", lang): [cat.description("quarantine_kinds", k, lang) if k else "" for k in kinds["kind"]],
        t("rows_quarantined", lang): [fmt.number(int(n), 0, lang) for n in kinds["n"]],
        t("q_reasons", lang): [fmt.number(int(n), 0, lang) for n in kinds["reasons"]],
    })


def reasons_table(reasons: pd.DataFrame, cat: Catalog, lang: str) -> pd.DataFrame:
    """One page of reasons: the reason in ``lang`` and its rows."""
    return pd.DataFrame({
        t("reason", lang): [reason_text(r, cat, lang) for r in reasons["reason"]],
        t("rows_quarantined", lang): [fmt.number(int(n), 0, lang) for n in reasons["n"]],
    })


def rows_table(rows: pd.DataFrame, cat: Catalog, lang: str) -> pd.DataFrame:
    """One page of quarantined rows: source row, reason in ``lang``, then the row's fields as
    stored (personal data already hashed or removed by ingest), one column each."""
    fields = pd.json_normalize([json.loads(x) if x else {} for x in rows["raw"]])
    fields = fields.astype(object).where(fields.notna(), "")
    head = pd.DataFrame({
        t("source_row", lang): [fmt.number(int(r), 0, lang) if not pd.isna(r) else "–" for r in rows["source_row"]],
        t("reason", lang): [reason_text(r, cat, lang) for r in rows["reason"]],
    })
    # a file's own column may be called like ours: keep both (a table needs distinct names)
    fields.columns = [f"{c} ({t('file', lang)})" if c in head.columns else c for c in fields.columns]
    return pd.concat([head, fields.reset_index(drop=True)], axis=1)


def pages(total: int, size: int) -> int:
    """How many pages of ``size`` hold ``total`` items (at least one)."""
    return max(1, -(-int(total) // int(size)))
