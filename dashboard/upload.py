"""The Data page's upload form: the preview as a table, a proposed column mapping, what ingest
will do with personal columns, and the result of an upload in the user's language.

Pure helpers (dicts in, DataFrames and texts out). The file itself is read in a process of its
own (:mod:`dashboard.preview_job`) and imported in another (:mod:`dashboard.jobs`). Columns are
recognised with the same names as ``pantau ingest`` (:data:`event_logs.fields.ALIASES`), so the
form proposes what the CLI would do.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

import pandas as pd

from dashboard import fmt
from dashboard.i18n import t
from event_logs.fields import ALIASES, FIELDS, REQUIRED
from event_logs.text import norm_name

UPLOAD_TYPES = ("csv", "txt", "xlsx", "xls", "parquet", "xes", "gz")
ROLE_ID, ROLE_PERSONAL = "id", "personal"  # as dashboard.preview_job names them


# Streamlit's upload widget writes "Upload", "200MB per file • CSV, ..." and, while a file is
# dragged over it, "Drag and drop a file here" in English, with no option to change them
# (streamlit 1.67, frontend FileUploader.*.js). The CSS hides those texts and writes ours in
# their place; the selectors are the widget's test ids and its element structure there.
_UPLOADER = '[data-testid="stFileUploaderDropzone"]'
_UPLOADER_CSS = (
    _UPLOADER + ' button [data-testid="stMarkdownContainer"] p {{display: none}}\n'
    + _UPLOADER + ' button [data-testid="stMarkdownContainer"]::after {{content: {button}}}\n'
    + _UPLOADER + ' [data-testid="stFileUploaderDropzoneInstructions"] span {{display: none}}\n'
    + _UPLOADER + ' [data-testid="stFileUploaderDropzoneInstructions"] > div::after {{content: {limit}}}\n'
    + _UPLOADER + ' > div:not([data-testid]) > span {{font-size: 0}}\n'
    + _UPLOADER + ' > div:not([data-testid]) > span::after {{content: {drop}; font-size: 0.875rem}}\n'
)


def _css_string(text: str) -> str:
    return '"' + "".join(ch if ch.isalnum() or ch in " .,•()-" else f"\\{ord(ch):x} " for ch in text) + '"'


def uploader_css(lang: str, max_mb: int) -> str:
    """A ``<style>`` block that writes the upload widget's button, size limit and drop texts in
    ``lang`` (``max_mb``: Streamlit's ``server.maxUploadSize``)."""
    types = ", ".join(ext.upper() for ext in UPLOAD_TYPES)
    css = _UPLOADER_CSS.format(button=_css_string(t("uploader_button", lang)),
                               limit=_css_string(t("uploader_limit", lang, mb=fmt.number(max_mb, 0, lang),
                                                   types=types)),
                               drop=_css_string(t("uploader_drop", lang)))
    return f"<style>\n{css}</style>"


def safe_file_name(name: str) -> str:
    """The uploaded file's own name, without any folder part (a browser may send one), to
    write it under in a temporary folder."""
    base = PurePath(str(name).replace("\\", "/")).name
    return base if base not in ("", ".", "..") else "upload"


def preview_frame(preview: dict[str, Any], lang: str) -> pd.DataFrame:
    """The preview's rows as a table of text; a hashed column reads "(di-hash)", a personal
    column "(data pribadi)": their values are never shown."""
    hidden = {ROLE_ID: t("preview_hashed", lang), ROLE_PERSONAL: t("preview_personal", lang)}
    roles = preview["roles"]
    rows = [[hidden.get(role, value if value is not None else "") for value, role in zip(row, roles, strict=True)]
            for row in preview["rows"]]
    return pd.DataFrame(rows, columns=pd.Index(preview["columns"], dtype=object), dtype=object)


def columns_by_role(preview: dict[str, Any], role: str) -> list[str]:
    """The columns ingest hashes (``id``) or drops as personal data (``personal``)."""
    return [c for c, r in zip(preview["columns"], preview["roles"], strict=True) if r == role]


def guess_mapping(columns: list[str]) -> dict[str, str | None]:
    """``field -> column`` as ``pantau ingest`` would recognise it (None when not found)."""
    normalised = {norm_name(c): c for c in reversed(columns)}
    used: set[str] = set()
    guess: dict[str, str | None] = {}
    for field in FIELDS:
        guess[field] = None
        for alias in ALIASES[field]:
            column = normalised.get(norm_name(alias))
            if column is not None and column not in used:
                guess[field] = column
                used.add(column)
                break
    return guess


def mapping_problems(choice: dict[str, str | None]) -> list[str]:
    """Field names that are required but unmapped, and columns chosen twice (as message keys)."""
    problems = [f"missing:{f}" for f in REQUIRED if not choice.get(f)]
    chosen = [c for c in choice.values() if c]
    problems += [f"twice:{c}" for c in sorted({c for c in chosen if chosen.count(c) > 1})]
    return problems


def ingest_mapping(choice: dict[str, str | None]) -> dict[str, str]:
    """The ``COLUMN -> FIELD`` mapping :func:`event_logs.ingest.ingest_file` takes."""
    return {column: field for field, column in choice.items() if column}


def result_lines(outcome: dict[str, Any], lang: str) -> list[str]:
    """What an upload did, in the user's language with its number format: the import's counts,
    what the reader noticed, and the analysis run (:func:`dashboard.jobs.run_upload`'s outcome)."""
    def n(key: str) -> str:
        return fmt.number(int(outcome.get(key) or 0), 0, lang)

    counts = {k: n(k) for k in ("rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate", "import_id")}
    if outcome.get("already_imported"):
        return [t("upload_already", lang, **counts)]
    lines = [t("upload_imported", lang, **counts)]
    for key in ("skipped_rows", "recoded_lines", "control_rows"):
        if outcome.get(key):
            lines.append(t(f"upload_{key}", lang, n=n(key)))
    quotes = outcome.get("unbalanced_quote_rows") or []
    if quotes:
        shown = ", ".join(fmt.number(int(r), 0, lang) for r in quotes[:10]) + (" …" if len(quotes) > 10 else "")
        lines.append(t("upload_unbalanced_quotes", lang, rows=shown))
    if outcome.get("run_id"):
        lines.append(t("upload_analysed", lang, run=n("run_id"), cases=n("cases"), events=n("events"),
                       sops=n("sops"), seconds=fmt.number(float(outcome.get("seconds") or 0), 1, lang)))
        if outcome.get("fallbacks"):
            lines.append(t("upload_fallbacks", lang, n=n("fallbacks")))
    return lines
