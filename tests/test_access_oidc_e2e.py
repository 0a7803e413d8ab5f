"""OIDC end to end: ``pantau dashboard --auth oidc`` with Streamlit's own ``st.login`` (Authlib)
against a real OpenID Connect provider on loopback (``tests/oidc_provider.py``), in headless
Chromium. The provider's e-mail claim names the Pantau user; the same checks as for local
accounts: only Batam everywhere, another agency / case refused and recorded, the export only
Batam rows with its SHA-256 on record, verify catching an edited row; an identity the users
file does not know is turned away.
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
from access_browser import OTHER_PLACES, dashboard, driver, main_text, pantau
from oidc_provider import serve

from pantau import audit

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="Debian's chromium is not installed"),
]
BATAM = "Dinas Kesehatan Kota Batam"
BANJARBARU = "Dinas Sosial Kota Banjarbaru"
CLIENT_SECRET = "klien-rahasia-uji"
ACCOUNTS = {
    "budi": {"password": "idp-budi", "claims": {"sub": "u-1", "email": "Budi@Dinkes.Batam.go.id",
                                                "email_verified": True, "name": "Budi"}},
    "tamu": {"password": "idp-tamu", "claims": {"sub": "u-9", "email": "tamu@example.org",
                                                "email_verified": True, "name": "Tamu"}},
}


@pytest.fixture(scope="module")
def site(analysed_db, tmp_path_factory):
    """(driver, base URL, browser, store copy, facts, provider) with a Batam head known by e-mail."""
    from playwright.sync_api import sync_playwright

    drv = driver()
    folder = tmp_path_factory.mktemp("oidc")
    db = folder / "store.duckdb"
    shutil.copyfile(analysed_db, db)
    port, idp_port = drv.free_port(), drv.free_port()
    redirect = f"http://127.0.0.1:{port}/oauth2callback"
    (folder / "pantau.toml").write_text(f"""[auth]
