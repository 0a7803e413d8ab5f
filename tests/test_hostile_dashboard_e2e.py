"""Issue 10.5 and the byte scan, in headless Chromium on a store built from the hostile corpus.

The store holds the corpus's personal-data files and a log whose case ids, activity labels,
unit, resource, agency, a timestamp and the file's own name carry Markdown images and links
and HTML tags pointing at a loopback HTTP server this test runs (``make_corpus.write_markup``),
ingested and analysed by the real pipeline. Every page is opened (with the hostile agency as the
filter too, and the case page of each hostile case), the deviation export is downloaded as CSV
and Excel through the page's buttons, and then:

* the server saw no request, the browser made none to a URL taken from data, and no element
  carries such a URL in ``src``/``href`` (a rendered ``<img>``, a link);
* the markup is on the page as typed (the data is shown, only inert);
* none of the corpus's raw NIKs, names or phone numbers is in any page's HTML, in what the
  server sent the browser over its websocket, or in the downloaded files;
* the downloaded CSV and Excel files start no formula.
"""



from __future__ import annotations

import csv
import http.server
import importlib.util
import io
import os
import sys
import threading
import urllib.parse
from pathlib import Path
from typing import ClassVar

import duckdb
import openpyxl
import pytest
from conftest_ingest import ROOT

sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "hostile"))
import make_corpus as corpus

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="Debian's chromium is not installed"),
]

MARK = corpus.TRAP_MARK
PII_FILES = ["pii_everywhere.csv", "pii_trace.xes", "pii_nested.parquet", "formula_cells.csv"]
DANGER = ("=", "+", "-", "@", "\t", "\r")
# every attribute through which a page could make the browser fetch or link to a URL
_URL_ATTRIBUTES_JS = """(mark) => {
  const out = [];
  const names = /^(src|srcset|href|xlink:href|data|action|formaction|poster|background|style)$/i;
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      for (const a of el.attributes) {
        if (a.value.includes(mark) && names.test(a.name)) out.push([el.tagName, a.name, a.value]);
      }
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  for (const f of document.querySelectorAll('iframe')) { try { walk(f.contentDocument); } catch (e) {} }
  return out;
}"""


class _Trap(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def _answer(self) -> None:
        type(self).seen.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_HEAD = _answer

    def log_message(self, *args: object) -> None:  # quiet
        pass


@pytest.fixture(scope="module")
def trap():
    """A loopback HTTP server recording every request: (base URL, the paths it was asked for)."""
    _Trap.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Trap)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Trap.seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def hostile_store(trap, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus's personal-data and formula files, then the markup log (pointing at the
    trap), ingested and analysed; the markup log's file name holds Markdown too."""
    from analytics import analyze
    from event_logs.ingest import ingest_file

    base, _seen = trap
    folder = tmp_path_factory.mktemp("hostile_e2e")
    mp = pytest.MonkeyPatch()
    mp.setenv("PANTAU_KEY_FILE", str(folder / "secret.key"))
    try:
        db = folder / "store.duckdb"
        for name in PII_FILES:
            ingest_file(db, corpus.HERE / name, sop_id=corpus.SOP)
        # (a file name cannot hold a "/": its Markdown image is relative, its tag unclosed)
        markup = corpus.write_markup(folder / f"laporan_![f]({MARK}-file.png)_<b>berkas.csv", base)
        ingest_file(db, markup, sop_id=corpus.SOP)
        analyze(db)
    finally:
        mp.undo()
    return db


