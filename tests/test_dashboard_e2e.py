"""End-to-end: the real ``streamlit run dashboard/app.py`` in headless Debian Chromium.

Opens every page of a store built by the real pipeline (simulate + analyze), fails on any
exception or error element, switches the language, follows a link from a breach row to the
case page, checks that filters live in the URL, and saves a full-page screenshot of each page
(1440 and 1920 px wide) to a temporary folder, or to ``$PANTAU_SCREENSHOTS`` when set: ``make
screenshots`` refreshes ``docs/screenshots/`` that way, so a test run never edits the tree.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from urllib.parse import urlencode

import duckdb
import pytest
from dashboard_fixture import session_db

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="Debian's chromium is not installed"),
]


def _driver():
    spec = importlib.util.spec_from_file_location("screenshots", ROOT / "scripts" / "screenshots.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def browser_page(tmp_path_factory: pytest.TempPathFactory):
    """(driver module, base URL, Playwright page, db path) on a simulated + analysed store."""
    from playwright.sync_api import sync_playwright

    drv = _driver()
    db = session_db(tmp_path_factory.getbasetemp(), "simulated")
    with drv.serve(db) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=drv.CHROMIUM, args=drv.CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": drv.WIDTH, "height": 900}, locale="id-ID")
        try:
            yield drv, base, page, db
        finally:
            browser.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    out = Path(os.environ.get("PANTAU_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def test_every_page_renders_without_errors_and_is_photographed(browser_page, shots: Path) -> None:
    drv, base, page, db = browser_page
    case_id, sop_id, agency = drv.worst_case(db)
    extra = {"kasus": "?" + urlencode({"case": case_id, "sop": sop_id, "agency": agency})}
    problems = {}
    for slug, (title_id, _en) in drv.PAGES.items():
        page.goto(f"{base}/{'' if slug == 'ringkasan' else slug}{extra.get(slug, '')}")
        drv.wait_idle(page, title_id)
        problems[slug] = drv.errors_on(page)
        for width in drv.WIDTHS:
            drv.shoot(page, shots / drv.shot_name(slug, width), width)
    assert {k: v for k, v in problems.items() if v} == {}
    assert all((shots / drv.shot_name(slug, w)).stat().st_size > 20_000 for slug in drv.PAGES for w in drv.WIDTHS)


def test_the_overviews_own_slug_opens_it(browser_page) -> None:
    # /ringkasan (typed, or shared from the menu's name) was an English "Page not found"
    drv, base, page, _db = browser_page
    page.goto(f"{base}/ringkasan")
    drv.wait_idle(page, "Ringkasan")
    assert page.get_by_text("Page not found").count() == 0
    assert page.locator('[data-testid="stMetricValue"]').count() >= 4
    assert drv.errors_on(page) == []


_AFTER = """e => [...e.querySelectorAll('*')].map(x => getComputedStyle(x, '::after').content)
                 .filter(c => c && c !== 'none' && c !== 'normal').map(c => JSON.parse(c))"""
_ENGLISH = ("Upload", "per file", "Drag and drop", "Browse files", "Choose options", "Choose an option",
            "Select…", "Page not found")


def _shown_text(locator) -> str:
    """The text a reader sees: what is laid out at a visible size."""
    return locator.evaluate("""e => [...e.querySelectorAll('*')].filter(x => x.checkVisibility()
        && parseFloat(getComputedStyle(x).fontSize) > 0).flatMap(x => [...x.childNodes])
        .filter(n => n.nodeType === 3).map(n => n.textContent).join(' ')""")


def test_the_upload_widget_speaks_indonesian(browser_page) -> None:
    # Streamlit writes "Upload", "200MB per file" and "Drag and drop a file here" itself, in
    # English; the Data page replaces them (dashboard/upload.uploader_css)
    from dashboard.i18n import t

    drv, base, page, _db = browser_page
    page.goto(f"{base}/data")
    drv.wait_idle(page, "Data")
    zone = page.locator('[data-testid="stFileUploaderDropzone"]').first
    written = zone.evaluate(_AFTER)
    assert t("uploader_button", "id") in written
    assert any(w.startswith("Maks. 200 MB per berkas • CSV") for w in written), written
    shown = _shown_text(zone)
    assert not [w for w in _ENGLISH if w in shown], shown
    # while a file is dragged over the widget
    files = page.evaluate_handle("() => { const d = new DataTransfer(); "
                                 "d.items.add(new File(['x'], 'log.csv', {type: 'text/csv'})); return d; }")
    zone.dispatch_event("dragenter", {"dataTransfer": files})
    page.get_by_text("Drag and drop", exact=False).first.wait_for(state="attached")
    assert t("uploader_drop", "id") in zone.evaluate(_AFTER)
    shown = _shown_text(zone)
    assert "Drag and drop" not in shown, shown
    zone.dispatch_event("dragleave", {"dataTransfer": files})
    # and the other built-ins: empty pickers, the SOP picker, the page slugs
    for slug in ("data", "lane", "deviasi", "ringkasan"):
        page.goto(f"{base}/{slug}")
        drv.wait_idle(page)
        shown = _shown_text(page.locator("body"))
        assert not [w for w in _ENGLISH if w in shown], (slug, shown[:300])
    page.goto(f"{base}/data?lang=EN")
    drv.wait_idle(page, "Data")
    assert t("uploader_button", "en") in page.locator('[data-testid="stFileUploaderDropzone"]').first.evaluate(_AFTER)


def test_language_switch_translates_labels_and_stays_in_the_url(browser_page) -> None:
    drv, base, page, _db = browser_page
    page.goto(f"{base}/pelanggaran")
    drv.wait_idle(page, "Pelanggaran Mutu Baku")
    page.locator('[data-testid="stSidebar"]').get_by_role("radio", name="EN", exact=True).click()
    drv.wait_idle(page, "Mutu Baku breaches")
    assert page.get_by_text("Breaches by step", exact=True).count() == 1
    assert page.locator('[data-testid="stSidebarNav"]').get_by_text("Overview").count() == 1
    assert "lang=EN" in page.url
    assert drv.errors_on(page) == []
    # another page keeps the language
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Deviations").click()
    drv.wait_idle(page, "Deviations")
    assert page.get_by_text("Deviation kinds", exact=True).count() >= 1


def test_filters_in_the_url_reproduce_the_view(browser_page) -> None:
    drv, base, page, db = browser_page
    con = duckdb.connect(str(db), read_only=True)
    agency, n = con.execute("SELECT agency, count(*) FROM case_checks GROUP BY agency ORDER BY 2 DESC LIMIT 1").fetchone()
    con.close()
    page.goto(f"{base}/?agency={agency.replace(' ', '+')}")
    drv.wait_idle(page, "Ringkasan")
    assert page.get_by_role("combobox", name="Instansi").input_value() == agency
    metric = page.locator('[data-testid="stMetricValue"]').first.inner_text()
    assert metric == f"{n:,}".replace(",", ".")
    # switching page keeps the filter in the URL
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Deviasi").click()
    drv.wait_idle(page, "Deviasi")
    assert "agency=" in page.url
    assert drv.errors_on(page) == []


def test_a_worst_case_row_leads_to_the_case_page(browser_page) -> None:
    drv, base, page, _db = browser_page
    page.goto(f"{base}/pelanggaran")
    drv.wait_idle(page, "Pelanggaran Mutu Baku")
    grid = page.locator('[data-testid="stDataFrame"]').last
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    # the first data row's selection checkbox (row marker column, below the 35 px header)
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)
    link = page.locator('[data-testid="stPageLink"] a').first
    link.wait_for(timeout=20_000)
    case_id = link.inner_text().split()[-1]
    link.click()
    drv.wait_idle(page, "Kasus")
    assert f"case={case_id}" in page.url
    page.get_by_text(case_id).first.wait_for(timeout=20_000)
    assert page.get_by_text("Linimasa", exact=True).count() == 1
    assert drv.errors_on(page) == []