mode = "oidc"
[auth.oidc]
label = "Test IdP"
server_metadata_url = "http://127.0.0.1:{idp_port}/.well-known/openid-configuration"
client_id = "pantau-dashboard"
redirect_uri = "http://127.0.0.1:{{port}}/oauth2callback"
""", encoding="utf-8")
    added = pantau("user", "add", "budi", "--role", "kepala_dinas", "--agency", BATAM, "--no-password",
                   "--email", "budi@dinkes.batam.go.id", "--db", str(db))
    assert added.returncode == 0, added.stderr
    con = duckdb.connect(str(db), read_only=True)
    facts = {
        "batam_cases": con.execute("SELECT count(*) FROM case_checks WHERE agency = ?", [BATAM]).fetchone()[0],
        "banjar_case": con.execute("SELECT case_id FROM case_checks WHERE agency = ? ORDER BY case_id DESC LIMIT 1",
                                   [BANJARBARU]).fetchone()[0],
        # the Deviasi page exports the deviations of its case scope, closed cases by default
        "batam_deviations": con.execute(
            "SELECT count(*) FROM deviations d JOIN case_results c ON c.sop_id = d.sop_id AND c.agency = d.agency "
            "AND c.case_id = d.case_id WHERE d.agency = ? AND c.is_closed", [BATAM]).fetchone()[0],
    }
    con.close()
    env = {"PANTAU_OIDC_CLIENT_SECRET": CLIENT_SECRET, "PANTAU_CONFIG": ""}
    with serve(idp_port, client_id="pantau-dashboard", client_secret=CLIENT_SECRET, redirect_uri=redirect,
               accounts=ACCOUNTS) as provider, dashboard(db, "oidc", port, env=env) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=drv.CHROMIUM, args=drv.CHROMIUM_ARGS)
        try:
            yield drv, base, browser, db, facts, provider
        finally:
            browser.close()


def _new_page(drv, browser):
    return browser.new_context(viewport={"width": drv.WIDTH, "height": 900}, locale="id-ID",
                               accept_downloads=True).new_page()


def _log_in(drv, page, base: str, login: str) -> None:
    page.goto(f"{base}/")
    page.get_by_role("button", name="Masuk dengan Test IdP").click()
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(ACCOUNTS[login]["password"])
    page.get_by_role("button", name="Sign in").click()


def _entries(db: Path, user: str) -> list[audit.Entry]:
    return [e for e in audit.AuditLog(db.with_name("store.audit.jsonl")).entries() if e.user == user]


def test_a_batam_head_through_the_provider_sees_only_batam(site) -> None:
    drv, base, browser, db, facts, provider = site
    page = _new_page(drv, browser)
    _log_in(drv, page, base, "budi")
    drv.wait_idle(page, "Ringkasan")
    assert provider.logins == ["budi"]
    assert page.locator('[data-testid="stMetricValue"]').first.inner_text() == f"{facts['batam_cases']:,}".replace(",", ".")
    assert not [p for p in OTHER_PLACES if p in main_text(page)]
    logins = [e for e in _entries(db, "budi") if e.event == audit.LOGIN]
    assert logins and logins[-1].details["method"] == "oidc" and logins[-1].role == "kepala_dinas"

    # the login cookie carries the next visits; the scope still holds
    page.goto(f"{base}/?agency={BANJARBARU.replace(' ', '+')}")
    drv.wait_idle(page, "Ringkasan")
    assert page.get_by_text("Tidak diizinkan", exact=False).count() == 1
    assert not [p for p in OTHER_PLACES if p in main_text(page)]
    page.goto(f"{base}/kasus?case={facts['banjar_case']}")
    drv.wait_idle(page, "Kasus")
    page.get_by_text("Tidak diizinkan", exact=False).first.wait_for(timeout=20_000)
    assert page.get_by_text("Linimasa", exact=True).count() == 0

    page.goto(f"{base}/deviasi")
    drv.wait_idle(page, "Deviasi")
    button = page.get_by_role("button", name="Unduh CSV")
    button.scroll_into_view_if_needed()
    with page.expect_download(timeout=60_000) as info:
        button.click()
    body = Path(info.value.path()).read_bytes()
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert {r["agency"] for r in rows} == {BATAM} and len(rows) == facts["batam_deviations"]
    entries = _entries(db, "budi")
    export = [e for e in entries if e.event == audit.EXPORT][-1]
    assert export.details["sha256"] == hashlib.sha256(body).hexdigest() and export.details["rows"] == len(rows)
    denied = {(e.details["what"], e.details["value"]) for e in entries if e.event == audit.DENIED}
    assert denied == {("agency", BANJARBARU), ("case", facts["banjar_case"])}

    log = db.with_name("store.audit.jsonl")
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    target = next(i for i, line in enumerate(lines) if '"event":"denied"' in line)
    del lines[target]
    log.write_text("".join(lines), encoding="utf-8")
    check = pantau("audit", "verify", "--db", str(db))
    assert check.returncode == 1
    assert f"entry {target + 2} (line {target + 1}): the chain is broken" in check.stderr


def test_an_identity_pantau_does_not_know_is_turned_away(site) -> None:
    drv, base, browser, db, _facts, _provider = site
    page = _new_page(drv, browser)
    _log_in(drv, page, base, "tamu")
    page.get_by_text("tidak terdaftar di Pantau", exact=False).wait_for(timeout=60_000)
    assert page.get_by_role("heading", name="Ringkasan").count() == 0
    failed = [e for e in audit.AuditLog(db.with_name("store.audit.jsonl")).entries()
              if e.event == audit.LOGIN_FAILED and e.details.get("method") == "oidc"]
    assert failed and failed[-1].details["reason"] == "unknown_identity"
    assert "tamu@example.org" not in db.with_name("store.audit.jsonl").read_text()
