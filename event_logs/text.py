"""Text normalisation shared by column recognition and activity matching."""

from __future__ import annotations

import html
import re
import unicodedata


def norm_name(name: str) -> str:
    """Lower case, letters and digits only (``'No. Registrasi'`` -> ``'noregistrasi'``)."""
    return re.sub(r"[^0-9a-z]", "", str(name).lower())


def norm_label(label: str) -> str:
    """An activity label for matching: HTML stripped, accents folded, lower case, punctuation
    as spaces, runs of space collapsed (``'<b>Verifikasi&nbsp;Dokumen.</b>'`` -> ``'verifikasi dokumen'``).
    """
    text = html.unescape(re.sub(r"<[^>]*>", " ", str(label)))
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[^\w]+|_", " ", text)
    return " ".join(text.split())
