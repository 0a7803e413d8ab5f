"""Local accounts end to end: ``pantau dashboard --auth local`` in headless Chromium.

A head of the Batam health office logs in through the real login page and sees only Batam on
every page; a link naming Banjarbaru, a Banjarbaru case id and a Banjarbaru unit are refused
("Tidak diizinkan") and recorded; the deviation export holds only Batam rows and is recorded
with its row count and SHA-256; an audit row edited by hand makes ``pantau audit verify`` exit 1
naming it. Also: the lockout on the login page, the upload kept to administrators and their
agencies, and the audit page for administrators only.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from access_browser import OTHER_PLACES, dashboard, driver, go, log_in, main_text, pantau
from dashboard_fixture import write_upload_csv

from pantau import audit

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="Debian's chromium is not installed"),
]
BATAM = "Dinas Kesehatan Kota Batam"
BANJARBARU = "Dinas Sosial Kota Banjarbaru"
PASSWORDS = {"budi": "rahasia-batam-1", "adminbtm": "rahasia-admin-1", "siti": "rahasia-siti-1"}


@pytest.fixture(scope="module")
def site(analysed_db, tmp_path_factory):
    """(driver, base URL, Chromium page, store copy, facts from SQL) with three users."""
    from playwright.sync_api import sync_playwright

    db = tmp_path_factory.mktemp("access") / "store.duckdb"
    shutil.copyfile(analysed_db, db)
    users = [("budi", "kepala_dinas", BATAM), ("adminbtm", "admin", BATAM), ("siti", "analis", BATAM)]
    for name, role, agency in users:
        done = pantau("user", "add", name, "--role", role, "--agency", agency, "--password-stdin", "--db", str(db),
                      stdin=PASSWORDS[name] + "\n")
        assert done.returncode == 0, done.stderr
    con = duckdb.connect(str(db), read_only=True)
    facts = {
        "batam_cases": con.execute("SELECT count(*) FROM case_checks WHERE agency = ?", [BATAM]).fetchone()[0],
        "banjar_case": con.execute("SELECT case_id FROM case_checks WHERE agency = ? ORDER BY case_id LIMIT 1",
                                   [BANJARBARU]).fetchone()[0],
        "banjar_unit": con.execute("SELECT unit FROM case_checks WHERE agency = ? LIMIT 1", [BANJARBARU]).fetchone()[0],
        # the Deviasi page exports the deviations of its case scope, closed cases by default
        "batam_deviations": con.execute(
            "SELECT count(*) FROM deviations d JOIN case_results c ON c.sop_id = d.sop_id AND c.agency = d.agency "
            "AND c.case_id = d.case_id WHERE d.agency = ? AND c.is_closed", [BATAM]).fetchone()[0],
    }
    con.close()
    drv = driver()
    with dashboard(db, "local", drv.free_port()) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=drv.CHROMIUM, args=drv.CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": drv.WIDTH, "height": 900}, locale="id-ID", accept_downloads=True)
        try:
            yield drv, base, page, db, facts
        finally:
            browser.close()


def _entries(db: Path, user: str) -> list[audit.Entry]:
    return [e for e in audit.AuditLog(db.with_name("store.audit.jsonl")).entries() if e.user == user]


def _no_other_agency(text: str, where: str) -> None:
    assert not [p for p in OTHER_PLACES if p in text], f"{where} shows another agency"


def _dots(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def test_a_batam_head_sees_only_batam_on_every_page(site) -> None:
    drv, base, page, db, facts = site
    log_in(drv, page, f"{base}/", "budi", PASSWORDS["budi"])
    assert page.locator('[data-testid="stMetricValue"]').first.inner_text() == _dots(facts["batam_cases"])
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "Log audit" not in nav  # administrators only
    for slug, (title, _en) in drv.PAGES.items():
        if slug == "audit":
            continue
        if slug != "ringkasan":
            go(drv, page, title)
        text = main_text(page)
        _no_other_agency(text, slug)
        assert drv.errors_on(page) == [], slug
        if slug in ("ringkasan", "pelanggaran", "deviasi"):
            assert "Batam" in text, slug
    assert page.locator('[data-testid="stFileUploader"]').count() == 0  # the Data page: no upload for a head
    # the agency filter offers Batam only
    page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name="Instansi").click()
    options = page.get_by_role("option").all_inner_texts()
    assert options == [BATAM]
    page.keyboard.press("Escape")
    pages = {e.details["page"] for e in _entries(db, "budi") if e.event == audit.PAGE_VIEW}
    assert pages >= {"ringkasan", "pelanggaran", "lane", "deviasi", "kasus", "model", "data"}


def test_links_naming_another_agency_case_or_unit_are_refused(site) -> None:
    drv, base, page, db, facts = site
    log_in(drv, page, f"{base}/?agency={BANJARBARU.replace(' ', '+')}", "budi", PASSWORDS["budi"])
    assert page.get_by_text("Tidak diizinkan", exact=False).count() == 1
    assert page.locator('[data-testid="stMetricValue"]').first.inner_text() == _dots(facts["batam_cases"])
    _no_other_agency(main_text(page), "?agency=Banjarbaru")
    assert "agency=" not in page.url

    log_in(drv, page, f"{base}/kasus?case={facts['banjar_case']}", "budi", PASSWORDS["budi"], title="Kasus")
    page.get_by_text("Tidak diizinkan", exact=False).first.wait_for(timeout=20_000)
    assert page.get_by_text("Linimasa", exact=True).count() == 0
    _no_other_agency(main_text(page), "a Banjarbaru case")

    log_in(drv, page, f"{base}/lane?unit={facts['banjar_unit'].replace(' ', '+')}", "budi", PASSWORDS["budi"],
           title="Lane & hambatan")
    assert page.get_by_text("Tidak diizinkan", exact=False).count() == 1
    denied = [(e.details["what"], e.details["value"]) for e in _entries(db, "budi") if e.event == audit.DENIED]
    assert ("agency", BANJARBARU) in denied and ("case", facts["banjar_case"]) in denied
    assert ("unit", facts["banjar_unit"]) in denied


def test_the_export_holds_only_batam_and_is_recorded_then_verify_catches_an_edit(site) -> None:
    drv, base, page, db, facts = site
    log_in(drv, page, f"{base}/deviasi", "budi", PASSWORDS["budi"], title="Deviasi")
    button = page.get_by_role("button", name="Unduh CSV")
    button.scroll_into_view_if_needed()
    with page.expect_download(timeout=60_000) as info:
        button.click()
    body = Path(info.value.path()).read_bytes()
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows and {r["agency"] for r in rows} == {BATAM}
    assert len(rows) == facts["batam_deviations"]
    exports = [e for e in _entries(db, "budi") if e.event == audit.EXPORT]
    assert exports[-1].details["sha256"] == hashlib.sha256(body).hexdigest()
    assert exports[-1].details["rows"] == len(rows) and exports[-1].role == "kepala_dinas"

    log = db.with_name("store.audit.jsonl")
    assert pantau("audit", "verify", "--db", str(db)).returncode == 0
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    target = next(i for i, line in enumerate(lines) if '"event":"export"' in line)
    lines[target] = lines[target].replace(f'"rows":{len(rows)}', '"rows":1')
    log.write_text("".join(lines), encoding="utf-8")
    check = pantau("audit", "verify", "--db", str(db))
    assert check.returncode == 1
    seq = target + 1
    assert f"entry {seq} (line {seq}): changed after it was written" in check.stderr


def test_five_wrong_passwords_lock_the_account_on_the_login_page(site) -> None:
    drv, base, page, db, _facts = site
    for _ in range(4):
        log_in(drv, page, f"{base}/", "siti", "salah-sekali", title=None)
        page.get_by_text("Nama pengguna atau kata sandi salah.").wait_for(timeout=20_000)
    log_in(drv, page, f"{base}/", "siti", "salah-sekali", title=None)
    page.get_by_text("dikunci 15 menit", exact=False).wait_for(timeout=20_000)
    log_in(drv, page, f"{base}/", "siti", PASSWORDS["siti"], title=None)  # the right one, still locked
    page.get_by_text("dikunci 15 menit", exact=False).wait_for(timeout=20_000)
    assert page.get_by_role("heading", name="Ringkasan").count() == 0
    kinds = [e.event for e in _entries(db, "siti")]
    assert kinds.count(audit.LOCKOUT) == 1 and audit.LOGIN not in kinds


def test_upload_is_for_administrators_within_their_agencies_and_they_see_the_audit_log(site, tmp_path) -> None:
    drv, base, page, db, _facts = site
    log_in(drv, page, f"{base}/data", "adminbtm", PASSWORDS["adminbtm"], title="Data")
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        str(write_upload_csv(tmp_path / "log.csv")))
    agency = page.get_by_role("textbox", name="Instansi")
    agency.wait_for(timeout=30_000)
    agency.fill(BANJARBARU)
    agency.press("Enter")
    page.get_by_text("Tidak diizinkan", exact=False).first.wait_for(timeout=20_000)
    assert page.get_by_role("button", name="Impor dan analisis").is_disabled()
    go(drv, page, "Log audit")
    assert page.get_by_text("Rantai hash utuh", exact=False).count() == 1 or \
        page.get_by_text("Log audit telah diubah", exact=False).count() == 1  # the previous test edited it
    assert any(e.event == audit.DENIED and e.details["value"] == BANJARBARU for e in _entries(db, "adminbtm"))
