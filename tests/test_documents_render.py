"""The one HTML-to-PDF path: same HTML, same bytes; the text is in the PDF; nothing is fetched."""

from __future__ import annotations

import http.server
import subprocess
import threading
from datetime import UTC, datetime

from dashboard.documents.render import escape, page, to_pdf

CREATED = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "x.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def test_same_html_gives_the_same_pdf_and_its_text_reads_back(tmp_path) -> None:
    body = "<h1>Laporan bulanan</h1><table><tr><th>Kasus</th><td>BTM-2024-000123</td></tr>" \
           "<tr><th>Waktu</th><td>≤ 5 hari kerja ✓</td></tr></table>"
    doc = page("Laporan", body, lang="id", created=CREATED)
    first, second = to_pdf(doc), to_pdf(doc)
    assert first == second and first.startswith(b"%PDF")
    text = _text(first, tmp_path)
    assert "BTM-2024-000123" in text and "≤ 5 hari kerja" in text and "1/1" in text.replace(" ", "")
    assert to_pdf(page("Laporan", body, lang="id", created=datetime(2026, 12, 2, tzinfo=UTC))) != first


def test_data_is_escaped_and_no_url_is_fetched(tmp_path) -> None:
    hits: list[str] = []

    class Count(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Count)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        hostile = f'<img src="{url}/data.png"> **b** & "q"'
        doc = page(hostile, f"<p>{escape(hostile)}</p><img src='{url}/left-in.png'>", lang="id", created=CREATED)
        assert '<img src="' not in doc  # the data's tag is text; only the caller's own tag is a tag
        text = _text(to_pdf(doc), tmp_path)
    finally:
        server.shutdown()
    assert f'<img src="{url}/data.png">' in text
    assert hits == []  # not even the tag the caller left in was fetched
