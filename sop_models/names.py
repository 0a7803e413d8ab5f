"""How a step name or an activity label reads for matching: one normalisation for both.

The activity mapping matches a log's labels to step names by this normal form
(:mod:`event_logs.mapping`), so two steps of one model whose names read alike would make a
label ambiguous: :func:`sop_models.checks.check_model` refuses such a model.
"""

from __future__ import annotations

import html
import re
import unicodedata


def norm_label(label: str) -> str:
    """An activity label for matching: HTML stripped, accents folded, lower case, punctuation
    as spaces, runs of space collapsed (``'<b>Verifikasi&nbsp;Dokumen.</b>'`` -> ``'verifikasi dokumen'``).
    """
    text = html.unescape(re.sub(r"<[^>]*>", " ", str(label)))
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[^\w]+|_", " ", text)
    return " ".join(text.split())


def same_names(names: dict[str, str]) -> list[tuple[str, list[str]]]:
    """Steps whose names read alike: ``[(the first step id, [the later ids]), ...]`` from
    ``step id -> name`` (document order kept)."""
    first: dict[str, str] = {}
    later: dict[str, list[str]] = {}
    for sid, name in names.items():
        key = norm_label(name)
        if key in first:
            later.setdefault(first[key], []).append(sid)
        else:
            first[key] = sid
    return list(later.items())