def _driver():
    spec = importlib.util.spec_from_file_location("screenshots", ROOT / "scripts" / "screenshots.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _q(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _from_data(url: str, page_url: str, trap_host: str) -> bool:
    """True for a URL taken from data: on the trap's host, or naming the mark in its path (our
    own links to the case page name a hostile case id in their query, and that is fine)."""
    parts = urllib.parse.urlsplit(urllib.parse.urljoin(page_url, url))
    return parts.netloc == trap_host or MARK in urllib.parse.unquote(parts.path)


def _personal(blob: bytes) -> list[str]:
    return [v for v in corpus.PERSONAL_VALUES if v.encode() in blob]


@pytest.fixture(scope="module")
def visit(hostile_store: Path, trap):
    """Open every page in Chromium on the hostile store; what was seen on the way."""
    from playwright.sync_api import sync_playwright

    drv = _driver()
    markup = corpus.markup(trap[0])
    agency = markup["agency"]
    cases = [r[0] for r in _q(hostile_store, f"SELECT DISTINCT case_id FROM case_checks WHERE case_id LIKE '%{MARK}%'")]
    sop = corpus.SOP
    trap_host = urllib.parse.urlsplit(trap[0]).netloc
    seen = {"requests": [], "frames": [], "html": {}, "attributes": {}, "errors": {}, "texts": {}, "inputs": {},
            "downloads": {}}
    with drv.serve(hostile_store) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=drv.CHROMIUM, args=drv.CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": drv.WIDTH, "height": 900}, locale="id-ID", accept_downloads=True)
        page.on("request", lambda r: seen["requests"].append(r.url))
        page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: seen["frames"].append(
            payload if isinstance(payload, bytes) else payload.encode())))

        def urls() -> list[str]:
            return [f"{tag} {attr}={value[:100]}" for tag, attr, value in page.evaluate(_URL_ATTRIBUTES_JS, MARK)
                    if _from_data(value, page.url, trap_host)]

        def look(name: str, url: str, title: str) -> None:
            page.goto(url)
            drv.wait_idle(page, title)
            seen["html"][name] = page.content()
            seen["attributes"][name] = urls()
            seen["errors"][name] = drv.errors_on(page)
            seen["texts"][name] = page.locator('[data-testid="stMain"]').inner_text()
            seen["inputs"][name] = page.evaluate("() => Array.from(document.querySelectorAll('input')).map(i => i.value)")

        try:
            with_agency = "?agency=" + urllib.parse.quote_plus(agency)
            for slug, (title_id, _en) in drv.PAGES.items():
                path = "" if slug == "ringkasan" else slug
                look(slug, f"{base}/{path}", title_id)
                if slug in ("ringkasan", "pelanggaran", "lane"):  # (deviasi below)
                    look(f"{slug}+agency", f"{base}/{path}{with_agency}", title_id)
            for i, case in enumerate(cases):
                query = urllib.parse.urlencode({"case": case, "sop": sop})
                look(f"kasus#{i}", f"{base}/kasus?{query}", drv.PAGES["kasus"][0])
            # a deviating case picked from the table: its link names the case
            look("deviasi+pick", f"{base}/deviasi{with_agency}", drv.PAGES["deviasi"][0])
            # every case, open ones too (the hostile cases are not all closed)
            page.locator("[data-testid=stButtonGroup] button").filter(has_text="Semua").first.click()
            drv.wait_idle(page)
            # the list of deviating cases (its key: the page has other tables below it)
            grid = page.locator('xpath=//h3[contains(., "Kasus menyimpang")]'
                                '/following::*[@data-testid="stDataFrame"][1]').first
            grid.scroll_into_view_if_needed()
            box = grid.bounding_box()
            page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)
            page.locator('[data-testid="stPageLink"] a').first.wait_for(timeout=20_000)
            drv.wait_idle(page)
            seen["attributes"]["deviasi+pick"] += urls()
            seen["texts"]["deviasi+link"] = page.locator('[data-testid="stPageLink"]').first.inner_text()
            seen["html"]["deviasi+pick"] += page.content()
            look("deviasi+downloads", f"{base}/deviasi", drv.PAGES["deviasi"][0])  # every agency's rows
            page.locator("[data-testid=stButtonGroup] button").filter(has_text="Semua").first.click()
            drv.wait_idle(page)
            for label in ("download_csv", "download_xlsx"):
                from dashboard.i18n import t

                with page.expect_download(timeout=60_000) as info:
                    page.get_by_role("button", name=t(label, "id")).click()
                seen["downloads"][label] = Path(info.value.path()).read_bytes()
            page.wait_for_timeout(500)
        finally:
            browser.close()
    seen["cases"] = cases
    return seen


def test_no_request_and_no_url_from_data_anywhere(visit, trap) -> None:
    _base, asked = trap
    assert asked == []  # the trap server saw nothing
    trap_host = urllib.parse.urlsplit(trap[0]).netloc
    assert [u for u in visit["requests"] if _from_data(u, u, trap_host)] == []
    assert {k: v for k, v in visit["attributes"].items() if v} == {}
    assert {k: v for k, v in visit["errors"].items() if v} == {}


def test_the_markup_is_shown_as_typed(visit, trap) -> None:
    """CONTROL: the hostile values reach the pages (escaped, not dropped)."""
    assert len(visit["cases"]) == 3
    texts = {k: v.replace("\u2060", "") for k, v in visit["texts"].items()}  # the autolink breaker
    m = corpus.markup(trap[0])
    for i in range(3):
        assert any(case in texts[f"kasus#{i}"] for case in (m["case_image"], m["case_html"], m["case_link"])), \
            texts[f"kasus#{i}"][:500]
    assert any("**tebal**" in texts[f"kasus#{i}"] for i in range(3))  # Markdown not rendered
    assert any(m["unit"] in texts[f"kasus#{i}"] for i in range(3))    # the unit in the case header
    assert MARK in texts["deviasi+link"]                              # the case link's label
    assert any(f"{MARK}-file.png" in v for v in visit["inputs"]["data"])  # the file name in the picker


def test_no_raw_personal_value_in_pages_frames_or_downloads(visit) -> None:
    html = "".join(visit["html"].values()).encode()
    frames = b"".join(visit["frames"])
    # CONTROL: the scan sees stored text where it is (pages, frames and files carry the data)
    assert b"Petugas A" in html + frames and len(frames) > 100_000
    assert b"Kelurahan Baloi" in visit["downloads"]["download_csv"]
    assert _personal(html) == []
    assert _personal(frames) == []
    assert _personal(b"".join(visit["downloads"].values())) == []


def test_the_downloaded_files_start_no_formula(visit) -> None:
    rows = list(csv.reader(io.StringIO(visit["downloads"]["download_csv"].decode("utf-8-sig"), newline="")))
    assert any(c.startswith("'=HYPERLINK(") for r in rows for c in r)  # CONTROL: the formula is there, inert
    header = rows[0]
    numeric = {header.index(c) for c in ("run_id", "position", "event_id") if c in header}
    assert [c for r in rows[1:] for i, c in enumerate(r) if c.startswith(DANGER) and i not in numeric] == []
    book = openpyxl.load_workbook(io.BytesIO(visit["downloads"]["download_xlsx"]))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    assert [c.value for c in cells if c.data_type == "s" and c.value.startswith(DANGER)] == []
    assert any(c.data_type == "s" and c.value.startswith("'=HYPERLINK(") for c in cells)
