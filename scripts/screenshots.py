"""Drive the dashboard in headless Chromium: open every page, check it, take screenshots.

Used by ``tests/test_dashboard_e2e.py`` and runnable on its own::

    .venv/bin/python scripts/screenshots.py --db data/demo.duckdb [--out docs/screenshots]

It starts ``streamlit run dashboard/app.py`` on a free port with ``PANTAU_DB`` set, waits for
``/_stcore/health``, then drives Debian's ``/usr/bin/chromium`` through Playwright (its own
browser download does not work on these machines).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

from dashboard.navigation import page_titles

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PAGES = page_titles()  # url path -> (Indonesian title, English title)
WIDTH = 1440             # the laptop width the trial was run at
WIDTHS = (1440, 1920)    # every page is photographed at both (issue 15.6)
ERROR_SELECTORS = ('[data-testid="stException"]', '[data-testid="stAlertContentError"]')


def free_port() -> int:
    """An unused TCP port on localhost."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running(command: list[str], env: dict[str, str], base: str, timeout: float = 60,
            what: str = "streamlit") -> Iterator[str]:
    """Run a dashboard process (``command``); yield ``base`` once its health check answers;
    stop it afterwards. Its output goes to a temporary file, shown when it fails to start."""
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below, after the server
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"{what} did not start: {log.read().decode(errors='replace')[-3000:]}")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextlib.contextmanager
def serve(db: Path, port: int | None = None, timeout: float = 60) -> Iterator[str]:
    """Run the dashboard on ``db`` (no logins, so on loopback only); yield its base URL."""
    port = port or free_port()
    env = dict(os.environ, PANTAU_DB=str(Path(db).resolve()), PM4PY_SHOW_PROGRESS_BAR="False")
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py"),
               "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port),
               "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer",
               "--server.fileWatcherType", "none"]
    with running(command, env, f"http://127.0.0.1:{port}", timeout) as base:
        yield base


def wait_idle(page, title: str | None = None, timeout: float = 60) -> None:
    """Wait until the page's title is shown and Streamlit has stopped running the script."""
    if title:
        page.get_by_role("heading", name=title, exact=True).first.wait_for(timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    quiet = 0
    while quiet < 4:
        if time.monotonic() > deadline:
            raise TimeoutError("the app kept running")
        running = page.locator('[data-testid="stStatusWidget"]').count() > 0
        skeleton = page.locator('[data-testid="stSkeleton"]').count() > 0
        quiet = 0 if running or skeleton else quiet + 1
        page.wait_for_timeout(250)


def errors_on(page) -> list[str]:
    """Texts of exception and error elements on the page."""
    found = []
    for selector in ERROR_SELECTORS:
        loc = page.locator(selector)
        found += [loc.nth(i).inner_text()[:500] for i in range(loc.count())]
    return found


def shot_name(slug: str, width: int) -> str:
    """``ringkasan.png`` at :data:`WIDTH`, ``ringkasan-1920.png`` at another width."""
    return f"{slug}.png" if width == WIDTH else f"{slug}-{width}.png"


def shoot(page, path: Path, width: int = WIDTH) -> None:
    """A full-length screenshot ``width`` px wide: the viewport grows to the main area's height
    (Streamlit scrolls inside its main container, so Playwright's full_page alone is not enough)."""
    if width != WIDTH:
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(800)
        wait_idle(page)
    height = page.evaluate(
        "() => Math.max(...['[data-testid=\"stMain\"]', '[data-testid=\"stAppViewContainer\"]']"
        ".map(s => document.querySelector(s)).filter(Boolean).map(e => e.scrollHeight), 800)")
    page.set_viewport_size({"width": width, "height": min(int(height) + 40, 7000)})
    page.wait_for_timeout(800)
    wait_idle(page)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": WIDTH, "height": 900})


def worst_case(db: Path) -> tuple[str, str, str]:
    """(case_id, sop_id, agency) of the closed case with the most breaches and deviations."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("""SELECT case_id, sop_id, agency FROM case_checks WHERE NOT is_open
                              ORDER BY breach_count + deviation_count DESC, case_id, agency
                              LIMIT 1""").fetchall()[0]
    finally:
        con.close()


def visit_all(base: str, out: Path | None, query: str = "",
              case: tuple[str, str, str] | None = None) -> dict[str, list[str]]:
    """Open every page (Indonesian; the case page on ``case``), screenshot it, switch to
    English once; errors per page."""
    from playwright.sync_api import sync_playwright

    problems: dict[str, list[str]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": 900}, locale="id-ID")
            for slug, (title_id, _title_en) in PAGES.items():
                q = query
                if slug == "kasus" and case:
                    q = (query + "&" if query else "?") + urlencode(
                        {"case": case[0], "sop": case[1], "agency": case[2]})
                page.goto(f"{base}/{'' if slug == 'ringkasan' else slug}{q}")
                wait_idle(page, title_id)
                problems[slug] = errors_on(page)
                if out is not None:
                    for width in WIDTHS:
                        shoot(page, out / shot_name(slug, width), width)
            # the language switch, on the overview
            page.goto(f"{base}/{query}")
            wait_idle(page, PAGES["ringkasan"][0])
            page.locator('[data-testid="stSidebar"]').get_by_role("radio", name="EN", exact=True).first.click()
            wait_idle(page, PAGES["ringkasan"][1])
            problems["language"] = errors_on(page)
            if page.get_by_text("Within Mutu Baku").count() == 0:
                problems["language"].append("English label 'Within Mutu Baku' not shown")
            if "lang=EN" not in page.url:
                problems["language"].append(f"language not in the URL: {page.url}")
        finally:
            browser.close()
    return problems


def main() -> int:
    """``scripts/screenshots.py --db DB [--out DIR]``."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=ROOT / "data" / "demo.duckdb")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    with serve(args.db) as base:
        problems = visit_all(base, args.out, case=worst_case(args.db))
    bad = {k: v for k, v in problems.items() if v}
    for page, texts in bad.items():
        print(f"{page}: {texts}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
