"""HTML to PDF, one way for every document: the HTML is the document (it opens offline in a
browser), the PDF is that HTML printed on A4 by WeasyPrint.

Why WeasyPrint: it prints HTML and CSS (``@page``, page numbers, tables split across pages)
with no browser, so the HTML and the PDF of a document cannot drift apart; its output is
byte-identical for the same input (checked in ``tests/test_documents_render.py``). It needs
Debian's Pango libraries, installed by ``scripts/install-pdf.sh`` (``make test`` runs it).
"""

from __future__ import annotations

import html as _html
from datetime import datetime

# The page: A4 portrait, DejaVu Sans (installed with the PDF libraries; holds "≤", "✓", "–"),
# page "n / N" at the foot. Documents add their own rules after these.
PAGE_CSS = """
@page { size: A4; margin: 16mm 14mm 18mm 14mm;
        @bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt; color: #555; } }
html { font-family: "DejaVu Sans", sans-serif; font-size: 9.5pt; color: #111; }
h1 { font-size: 15pt; margin: 0 0 4pt 0; } h2 { font-size: 11.5pt; margin: 12pt 0 4pt 0; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0; }
th, td { border: 0.5pt solid #999; padding: 2pt 4pt; text-align: left; vertical-align: top; }
th { background: #eee; } td.num, th.num { text-align: right; }
thead { display: table-header-group; } tr { break-inside: avoid; }
.muted { color: #555; } .small { font-size: 8pt; }
"""


def escape(value: object) -> str:
    """A data string made inert in HTML (``<``, ``&``, quotes): every value a document shows
    passes here."""
    return _html.escape("" if value is None else str(value), quote=True)


def page(title: str, body: str, *, lang: str, created: datetime, css: str = "") -> str:
    """A whole HTML document: ``title`` (escaped here), ``body`` (HTML the caller built with
    :func:`escape`), the creation time as ``dcterms.created`` (the only part that differs
    between two renderings of the same run) and no reference to anything outside the file."""
    return (f'<!DOCTYPE html>\n<html lang="{escape(lang)}"><head><meta charset="utf-8">'
            f'<meta name="dcterms.created" content="{escape(created.isoformat(timespec="seconds"))}">'
            f"<title>{escape(title)}</title><style>{PAGE_CSS}{css}</style></head>"
            f"<body>{body}</body></html>\n")


def to_pdf(document: str) -> bytes:
    """The PDF of an HTML document made by :func:`page` (A4). The same HTML gives the same
    bytes; nothing is fetched (a document holds no links to load)."""
    from weasyprint import HTML  # imported here: Pango loads only when a PDF is asked for
    from weasyprint.urls import URLFetcher

    class _NoFetch(URLFetcher):
        # A document is self-contained: a URL in it (data that escaped escaping) is not fetched.
        # WeasyPrint skips a resource whose fetch fails (the image is left out).
        def fetch(self, url: str, headers: object = None) -> object:
            raise ValueError(f"documents load nothing from outside: {url[:60]}")

    return HTML(string=document, url_fetcher=_NoFetch()).write_pdf()
