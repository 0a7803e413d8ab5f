"""Accepting a deviation in the dashboard, end to end: ``pantau dashboard --auth local`` in
headless Chromium. An auditor (inspektorat) logs in through the real login page, opens a case
on the Kasus page, sees the as-of, accepts the case's finding with a reason: the finding stays
listed, marked, the case's deviation count and the Deviasi page's rates change by exactly it,
the audit log records it; then downloads the case's evidence pack and its manifest verifies. A
head of an agency sees no way to accept.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from access_browser import dashboard, driver, go, log_in, main_text, pantau

from dashboard import fmt
from dashboard.documents import manifest as seal
from event_logs.store import open_store
from pantau import audit

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="Debian's chromium is not installed"),
]
BATAM = "Dinas Kesehatan Kota Batam"
PASSWORDS = {"inspektur": "rahasia-inspektur-1", "budi": "rahasia-batam-1"}


@pytest.fixture(scope="module")
def site(analysed_db, tmp_path_factory):
    """(driver, base URL, Chromium page, store copy, the case to accept) with an auditor and a head."""
    from playwright.sync_api import sync_playwright

    db = tmp_path_factory.mktemp("accept") / "store.duckdb"
    shutil.copyfile(analysed_db, db)
    for name, role, where in (("inspektur", "inspektorat", ["--all-agencies"]),
                              ("budi", "kepala_dinas", ["--agency", BATAM])):
        done = pantau("user", "add", name, "--role", role, *where, "--password-stdin", "--db", str(db),
                      stdin=PASSWORDS[name] + "\n")
        assert done.returncode == 0, done.stderr
    con = duckdb.connect(str(db), read_only=True)
    try:
        # a closed Batam case whose deviations are all of one alignment kind at one step
        case = con.execute("""
            SELECT d.sop_id, d.case_id, count(*) AS n FROM deviations d
            JOIN ref_deviation_kinds k USING (kind) JOIN case_checks c USING (sop_id, agency, case_id)
            WHERE d.agency = ? AND NOT coalesce(c.is_open, false)
            GROUP BY ALL HAVING count(DISTINCT (d.kind, d.step_id)) = 1 AND bool_and(k.detected_by = 'alignment')
            ORDER BY ALL LIMIT 1""", [BATAM]).fetchall()[0]
    finally:
        con.close()
    drv = driver()
    with dashboard(db, "local", drv.free_port()) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=drv.CHROMIUM, args=drv.CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": drv.WIDTH, "height": 900}, locale="id-ID", accept_downloads=True)
        try:
            yield drv, base, page, db, case
        finally:
            browser.close()


def _metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]').get_by_text(label, exact=True))
    return box.first.locator('[data-testid="stMetricValue"]').inner_text()


def _rates(db: Path) -> tuple[str, str]:
    """The Deviasi page's share conformant and deviation count, from the store's macros."""
    con = open_store(db)
    try:
        share, deviations = con.execute("SELECT conformant_share(conformant, is_closed), "
                                        "sum(deviation_count) FILTER (WHERE is_closed) FROM case_results").fetchall()[0]
    finally:
        con.close()
    return fmt.percent(share, 1, "id"), fmt.number(int(deviations), 0, "id")


# a new page load is a new session: log_in() each time (as tests/test_access_e2e.py does)
def test_a_head_of_agency_sees_no_way_to_accept(site) -> None:
    drv, base, page, _db, (sop, case, _n) = site
    log_in(drv, page, f"{base}/kasus?case={case}&sop={sop}", "budi", PASSWORDS["budi"], title="Kasus")
    page.get_by_text("Linimasa", exact=True).first.wait_for(timeout=30_000)
    text = main_text(page)
    assert "Terima deviasi kasus ini" not in text and "Unduh paket bukti" not in text
    go(drv, page, "Deviasi")
    assert "Terima satu jenis deviasi" not in main_text(page)


def test_an_auditor_accepts_from_the_kasus_page_and_downloads_a_pack_that_verifies(site, tmp_path: Path) -> None:
    drv, base, page, db, (sop, case, n) = site
    share_before, deviations_before = _rates(db)
    log_in(drv, page, f"{base}/deviasi", "inspektur", PASSWORDS["inspektur"], title="Deviasi")
    assert (_metric(page, "Sesuai alur SOP"), _metric(page, "Deviasi")) == (share_before, deviations_before)

    log_in(drv, page, f"{base}/kasus?case={case}&sop={sop}", "inspektur", PASSWORDS["inspektur"], title="Kasus")
    text = main_text(page)
    assert "Dinilai per" in text and "run analisis" in text  # the as-of of the judgement
    assert _metric(page, "Deviasi") == fmt.number(n, 0, "id")
    page.get_by_text("Terima deviasi kasus ini (auditor)").click()
    page.get_by_label("Alasan (wajib; tercatat)").fill("Berkas susulan diterima; prosedur darurat")
    page.get_by_role("button", name="Terima deviasi", exact=True).click()
    page.get_by_text("Penerimaan #1 tercatat", exact=False).wait_for(timeout=30_000)
    drv.wait_idle(page, "Kasus")
    assert drv.errors_on(page) == []
    assert _metric(page, "Deviasi") == "0"
    text = main_text(page)
    assert f"{n} lagi diterima auditor (terlihat, tidak dihitung)" in text
    assert "Deviasi yang diterima" in text  # the acceptances table (its cells are drawn on a canvas)

    entries = [e for e in audit.AuditLog(db.with_name("store.audit.jsonl")).entries() if e.user == "inspektur"]
    accepted = [e for e in entries if e.event == audit.ACCEPTANCE]
    assert len(accepted) == 1 and accepted[0].role == "inspektorat"
    assert (accepted[0].details["case"], accepted[0].details["acceptance_id"]) == (case, 1)
    assert pantau("audit", "verify", "--db", str(db)).returncode == 0
    assert "Inspektur".lower() in pantau("accept", "list", "--db", str(db)).stdout.lower()

    # the rates on the Deviasi page leave it out, by exactly its findings
    share_after, deviations_after = _rates(db)
    assert int(deviations_after.replace(".", "")) == int(deviations_before.replace(".", "")) - n
    assert share_after != share_before
    # (a fresh session: the Kasus link's SOP would stay in the sidebar's filter)
    log_in(drv, page, f"{base}/deviasi", "inspektur", PASSWORDS["inspektur"], title="Deviasi")
    assert (_metric(page, "Sesuai alur SOP"), _metric(page, "Deviasi")) == (share_after, deviations_after)
    # marked in the export: the case's rows accepted, with the acceptance, who and why
    button = page.get_by_role("button", name="Unduh CSV")
    button.scroll_into_view_if_needed()
    with page.expect_download(timeout=60_000) as info:
        button.click()
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text("utf-8-sig"))))
    mine = [r for r in rows if r["case_id"] == case and r["sop_id"] == sop]
    assert len(mine) == n and {(r["accepted"], r["acceptance_id"], r["accepted_by"]) for r in mine} == \
        {("True", "1", "inspektur")}
    assert {r["accepted_reason"] for r in mine} == {"Berkas susulan diterima; prosedur darurat"}
    assert sum(r["accepted"] == "True" for r in rows) == n

    # the evidence pack: downloaded, recorded, and its manifest verifies
    log_in(drv, page, f"{base}/kasus?case={case}&sop={sop}", "inspektur", PASSWORDS["inspektur"], title="Kasus")
    button = page.get_by_role("button", name="Unduh paket bukti (HTML)")
    button.scroll_into_view_if_needed()
    with page.expect_download(timeout=120_000) as info:
        button.click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    check = seal.verify_file(saved)
    assert check.ok, check.problems
    assert check.manifest["subject"]["case_id"] == case and "Berkas susulan diterima" in saved.read_text("utf-8")
    assert pantau("evidence", "verify", str(saved)).returncode == 0
    packs = [e for e in audit.AuditLog(db.with_name("store.audit.jsonl")).entries()
             if e.user == "inspektur" and e.event == audit.EVIDENCE_PACK]
    assert packs and packs[-1].details["case"] == case
